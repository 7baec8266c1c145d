import { test } from "node:test";
import assert from "node:assert/strict";
import { serverFixture, connect, connected, waitFor, sleep } from "./helpers.mjs";

const server = serverFixture();

test("default transports: polling first, then upgrade to websocket", async () => {
  const s = connect(server.url);
  const upgraded = waitFor(s.io, "open").then(() => waitFor(s.io.engine, "upgrade"));
  const [auth] = await waitFor(s, "auth");
  assert.deepEqual(auth, {});
  await upgraded;
  assert.equal(s.io.engine.transport.name, "websocket");
  const back = await s.timeout(2000).emitWithAck("message-with-ack", 1, "two", { three: [true] });
  assert.deepEqual(back, 1);
  s.disconnect();
});

test("auth payload reaches the server and comes back", async () => {
  const s = connect(server.url, { auth: { token: "abc", n: 1.5 }, transports: ["websocket"] });
  const [auth] = await waitFor(s, "auth");
  assert.deepEqual(auth, { token: "abc", n: 1.5 });
  s.disconnect();
});

test("websocket only", async () => {
  const s = connect(server.url, { transports: ["websocket"] });
  await connected(s);
  assert.equal(s.io.engine.transport.name, "websocket");
  s.emit("message", "hello", { a: [1, 2] });
  const args = await waitFor(s, "message-back");
  assert.deepEqual(args, ["hello", { a: [1, 2] }]);
  s.disconnect();
});

test("polling only", async () => {
  const s = connect(server.url, { transports: ["polling"] });
  await connected(s);
  assert.equal(s.io.engine.transport.name, "polling");
  for (let i = 0; i < 5; i++) {
    const r = await s.timeout(2000).emitWithAck("message-with-ack", i, "x");
    assert.equal(r, i);
  }
  s.emit("message", "ünïcødé 😀");
  const [back] = await waitFor(s, "message-back");
  assert.equal(back, "ünïcødé 😀");
  await sleep(700); // survives heartbeats (ping 300 ms) on polling
  assert.ok(s.connected);
  s.disconnect();
});

test("two namespaces multiplexed on one connection", async () => {
  const main = connect(server.url, { transports: ["websocket"] });
  const admin = main.io.socket("/admin", { auth: { token: "admin-secret" } });
  admin.connect();
  const [welcome] = await waitFor(admin, "welcome");
  assert.equal(welcome, "admin");
  await connected(main);
  assert.notEqual(main.id, admin.id);
  const who = await admin.timeout(2000).emitWithAck("whoami");
  assert.equal(who, admin.id);
  // Leaving one namespace keeps the other alive on the same Engine.IO session.
  const engineId = main.io.engine.id;
  admin.disconnect();
  await sleep(50);
  const r = await main.timeout(2000).emitWithAck("message-with-ack", "still here");
  assert.equal(r, "still here");
  assert.equal(main.io.engine.id, engineId);
  main.disconnect();
});

test("server-side disconnect closes the socket with 'io server disconnect'", async () => {
  const s = connect(server.url, { transports: ["websocket"] });
  await connected(s);
  s.emit("close-me");
  const [reason] = await waitFor(s, "disconnect");
  assert.equal(reason, "io server disconnect");
});

test("unknown namespace is refused with 'Invalid namespace'", async () => {
  const s = connect(`${server.url}/nope`, { transports: ["websocket"] });
  const [err] = await waitFor(s, "connect_error");
  assert.equal(err.message, "Invalid namespace");
  s.disconnect();
});

test("wrong path gets an HTTP error and the server keeps serving", async () => {
  const res = await fetch(`${server.url}/foo/?EIO=4&transport=polling`);
  assert.equal(res.status, 404);
  const bad = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`);
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { code: 5, message: "Unsupported protocol version" });
  const health = await (await fetch(`${server.url}/health`)).json();
  assert.equal(health.status, "ok");
  assert.equal(health.service, "switchboard");
  assert.equal(typeof health.uptime, "number");
  assert.equal(typeof health.connections, "number");
  const s = connect(server.url, { transports: ["websocket"] });
  await connected(s);
  s.disconnect();
});

test("a poll still pending when the upgrade completes is refused (it was sent after '5')", async () => {
  const { WebSocket } = await import("ws");
  const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
  const sid = JSON.parse((await (await fetch(base)).text()).slice(1)).sid;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  await waitFor(ws, "open");
  ws.send("2probe");
  const [probe] = await waitFor(ws, "message");
  assert.equal(probe.toString(), "3probe");
  // The GET reaches the session first (as when it races the '5' sent just before it) ...
  const poll = fetch(`${base}&sid=${sid}`);
  await sleep(20); // well inside the 100 ms before a pending poll is released with a noop
  ws.send("5");
  // ... and still gets the answer any poll after the upgrade gets.
  const res = await poll;
  assert.equal(res.status, 400);
  // The upgraded session works.
  ws.send("40");
  const [reply] = await waitFor(ws, "message");
  assert.match(reply.toString(), /^40\{"sid":/);
  ws.close();
});
