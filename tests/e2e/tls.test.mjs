// TLS without a proxy (TLS_CERT_FILE / TLS_KEY_FILE): a self-signed certificate made with the
// openssl CLI at test time, real socket.io-client over https:// with the certificate as its CA
// (so the name and the chain are verified), polling, WebSocket and the upgrade; plain HTTP to the
// TLS port; a reload on SIGHUP (sb-conformance wires it to server::reload_tls); start-up errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import tls from "node:tls";
import os from "node:os";
import path from "node:path";
import { BIN_DIR, startServer, connect, connected, waitFor, sleep } from "./helpers.mjs";
import { startGateway, SECRET, token } from "./gateway-helpers.mjs";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-tls-"));

// A self-signed certificate for 127.0.0.1 and localhost (EC P-256): {cert, key} paths and the PEM.
function makeCert(name) {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=switchboard-test-${name}`,
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ], { stdio: "ignore" });
  return { cert, key, pem: fs.readFileSync(cert) };
}

const first = makeCert("first");
const second = makeCert("second");
// The files the server is given (copies, replaced by the reload test).
const certFile = path.join(dir, "server.crt");
const keyFile = path.join(dir, "server.key");
fs.copyFileSync(first.cert, certFile);
fs.copyFileSync(first.key, keyFile);

const server = {};
before(async () => {
  // Slow heartbeats: the backpressure test's client stops reading for a while.
  Object.assign(
    server,
    await startServer([
      "--tls-cert-file", certFile, "--tls-key-file", keyFile, "--ping-interval", "10000", "--ping-timeout", "10000",
    ]),
  );
  server.https = `https://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function tlsConnect(ca, opts = {}) {
  return connect(server.https, { ca, ...opts });
}

for (const transports of [["polling"], ["websocket"], undefined]) {
  const name = transports ? transports[0] : "polling → websocket upgrade";
  test(`TLS ${name}: connects, and an emit with ack round-trips`, async () => {
    const s = tlsConnect(first.pem, transports ? { transports } : {});
    await connected(s);
    if (!transports) {
      // The default: polling first, then the upgrade to WebSocket over its own TLS connection.
      if (s.io.engine.transport.name !== "websocket") await waitFor(s.io.engine, "upgrade");
      assert.equal(s.io.engine.transport.name, "websocket");
    } else {
      assert.equal(s.io.engine.transport.name, transports[0]);
    }
    const big = "é".repeat(40000); // several TLS records each way
    assert.equal(await s.timeout(3000).emitWithAck("message-with-ack", "hello"), "hello");
    assert.equal(await s.timeout(3000).emitWithAck("message-with-ack", big), big);
    s.disconnect();
  });
}

test("TLS: the certificate is verified by the client (a wrong CA is refused)", async () => {
  const s = tlsConnect(second.pem, { transports: ["websocket"] });
  const [err] = await waitFor(s, "connect_error");
  assert.match(String(err.description?.message ?? err.message), /certificate|self.signed|websocket error/i);
  s.disconnect();
});

test("TLS: plain HTTP to the TLS port fails cleanly and the server keeps serving", async () => {
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=polling`));
  // A connection that sends nothing at all is let go too (header timeout), not counted here; the
  // server still answers TLS clients.
  const s = tlsConnect(first.pem, { transports: ["websocket"] });
  await connected(s);
  assert.equal(await s.timeout(3000).emitWithAck("message-with-ack", "still here"), "still here");
  s.disconnect();
});

// A masked client text frame (RFC 6455 §5.3), and the server's unmasked frames split out of `buf`.
function clientFrame(text) {
  const data = Buffer.from(text);
  const n = data.length;
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126) head[0] = 0x81;
  if (n >= 126 && n < 65536) (head[1] = 0x80 | 126), head.writeUInt16BE(n, 2);
  if (n >= 65536) (head[1] = 0x80 | 127), head.writeBigUInt64BE(BigInt(n), 2);
  const mask = crypto.randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}
function serverFrames(buf) {
  const out = [];
  for (;;) {
    if (buf.length < 2) break;
    let len = buf[1] & 0x7f;
    let off = 2;
    if (len === 126) [len, off] = buf.length < 4 ? [-1, 0] : [buf.readUInt16BE(2), 4];
    else if (len === 127) [len, off] = buf.length < 10 ? [-1, 0] : [Number(buf.readBigUInt64BE(2)), 10];
    if (len < 0 || buf.length < off + len) break;
    out.push(buf.subarray(off, off + len).toString());
    buf = buf.subarray(off + len);
  }
  return [out, buf];
}

test("TLS backpressure: a client that stops reading gets every queued frame whole and in order", async () => {
  // The TLS writer's path for a full socket buffer (each batch encrypted, then written in parts).
  const sock = tls.connect({ host: "127.0.0.1", port: server.port, ca: first.pem });
  await new Promise((r, j) => sock.once("secureConnect", r).once("error", j));
  const key = crypto.randomBytes(16).toString("base64");
  sock.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  const texts = [];
  let gotHeaders = false;
  sock.on("data", (d) => {
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
  });
  const until = async (pred, what, ms = 20000) => {
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
  sock.pause();
  const count = 16;
  const size = 600_000;
  const payload = (i) => String.fromCharCode(65 + (i % 26)).repeat(size - 7) + String(i).padStart(7, "0");
  for (let i = 0; i < count; i++) sock.write(clientFrame(`42${i}["message-with-ack",${JSON.stringify(payload(i))}]`));
  await sleep(500);
  sock.resume();
  await until(() => texts.length >= count, `${count} acks`);
  assert.equal(texts.length, count);
  for (let i = 0; i < count; i++) {
    assert.ok(texts[i].startsWith(`43${i}[`), `ack ${i} in order (got ${texts[i].slice(0, 12)})`);
    const [arg] = JSON.parse(texts[i].slice(`43${i}`.length));
    assert.ok(arg === payload(i), `ack ${i} byte for byte`);
  }
  sock.destroy();
});

// Lines the server prints on stdout after `from` (the reload's report).
function nextLine(proc, pattern, ms = 5000) {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => {
      proc.stdout.off("data", on);
      reject(new Error(`no line matching ${pattern}: ${buf}`));
    }, ms);
    function on(d) {
      buf += d;
      const m = buf.match(pattern);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off("data", on);
        resolve(m[0]);
      }
    }
    proc.stdout.on("data", on);
  });
}

test("TLS reload (SIGHUP): new connections get the new certificate, open ones stay", async () => {
  const old = tlsConnect(first.pem, { transports: ["websocket"] });
  await connected(old);
  fs.copyFileSync(second.cert, certFile);
  fs.copyFileSync(second.key, keyFile);
  let line = nextLine(server.proc, /tls reload: .*/);
  server.proc.kill("SIGHUP");
  assert.equal(await line, "tls reload: ok");
  // New connections: the second certificate (the first CA no longer verifies it).
  const fresh = tlsConnect(second.pem, { transports: ["websocket"] });
  await connected(fresh);
  assert.equal(await fresh.timeout(3000).emitWithAck("message-with-ack", "new"), "new");
  const stale = tlsConnect(first.pem, { transports: ["websocket"] });
  await waitFor(stale, "connect_error");
  stale.disconnect();
  // The connection opened before the reload is untouched.
  assert.equal(old.connected, true);
  assert.equal(await old.timeout(3000).emitWithAck("message-with-ack", "old"), "old");

  // A broken file: the reload fails, says why, and the current certificate stays.
  fs.writeFileSync(certFile, "not a certificate\n");
  line = nextLine(server.proc, /tls reload: .*/);
  server.proc.kill("SIGHUP");
  assert.match(await line, /tls reload: TLS certificate or key could not be loaded/);
  const after = tlsConnect(second.pem, { transports: ["polling"] });
  await connected(after);
  assert.equal(await after.timeout(3000).emitWithAck("message-with-ack", "kept"), "kept");
  for (const s of [old, fresh, after]) s.disconnect();
});

test("TLS in the gateway: a token-authenticated WebSocket over wss:// and its ack", async () => {
  const gw = await startGateway({ JWT_SECRET: SECRET, TLS_CERT_FILE: first.cert, TLS_KEY_FILE: first.key });
  try {
    const s = connect(`https://127.0.0.1:${gw.port}`, {
      ca: first.pem,
      transports: ["websocket"],
      auth: { token: token({ userId: "tls-user" }) },
    });
    await connected(s);
    const res = await s.timeout(3000).emitWithAck("get_rooms");
    assert.equal(res.success, true);
    s.disconnect();
  } finally {
    await gw.stop();
  }
});

// Start-up errors: exit 2 with a message naming the problem, before anything listens.
function startupError(env) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "sb-tls-data-"));
  const r = spawnSync(path.join(BIN_DIR, "switchboard"), ["--port", "0"], {
    env: { PATH: process.env.PATH, JWT_SECRET: SECRET, DATA_DIR: data, ...env },
    encoding: "utf8",
    timeout: 10000,
  });
  fs.rmSync(data, { recursive: true, force: true });
  return r;
}

test("TLS start-up errors: a certificate without a key, or a key without a certificate", () => {
  for (const env of [{ TLS_CERT_FILE: first.cert }, { TLS_KEY_FILE: first.key }]) {
    const r = startupError(env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /TLS_CERT_FILE and TLS_KEY_FILE go together/);
  }
});

test("TLS start-up errors: a missing file, a file that is not PEM, a key that is not the certificate's", () => {
  const junk = path.join(dir, "junk.pem");
  fs.writeFileSync(junk, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  const cases = [
    [{ TLS_CERT_FILE: path.join(dir, "missing.crt"), TLS_KEY_FILE: first.key }, /cannot read .*missing\.crt/],
    [{ TLS_CERT_FILE: junk, TLS_KEY_FILE: first.key }, /TLS_CERT_FILE .*junk\.pem: not a PEM certificate/],
    [{ TLS_CERT_FILE: first.cert, TLS_KEY_FILE: junk }, /TLS_KEY_FILE .*junk\.pem: not a PEM private key/],
    [{ TLS_CERT_FILE: first.cert, TLS_KEY_FILE: second.key }, /is not the key of the certificate/],
  ];
  for (const [env, why] of cases) {
    const r = startupError(env);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, why);
  }
});

test("switchboard --help lists TLS_CERT_FILE and TLS_KEY_FILE", () => {
  const r = spawnSync(path.join(BIN_DIR, "switchboard"), ["--help"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /TLS_CERT_FILE/);
  assert.match(r.stdout, /TLS_KEY_FILE/);
  assert.match(r.stdout, /--tls-cert-file/);
});
