import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, connected, waitFor } from "./helpers.mjs";

test("the client reconnects by itself after the server restarts", { timeout: 30000 }, async () => {
  let server = await startServer();
  const port = server.port;
  const s = connect(server.url, {
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    transports: ["websocket"],
  });
  await connected(s);
  const firstId = s.id;
  const disconnected = waitFor(s, "disconnect");
  await server.stop();
  const [reason] = await disconnected;
  assert.match(reason, /transport close|transport error|io server disconnect/);
  server = await startServer([], port);
  try {
    await waitFor(s.io, "reconnect", 10000);
    await connected(s);
    assert.notEqual(s.id, firstId);
    const r = await s.timeout(2000).emitWithAck("message-with-ack", "back");
    assert.equal(r, "back");
  } finally {
    s.disconnect();
    await server.stop();
  }
});
