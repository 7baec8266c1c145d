// Presence and typing across instances: two of our instances on one Redis share who is online
// (REDIS_URL → the shared presence). user:online / user:offline arrive once per transition,
// whichever instance the user's devices sit on; the presence routes answer for the cluster; an
// instance killed with SIGKILL has its users swept offline within PRESENCE_TTL; chat:typing and its
// timeout work between users on different instances; conversation partners are told without
// asking (PostgreSQL shared by both instances).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, token, SERVICE_KEY, SECRET, pgEnv } from "../e2e/gateway-helpers.mjs";
import { connect, connected, sleep } from "../e2e/helpers.mjs";
import { startRedis, until } from "./cluster-helpers.mjs";

let redis;
const gws = [];
const sockets = [];
const PRESENCE_TTL = 3000;

const env = () => ({
  REDIS_URL: redis.url,
  JWT_SECRET: SECRET,
  PRESENCE_TTL: String(PRESENCE_TTL),
  TYPING_TIMEOUT: "1000",
  CLUSTER_REQUEST_TIMEOUT: "1000",
});

before(async () => {
  redis = startRedis();
  for (let i = 0; i < 2; i++) gws.push(await startGateway(env()));
  for (const g of gws) await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "instance ready");
});

after(async () => {
  for (const s of sockets) s.close();
  for (const g of gws) await g.stop();
  redis?.stop();
});

function user(g, userId) {
  const s = connect(g.url, { auth: { token: token({ userId }) }, transports: ["websocket"], reconnection: false });
  sockets.push(s);
  return s;
}

// Every user:online / user:offline a socket receives, in order.
function record(s) {
  const seen = [];
  s.on("user:online", (d) => seen.push(["online", d.userId, d]));
  s.on("user:offline", (d) => seen.push(["offline", d.userId, d]));
  return seen;
}

const api = async (g, path) => {
  const r = await fetch(g.url + path, { headers: { authorization: "Bearer " + SERVICE_KEY } });
  assert.equal(r.status, 200, path);
  return r.json();
};

test("a watcher on one instance is told once when a user comes online and goes offline on the other", async () => {
  const [a, b] = gws;
  const watcher = user(a, "p-watcher");
  await connected(watcher);
  const seen = record(watcher);
  const asked = await watcher.emitWithAck("chat:getOnlineStatus", { userIds: ["p-bob"] });
  assert.deepEqual(asked, { success: true, statuses: { "p-bob": false } });

  // Two devices of bob, on both instances: one transition.
  const bob1 = user(b, "p-bob");
  await connected(bob1);
  await until(() => seen.length >= 1, 5000, "user:online");
  const bob2 = user(a, "p-bob");
  await connected(bob2);
  await sleep(400);
  assert.deepEqual(seen.map(([k, u]) => [k, u]), [["online", "p-bob"]]);

  // Both instances answer for the cluster.
  const again = await watcher.emitWithAck("chat:getOnlineStatus", { userIds: ["p-bob", "p-nobody"] });
  assert.deepEqual(again.statuses, { "p-bob": true, "p-nobody": false });
  for (const g of gws) {
    const online = await api(g, "/api/online-users");
    assert.deepEqual(online.data.users.find((u) => u.userId === "p-bob"), { userId: "p-bob", devices: 2 });
    const st = await api(g, "/user-status/p-bob");
    assert.deepEqual(st.data, { userId: "p-bob", isConnected: true, devices: 2 });
    const connectedUsers = await api(g, "/connected-users");
    assert.ok(connectedUsers.data.users.includes("p-bob") && connectedUsers.data.users.includes("p-watcher"));
  }
  // Totals are the cluster's once both have beaten (every PRESENCE_TTL/6).
  await until(async () => (await api(a, "/api/stats")).stats.totalConnections >= 3, 5000, "cluster totals");
  const stats = (await api(a, "/api/stats")).stats;
  assert.equal(stats.instances, 2);
  assert.ok(stats.node.connections < stats.totalConnections, JSON.stringify(stats));

  bob1.close();
  await sleep(400);
  assert.equal(seen.length, 1, "one device left: still online");
  bob2.close();
  await until(() => seen.length >= 2, 5000, "user:offline");
  await sleep(400);
  assert.deepEqual(seen.map(([k, u]) => [k, u]), [["online", "p-bob"], ["offline", "p-bob"]]);
  assert.match(seen[1][2].lastSeen, /^\d{4}-\d\d-\d\dT/);
  const st = await api(b, "/user-status/p-bob");
  assert.equal(st.data.isConnected, false);
  assert.equal(st.data.devices, 0);
  assert.match(st.data.lastSeen, /^\d{4}-\d\d-\d\dT/);
});

test("chat:typing and its timeout between users on different instances", async () => {
  const [a, b] = gws;
  const typist = user(a, "t-alice");
  const reader = user(b, "t-bob");
  await Promise.all([connected(typist), connected(reader)]);
  const got = [];
  reader.on("chat:typing", (d) => got.push(d));
  await sleep(200);
  const r = await typist.emitWithAck("chat:typing", { receiverId: "t-bob", isTyping: true });
  assert.equal(r.success, true);
  await until(() => got.length >= 1, 5000, "typing on");
  assert.deepEqual(got[0], { senderId: "t-alice", isTyping: true });
  // No refresh: TYPING_TIMEOUT (1 s) ends it, told across the bridge.
  await until(() => got.length >= 2, 5000, "typing timeout");
  assert.deepEqual(got[1], { senderId: "t-alice", isTyping: false });
});

const pg = pgEnv();
test("conversation partners are told without asking; an instance killed: its users offline within PRESENCE_TTL", { skip: !pg && "needs PostgreSQL (SB_TEST_DATABASE_URL)" }, async () => {
  // Two more instances on one PostgreSQL schema (the conversation must be visible to both), with
  // a presence of their own: the instances above each have their own SQLite, so whichever sweeps
  // must be one that sees the conversation, as in a real cluster on one database.
  const shared = { ...env(), ...pg, PRESENCE_KEY_PREFIX: "sb-test-pg-presence" };
  const c = await startGateway(shared);
  const d = await startGateway(shared);
  try {
    for (const g of [c, d]) await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "ready");
    const alice = user(c, "k-alice");
    await connected(alice);
    const seen = record(alice);
    // A conversation with carol (offline): she is alice's partner from now on.
    const sent = await alice.emitWithAck("chat:send", { receiverId: "k-carol", message: "hi" });
    assert.equal(sent.success, true, JSON.stringify(sent));
    const carol = user(d, "k-carol");
    await connected(carol);
    await until(() => seen.length >= 1, 5000, "partner online");
    assert.deepEqual(seen.map(([k, u]) => [k, u]), [["online", "k-carol"]]);

    // Instance d dies with carol on it: nobody says goodbye; the sweep does, once.
    const killedAt = Date.now();
    d.proc.kill("SIGKILL");
    await d.exited;
    await until(() => seen.length >= 2, PRESENCE_TTL + 5000, "swept offline");
    const took = Date.now() - killedAt;
    await sleep(PRESENCE_TTL / 2);
    assert.deepEqual(seen.map(([k, u]) => [k, u]), [["online", "k-carol"], ["offline", "k-carol"]]);
    console.log(`# swept offline ${took} ms after the SIGKILL (PRESENCE_TTL ${PRESENCE_TTL})`);
    const st = await api(c, "/user-status/k-carol");
    assert.equal(st.data.isConnected, false);
  } finally {
    await c.stop();
    await d.stop();
  }
});
