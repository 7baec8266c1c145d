// Seed 004 (HomeTrip's websocket-gateway) against PROFILE=hometrip, as its document shows it: the
// client connection example run unchanged (only the URL and the token filled in), the room, typing
// and token-expiry events it lists, its three RabbitMQ event flows (message.sent, booking.confirmed,
// notification.created) published by a real amqplib publisher to a real broker
// (scripts/rabbitmq-temp), and its curl calls to /health and /metrics. The gateway is configured
// with the seed's own variables (RABBITMQ_HOST, RABBITMQ_PORT, RABBITMQ_USER, RABBITMQ_PASSWORD,
// JWT_SECRET, PORT); the routing file is the profile's (deploy/routes/hometrip.json, built in).
// Refused on purpose: the socketId of other members in user_joined/user_left/user_typing/
// user_stop_typing, and /metrics' list of room names (both name other users' sessions).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import io from "socket.io-client";
import { sleep, waitFor } from "./helpers.mjs";
import { startGateway, SECRET, token, join, collect } from "./gateway-helpers.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const rabbitTemp = path.resolve(here, "../../scripts/rabbitmq-temp");
const hasRabbit = fs.existsSync("/usr/lib/rabbitmq/bin/rabbitmq-server");
const EXCHANGE = "events"; // deploy/routes/hometrip.json's

// The seed's "Client Connection Example", unchanged but for its URL and token; console.log is the
// test's `console` (a recorder).
function seedClient(url, yourJwtToken, console) {
  const socket = io(url, {
    auth: {
      token: yourJwtToken,
    },
    reconnection: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    reconnectionAttempts: 5,
  });

  // Connection
  socket.on("connected", (data) => {
    console.log("Connected:", data);
  });

  // Join conversation room
  socket.emit(
    "join_room",
    {
      roomType: "conversation",
      roomId: "conv-123",
    },
    (response) => {
      if (response.success) {
        console.log("Joined room");
      }
    },
  );

  // Listen for messages
  socket.on("new_message", (data) => {
    console.log("New message:", data);
  });

  // Send typing indicator
  socket.emit("typing", {
    roomType: "conversation",
    roomId: "conv-123",
  });

  // Handle disconnection
  socket.on("disconnect", (reason) => {
    console.log("Disconnected:", reason);
  });
  return socket;
}

function recorder() {
  const lines = [];
  return {
    lines,
    log: (...args) => lines.push(args),
    async until(label, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = lines.find((l) => l[0] === label);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`the seed client never logged '${label}': ${JSON.stringify(lines)}`);
        await sleep(20);
      }
    },
  };
}

describe("seed 004 (hometrip) against PROFILE=hometrip", { skip: !hasRabbit && "rabbitmq-server not installed" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-seed004-"));
  const brokerDir = path.join(dir, "rabbit");
  const broker = async (cmd, ...args) =>
    (await promisify(execFile)(rabbitTemp, [cmd, brokerDir, ...args], { encoding: "utf8", timeout: 120000 })).stdout.trim();
  const amqp = require("amqplib");
  let url, gw, conn, ch;
  const sockets = [];

  function publish(key, body) {
    return new Promise((resolve, reject) =>
      ch.publish(EXCHANGE, key, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: "application/json" }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }
  async function health() {
    const res = await fetch(gw.url + "/health"); // curl http://localhost:3002/health
    return { status: res.status, body: await res.json() };
  }

  before(async () => {
    url = (await broker("start")).split("\n").pop();
    const u = new URL(url);
    gw = await startGateway({
      PROFILE: "hometrip",
      JWT_SECRET: SECRET,
      RABBITMQ_HOST: u.hostname,
      RABBITMQ_PORT: u.port,
      RABBITMQ_USER: "guest",
      RABBITMQ_PASSWORD: "guest",
    });
    const end = Date.now() + 30000;
    while (!(await health()).body.eventBus?.isConnected) {
      if (Date.now() > end) throw new Error("the event bus never connected: " + gw.log.slice(-10).join("\n"));
      await sleep(100);
    }
    conn = await amqp.connect(url);
    ch = await conn.createConfirmChannel();
    await ch.assertExchange(EXCHANGE, "topic", { durable: true });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    try {
      await conn?.close();
    } catch {}
    await gw?.stop();
    try {
      await broker("stop");
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("GET /health: {status: healthy, service: websocket-gateway, version, redis, eventBus {...}}", async () => {
    const h = await health();
    assert.equal(h.status, 200);
    assert.deepEqual(Object.keys(h.body), ["status", "service", "version", "redis", "eventBus"]);
    assert.equal(h.body.status, "healthy");
    assert.equal(h.body.service, "websocket-gateway");
    assert.equal(typeof h.body.version, "string");
    assert.equal(h.body.redis, "not configured"); // a single node: no Redis (REDIS_URL) to report
    assert.deepEqual(h.body.eventBus, {
      isConnected: true,
      reconnectAttempts: 0,
      host: new URL(url).hostname,
      port: Number(new URL(url).port),
    });
  });

  test("the seed's client example: connected, joined conv-123, typing told, message.sent → new_message", async () => {
    const ana = recorder();
    const ben = recorder();
    // ben is in the conversation first, so he sees ana join and type.
    const benSocket = seedClient(gw.url, token({ userId: "ben" }), ben);
    sockets.push(benSocket);
    await ben.until("Joined room");
    const joinedSeen = waitFor(benSocket, "user_joined");
    const typingSeen = waitFor(benSocket, "user_typing");
    const anaSocket = seedClient(gw.url, token({ userId: "ana" }), ana);
    sockets.push(anaSocket);
    const [, hello] = await ana.until("Connected:");
    assert.equal(hello.userId, "ana");
    assert.equal(typeof hello.socketId, "string");
    await ana.until("Joined room");
    const [joined] = await joinedSeen;
    assert.equal(joined.userId, "ana");
    assert.equal(joined.room, "conversation:conv-123");
    assert.ok(joined.timestamp);
    // Refused: the seed's user_joined / user_left / user_typing / user_stop_typing also carry the
    // other member's socketId; members are never told one another's socket ids (audit #2).
    assert.equal(joined.socketId, undefined);
    const [typing] = await typingSeen;
    assert.deepEqual(Object.keys(typing).sort(), ["room", "timestamp", "userId"]);
    assert.equal(typing.userId, "ana");

    // Message Service → RabbitMQ message.sent → every user in the conversation.
    const msg = { conversationId: "conv-123", senderId: "ben", recipientId: "ana", message: "hello", timestamp: new Date().toISOString() };
    await publish("message.sent", msg);
    const [, atAna] = await ana.until("New message:");
    const [, atBen] = await ben.until("New message:");
    assert.deepEqual(atAna, msg);
    assert.deepEqual(atBen, msg);

    // stop_typing and leave_room, as the seed lists them.
    const stopSeen = waitFor(benSocket, "user_stop_typing");
    anaSocket.emit("stop_typing", { roomType: "conversation", roomId: "conv-123" });
    assert.equal((await stopSeen)[0].userId, "ana");
    const leftSeen = waitFor(benSocket, "user_left");
    const left = await anaSocket.timeout(3000).emitWithAck("leave_room", { roomType: "conversation", roomId: "conv-123" });
    assert.equal(left.success, true);
    assert.equal(typeof left.message, "string");
    assert.equal((await leftSeen)[0].userId, "ana");
  });

  test("booking.confirmed → booking_update and notification.created → new_notification, to the user's room only", async () => {
    const [carol] = await join(gw.url, token({ userId: "carol" }));
    const [dave] = await join(gw.url, token({ userId: "dave" }));
    sockets.push(carol, dave);
    const bookings = { carol: collect(carol, "booking_update"), dave: collect(dave, "booking_update") };
    const notes = { carol: collect(carol, "new_notification"), dave: collect(dave, "new_notification") };
    const booking = { bookingId: "bk-1", userId: "carol", status: "confirmed", type: "stay", timestamp: new Date().toISOString() };
    const note = { notificationId: "notif-456", userId: "carol", type: "info", title: "Trip", message: "Booked", data: {}, timestamp: new Date().toISOString() };
    await publish("booking.confirmed", booking);
    await publish("notification.created", note);
    const end = Date.now() + 5000;
    while (!(bookings.carol.length && notes.carol.length)) {
      if (Date.now() > end) throw new Error("booking_update / new_notification never arrived");
      await sleep(20);
    }
    await sleep(200);
    assert.deepEqual(bookings.carol, [booking]);
    assert.deepEqual(notes.carol, [note]);
    assert.deepEqual(bookings.dave, []);
    assert.deepEqual(notes.dave, []);
  });

  test("token_expiring_soon: a token within 5 minutes of exp is warned with expiresIn (seconds)", async () => {
    const soon = token({ userId: "erin" }, { expiresIn: 120 });
    const s = io(gw.url, { auth: { token: soon }, reconnection: false });
    sockets.push(s);
    const [data] = await waitFor(s, "token_expiring_soon");
    assert.ok(data.expiresIn > 60 && data.expiresIn <= 120, `expiresIn ${data.expiresIn}`);
  });

  test("GET /metrics (no key, as the seed's curl): {connectedSockets, totalRooms}; no room names", async () => {
    const res = await fetch(gw.url + "/metrics");
    assert.equal(res.status, 200);
    const m = await res.json();
    // Refused: the seed's "rooms" list names every online user to anyone who asks; the profile
    // serves the counts (METRICS_ROOM_NAMES=true brings the list back, warned while public).
    assert.deepEqual(Object.keys(m), ["connectedSockets", "totalRooms"]);
    assert.equal(m.connectedSockets, sockets.filter((s) => s.connected).length);
    assert.ok(m.totalRooms >= 3); // user:ben, user:ana, conversation:conv-123, ...
  });
});
