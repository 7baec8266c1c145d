// The RabbitMQ consumer against a real broker (Debian's rabbitmq-server, started by
// scripts/rabbitmq-temp on loopback) and a real publisher (amqplib, as seed 004's services use):
// deploy/routes/hometrip.json's events reach the right rooms once; poison messages are
// dead-lettered and later ones still flow; the broker stopped mid-traffic and started again loses
// no confirmed persistent message (duplicates counted), and /health shows the outage.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, collect, arrives, metricsText, openRooms } from "./gateway-helpers.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const rabbitTemp = path.resolve(here, "../../scripts/rabbitmq-temp");
const routes = path.resolve(here, "../../deploy/routes/hometrip.json");
const hasRabbit = fs.existsSync("/usr/lib/rabbitmq/bin/rabbitmq-server");
const EXCHANGE = "events"; // hometrip.json's

describe("RabbitMQ consumer (hometrip routes)", { skip: !hasRabbit && "rabbitmq-server not installed (apt-get install rabbitmq-server)" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-amqp-"));
  const brokerDir = path.join(dir, "rabbit");
  const broker = async (cmd, ...args) =>
    (await promisify(execFile)(rabbitTemp, [cmd, brokerDir, ...args], { encoding: "utf8", timeout: 120000 })).stdout.trim();
  const amqp = require("amqplib");
  let url, gw, alice, bob, carol;
  let pub; // {conn, ch}

  async function publisher() {
    const conn = await amqp.connect(url);
    conn.on("error", () => {});
    const ch = await conn.createConfirmChannel();
    ch.on("error", () => {});
    await ch.assertExchange(EXCHANGE, "topic", { durable: true });
    return { conn, ch };
  }
  function publish(p, key, body) {
    const content = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    return new Promise((resolve, reject) =>
      p.ch.publish(EXCHANGE, key, content, { persistent: true, contentType: "application/json" }, (err) => (err ? reject(err) : resolve())),
    );
  }
  async function health() {
    const res = await fetch(gw.url + "/health");
    return { status: res.status, body: await res.json() };
  }
  async function waitHealth(want, ms = 30000) {
    const end = Date.now() + ms;
    for (;;) {
      const h = await health();
      if (h.body.checks?.rabbitmq === want) return h;
      if (Date.now() > end) throw new Error(`/health never showed rabbitmq ${want}: ${JSON.stringify(h.body)}\n${gw.log.slice(-10).join("\n")}`);
      await sleep(100);
    }
  }
  async function metric(name) {
    const text = await metricsText(gw);
    const line = text.split("\n").find((l) => l.startsWith(name + " "));
    return line ? Number(line.split(" ")[1]) : undefined;
  }
  async function until(cond, ms, what) {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error("timed out: " + what);
      await sleep(50);
    }
  }

  before(async () => {
    url = (await broker("start")).split("\n").pop();
    gw = await startGateway({
      JWT_SECRET: SECRET,
      AMQP_URL: url,
      EVENT_ROUTES: routes,
      ROOM_RULES_FILE: openRooms("conversation"),
      RATE_LIMIT_MAX_MESSAGES: "100000",
    });
    [alice] = await join(gw.url, token({ userId: "alice" }));
    [bob] = await join(gw.url, token({ userId: "bob" }));
    [carol] = await join(gw.url, token({ userId: "carol" }));
    for (const s of [alice, bob]) assert.equal((await ask(s, "join_room", { roomType: "conversation", roomId: "conv-1" })).success, true);
    await waitHealth("up");
    pub = await publisher();
  });
  after(async () => {
    for (const s of [alice, bob, carol]) s?.disconnect();
    try {
      await pub?.conn.close();
    } catch {}
    await gw?.stop();
    try {
      await broker("stop");
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("message.sent, booking.confirmed, notification.created: each to its rooms, once", async () => {
    const got = { alice: collect(alice, "new_message"), bob: collect(bob, "new_message"), carol: collect(carol, "new_message") };
    const bookings = { bob: collect(bob, "booking_update"), alice: collect(alice, "booking_update") };
    const notes = { carol: collect(carol, "new_notification"), bob: collect(bob, "new_notification") };
    const msg = { conversationId: "conv-1", senderId: "alice", recipientId: "bob", message: "hi", timestamp: new Date().toISOString() };
    await publish(pub, "message.sent", msg);
    await publish(pub, "booking.confirmed", { bookingId: "b-1", userId: "bob", status: "confirmed", type: "stay" });
    await publish(pub, "notification.created", { notificationId: "n-1", userId: "carol", type: "info", title: "t", message: "m" });
    await until(() => got.alice.length && got.bob.length && bookings.bob.length && notes.carol.length, 5000, "the three events");
    await sleep(300); // nothing more arrives
    assert.deepEqual(got.alice, [msg]);
    assert.deepEqual(got.bob, [msg]);
    assert.deepEqual(got.carol, []);
    assert.deepEqual(bookings.bob.map((b) => b.bookingId), ["b-1"]);
    assert.deepEqual(bookings.alice, []);
    assert.deepEqual(notes.carol.map((n) => n.notificationId), ["n-1"]);
    assert.deepEqual(notes.bob, []);
    assert.equal(await metric('switchboard_amqp_messages_total{result="dispatched"}'), 3);
  });

  test("poison (bad JSON, no room) is dead-lettered; later messages still flow", async () => {
    const got = collect(bob, "new_message");
    await publish(pub, "message.sent", "{not json");
    await publish(pub, "message.sent", { senderId: "alice" }); // no conversationId: no room
    await publish(pub, "message.sent", { conversationId: "conv-1", message: "after the poison" });
    await until(() => got.length === 1, 5000, "the good message after the poison");
    assert.equal(got[0].message, "after the poison");
    const dead = [];
    await until(
      async () => {
        const m = await pub.ch.get("websocket.events.dead", { noAck: true });
        if (m) dead.push(m.content.toString());
        return dead.length === 2;
      },
      5000,
      "two messages in websocket.events.dead",
    );
    assert.deepEqual(dead, ["{not json", JSON.stringify({ senderId: "alice" })]);
    assert.equal(await metric('switchboard_amqp_messages_total{result="dead_lettered"}'), 2);
    assert.ok(gw.log.some((l) => l.includes("dead-lettered") && l.includes("body is not JSON")));
  });

  test("broker restarted mid-traffic: every confirmed persistent message delivered at least once", async () => {
    const seen = new Map(); // seq → deliveries to bob
    bob.on("new_message", (m) => {
      if (m.run === "restart") seen.set(m.seq, (seen.get(m.seq) || 0) + 1);
    });
    const confirmed = new Set();
    let republished = 0;
    let outage = null;
    let outageDone = false;
    let afterOutage = 0;
    const healthDuring = [];
    const p0 = pub;
    let p = pub;
    // A message every 5 ms: 150 before the stop, on while the broker stops (the publisher's
    // connection goes, what was not confirmed is published again once it is back), 150 after.
    let seq = 0;
    for (; !(outageDone && afterOutage >= 150); seq++) {
      if (seq === 150)
        outage = (async () => {
          await broker("stop");
          healthDuring.push(await waitHealth("down", 15000));
          await sleep(500);
          await broker("resume");
        })().finally(() => (outageDone = true));
      for (let attempt = 0; ; attempt++) {
        try {
          await publish(p, "message.sent", { conversationId: "conv-1", run: "restart", seq });
          confirmed.add(seq);
          break;
        } catch {
          // Not confirmed: it may or may not be in the queue. Publish again once the broker is
          // back (a duplicate is possible, and counted below).
          if (attempt === 0) republished++;
          for (;;) {
            try {
              p = await publisher();
              break;
            } catch {
              await sleep(200);
            }
          }
        }
      }
      if (outageDone) afterOutage++;
      await sleep(5);
    }
    const N = seq;
    await outage;
    for (const q of [p0, p])
      try {
        await q.conn.close();
      } catch {}
    pub = await publisher();
    await waitHealth("up", 30000);
    await until(() => [...confirmed].every((s) => seen.has(s)), 30000, `all ${N} delivered (have ${seen.size})`);
    await sleep(500);
    const deliveries = [...seen.values()].reduce((a, b) => a + b, 0);
    const duplicates = deliveries - seen.size;
    const reconnects = await metric("switchboard_amqp_reconnects_total");
    console.log(
      `amqp restart: published ${N} (${republished} published again after an unconfirmed publish), confirmed ${confirmed.size}, ` +
        `delivered ${seen.size} distinct, ${deliveries} deliveries, ${duplicates} duplicates; reconnects ${reconnects}; ` +
        `/health during the outage: ${healthDuring[0]?.status} ${JSON.stringify(healthDuring[0]?.body.checks)}`,
    );
    assert.equal(confirmed.size, N);
    assert.equal(seen.size, N, "nothing lost");
    assert.equal(healthDuring[0].status, 503);
    assert.equal(healthDuring[0].body.checks.rabbitmq, "down");
    assert.ok(reconnects >= 1);
    // Still flowing after the restart, once.
    const more = collect(alice, "new_message");
    await publish(pub, "message.sent", { conversationId: "conv-1", message: "after the restart" });
    await until(() => more.some((m) => m.message === "after the restart"), 5000, "a message after the restart");
    assert.equal(await arrives(carol, "new_message", 200), false);
  });
});

// Two instances bridged by Redis share the queue (competing consumers): whichever takes a message,
// its event reaches the room's sockets on both, once (the broadcast goes through the cluster
// adapter, and the message is acknowledged once it is in the shared stream).
const redisTemp = path.resolve(here, "../../scripts/redis-temp");
const hasRedis = fs.existsSync("/usr/bin/redis-server");
describe("RabbitMQ consumer on two instances over Redis", { skip: !(hasRabbit && hasRedis) && "rabbitmq-server or redis-server not installed" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-amqp-cluster-"));
  const run = async (script, cmd, sub) =>
    (await promisify(execFile)(script, [cmd, path.join(dir, sub)], { encoding: "utf8", timeout: 120000 })).stdout.trim();
  const amqp = require("amqplib");
  let gws = [], alice, bob, conn;
  before(async () => {
    const [amqpUrl, redisUrl] = await Promise.all([run(rabbitTemp, "start", "rabbit"), run(redisTemp, "start", "redis")]);
    const env = { JWT_SECRET: SECRET, AMQP_URL: amqpUrl.split("\n").pop(), REDIS_URL: redisUrl.split("\n").pop(), EVENT_ROUTES: routes, ROOM_RULES_FILE: openRooms("conversation") };
    gws = [await startGateway(env), await startGateway(env)];
    [alice] = await join(gws[0].url, token({ userId: "alice" }));
    [bob] = await join(gws[1].url, token({ userId: "bob" }));
    for (const s of [alice, bob]) assert.equal((await ask(s, "join_room", { roomType: "conversation", roomId: "conv-9" })).success, true);
    for (const gw of gws)
      for (let i = 0; ; i++) {
        const h = await (await fetch(gw.url + "/health")).json();
        if (h.checks?.rabbitmq === "up" && h.checks?.redis === "up") break;
        if (i > 300) throw new Error("not up: " + JSON.stringify(h));
        await sleep(100);
      }
    conn = await amqp.connect(env.AMQP_URL);
    conn.on("error", () => {});
  });
  after(async () => {
    for (const s of [alice, bob]) s?.disconnect();
    try {
      await conn?.close();
    } catch {}
    for (const gw of gws) await gw.stop();
    for (const [s, sub] of [[rabbitTemp, "rabbit"], [redisTemp, "redis"]])
      try {
        await run(s, "stop", sub);
      } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("each message once to the room's sockets on both instances", async () => {
    const ch = await conn.createConfirmChannel();
    const got = { alice: collect(alice, "new_message"), bob: collect(bob, "new_message") };
    const N = 100;
    for (let seq = 0; seq < N; seq++)
      ch.publish(EXCHANGE, "message.sent", Buffer.from(JSON.stringify({ conversationId: "conv-9", seq })), { persistent: true });
    await ch.waitForConfirms();
    const end = Date.now() + 10000;
    while ((got.alice.length < N || got.bob.length < N) && Date.now() < end) await sleep(50);
    await sleep(300);
    const seqs = (list) => list.map((m) => m.seq).sort((a, b) => a - b);
    const all = [...Array(N).keys()];
    assert.deepEqual(seqs(got.alice), all);
    assert.deepEqual(seqs(got.bob), all);
    const dispatched = [];
    for (const gw of gws) {
      const line = (await metricsText(gw)).split("\n").find((l) => l.startsWith('switchboard_amqp_messages_total{result="dispatched"}'));
      dispatched.push(Number(line.split(" ")[1]));
    }
    console.log(`amqp cluster: ${N} published, dispatched by the instances ${dispatched.join(" + ")}, alice ${got.alice.length}, bob ${got.bob.length}`);
    assert.equal(dispatched[0] + dispatched[1], N);
  });
});
