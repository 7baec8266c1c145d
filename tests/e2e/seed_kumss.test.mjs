// Seeds 000 and 001 (the KUMSS ERP: its Node websocket-service and its Django API) against
// PROFILE=kumss on PostgreSQL with Django's tables: seed 000's JavaScript client example run
// unchanged (only the URL and the Django token filled in), the client → server events it lists and
// the server → client events they cause, its HTTP API (POST /api/notify, POST /api/broadcast,
// GET /api/online-users, GET /health) called as its Django integration does, without a key (the
// profile's loopback-only API), and seed 001's REST curl calls with `Authorization: Token`. Seed
// 001's quick example and websocat message on /ws/chat/ run here too; the rest of its plain-WebSocket
// endpoints is the Channels bridge's (channels.test.mjs).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { sleep, waitFor } from "./helpers.mjs";
import { startGateway, pgEnv, ask, collect } from "./gateway-helpers.mjs";

const pg = pgEnv();
const ANA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"; // user 301, college 7
const BEN = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"; // user 302, college 7, staff
const CAL = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"; // user 303, college 8

function recorder() {
  const lines = [];
  return {
    lines,
    console: { log: (...a) => lines.push(a) },
    async until(label, n = 1, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const hits = lines.filter((l) => l[0] === label);
        if (hits.length >= n) return hits[n - 1];
        if (Date.now() > end) throw new Error(`never logged '${label}' ×${n}: ${JSON.stringify(lines)}`);
        await sleep(20);
      }
    },
  };
}

// Seed 000's "Client Connection Example", unchanged but for the URL and the token (and the
// heartbeat's 30 s interval, which a test runs once by hand: `heartbeat` below).
function seedClient(url, yourDjangoToken, console) {
  const socket = io(url, {
    auth: {
      token: yourDjangoToken,
    },
  });

  // Connection events
  socket.on("connect", () => {
    console.log("Connected to WebSocket server");
  });

  socket.on("disconnect", () => {
    console.log("Disconnected from WebSocket server");
  });

  // Chat events
  socket.on("chat:message", (data) => {
    console.log("New message:", data);
  });

  // Notification events
  socket.on("notification:new", (data) => {
    console.log("New notification:", data);
  });
  return socket;
}

// Seed 000's "Send message", unchanged but for the recipient.
function sendMessage(socket, recipient, console) {
  socket.emit(
    "chat:send",
    {
      receiverId: recipient,
      message: "Hello!",
    },
    (response) => {
      if (response.success) {
        console.log("Message sent:", response.message);
      }
    },
  );
}

describe("seeds 000/001 (kumss) against PROFILE=kumss", { skip: !pg && "needs PostgreSQL (SB_TEST_DATABASE_URL)" }, () => {
  const url = process.env.SB_TEST_DATABASE_URL;
  const django = "django_kumss_" + process.pid;
  const psql = (sql) =>
    execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
  let gw;
  const sockets = [];
  const ana = recorder();
  const ben = recorder();
  let anaSocket, benSocket;

  before(async () => {
    psql(`CREATE SCHEMA ${django};
      CREATE TABLE ${django}.accounts_user (id BIGSERIAL PRIMARY KEY, email TEXT, is_active BOOLEAN, is_superuser BOOLEAN, is_staff BOOLEAN, college_id INTEGER);
      CREATE TABLE ${django}.authtoken_token (key VARCHAR(40) PRIMARY KEY, user_id BIGINT, created TIMESTAMPTZ DEFAULT now());
      INSERT INTO ${django}.accounts_user VALUES (301, 'ana@x', true, false, false, 7), (302, 'ben@x', true, false, true, 7), (303, 'cal@x', true, false, false, 8);
      INSERT INTO ${django}.authtoken_token (key, user_id) VALUES ('${ANA}', 301), ('${BEN}', 302), ('${CAL}', 303);`);
    // The seed's own settings (DB_*/DATABASE_URL, Django's schema) and the profile; no JWT, no key.
    gw = await startGateway({ PROFILE: "kumss", ...pg, DJANGO_DB_SCHEMA: django, SERVICE_API_KEY: "" });
    anaSocket = seedClient(gw.url, ANA, ana.console);
    benSocket = seedClient(gw.url, BEN, ben.console);
    sockets.push(anaSocket, benSocket);
    await ana.until("Connected to WebSocket server");
    await ben.until("Connected to WebSocket server");
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await gw?.stop();
    psql(`DROP SCHEMA IF EXISTS ${django} CASCADE`);
  });

  test("GET /health: {status: ok, service: websocket-service, timestamp}", async () => {
    const h = await (await fetch(gw.url + "/health")).json();
    assert.deepEqual(Object.keys(h), ["status", "service", "timestamp"]);
    assert.equal(h.status, "ok");
    assert.equal(h.service, "websocket-service");
    assert.ok(!Number.isNaN(Date.parse(h.timestamp)));
  });

  test("the client example: chat:send acked with the message; chat:message at the receiver; heartbeat:ack", async () => {
    sendMessage(anaSocket, "302", ana.console);
    const [, sent] = await ana.until("Message sent:");
    assert.equal(sent.senderId, "301");
    assert.equal(sent.receiverId, "302");
    assert.equal(sent.message, "Hello!");
    const [, got] = await ben.until("New message:");
    assert.equal(got.id, sent.id);
    assert.equal(got.message, "Hello!");
    const ack = waitFor(anaSocket, "heartbeat:ack");
    anaSocket.emit("heartbeat");
    await ack;
  });

  test("chat events: typing, getMessages, markRead → readReceipt, getOnlineStatus", async () => {
    const typing = waitFor(benSocket, "chat:typing");
    anaSocket.emit("chat:typing", { receiverId: "302", isTyping: true });
    assert.equal((await typing)[0].senderId, "301");
    const history = await ask(benSocket, "chat:getMessages", { userId: "301" });
    assert.equal(history.success, true);
    assert.ok(history.messages.some((m) => m.message === "Hello!"));
    const receipt = waitFor(anaSocket, "chat:readReceipt");
    const read = await ask(benSocket, "chat:markRead", { userId: "301" });
    assert.equal(read.success, true);
    assert.ok((await receipt)[0]);
    const online = await ask(anaSocket, "chat:getOnlineStatus", { userIds: ["302", "303"] });
    assert.equal(online.success, true);
    assert.equal(JSON.stringify(online).includes("302"), true);
  });

  test("HTTP: POST /api/notify and /api/broadcast (no key, loopback) → notification:new; GET /api/online-users", async () => {
    // send_realtime_notification(recipient_id=user.id, ...)
    const r = await fetch(gw.url + "/api/notify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ recipientId: "301", type: "approval_request", title: "New Approval Request", message: "You have a new approval request", metadata: { approval_id: "42" } }),
    });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).success, true);
    const [, note] = await ana.until("New notification:");
    assert.equal(note.title, "New Approval Request");
    assert.deepEqual(note.metadata, { approval_id: "42" });
    // broadcast_realtime_notification(college_id=college.id, ...): ana and ben (college 7).
    const cal = recorder();
    const calSocket = seedClient(gw.url, CAL, cal.console);
    sockets.push(calSocket);
    await cal.until("Connected to WebSocket server");
    const b = await fetch(gw.url + "/api/broadcast", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ collegeId: "7", type: "notice", title: "New Notice Published", message: "A new notice has been published", metadata: { notice_id: "9" } }),
    });
    assert.equal(b.status, 200);
    assert.equal((await ben.until("New notification:"))[1].title, "New Notice Published");
    assert.equal((await ana.until("New notification:", 2))[1].title, "New Notice Published");
    await sleep(200);
    assert.equal(cal.lines.filter((l) => l[0] === "New notification:").length, 0);
    const online = await (await fetch(gw.url + "/api/online-users")).json();
    assert.equal(online.success, true);
    assert.ok(JSON.stringify(online).includes("303"));
  });

  test("notification events: getUnread, getUnreadCount, markRead (and an empty ids list is a no-op), send, broadcast", async () => {
    const unread = await ask(anaSocket, "notification:getUnread", {});
    assert.equal(unread.success, true);
    assert.ok(unread.notifications.length >= 2);
    const count = await ask(anaSocket, "notification:getUnreadCount", {});
    assert.equal(count.success, true);
    const empty = await ask(anaSocket, "notification:markRead", { ids: [] });
    assert.equal(empty.success, true);
    assert.equal(empty.count, 0);
    const one = await ask(anaSocket, "notification:markRead", { ids: [unread.notifications[0].id] });
    assert.equal(one.success, true);
    assert.equal(one.count, 1);
    // notification:send / :broadcast: staff (ben, is_staff) may, a student (ana) may not.
    const got = collect(anaSocket, "notification:new");
    assert.equal((await ask(benSocket, "notification:send", { recipientId: "301", title: "From staff", message: "m" })).success, true);
    assert.equal((await ask(anaSocket, "notification:send", { recipientId: "302", title: "t", message: "m" })).success, false);
    assert.equal((await ask(benSocket, "notification:broadcast", { collegeId: "7", title: "All of 7", message: "m" })).success, true);
    const end = Date.now() + 5000;
    while (got.length < 2 && Date.now() < end) await sleep(20);
    assert.deepEqual(got.map((n) => n.title), ["From staff", "All of 7"]);
  });

  test("seed 001's REST curl calls: conversations and send, with Authorization: Token", async () => {
    const base = gw.url + "/api/v1/communication/";
    const conv = await fetch(base + "chats/conversations/", { headers: { Authorization: `Token ${BEN}` } });
    assert.equal(conv.status, 200);
    const c = await conv.json();
    assert.ok(JSON.stringify(c).includes("301"));
    const got = waitFor(anaSocket, "chat:message");
    const send = await fetch(base + "chats/", {
      method: "POST",
      headers: { Authorization: `Token ${BEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ receiver_id: 301, message: "Hello" }),
    });
    assert.equal(send.status, 201); // created, as Django REST Framework answers
    assert.equal((await got)[0].message, "Hello");
    const unread = await (await fetch(base + "chats/unread-count/", { headers: { Authorization: `Token ${ANA}` } })).json();
    assert.equal(unread.success, true);
  });

  test("seed 001's quick example and websocat message on /ws/chat/ with a Django token", async () => {
    // The "Quick example", unchanged but for the host (the `ws` package stands in for the
    // browser's WebSocket, same API).
    const authToken = BEN;
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/chat/?token=${authToken}`);
    const frames = [];
    ws.on("message", (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((resolve, reject) => (ws.on("open", resolve), ws.on("error", reject)));
    const atAna = waitFor(anaSocket, "chat:message");
    const atAna2 = atAna.then(() => waitFor(anaSocket, "chat:message"));

    // Send message
    ws.send(JSON.stringify({
      type: 'message',
      receiver_id: 301,
      message: 'Hello! 👋'
    }));
    const [m] = await atAna;
    assert.equal(m.message, "Hello! 👋");
    assert.equal(String(m.senderId), "302");

    // The "Test WebSocket Connection" line typed into websocat.
    ws.send('{"type":"message","receiver_id":301,"message":"Test"}');
    assert.equal((await atAna2)[0].message, "Test");
    assert.equal(frames.filter((f) => f.type === "error").length, 0, JSON.stringify(frames));
    ws.close();
  });
});
