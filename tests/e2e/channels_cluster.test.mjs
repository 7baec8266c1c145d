// The Channels-style endpoints in a cluster: two instances over Redis on one PostgreSQL. What a
// Socket.IO user or the push API sends on one instance reaches a Channels client on the other
// (through the streams bridge, as it reaches Socket.IO sockets there), and back.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, api, pgEnv, service } from "./gateway-helpers.mjs";

const redisTemp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/redis-temp");
const hasRedis = fs.existsSync("/usr/bin/redis-server");

// A Channels client signed in as `user`: next(type) resolves with the next frame of `type`.
async function channel(gw, route, user) {
  const ws = new WebSocket(gw.url.replace("http", "ws") + route + "?token=" + encodeURIComponent(token({ userId: user })));
  const frames = [];
  const waiters = [];
  ws.on("message", (data) => {
    const f = JSON.parse(data.toString());
    const w = waiters.find((x) => x.type === f.type);
    if (w) {
      waiters.splice(waiters.indexOf(w), 1);
      clearTimeout(w.timer);
      w.resolve(f);
    } else frames.push(f);
  });
  const c = {
    ws,
    send: (o) => ws.send(JSON.stringify(o)),
    next(type, ms = 5000) {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const w = { type, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${user}: no ${type} frame within ${ms} ms; got ${JSON.stringify(frames)}`));
        }, ms);
        waiters.push(w);
      });
    },
  };
  assert.equal((await c.next("connection_established")).user_id, user);
  return c;
}

describe("Channels-style API on two instances over Redis", { skip: (!hasRedis && "redis-server not installed") || (!pgEnv() && "needs PostgreSQL (scripts/test)") }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-channels-cluster-"));
  let gws = [];
  const open = [];
  before(async () => {
    const out = await promisify(execFile)(redisTemp, ["start", path.join(dir, "redis")], { encoding: "utf8", timeout: 60000 });
    const env = { JWT_SECRET: SECRET, REDIS_URL: out.stdout.trim().split("\n").pop(), ...pgEnv() };
    gws = [await startGateway(env), await startGateway(env)];
    // Until the second instance reads the stream: a push to a user on the first reaches its socket.
    const [wes] = await join(gws[1].url, token({ userId: "wes" }));
    open.push(wes);
    for (let k = 0; ; k++) {
      const heard = waitFor(wes, "warm", 500).then(() => true, () => false);
      await api(gws[0], "POST", "/api/broadcast/user", { userId: "wes", event: "warm", data: k }, service(gws[0]));
      if (await heard) break;
      if (k > 40) throw new Error("the instances never shared a broadcast");
    }
  });
  after(async () => {
    for (const x of open) (x.disconnect ? x.disconnect() : x.ws.close());
    for (const gw of gws) await gw.stop();
    try {
      await promisify(execFile)(redisTemp, ["stop", path.join(dir, "redis")], { timeout: 60000 });
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a Socket.IO chat:send on one instance reaches a Channels client on the other, and back", async () => {
    const cora = await channel(gws[1], "/ws/chat/", "cora");
    open.push(cora);
    const [dan] = await join(gws[0].url, token({ userId: "dan" }));
    open.push(dan);
    const r = await ask(dan, "chat:send", { receiverId: "cora", message: "across the cluster" });
    assert.equal(r.success, true, JSON.stringify(r));
    const got = await cora.next("chat_message");
    assert.equal(got.message.id, r.message.id);
    assert.equal(got.message.sender_id, "dan");
    assert.equal(got.message.message, "across the cluster");

    const atDan = waitFor(dan, "chat:message");
    cora.send({ type: "message", receiver_id: "dan", message: "and back" });
    const sent = await cora.next("message_sent");
    const [m] = await atDan;
    assert.equal(m.id, sent.message.id);
    assert.equal(m.message, "and back");
  });

  test("a notification pushed to one instance reaches the notifications socket on the other", async () => {
    const notes = await channel(gws[1], "/ws/notifications/", "ivy");
    open.push(notes);
    const body = { recipientId: "ivy", type: "info", title: "From the other node", message: "m" };
    const r = await api(gws[0], "POST", "/api/notify", body, service(gws[0]));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const n = await notes.next("notification");
    assert.equal(n.notification.id, r.json.notification.id);
    assert.equal(n.notification.title, "From the other node");
  });
});
