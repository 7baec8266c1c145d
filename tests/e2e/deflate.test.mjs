// permessage-deflate (RFC 7692): socket.io-client over WebSocket with compression both ways, a raw
// client that sees the frames themselves (RSV1, the agreed parameters), a compressed bomb refused
// with close 1009 while other clients are served, and the extension absent when the setting is off.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import zlib from "node:zlib";
import crypto from "node:crypto";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { BIN_DIR, startServer, connect, connected } from "./helpers.mjs";
import { startGateway } from "./gateway-helpers.mjs";

const THRESHOLD = 1024;
const relaxed = ["--ping-interval", "2000", "--ping-timeout", "5000"];
const on = await startServer([...relaxed, "--per-message-deflate", "true", "--deflate-threshold", String(THRESHOLD)]);
const off = await startServer(relaxed);
after(async () => {
  await on.stop();
  await off.stop();
});

// A WebSocket client on a plain TCP socket: the 101's headers, every frame as it arrived (RSV1
// kept), and frames sent with or without RSV1.
async function rawWs(port, offer, query = "EIO=4&transport=websocket", pathname = "/socket.io/") {
  const sock = net.connect(port, "127.0.0.1");
  await new Promise((r, j) => sock.once("connect", r).once("error", j));
  const key = crypto.randomBytes(16).toString("base64");
  sock.write(
    `GET ${pathname}?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      (offer ? `Sec-WebSocket-Extensions: ${offer}\r\n` : "") +
      "\r\n",
  );
  let buf = Buffer.alloc(0);
  const frames = [];
  const waiters = [];
  let headers = null;
  let resolveHeaders;
  const headersReady = new Promise((r) => (resolveHeaders = r));
  let closedResolve;
  const closed = new Promise((r) => (closedResolve = r));
  const parse = () => {
    if (!headers) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString().split("\r\n");
      headers = { status: lines[0] };
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      buf = buf.subarray(end + 4);
      resolveHeaders(headers);
    }
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (buf.length < at + len) return;
      const f = {
        fin: !!(buf[0] & 0x80),
        rsv1: !!(buf[0] & 0x40),
        opcode: buf[0] & 0x0f,
        payload: buf.subarray(at, at + len),
      };
      buf = buf.subarray(at + len);
      frames.push(f);
      waiters.splice(0).forEach((w) => w());
    }
  };
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    parse();
  });
  sock.on("close", () => {
    closedResolve();
    waiters.splice(0).forEach((w) => w());
  });
  sock.on("error", () => {});
  let seen = 0;
  const ws = {
    sock,
    frames,
    closed,
    headers: await headersReady,
    send(opcode, payload, rsv1 = false) {
      payload = Buffer.from(payload);
      const mask = crypto.randomBytes(4);
      const n = payload.length;
      let head;
      if (n < 126) head = Buffer.from([0x80 | n]);
      else if (n < 65536) head = Buffer.from([0x80 | 126, n >> 8, n & 0xff]);
      else {
        head = Buffer.alloc(9);
        head[0] = 0x80 | 127;
        head.writeBigUInt64BE(BigInt(n), 1);
      }
      const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
      sock.write(Buffer.concat([Buffer.from([0x80 | (rsv1 ? 0x40 : 0) | opcode]), head, mask, body]));
    },
    // The next frame not seen yet that `pred` accepts (pings are answered on the way).
    async next(pred = () => true, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        while (seen < frames.length) {
          const f = frames[seen++];
          if (f.opcode === 1 && !f.rsv1 && f.payload.toString() === "2") ws.send(1, "3");
          if (pred(f)) return f;
        }
        if (sock.destroyed && seen >= frames.length) throw new Error("connection closed");
        if (Date.now() > deadline) throw new Error("timed out waiting for a frame");
        await new Promise((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
  return ws;
}

// A message's payload as the application sees it.
function text(f) {
  if (!f.rsv1) return f.payload.toString();
  const tail = Buffer.from([0, 0, 0xff, 0xff]);
  return zlib.inflateRawSync(Buffer.concat([f.payload, tail]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
}

// Raw deflate without the sync-flush tail, as a client sends it.
function deflate(s) {
  const z = zlib.deflateRawSync(Buffer.from(s), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
}

test("the extension is agreed with what ws offers, no context takeover either way", async () => {
  const ws = await rawWs(on.port, "permessage-deflate; client_max_window_bits");
  assert.match(ws.headers.status, / 101 /);
  assert.equal(
    ws.headers["sec-websocket-extensions"],
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
  );
  ws.sock.destroy();
});

test("an offer we cannot honour is declined, a smaller server window is kept", async () => {
  let ws = await rawWs(on.port, "permessage-deflate; server_max_window_bits=8");
  assert.match(ws.headers.status, / 101 /);
  assert.equal(ws.headers["sec-websocket-extensions"], undefined);
  ws.sock.destroy();
  ws = await rawWs(on.port, "permessage-deflate; server_max_window_bits=10");
  assert.match(ws.headers["sec-websocket-extensions"], /server_max_window_bits=10/);
  ws.sock.destroy();
});

test("over the threshold messages arrive compressed (RSV1), under it as they are; compressed input is read", async () => {
  const ws = await rawWs(on.port, "permessage-deflate; client_max_window_bits");
  const open = await ws.next((f) => f.opcode === 1);
  assert.equal(open.rsv1, false); // the open packet is small
  assert.match(text(open), /^0\{"sid"/);
  ws.send(1, "40");
  await ws.next((f) => text(f).startsWith("40"));
  const big = "x".repeat(50_000) + "é";
  // A compressed event from us (RSV1), answered by a compressed ack.
  ws.send(1, deflate(`421["message-with-ack",${JSON.stringify(big)}]`), true);
  const ack = await ws.next((f) => f.opcode === 1 && text(f).startsWith("431"));
  assert.equal(ack.rsv1, true);
  assert.ok(ack.payload.length < 1000, `compressed ack is ${ack.payload.length} bytes`);
  assert.deepEqual(JSON.parse(text(ack).slice(3)), [big]);
  // A small one stays plain both ways.
  ws.send(1, `422["message-with-ack","hi"]`);
  const small = await ws.next((f) => f.opcode === 1 && text(f).startsWith("432"));
  assert.equal(small.rsv1, false);
  assert.equal(text(small), '432["hi"]');
  ws.sock.destroy();
});

test("socket.io-client compresses both ways: large and small messages with acks", async () => {
  const s = connect(on.url, { transports: ["websocket"], perMessageDeflate: { threshold: 0 } });
  await connected(s);
  const socket = s.io.engine.transport.ws;
  assert.match(socket.extensions, /permessage-deflate/);
  // The frames the client writes: count those with RSV1 (first byte 0xC1 text, 0xC2 binary).
  let compressedOut = 0;
  const write = socket._socket.write.bind(socket._socket);
  socket._socket.write = (chunk, ...rest) => {
    if (chunk.length >= 2 && (chunk[0] === 0xc1 || chunk[0] === 0xc2)) compressedOut++;
    return write(chunk, ...rest);
  };
  for (const payload of ["small", "y".repeat(200_000), { nested: ["z".repeat(5000), 1, true] }]) {
    const back = await s.timeout(5000).emitWithAck("message-with-ack", payload);
    assert.deepEqual(back, payload);
  }
  // Binary attachments too.
  const bin = Buffer.alloc(100_000, 7);
  const got = await s.timeout(5000).emitWithAck("binary-echo", bin);
  assert.ok(Buffer.from(got).equals(bin));
  assert.ok(compressedOut >= 4, `the client sent ${compressedOut} compressed frames`);
  s.disconnect();
});

test("polling upgraded to WebSocket: the extension is agreed on the upgrade too", async () => {
  const s = connect(on.url, { perMessageDeflate: { threshold: 0 } });
  await connected(s);
  if (s.io.engine.transport.name !== "websocket") await new Promise((r) => s.io.engine.once("upgrade", r));
  assert.match(s.io.engine.transport.ws.extensions, /permessage-deflate/);
  const big = { rows: Array.from({ length: 2000 }, (_, i) => ({ id: i, text: "after the upgrade" })) };
  assert.deepEqual(await s.timeout(5000).emitWithAck("message-with-ack", big), big);
  s.disconnect();
});

test("a compressed bomb is refused with close 1009 and the server keeps serving", async () => {
  const ws = await rawWs(on.port, "permessage-deflate");
  await ws.next((f) => f.opcode === 1);
  ws.send(1, "40");
  await ws.next((f) => text(f).startsWith("40"));
  // 50 MB of 'a' in ~50 KB: far past MAX_PAYLOAD (1 MB) once inflated.
  const bomb = zlib.deflateRawSync(Buffer.concat([Buffer.from('42["message-with-ack","'), Buffer.alloc(50_000_000, 97), Buffer.from('"]')]), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  assert.ok(bomb.length < 100_000);
  ws.send(1, bomb.subarray(0, bomb.length - 4), true);
  const close = await ws.next((f) => f.opcode === 8);
  assert.equal(close.payload.readUInt16BE(0), 1009);
  await ws.closed;
  // Others are served.
  const s = connect(on.url, { transports: ["websocket"], perMessageDeflate: { threshold: 0 } });
  await connected(s);
  assert.equal(await s.timeout(5000).emitWithAck("message-with-ack", "still here"), "still here");
  s.disconnect();
});

test("RSV1 without the extension agreed is a protocol error (1002)", async () => {
  const ws = await rawWs(on.port, "");
  assert.equal(ws.headers["sec-websocket-extensions"], undefined);
  await ws.next((f) => f.opcode === 1);
  ws.send(1, deflate("40"), true);
  const close = await ws.next((f) => f.opcode === 8);
  assert.equal(close.payload.readUInt16BE(0), 1002);
});

test("off (the default): the extension is not agreed and the client still works", async () => {
  const ws = await rawWs(off.port, "permessage-deflate; client_max_window_bits");
  assert.match(ws.headers.status, / 101 /);
  assert.equal(ws.headers["sec-websocket-extensions"], undefined);
  ws.sock.destroy();
  const s = connect(off.url, { transports: ["websocket"], perMessageDeflate: { threshold: 0 } });
  await connected(s);
  assert.equal(s.io.engine.transport.ws.extensions, "");
  const big = "q".repeat(100_000);
  assert.equal(await s.timeout(5000).emitWithAck("message-with-ack", big), big);
  s.disconnect();
});

test("switchboard: PER_MESSAGE_DEFLATE and DEFLATE_THRESHOLD are settings (env, flags, --help)", async () => {
  const help = spawnSync(path.join(BIN_DIR, "switchboard"), ["--help"], { encoding: "utf8" });
  const out = help.stdout + help.stderr;
  assert.match(out, /PER_MESSAGE_DEFLATE/);
  assert.match(out, /--per-message-deflate/);
  assert.match(out, /DEFLATE_THRESHOLD/);
  assert.match(out, /--deflate-threshold/);
  for (const [env, args, agreed] of [
    [{ PER_MESSAGE_DEFLATE: "true" }, [], true],
    [{}, ["--per-message-deflate", "true"], true],
    [{}, [], false],
  ]) {
    const gw = await startGateway({ JWT_SECRET: "x".repeat(40), ...env }, args);
    try {
      const ws = await rawWs(gw.port, "permessage-deflate; client_max_window_bits");
      assert.match(ws.headers.status, / 101 /);
      assert.equal(ws.headers["sec-websocket-extensions"] !== undefined, agreed, JSON.stringify({ env, args }));
      ws.sock.destroy();
    } finally {
      await gw.stop();
    }
  }
});
