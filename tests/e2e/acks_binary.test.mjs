import { test } from "node:test";
import assert from "node:assert/strict";
import { serverFixture, connect, connected, waitFor } from "./helpers.mjs";

// Relaxed heartbeats: a 93 KB polling POST on a loaded machine must not race the e2e profile's
// 300/200 ms ping (a missed pong starts a new session and the echo is lost with the old one).
const server = serverFixture(["--ping-interval", "2000", "--ping-timeout", "5000"]);

for (const transports of [["websocket"], ["polling"]]) {
  const t = transports[0];

  test(`${t}: client → server ack with several arguments`, async () => {
    const s = connect(server.url, { transports });
    await connected(s);
    const args = await new Promise((resolve) =>
      s.emit("message-with-ack", 1, "2", { 3: [false] }, null, (...a) => resolve(a)),
    );
    assert.deepEqual(args, [1, "2", { 3: [false] }, null]);
    s.disconnect();
  });

  test(`${t}: server → client ack answered`, async () => {
    const s = connect(server.url, { transports });
    s.on("server-ask", (q, cb) => cb({ answer: q + "!" }));
    await connected(s);
    s.emit("request-ack", 2000);
    const [res] = await waitFor(s, "ack-result");
    assert.deepEqual(res, { ok: true, args: [{ answer: "question!" }] });
    s.disconnect();
  });

  test(`${t}: server → client ack times out when the client does not answer`, async () => {
    const s = connect(server.url, { transports });
    s.on("server-ask", () => {}); // never calls back
    await connected(s);
    s.emit("request-ack", 200);
    const [res] = await waitFor(s, "ack-result", 3000);
    assert.deepEqual(res, { ok: false, error: "ack timeout" });
    s.disconnect();
  });

  test(`${t}: binary from the client comes back byte for byte (event and ack)`, async () => {
    const s = connect(server.url, { transports });
    await connected(s);
    const a = Buffer.from([0, 1, 2, 254, 255]);
    const b = Buffer.alloc(70000, 7);
    s.emit("binary-echo", { first: a, nested: { second: b }, text: "t" });
    const [back] = await waitFor(s, "binary-back");
    assert.ok(Buffer.from(back.first).equals(a));
    assert.ok(Buffer.from(back.nested.second).equals(b));
    assert.equal(back.text, "t");
    const acked = await s.timeout(2000).emitWithAck("binary-echo", a);
    assert.ok(Buffer.from(acked).equals(a));
    s.disconnect();
  });

  test(`${t}: binary from the server`, async () => {
    const s = connect(server.url, { transports });
    await connected(s);
    s.emit("make-binary", 300);
    const [meta, bytes] = await waitFor(s, "binary-made");
    assert.deepEqual(meta, { size: 300 });
    const buf = Buffer.from(bytes);
    assert.equal(buf.length, 300);
    for (let i = 0; i < 300; i++) assert.equal(buf[i], i & 0xff);
    s.disconnect();
  });
}
