// Helpers for the gateway app (build/bin/switchboard): start it with an environment, sign tokens,
// call its HTTP API.
import { spawn } from "node:child_process";
import { before, after } from "node:test";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { BIN_DIR, connect, connected, waitFor } from "./helpers.mjs";

const require = createRequire(import.meta.url);
export const jwt = require("jsonwebtoken");
export const SECRET = "e2e-secret-" + process.pid;
const here = path.dirname(fileURLToPath(import.meta.url));

// Starts the gateway on a free port with only the given settings (plus PATH); resolves when it
// listens. `log` collects its stderr lines (JSON).
export async function startGateway(env = {}, args = []) {
  const proc = spawn(path.join(BIN_DIR, "switchboard"), ["--port", "0", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH, LOG_LEVEL: "info", PING_INTERVAL: "1000", PING_TIMEOUT: "2000", ...env },
    cwd: here,
  });
  const log = [];
  const port = await new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("gateway did not start: " + buf)), 10000);
    proc.stderr.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        log.push(line);
        try {
          const o = JSON.parse(line);
          if (o.msg === "listening") {
            clearTimeout(timer);
            resolve(Number(o.port));
          }
        } catch {}
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${log.join("\n")}${buf}`));
    });
  });
  process.on("exit", () => proc.kill("SIGKILL"));
  const exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  return {
    proc,
    port,
    log,
    url: `http://127.0.0.1:${port}`,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

export function gatewayFixture(env = {}, args = []) {
  const gw = {};
  before(async () => Object.assign(gw, await startGateway({ JWT_SECRET: SECRET, ...env }, args)));
  after(async () => gw.stop());
  return gw;
}

export function token(claims, opts = {}) {
  return jwt.sign(claims, SECRET, { algorithm: "HS256", expiresIn: "1h", ...opts });
}

// Connects with a token (or none) and resolves with [socket, connected payload].
export async function join(url, tok, opts = {}) {
  const s = connect(url, { auth: tok === undefined ? {} : { token: tok }, transports: ["websocket"], ...opts });
  const hello = waitFor(s, "connected");
  await connected(s);
  const [payload] = await hello;
  return [s, payload];
}

// The CONNECT_ERROR message a connection attempt gets.
export async function refused(url, opts) {
  const s = connect(url, { transports: ["websocket"], ...opts });
  try {
    await connected(s);
  } catch (e) {
    return e.message;
  } finally {
    s.disconnect();
  }
  throw new Error("connection was accepted");
}

export async function api(gw, method, route, body, headers = {}) {
  const res = await fetch(gw.url + route, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text, headers: res.headers };
}

// Emits with an ack and resolves with the answer.
export function ask(socket, event, ...args) {
  return socket.timeout(3000).emitWithAck(event, ...args);
}

// Resolves true if `event` arrives within `ms`, false otherwise.
export function arrives(emitter, event, ms = 300) {
  return waitFor(emitter, event, ms).then(
    () => true,
    () => false,
  );
}
