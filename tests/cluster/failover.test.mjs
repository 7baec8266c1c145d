// Failures mid-traffic, through Nginx (ip_hash) over three of our instances on one Redis and one
// PostgreSQL: an instance killed with SIGKILL while chat flows loses no acknowledged message, its
// clients come back through Nginx on another instance with their session recovered (the session
// the dead instance saved in Redis), and every receiver gets every message live; Redis killed and restarted while chat and broadcasts flow:
// the chat stays complete and broadcasts resume on every instance.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, token, SERVICE_KEY, SECRET, pgEnv } from "../e2e/gateway-helpers.mjs";
import { connect, connected, sleep } from "../e2e/helpers.mjs";
import { startRedis, startNginx, until } from "./cluster-helpers.mjs";
import { nginxClient, sendAll, history, connectionsOf, warmCluster } from "./chat-helpers.mjs";

const pg = pgEnv();
const skip = !pg && "needs PostgreSQL (SB_TEST_DATABASE_URL)";
let redis, nginx;
const gws = [];
const sockets = [];

before(async () => {
  if (skip) return;
  redis = startRedis();
  const env = { REDIS_URL: redis.url, JWT_SECRET: SECRET, CONNECTION_STATE_RECOVERY: "true", ...pg };
  for (let i = 0; i < 3; i++) gws.push(await startGateway(env));
  for (const g of gws) await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "ready");
  await warmCluster(gws);
  nginx = startNginx(gws.map((g) => g.port));
});

after(async () => {
  for (const s of sockets) s.close();
  for (const g of gws) await g.stop();
  nginx?.stop();
  redis?.stop();
});

const client = (userId, n) => nginxClient(nginx.url, sockets, userId, n);

test("a message to a user on another instance is marked delivered there: chat:delivered once, no resend", { skip }, async () => {
  const direct = (g, userId) => {
    const s = connect(g.url, { auth: { token: token({ userId }) }, transports: ["websocket"], reconnection: false });
    sockets.push(s);
    return s;
  };
  const sender = direct(gws[0], "d-s");
  let receiver = direct(gws[1], "d-r");
  await Promise.all([connected(sender), connected(receiver)]);
  const got = [];
  receiver.on("chat:message", (m) => got.push(m.id));
  const receipts = [];
  sender.on("chat:delivered", (d) => receipts.push(...d.messageIds));
  const ids = [];
  for (let k = 0; k < 5; k++) {
    const r = await sender.timeout(3000).emitWithAck("chat:send", { receiverId: "d-r", message: `x ${k}` });
    assert.equal(r.success, true);
    ids.push(r.message.id);
  }
  await until(() => got.length === 5 && receipts.length === 5, 15000, "delivered and receipts");
  await sleep(300);
  assert.deepEqual(got, ids);
  assert.deepEqual(receipts, ids, "one receipt per message");
  // Connected again (on the other instance): nothing is resent, nothing was left undelivered.
  receiver.close();
  receiver = direct(gws[0], "d-r");
  const again = [];
  receiver.on("chat:message", (m) => again.push(m.id));
  await connected(receiver);
  await sleep(500);
  assert.deepEqual(again, []);
});

test("an instance killed mid-chat: no acknowledged message lost, its clients recover their session elsewhere", { skip }, async () => {
  const pairs = [];
  for (let i = 1; i <= 6; i++) {
    const sender = client(`f-s${i}`, i);
    const receiver = client(`f-r${i}`, 20 + i);
    pairs.push({ i, sender, receiver, got: [], dropped: false, recovered: null });
  }
  await Promise.all(pairs.flatMap((p) => [connected(p.sender), connected(p.receiver)]));
  for (const p of pairs) {
    p.receiver.on("chat:message", (m) => p.got.push(m.clientMessageId));
    for (const s of [p.sender, p.receiver]) {
      s.on("disconnect", () => (p.dropped = true));
      s.on("connect", () => {
        if (p.dropped) p.recovered = (p.recovered ?? true) && s.recovered;
      });
    }
  }
  const counts = await Promise.all(gws.map(connectionsOf));
  const victim = counts.indexOf(Math.max(...counts));
  assert.ok(counts[victim] > 0, `connections per instance: ${counts}`);

  const sending = pairs.map((p) => sendAll(p.sender, `f-r${p.i}`, `f${p.i}`, 40, 20));
  await sleep(400);
  gws[victim].proc.kill("SIGKILL");
  await gws[victim].exited;
  const acked = await Promise.all(sending);

  // Everyone is back (through Nginx, on the two instances left).
  await until(() => pairs.every((p) => p.sender.connected && p.receiver.connected), 15000, "reconnected");
  const moved = pairs.filter((p) => p.dropped);
  assert.ok(moved.length > 0, "some clients were on the killed instance");
  for (const p of moved) assert.equal(p.recovered, true, `pair ${p.i}: session recovered on another instance`);

  for (const [n, p] of pairs.entries()) {
    assert.equal(acked[n].length, 40);
    // Stored once each, in order, whichever instance took each send or its retry.
    const stored = await history(p.sender, `f-r${p.i}`);
    assert.equal(stored.length, 40);
    assert.equal(new Set(stored).size, stored.length, "no message stored twice");
    for (const id of acked[n]) assert.ok(stored.includes(id), `${id} acknowledged but not stored`);
  }
  // What receivers were told live or on their reconnection (the catch-up of undelivered ones).
  const delivered = pairs.map((p) => new Set(p.got).size);
  console.log(`# killed instance ${victim} (${counts[victim]} of ${counts.reduce((a, b) => a + b)} connections); ` +
    `${moved.length} pairs moved; receivers got ${delivered.join(", ")} of 40 distinct messages`);
  // chat:send is acknowledged once the message is in the shared stream, so a receiver on a live
  // instance gets it even when the sender's instance dies right after; one on the dead instance
  // gets what it missed by recovering its session.
  await until(() => pairs.every((p) => new Set(p.got).size === 40), 10000, "every message delivered to its receiver");
});

test("Redis killed and restarted mid-traffic: chat stays complete, broadcasts resume on every instance", { skip }, async () => {
  const live = gws.filter((g) => g.proc.exitCode === null && g.proc.signalCode === null);
  const pairs = [];
  for (let i = 1; i <= 4; i++) {
    const sender = client(`g-s${i}`, 40 + i);
    const receiver = client(`g-r${i}`, 50 + i);
    pairs.push({ i, sender, receiver, ticks: [] });
  }
  await Promise.all(pairs.flatMap((p) => [connected(p.sender), connected(p.receiver)]));
  for (const p of pairs) p.receiver.on("tick", (d) => p.ticks.push(d.k));
  const tick = (g, k) =>
    fetch(g.url + "/api/broadcast/global", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + SERVICE_KEY },
      body: JSON.stringify({ event: "tick", data: { k } }),
    });

  const sending = pairs.map((p) => sendAll(p.sender, `g-r${p.i}`, `g${p.i}`, 30, 30));
  await sleep(300);
  redis.kill();
  await sleep(1500);
  // While Redis is away: the instances say so.
  for (const g of live) assert.equal((await fetch(g.url + "/ready")).status, 503);
  redis.resume();
  const acked = await Promise.all(sending);
  for (const g of live) await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "ready again");

  // Broadcasts through each instance after the restart reach every receiver once.
  for (const [n, g] of live.entries()) assert.equal((await tick(g, n)).status, 200);
  await until(() => pairs.every((p) => p.ticks.length >= live.length), 10000, "broadcasts after the restart");
  await sleep(300);
  for (const p of pairs) assert.deepEqual([...p.ticks].sort(), live.map((_, n) => n));

  for (const [n, p] of pairs.entries()) {
    const stored = await history(p.sender, `g-r${p.i}`);
    for (const id of acked[n]) assert.ok(stored.includes(id), `${id} acknowledged but not stored`);
    assert.equal(new Set(stored).size, stored.length);
  }
});
