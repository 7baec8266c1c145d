// Contract with @socket.io/redis-streams-adapter 0.3.1: a real Node socket.io 4.8 server with that
// adapter and our gateway on one Redis must act as one server, both ways; and two of our gateways
// must let a client recover its session on the other after the first one crashed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, token, join, SERVICE_KEY, SECRET } from "../e2e/gateway-helpers.mjs";
import { connect, connected, waitFor, sleep } from "../e2e/helpers.mjs";
import { startRedis, startNodePeer, until } from "./cluster-helpers.mjs";

let redis, peer, gw;
const sockets = [];

async function ready(g) {
  await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "our gateway ready");
}

async function push(g, path, body) {
  const r = await fetch(g.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer " + SERVICE_KEY },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, await r.text());
}

function nodeClient(opts = {}) {
  const s = connect(peer.url, { transports: ["websocket"], ...opts });
  sockets.push(s);
  return s;
}

async function ourClient(user) {
  const [s] = await join(gw.url, token({ userId: user }));
  sockets.push(s);
  return s;
}

before(async () => {
  redis = startRedis();
  peer = await startNodePeer(redis.url);
  gw = await startGateway({ REDIS_URL: redis.url, JWT_SECRET: SECRET });
  await ready(gw);
});

after(async () => {
  for (const s of sockets) s.close();
  await gw?.stop();
  await peer?.close();
  redis?.stop();
});

test("our instance counts in Node's serverCount (PUBSUB NUMSUB)", async () => {
  assert.equal(await peer.io.of("/").adapter.serverCount(), 2);
});

test("a burst of Node broadcasts reaches our client exactly once, in order", async () => {
  const ours = await ourClient("burst");
  const got = [];
  ours.on("seq", (n) => got.push(n));
  for (let i = 0; i < 200; i++) peer.io.emit("seq", i);
  await until(() => got.length >= 200, 10000, "200 broadcasts");
  await sleep(300);
  assert.deepEqual(got, [...Array(200).keys()]);
});

test("a binary argument from Node arrives intact on our client", async () => {
  const ours = await ourClient("bin");
  const got = waitFor(ours, "blob");
  peer.io.emit("blob", { name: "x", bytes: Buffer.from([0, 1, 2, 253, 254, 255]) }, Buffer.from("tail"));
  const [obj, tail] = await got;
  assert.equal(obj.name, "x");
  assert.deepEqual([...Buffer.from(obj.bytes)], [0, 1, 2, 253, 254, 255]);
  assert.equal(Buffer.from(tail).toString(), "tail");
});

test("our push API reaches Node's clients in a room and a user room, once each", async () => {
  const n = nodeClient();
  await connected(n);
  await n.emitWithAck("join", "order:77");
  await n.emitWithAck("join", "user:n9");
  const got = [];
  n.on("order:status_updated", (d) => got.push(d));
  n.on("note", (d) => got.push(d));
  await push(gw, "/api/broadcast/room", { room: "order:77", event: "order:status_updated", data: { orderId: 77 } });
  await push(gw, "/api/broadcast/user", { userId: "n9", event: "note", data: { text: "hi" } });
  await until(() => got.length >= 2, 5000, "two pushes");
  await sleep(300);
  assert.deepEqual(got, [{ orderId: 77 }, { text: "hi" }]);
});

test("rooms and except hold across the two servers", async () => {
  const ours = await ourClient("u-except");
  const n = nodeClient();
  await connected(n);
  const oursGot = [];
  const nodeGot = [];
  ours.on("x", (v) => oursGot.push(v));
  n.on("x", (v) => nodeGot.push(v));
  peer.io.except("user:u-except").emit("x", "not-ours");
  peer.io.to("user:u-except").emit("x", "only-ours");
  await until(() => oursGot.length >= 1 && nodeGot.length >= 1, 5000, "both");
  await sleep(300);
  assert.deepEqual(oursGot, ["only-ours"]);
  assert.ok(nodeGot.includes("not-ours") && !nodeGot.includes("only-ours"));
});

test("Node's fetchSockets lists our sockets with their rooms", async () => {
  const ours = await ourClient("fetched");
  const all = await peer.io.fetchSockets();
  const mine = all.find((s) => s.id === ours.id);
  assert.ok(mine, "our socket is listed");
  assert.ok(mine.rooms.has(ours.id) && mine.rooms.has("user:fetched"), [...mine.rooms].join(","));
  const inRoom = await peer.io.in("user:fetched").fetchSockets();
  assert.deepEqual(inRoom.map((s) => s.id), [ours.id]);
});

test("Node's socketsJoin / socketsLeave act on our sockets", async () => {
  const ours = await ourClient("joiner");
  const got = [];
  ours.on("in-extra", (v) => got.push(v));
  peer.io.in("user:joiner").socketsJoin("extra-room");
  await until(async () => (await peer.io.in("extra-room").fetchSockets()).some((s) => s.id === ours.id), 5000, "joined");
  peer.io.to("extra-room").emit("in-extra", 1);
  await until(() => got.length === 1, 5000, "broadcast to the joined room");
  peer.io.in("user:joiner").socketsLeave("extra-room");
  await until(async () => !(await peer.io.in("extra-room").fetchSockets()).some((s) => s.id === ours.id), 5000, "left");
  peer.io.to("extra-room").emit("in-extra", 2);
  await sleep(500);
  assert.deepEqual(got, [1]);
});

test("Node's timeout(...).emitWithAck collects our clients' acks too", async () => {
  const ours = await ourClient("acker");
  ours.on("question", (q, cb) => cb("ours:" + q));
  const n = nodeClient();
  await connected(n);
  n.on("question", (q, cb) => cb("node:" + q));
  await n.emitWithAck("join", "askers");
  peer.io.in("user:acker").socketsJoin("askers");
  await until(async () => (await peer.io.in("askers").fetchSockets()).length === 2, 5000, "both in the room");
  const answers = await peer.io.to("user:acker").timeout(3000).emitWithAck("question", "q1");
  assert.deepEqual(answers, ["ours:q1"]);
  const both = await peer.io.to("askers").timeout(3000).emitWithAck("question", "q2");
  assert.deepEqual([...both].sort(), ["node:q2", "ours:q2"]);
});

test("Node's disconnectSockets(true) disconnects our matching clients only", async () => {
  const gone = await ourClient("leaver");
  const stays = await ourClient("stayer");
  const reason = waitFor(gone, "disconnect");
  peer.io.in("user:leaver").disconnectSockets(true);
  await reason;
  await sleep(300);
  assert.equal(gone.connected, false);
  assert.equal(stays.connected, true);
});

test("a client recovers its session on another of our instances after the first crashed", async () => {
  const env = { REDIS_URL: redis.url, JWT_SECRET: SECRET, CONNECTION_STATE_RECOVERY: "true" };
  const a = await startGateway(env);
  const b = await startGateway(env);
  try {
    await ready(a);
    await ready(b);
    const s = connect(a.url, {
      auth: { token: token({ userId: "roamer" }) },
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
    });
    sockets.push(s);
    await connected(s);
    const got = [];
    s.on("note", (d) => got.push(d.n));
    await push(a, "/api/broadcast/user", { userId: "roamer", event: "note", data: { n: 1 } });
    await until(() => got.length === 1, 5000, "the first note");
    await sleep(300);  // the session is in Redis from the start; give its room updates time
    s.io.uri = b.url;  // the next reconnection goes to B (as behind a load balancer)
    a.proc.kill("SIGKILL");
    await push(b, "/api/broadcast/user", { userId: "roamer", event: "note", data: { n: 2 } });
    await until(() => s.connected && got.length >= 2, 15000, "recovered on B");
    assert.equal(s.recovered, true);
    await sleep(300);
    assert.deepEqual(got, [1, 2]);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test("/ready and /health follow Redis: 503 degraded while it is down, back by itself", async () => {
  await peer.close();  // the Node peer's Redis clients would throw when Redis goes away
  peer = null;
  redis.kill();
  await until(async () => (await fetch(gw.url + "/ready")).status === 503, 15000, "/ready 503");
  const h = await fetch(gw.url + "/health");
  assert.equal(h.status, 503);
  const body = await h.json();
  assert.equal(body.status, "degraded");
  assert.equal(body.checks.redis, "down");
  redis.resume();
  await ready(gw);
  const after = await (await fetch(gw.url + "/health")).json();
  assert.equal(after.checks.redis, "up");
});
