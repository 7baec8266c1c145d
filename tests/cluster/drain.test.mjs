// Graceful drain (SIGTERM) behind Nginx (ip_hash) over two of our instances on one Redis and one
// PostgreSQL, while chat flows: the drained instance tells its clients to go in batches with an
// Engine.IO close ("transport close" for socket.io-client, which reconnects at once, through Nginx
// to the other instance, recovering its session), finishes what it was asked, and exits 0 within
// SHUTDOWN_TIMEOUT; no acknowledged message is lost, every receiver gets every message, and no
// partner is told that a user who moved went offline.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, SECRET, pgEnv } from "../e2e/gateway-helpers.mjs";
import { connected, sleep } from "../e2e/helpers.mjs";
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
  const env = {
    REDIS_URL: redis.url,
    JWT_SECRET: SECRET,
    CONNECTION_STATE_RECOVERY: "true",
    DRAIN_BATCH: "2",
    DRAIN_INTERVAL: "100",
    SHUTDOWN_TIMEOUT: "10000",
    ...pg,
  };
  for (let i = 0; i < 2; i++) gws.push(await startGateway(env));
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

test("SIGTERM mid-chat: clients told to go in batches reconnect to the other instance, nothing acknowledged is lost", { skip }, async () => {
  const pairs = [];
  const offline = []; // user:offline seen by anyone: a drained user who came back must not be one
  for (let i = 1; i <= 6; i++) {
    const sender = client(`dr-s${i}`, 60 + i);
    const receiver = client(`dr-r${i}`, 80 + i);
    pairs.push({ i, sender, receiver, got: [], reasons: [], recovered: null });
  }
  await Promise.all(pairs.flatMap((p) => [connected(p.sender), connected(p.receiver)]));
  for (const p of pairs) {
    p.receiver.on("chat:message", (m) => p.got.push(m.clientMessageId));
    for (const s of [p.sender, p.receiver]) {
      s.on("user:offline", (d) => offline.push(d.userId));
      s.on("disconnect", (reason) => p.reasons.push(reason));
      s.on("connect", () => {
        if (p.reasons.length) p.recovered = (p.recovered ?? true) && s.recovered;
      });
    }
  }
  const counts = await Promise.all(gws.map(connectionsOf));
  const victim = counts[0] >= counts[1] ? 0 : 1;
  const other = gws[1 - victim];
  assert.ok(counts[victim] >= 3, `connections per instance: ${counts} (a drain needs several batches)`);

  const sending = pairs.map((p) => sendAll(p.sender, `dr-r${p.i}`, `dr${p.i}`, 30, 20));
  await sleep(300);
  const termAt = Date.now();
  gws[victim].proc.kill("SIGTERM");
  // Not ready once the signal is handled (a balancer's probe takes it out), while it drains; the
  // probe may come in before the signal is, so it asks again for up to 3 s.
  let ready;
  for (const end = Date.now() + 3000; ; await sleep(20)) {
    ready = await fetch(gws[victim].url + "/ready").then((r) => r.status).catch(() => "refused");
    if (ready !== 200 || Date.now() > end) break;
  }
  assert.ok(ready === 503 || ready === "refused", `/ready while draining: ${ready}`);
  const exit = await gws[victim].exited;
  const exitMs = Date.now() - termAt;
  assert.deepEqual(exit, { code: 0, signal: null }, "a clean exit within SHUTDOWN_TIMEOUT");
  const log = gws[victim].log.join("\n");
  assert.match(log, /"msg":"draining".*"batch":"2"/, "the sessions were told in batches of DRAIN_BATCH");
  assert.doesNotMatch(log, /SHUTDOWN_TIMEOUT passed|drain deadline reached|operations unfinished/);
  const acked = await Promise.all(sending);

  // Everyone is on the other instance now, the moved ones with their session.
  await until(() => pairs.every((p) => p.sender.connected && p.receiver.connected), 15000, "reconnected");
  assert.equal(await connectionsOf(other), pairs.length * 2);
  const moved = pairs.filter((p) => p.reasons.length);
  assert.ok(moved.length > 0, "some clients were on the drained instance");
  for (const p of moved) {
    // An Engine.IO close: socket.io-client reconnects (not "io server disconnect", which it would not).
    for (const r of p.reasons) assert.equal(r, "transport close", `pair ${p.i}: ${p.reasons}`);
    assert.equal(p.recovered, true, `pair ${p.i}: session recovered on the other instance`);
  }
  for (const [n, p] of pairs.entries()) {
    assert.equal(acked[n].length, 30);
    const stored = await history(p.sender, `dr-r${p.i}`);
    assert.equal(new Set(stored).size, stored.length, "no message stored twice");
    for (const id of acked[n]) assert.ok(stored.includes(id), `${id} acknowledged but not stored`);
  }
  await until(() => pairs.every((p) => new Set(p.got).size === 30), 10000, "every message delivered to its receiver");
  // Everyone came back: no partner was told a moved user went offline (the drained instance's
  // presence entries left only after they were back).
  await sleep(500);
  assert.deepEqual(offline, [], "no offline flap for users who moved");
  console.log(`# drained instance ${victim} (${counts[victim]} of ${counts[0] + counts[1]} connections); ${moved.length} pairs moved; exited ${exitMs} ms after SIGTERM`);
});
