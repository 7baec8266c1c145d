// Helpers for the gateway app (build/bin/switchboard): start it with an environment, sign tokens,
// call its HTTP API.
import { spawn } from "node:child_process";
import { before, after } from "node:test";
import path from "node:path";
import fs from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { BIN_DIR, connect, connected, waitFor } from "./helpers.mjs";

const require = createRequire(import.meta.url);
export const jwt = require("jsonwebtoken");
// At least 32 bytes: shorter JWT secrets are refused unless JWT_ALLOW_WEAK_SECRET=true.
export const SECRET = "e2e-secret-" + process.pid + "-0123456789abcdefghijklmnopqrstuv";
const here = path.dirname(fileURLToPath(import.meta.url));
// The HTTP API's key every gateway gets unless a test sets SERVICE_API_KEY itself ("" for none):
// without a key the API refuses every call, and /metrics takes the same key.
export const SERVICE_KEY = "e2e-service-key-" + process.pid;

// Starts the gateway on a free port with only the given settings (plus PATH, and a fresh DATA_DIR
// for the embedded SQLite unless given); resolves when it listens and (unless waitReady is false)
// its database is migrated. `log` collects its stderr lines (JSON).
export async function startGateway(env = {}, args = [], { waitReady = true } = {}) {
  const dataDir = env.DATA_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "sb-e2e-"));
  const proc = spawn(path.join(BIN_DIR, "switchboard"), ["--port", "0", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH, LOG_LEVEL: "info", PING_INTERVAL: "1000", PING_TIMEOUT: "2000", DATA_DIR: dataDir, SERVICE_API_KEY: SERVICE_KEY, ...env },
    cwd: here,
  });
  let markReady;
  const dbReady = new Promise((r) => (markReady = r));
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
          if (o.msg === "database ready") markReady();
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
  if (waitReady)
    await Promise.race([
      dbReady,
      new Promise((_, reject) => setTimeout(() => reject(new Error("database not ready: " + log.join("\n"))), 15000)),
    ]);
  return {
    proc,
    port,
    log,
    dataDir,
    // The keys this gateway takes: the HTTP API's, and /metrics' (METRICS_KEY, else the API's).
    apiKey: env.SERVICE_API_KEY ?? SERVICE_KEY,
    metricsKey: env.METRICS_KEY || (env.SERVICE_API_KEY ?? SERVICE_KEY),
    url: `http://127.0.0.1:${port}`,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

// The settings of a PostgreSQL-backed gateway with a schema of its own (scripts/test starts the
// server and sets SB_TEST_DATABASE_URL); null when there is none.
export function pgEnv(url = process.env.SB_TEST_DATABASE_URL) {
  if (!url) return null;
  return { DATABASE_URL: url, DB_SCHEMA: "e2e_" + process.pid + "_" + Math.floor(Math.random() * 1e9) };
}

// The backends a store test runs on: PostgreSQL (when available) and the embedded SQLite.
export function backends() {
  const out = [];
  const pg = pgEnv();
  if (pg) out.push(["postgres", pg]);
  else console.warn("SB_TEST_DATABASE_URL is not set: PostgreSQL variants skipped (scripts/test sets it)");
  out.push(["sqlite", {}]);
  return out;
}

// Collects every `event` a socket gets, in order.
export function collect(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args.length === 1 ? args[0] : args));
  return got;
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

// The Prometheus text of /metrics, asked with the gateway's metrics key.
export async function metricsText(gw) {
  const res = await fetch(gw.url + "/metrics", { headers: { authorization: `Bearer ${gw.metricsKey}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

// The headers that authenticate a call to the gateway's service API.
export function service(gw) {
  return { "x-api-key": gw.apiKey };
}

export async function api(gw, method, route, body, headers = {}) {
  const res = await fetch(gw.url + route, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return answer(res);
}

// A fetch response as {status, json (when the body is JSON), text, headers}.
export async function answer(res) {
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

// A room rules file (ROOM_RULES_FILE) with these rules, in a fresh temp dir; returns its path.
// Prefixes without a rule are denied by default (audit #12): tests open the ones they use.
export function rulesFile(rules) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-rules-"));
  const file = path.join(dir, "rules.json");
  fs.writeFileSync(file, JSON.stringify(rules));
  return file;
}

// Opens these prefixes (or bare names) to every authenticated user.
export function openRooms(...prefixes) {
  return rulesFile({ prefixes: Object.fromEntries(prefixes.map((p) => [p, "open"])) });
}
