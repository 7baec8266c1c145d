// Shared helpers: start the real sb-conformance binary, connect real socket.io-client sockets.
import { spawn } from "node:child_process";
import { before, after } from "node:test";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { io } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN_DIR = path.resolve(process.env.SB_BIN_DIR || path.resolve(here, "../../build/bin"));

export async function startServer(args = [], port = 0) {
  const proc = spawn(
    path.join(BIN_DIR, "sb-conformance"),
    ["--profile", "e2e", "--port", String(port), "--log-level", "warn", ...args],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const actualPort = await new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error("server did not start")), 10000);
    proc.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/listening on [^:]+:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}`));
    });
  });
  process.on("exit", () => proc.kill("SIGKILL"));
  const exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  return {
    proc,
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGCONT"); // in case a test left it stopped
        proc.kill("SIGTERM");
      }
      return exited;
    },
  };
}

// One server for the whole test file: started before its first test, stopped after its last.
// The returned object gains the server's fields (url, port, proc, stop) once it has started.
export function serverFixture(args = []) {
  const server = {};
  before(async () => {
    Object.assign(server, await startServer(args));
  });
  after(async () => {
    await server.stop();
  });
  return server;
}

export function connect(url, opts = {}) {
  return io(url, { forceNew: true, reconnection: false, ...opts });
}

// Resolves with the event's arguments (as an array), rejects after `ms`.
export function waitFor(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`timed out waiting for '${event}'`));
    }, ms);
    function handler(...args) {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, handler);
  });
}

export function connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
      if (err) reject(err);
      else resolve(socket);
    };
    const onConnect = () => done();
    const onError = (e) => done(e);
    const timer = setTimeout(() => done(new Error("timed out waiting for connect")), ms);
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function closeAll(sockets) {
  for (const s of sockets) s.disconnect();
}
