// Connection-state recovery: kept sessions, missed events, and every case that must start fresh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { serverFixture, connect, connected, waitFor, sleep, closeAll } from "./helpers.mjs";

const server = serverFixture(["--recovery-window", "120000"]);
const shortServer = serverFixture(["--recovery-window", "300"]); // expires quickly

const slowReconnect = (ms) => ({
  reconnection: true,
  reconnectionDelay: ms,
  reconnectionDelayMax: ms,
  randomizationFactor: 0,
});

// A joins "news-room" and receives one event (so it holds an offset); B broadcasts to that room.
async function setup(url, opts) {
  const a = connect(url, opts);
  const b = connect(url, { transports: ["websocket"] });
  await Promise.all([connected(a), connected(b)]);
  const got = [];
  a.on("news", (n) => got.push(n));
  await a.timeout(2000).emitWithAck("join", "news-room");
  await b.timeout(2000).emitWithAck("broadcast", { room: "news-room", event: "news", data: 1 });
  for (let i = 0; got.length < 1 && i < 300; i++) await sleep(10);
  assert.deepEqual(got, [1]);
  return { a, b, got, firstId: a.id };
}

async function dropAndBroadcast(a, b, values) {
  const down = waitFor(a, "disconnect");
  a.io.engine.close(); // the transport goes away; the client reconnects on its own (as in socket.io-client's own test)
  const [reason] = await down;
  assert.match(reason, /transport close|forced close/);
  for (const v of values) await b.timeout(2000).emitWithAck("broadcast", { room: "news-room", event: "news", data: v });
}

// After the client reconnects by itself: the old socket back with the missed events...
async function expectRecovered(a, firstId, got, events) {
  await waitFor(a, "connect", 5000);
  await sleep(100);
  assert.equal(a.recovered, true);
  assert.equal(a.id, firstId);
  assert.deepEqual(got, events);
}

// ...or a fresh socket: new id, not recovered, nothing replayed.
async function expectFresh(a, firstId, got) {
  await waitFor(a, "connect", 5000);
  await sleep(100);
  assert.equal(a.recovered, false);
  assert.notEqual(a.id, firstId);
  assert.deepEqual(got, [1]);
}

for (const transports of [["websocket"], ["polling"]]) {
  test(`${transports[0]}: a dropped transport is restored with the missed events`, async () => {
    const { a, b, got, firstId } = await setup(server.url, { transports, ...slowReconnect(400) });
    assert.equal(a.recovered, false);
    await dropAndBroadcast(a, b, [2, 3]);
    await expectRecovered(a, firstId, got, [1, 2, 3]);
    // Rooms came back too: a new broadcast to the room arrives once.
    await b.timeout(2000).emitWithAck("broadcast", { room: "news-room", event: "news", data: 4 });
    await sleep(100);
    assert.deepEqual(got, [1, 2, 3, 4]);
    const rooms = await a.timeout(2000).emitWithAck("rooms");
    assert.deepEqual(rooms, [firstId, "news-room"]);
    closeAll([a, b]);
  });
}

test("an abrupt TCP loss (no close frame) is recovered too", async () => {
  const { a, b, got, firstId } = await setup(server.url, { transports: ["websocket"], ...slowReconnect(400) });
  const down = waitFor(a, "disconnect");
  a.io.engine.transport.ws._socket.destroy(); // like a dropped network: the server sees a reset
  const [reason] = await down;
  assert.equal(reason, "transport close");
  await sleep(100); // the server notices the reset at once
  await b.timeout(2000).emitWithAck("broadcast", { room: "news-room", event: "news", data: "lost" });
  await expectRecovered(a, firstId, got, [1, "lost"]);
  closeAll([a, b]);
});

test("recovery across transports: lost on websocket, restored over polling", async () => {
  const { a, b, got, firstId } = await setup(server.url, { transports: ["websocket"], ...slowReconnect(400) });
  await dropAndBroadcast(a, b, ["x"]);
  a.io.opts.transports = ["polling"];
  await expectRecovered(a, firstId, got, [1, "x"]);
  assert.equal(a.io.engine.transport.name, "polling");
  closeAll([a, b]);
});

test("after the window the session is gone: a fresh socket, nothing replayed", async () => {
  const { a, b, got, firstId } = await setup(shortServer.url, { transports: ["websocket"], ...slowReconnect(900) });
  await dropAndBroadcast(a, b, [2]);
  await expectFresh(a, firstId, got);
  closeAll([a, b]);
});

test("an unknown offset gives a fresh socket", async () => {
  const { a, b, got, firstId } = await setup(server.url, { transports: ["websocket"], ...slowReconnect(300) });
  await dropAndBroadcast(a, b, [2]);
  a._lastOffset = "no-such-offset";
  await expectFresh(a, firstId, got);
  closeAll([a, b]);
});

test("a socket that left with DISCONNECT is not recovered", async () => {
  const { a, b, got, firstId } = await setup(server.url, { transports: ["websocket"] });
  a.disconnect(); // sends 41
  await b.timeout(2000).emitWithAck("broadcast", { room: "news-room", event: "news", data: 2 });
  a.connect(); // the client still sends its pid and offset
  await connected(a);
  await sleep(100);
  assert.equal(a.recovered, false);
  assert.notEqual(a.id, firstId);
  assert.deepEqual(got, [1]);
  a.disconnect();
  b.disconnect();
});

test("server events carry an offset, acks do not; the CONNECT reply has sid and pid", async () => {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  ws.on("message", (d, isBinary) => frames.push(isBinary ? d : d.toString()));
  await waitFor(ws, "open");
  ws.send("40");
  for (let i = 0; frames.length < 2 && i < 300; i++) await sleep(10);
  const reply = JSON.parse(frames[1].slice(2));
  assert.deepEqual(Object.keys(reply).sort(), ["pid", "sid"]);
  assert.notEqual(reply.sid, reply.pid);
  for (let i = 0; frames.length < 3 && i < 300; i++) await sleep(10);
  const auth = JSON.parse(frames[2].slice(2)); // the profile's "auth" event on connect
  assert.deepEqual(auth.slice(0, 2), ["auth", {}]);
  assert.equal(typeof auth[2], "string");
  ws.send('421["message-with-ack","a"]');
  ws.send('42["message","b"]');
  for (let i = 0; frames.length < 5 && i < 300; i++) await sleep(10);
  assert.equal(frames[3], '431["a"]');
  const ev = JSON.parse(frames[4].slice(2));
  assert.equal(ev[0], "message-back");
  assert.equal(ev[1], "b");
  assert.equal(typeof ev[2], "string"); // the offset
  ws.close();
});
