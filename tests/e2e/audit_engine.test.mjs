// Security audit (issue #11), the engine's findings: a ping flood (#4), sessions per address and in
// all (#11), the descriptor limit at accept (#14), HTTP deadlines per phase (#15). Each test runs
// the gateway binary on loopback and judges by what crosses the wire, with generous deadlines.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { sleep, serverFixture } from "./helpers.mjs";
import { gatewayFixture, metricsText } from "./gateway-helpers.mjs";

// Resident memory of a process, in bytes.
function rss(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return Number(m[1]) * 1024;
}

// A raw TCP connection that records when the server ends it.
function rawConnect(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    sock.data = "";
    sock.ended = new Promise((r) => {
      sock.on("close", () => r(true));
    });
    sock.on("data", (d) => (sock.data += d.toString("latin1")));
    sock.on("error", () => {});
    sock.once("connect", () => resolve(sock));
    sock.once("error", reject);
  });
}

// Resolves true when `sock` is closed by the server within `ms`, else false.
async function closedWithin(sock, ms) {
  return Promise.race([sock.ended, sleep(ms).then(() => false)]);
}

// A masked client frame (RFC 6455) with a payload under 126 bytes.
function frame(opcode, payload) {
  const data = Buffer.from(payload);
  const mask = Buffer.from([1, 2, 3, 4]);
  const head = Buffer.from([0x80 | opcode, 0x80 | data.length]);
  const body = Buffer.from(data.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([head, mask, body]);
}

const upgradeRequest =
  "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

describe("audit #4: ping flood", () => {
  const gw = gatewayFixture({ ALLOW_ANONYMOUS: "true", PING_INTERVAL: "1000", PING_TIMEOUT: "2000" });

  test("audit #4: a client that floods WebSocket pings (and unsolicited pongs '3') and never reads does not grow the server, and is closed", async () => {
    const sock = await rawConnect(gw.port);
    sock.write(upgradeRequest);
    await sleep(200);
    assert.match(sock.data, /^HTTP\/1.1 101/);
    sock.pause(); // from now on we read nothing: the server's writes stall once the buffers fill
    const before = rss(gw.proc.pid);
    const ping = frame(0x9, "p".repeat(125));
    const pong = frame(0x1, "3");
    const batch = Buffer.concat([...Array(400)].map((_, i) => (i % 50 === 0 ? pong : ping)));
    let sent = 0;
    let peak = before;
    const deadline = Date.now() + 20000;
    // Up to 48 MB of pings, as fast as the server takes them, while the server lets us.
    while (sent < 48e6 && Date.now() < deadline && !sock.destroyed) {
      if (!sock.write(batch)) await Promise.race([new Promise((r) => sock.once("drain", r)), sock.ended, sleep(500)]);
      sent += batch.length;
      if (sent % (batch.length * 100) === 0) peak = Math.max(peak, rss(gw.proc.pid));
    }
    peak = Math.max(peak, rss(gw.proc.pid));
    const growth = peak - before;
    console.log(`ping flood: sent ${(sent / 1e6).toFixed(1)} MB, server RSS +${(growth / 1e6).toFixed(1)} MB`);
    assert.ok(growth < 16e6, `server grew by ${(growth / 1e6).toFixed(1)} MB`);
    // The writes made no progress for PING_TIMEOUT: the session ends and the socket is closed
    // (the close frame cannot be written, so 3 s later at the latest).
    // (Read again, discarding, to see the end: a paused socket never reports one.)
    sock.removeAllListeners("data");
    sock.on("data", () => {});
    sock.resume();
    assert.equal(await closedWithin(sock, 15000), true, "the non-reading client is closed");
    sock.destroy();
  });
});

// A frame with a 16-bit length (126..65535 bytes), masked.
function bigFrame(opcode, payload) {
  const data = Buffer.from(payload);
  const mask = Buffer.from([9, 8, 7, 6]);
  const head = Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 255]);
  return Buffer.concat([head, mask, Buffer.from(data.map((b, i) => b ^ mask[i % 4]))]);
}

describe("audit #4: a WebSocket that takes no output", () => {
  // The conformance app's "message" comes back as "message-back": a client that sends and never
  // reads fills the server's socket.
  const server = serverFixture(["--ping-interval", "1000", "--ping-timeout", "2000"]);

  test("a frame sent in the same segment as the upgrade request is handled, not lost", async () => {
    // Found while fixing this file's flakiness: bytes read together with the HTTP request used to be
    // dropped, so a client that does not wait for 101 lost its CONNECT and timed out.
    const sock = await rawConnect(server.port);
    sock.write(Buffer.concat([Buffer.from(upgradeRequest), frame(0x1, "40")]));
    for (let i = 0; i < 100 && !/40\{"sid"/.test(sock.data); i++) await sleep(20);
    assert.match(sock.data, /40\{"sid"/);
    sock.destroy();
  });

  test("audit #4: writes that make no progress for PING_TIMEOUT close the session, whatever pongs arrive", async () => {
    const sock = await rawConnect(server.port);
    sock.write(upgradeRequest);
    sock.write(frame(0x1, "40"));
    for (let i = 0; i < 100 && !/40\{"sid"/.test(sock.data); i++) await sleep(50);
    assert.match(sock.data, /^HTTP\/1.1 101/);
    assert.match(sock.data, /40\{"sid"/);
    sock.pause();
    // ~12 MB echoed back: more than the socket buffers hold, less than the 16 MB queue budget.
    const msg = bigFrame(0x1, '42["message","' + "e".repeat(60000) + '"]');
    for (let i = 0; i < 200; i++) sock.write(msg);
    // Pongs answer every ping in time (sent blindly every 200 ms): only the stalled writes can end it.
    const pong = frame(0x1, "3");
    const until = Date.now() + 8000;
    while (Date.now() < until && !sock.destroyed) {
      sock.write(pong);
      await sleep(200);
    }
    sock.removeAllListeners("data");
    sock.on("data", () => {});
    sock.resume();
    // Closed by the server: on the old code the session lived on as long as pongs came.
    assert.equal(await closedWithin(sock, 5000), true, "the session with stalled writes is closed");
  });
});

describe("audit #4: a polling client that never polls", () => {
  const server = serverFixture(["--ping-interval", "1000", "--ping-timeout", "2000"]);

  test("audit #4: output no GET takes for PING_TIMEOUT ends the session, whatever pongs are posted", async () => {
    const base = server.url + "/socket.io/?EIO=4&transport=polling";
    const open = await (await fetch(base)).text();
    const sid = JSON.parse(open.slice(1)).sid;
    const post = (body) => fetch(`${base}&sid=${sid}`, { method: "POST", body });
    assert.equal((await post("40")).status, 200);
    // Never a GET again; a pong posted every 200 ms answers each ping in time.
    let refused = false;
    const until = Date.now() + 10000;
    while (!refused && Date.now() < until) {
      refused = (await post("3")).status !== 200;
      await sleep(200);
    }
    assert.equal(refused, true, "the session ended");
  });
});

describe("audit #11: sessions per address and in all", () => {
  const gw = gatewayFixture({ ALLOW_ANONYMOUS: "true", MAX_CONNECTIONS_PER_IP: "5" });
  const small = gatewayFixture({ ALLOW_ANONYMOUS: "true", MAX_CONNECTIONS_PER_IP: "0", MAX_CONNECTIONS: "12" });
  const handshake = (url) => fetch(url + "/socket.io/?EIO=4&transport=polling");

  test("audit #11: unused handshakes from one address stop at MAX_CONNECTIONS_PER_IP", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await handshake(gw.url)).status, 200);
    const refused = await handshake(gw.url);
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), { code: 4, message: "Forbidden" });
    const text = await metricsText(gw);
    assert.match(text, /switchboard_engine_refused_total\{reason="per_ip"\} 1\n/);
  });

  test("audit #11: MAX_CONNECTIONS bounds the sessions of all addresses", async () => {
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < 20; i++) ((await handshake(small.url)).status === 200 ? ok++ : refused++);
    assert.equal(ok, 12);
    assert.equal(refused, 8);
  });
});

describe("audit #14: the descriptor limit and MAX_CONNECTIONS at accept", () => {
  const gw = gatewayFixture({ ALLOW_ANONYMOUS: "true", MAX_CONNECTIONS: "100000" });
  const capped = gatewayFixture({ ALLOW_ANONYMOUS: "true", MAX_CONNECTIONS: "3" });

  test("audit #14: connections over MAX_CONNECTIONS are closed at accept", async () => {
    const socks = [];
    for (let i = 0; i < 6; i++) socks.push(await rawConnect(capped.port));
    const closed = await Promise.all(socks.map((s) => closedWithin(s, 3000)));
    assert.equal(closed.filter(Boolean).length, 3, `closed: ${closed}`);
    for (const s of socks) s.destroy();
  });

  test("audit #14: at the descriptor limit the listener sheds connections and logs once a second", async () => {
    execFileSync("prlimit", ["--pid", String(gw.proc.pid), "--nofile=64:"]);
    const mark = gw.log.length;
    const socks = [];
    for (let i = 0; i < 120; i++) socks.push(await rawConnect(gw.port).catch(() => null));
    const open = socks.filter(Boolean);
    await sleep(2500);
    const warnings = gw.log.slice(mark).filter((l) => l.includes('"accept failed"'));
    // The old loop: one line every 50 ms while the backlog lasts (~50 in 2.5 s).
    assert.ok(warnings.length >= 1 && warnings.length <= 5, `${warnings.length} warnings`);
    assert.ok(warnings.some((l) => /"count":"\d+"/.test(l)), warnings.join("\n"));
    // Those over the limit were accepted and closed, not left waiting in the backlog.
    const closed = await Promise.all(open.map((s) => closedWithin(s, 100)));
    assert.ok(closed.filter(Boolean).length >= 40, `${closed.filter(Boolean).length} closed`);
    for (const s of open) s.destroy();
    execFileSync("prlimit", ["--pid", String(gw.proc.pid), "--nofile=4096:"]);
    await sleep(300);
    assert.equal((await fetch(gw.url + "/health")).status, 200);
  });
});

describe("audit #15: HTTP deadlines per phase", () => {
  const gw = gatewayFixture({
    ALLOW_ANONYMOUS: "true",
    HTTP_HEADER_TIMEOUT: "500",
    HTTP_IDLE_TIMEOUT: "800",
    HTTP_MIN_BODY_RATE: "1000",
  });

  test("audit #15: a header that never ends is cut at the header timeout", async () => {
    const sock = await rawConnect(gw.port);
    sock.write("GET /health HTTP/1.1\r\nHost: x\r\n");
    const t0 = Date.now();
    assert.equal(await closedWithin(sock, 8000), true);
    console.log(`header timeout: closed after ${Date.now() - t0} ms`);
  });

  test("audit #15: an idle keep-alive connection is closed at the idle timeout", async () => {
    const sock = await rawConnect(gw.port);
    sock.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(200);
    assert.match(sock.data, /^HTTP\/1.1 200/);
    assert.equal(await closedWithin(sock, 8000), true);
  });

  test("audit #15: a body slower than the minimum rate is cut; one at a fair rate is read", async () => {
    const slow = await rawConnect(gw.port);
    slow.write("POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
    let cut = false;
    for (let i = 0; i < 80 && !cut; i++) {
      if (!slow.destroyed) slow.write("x".repeat(10));
      cut = await closedWithin(slow, 100);
    }
    assert.equal(cut, true, "the trickling body was cut");
    const fair = await rawConnect(gw.port);
    fair.write("POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n");
    for (let i = 0; i < 4; i++) {
      fair.write("x".repeat(50000));
      await sleep(300);
    }
    await sleep(200);
    assert.match(fair.data, /^HTTP\/1.1 400/); // answered (unknown sid), not cut
    fair.destroy();
  });
});
