import { test } from "node:test";
import assert from "node:assert/strict";
import { serverFixture, connect, connected, waitFor } from "./helpers.mjs";

const server = serverFixture(["--max-payload", "20000"]);

test("connect refused with error message and data", async () => {
  const s = connect(`${server.url}/refuse`, { transports: ["websocket"] });
  const [err] = await waitFor(s, "connect_error");
  assert.equal(err.message, "not allowed");
  assert.deepEqual(err.data, { reason: "test", code: 42 });
  s.disconnect();
});

test("refusal depends on the handshake auth", async () => {
  const bad = connect(`${server.url}/admin`, { auth: { token: "wrong" } });
  const [err] = await waitFor(bad, "connect_error");
  assert.equal(err.message, "unauthorized");
  assert.equal(err.data, undefined);
  bad.disconnect();
  const good = connect(`${server.url}/admin`, { auth: { token: "admin-secret" } });
  await connected(good);
  good.disconnect();
});

test("oversized message over websocket closes that connection only", async () => {
  const other = connect(server.url, { transports: ["websocket"] });
  await connected(other);
  const s = connect(server.url, { transports: ["websocket"] });
  await connected(s);
  s.emit("message", "x".repeat(50000));
  const [reason] = await waitFor(s, "disconnect");
  assert.equal(reason, "transport close");
  // The server is fine: the other client still works and new ones connect.
  const r = await other.timeout(2000).emitWithAck("message-with-ack", "ok");
  assert.equal(r, "ok");
  const fresh = connect(server.url, { transports: ["websocket"] });
  await connected(fresh);
  fresh.disconnect();
  other.disconnect();
});

test("oversized polling body is refused with 413 and the server keeps serving", async () => {
  const open = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
  const sid = JSON.parse(open.slice(1)).sid;
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: "POST",
    body: "4" + "y".repeat(30000),
  });
  assert.equal(res.status, 413);
  const s = connect(server.url, { transports: ["polling"] });
  await connected(s);
  const r = await s.timeout(2000).emitWithAck("message-with-ack", 5);
  assert.equal(r, 5);
  s.disconnect();
});

test("an oversized message from socket.io-client over polling is refused cleanly", async () => {
  const s = connect(server.url, { transports: ["polling"] });
  await connected(s);
  s.emit("message", "z".repeat(50000));
  const [reason] = await waitFor(s, "disconnect", 5000);
  assert.match(reason, /transport (error|close)/);
});

test("invalid packets close the connection with 'parse error' semantics", async () => {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  await waitFor(ws, "message");
  ws.send("40");
  await waitFor(ws, "message");
  ws.send('42{"not":"an array"}');
  const [code] = await waitFor(ws, "close");
  assert.ok(code >= 1000);
});
