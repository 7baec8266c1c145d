// Pieces of the cluster tests: a throwaway Redis (scripts/redis-temp), a Node socket.io 4.8 server
// on @socket.io/redis-streams-adapter (the software we must interoperate with, in this process),
// and our gateways started on the same Redis.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, "../../scripts/redis-temp");

export function startRedis() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-cluster-"));
  const url = execFileSync(script, ["start", path.join(dir, "redis")], { encoding: "utf8" }).trim();
  const run = (cmd) => execFileSync(script, [cmd, path.join(dir, "redis")], { encoding: "utf8" });
  return {
    url,
    kill: () => run("kill"),
    resume: () => run("resume"),
    stop() {
      try {
        run("stop");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// A Node socket.io server with the streams adapter, connection-state recovery on, clients may
// `join` a room (ack). Returns {io, port, url, close()}.
export async function startNodePeer(redisUrl, { recovery = true } = {}) {
  const redis = createClient({ url: redisUrl });
  redis.on("error", () => {});  // reconnects by itself; the tests check what matters
  await redis.connect();
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    adapter: createAdapter(redis, { blockTimeInMs: 500 }),
    connectionStateRecovery: recovery ? { maxDisconnectionDuration: 60000 } : undefined,
    pingInterval: 1000,
    pingTimeout: 2000,
  });
  io.on("connection", (s) => {
    s.on("join", (room, cb) => {
      s.join(room);
      if (cb) cb({ success: true });
    });
  });
  await new Promise((r) => httpServer.listen(0, "127.0.0.1", r));
  const port = httpServer.address().port;
  return {
    io,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      io.close();
      await redis.quit().catch(() => {});
    },
  };
}

// Resolves when `cond()` is true, rejects after `ms`.
export async function until(cond, ms = 10000, what = "condition") {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out waiting for " + what);
}

const nginxScript = path.resolve(here, "../../scripts/nginx-temp");

// Nginx on loopback (deploy/nginx/switchboard.conf with these upstream ports); {url, stop()}.
export function startNginx(ports) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-nginx-"));
  fs.chmodSync(dir, 0o755);
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      const url = execFileSync(nginxScript, ["start", path.join(dir, "n"), String(port), ...ports.map(String)], {
        encoding: "utf8",
      }).trim();
      return {
        url,
        port,
        stop() {
          execFileSync(nginxScript, ["stop", path.join(dir, "n")]);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
}
