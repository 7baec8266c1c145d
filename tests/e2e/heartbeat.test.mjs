import { test } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { serverFixture, connect, connected, waitFor, sleep } from "./helpers.mjs";

const server = serverFixture();

test("server detects a client that stops answering pings (websocket)", async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  ws.on("message", (d) => frames.push(d.toString()));
  await waitFor(ws, "open");
  ws.send("40");
  const started = Date.now();
  await waitFor(ws, "close", 3000); // ping at 300 ms, no pong, closed 200 ms later
  const elapsed = Date.now() - started;
  assert.ok(frames.includes("2"), "server pinged");
  assert.ok(elapsed >= 400, `closed after ${elapsed} ms, before pingInterval + pingTimeout`);
});

test("server detects a client that stops answering pings (polling)", async () => {
  const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  await sleep(700);
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code: 1, message: "Session ID unknown" });
});

test("a socket.io-client that answers keeps its session across many heartbeats", async () => {
  const s = connect(server.url, { transports: ["websocket"] });
  await connected(s);
  let pings = 0;
  s.io.engine.on("ping", () => pings++);
  await sleep(1300);
  assert.ok(pings >= 3, `saw ${pings} pings`);
  assert.ok(s.connected);
  s.disconnect();
});

test("client detects a server that stops pinging (ping timeout)", async () => {
  const s = connect(server.url, { transports: ["websocket"] });
  await connected(s);
  server.proc.kill("SIGSTOP");
  try {
    const [reason] = await waitFor(s, "disconnect", 3000);
    assert.equal(reason, "ping timeout");
  } finally {
    server.proc.kill("SIGCONT");
  }
  // After resuming, the server serves new clients.
  const again = connect(server.url, { transports: ["websocket"] });
  await connected(again);
  again.disconnect();
});
