// A client that stops reading while the server has megabytes to send it: the server's writes
// are cut short by a full socket buffer and resume later. Every frame must still arrive whole,
// byte for byte, in order. A raw WebSocket client (node:net) so the test controls reading.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import crypto from "node:crypto";
import { serverFixture, sleep } from "./helpers.mjs";

const server = serverFixture(["--ping-interval", "10000", "--ping-timeout", "10000"]);

// A masked client frame (RFC 6455 §5.3).
function clientFrame(text) {
  const data = Buffer.from(text);
  const n = data.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x81;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x81;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  const mask = crypto.randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

// Splits server frames (unmasked, unfragmented) out of `buf`; returns [texts, rest].
function serverFrames(buf) {
  const out = [];
  for (;;) {
    if (buf.length < 2) break;
    assert.equal(buf[0], 0x81, "a final text frame");
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) break;
      len = buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (buf.length < 10) break;
      len = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    if (buf.length < off + len) break;
    out.push(buf.subarray(off, off + len).toString());
    buf = buf.subarray(off + len);
  }
  return [out, buf];
}

test("a client that stops reading gets every queued frame whole and in order once it reads again", async () => {
  const url = new URL(server.url);
  const sock = net.connect(Number(url.port), "127.0.0.1");
  await new Promise((r) => sock.once("connect", r));
  const key = crypto.randomBytes(16).toString("base64");
  sock.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  const texts = [];
  let gotHeaders = false;
  const onData = (d) => {
    buf = Buffer.concat([buf, d]);
    if (!gotHeaders) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      assert.match(buf.subarray(0, end).toString(), /^HTTP\/1\.1 101 /);
      buf = buf.subarray(end + 4);
      gotHeaders = true;
    }
    const [frames, rest] = serverFrames(buf);
    buf = rest;
    texts.push(...frames);
  };
  sock.on("data", onData);
  const until = async (pred, what, ms = 10000) => {
    const t0 = Date.now();
    while (!pred()) {
      assert.ok(Date.now() - t0 < ms, `timed out waiting for ${what}; got ${texts.length} frames`);
      await sleep(10);
    }
  };
  await until(() => texts.some((t) => t.startsWith("0{")), "the open packet");
  sock.write(clientFrame("40"));
  await until(() => texts.some((t) => t.startsWith("40{")), "the CONNECT answer");
  texts.length = 0;

  // Stop reading, then ask for ~14 MB of acks: far more than the socket buffers hold.
  sock.pause();
  const count = 24;
  const size = 600_000;
  const payload = (i) => String.fromCharCode(65 + (i % 26)).repeat(size - 7) + String(i).padStart(7, "0");
  for (let i = 0; i < count; i++) sock.write(clientFrame(`42${i}["message-with-ack",${JSON.stringify(payload(i))}]`));
  await sleep(500);
  sock.resume();
  await until(() => texts.length >= count, `${count} acks`, 20000);

  assert.equal(texts.length, count);
  for (let i = 0; i < count; i++) {
    assert.ok(texts[i].startsWith(`43${i}[`), `ack ${i} in order (got ${texts[i].slice(0, 12)})`);
    const [arg] = JSON.parse(texts[i].slice(`43${i}`.length));
    assert.equal(arg.length, size);
    assert.ok(arg === payload(i), `ack ${i} byte for byte`);
  }
  sock.destroy();
});
