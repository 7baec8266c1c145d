// The Channels-style WebSocket API of the ERP (seed 001): /ws/chat/?token= and
// /ws/notifications/?token=, plain WebSocket with JSON frames {type, ...}, on the same chat and
// notifications as the Socket.IO events: a Channels client and a socket.io-client talk to each other.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { execFileSync } from "node:child_process";
import { waitFor } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, api, backends, pgEnv, service, metricsText, jwt } from "./gateway-helpers.mjs";

const tok = (userId) => token({ userId });

// A Channels client: every frame it gets, in order; next(type) takes the first not taken yet.
function channel(gw, path, query = "") {
  const ws = new WebSocket(gw.url.replace("http", "ws") + path + query);
  const frames = [];
  const taken = new Set();
  const waiters = [];
  ws.on("message", (data, binary) => {
    const f = binary ? { binary: true } : JSON.parse(data.toString());
    frames.push(f);
    for (const w of [...waiters])
      if (!taken.has(f) && w.match(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
  });
  const closed = new Promise((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => {
    ws.on("open", resolve);
    ws.on("error", reject);
  });
  return {
    ws,
    frames,
    closed,
    opened,
    send(o) {
      ws.send(typeof o === "string" ? o : JSON.stringify(o));
    },
    // The first frame of `type` (and `pred`) not taken yet, now or within `ms`.
    next(type, pred = () => true, ms = 4000) {
      const match = (f) => f.type === type && pred(f);
      const found = frames.find((f) => !taken.has(f) && match(f));
      if (found) {
        taken.add(found);
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const w = {
          match,
          resolve: (f) => {
            taken.add(f);
            clearTimeout(timer);
            resolve(f);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no ${type} frame within ${ms} ms; got ${JSON.stringify(frames)}`));
        }, ms);
        waiters.push(w);
      });
    },
    // true when a frame of `type` arrives within `ms`.
    async arrives(type, ms = 400) {
      return this.next(type, () => true, ms).then(
        () => true,
        () => false,
      );
    },
    close() {
      ws.close();
    },
  };
}

// A Channels client signed in as `user`, once its welcome frame arrived.
async function signedIn(gw, path, user) {
  const c = channel(gw, path, "?token=" + encodeURIComponent(tok(user)));
  const hello = await c.next("connection_established");
  assert.equal(hello.user_id, user);
  return c;
}

for (const [backend, dbEnv] of backends()) {
  describe(`Channels-style API on ${backend}`, () => {
    let gw;
    const open = [];
    const keep = (x) => (open.push(x), x);
    before(async () => {
      gw = await startGateway({ JWT_SECRET: SECRET, TYPING_TIMEOUT: "60000", ...dbEnv });
    });
    after(async () => {
      for (const x of open) (x.disconnect ?? x.close).call(x);
      await gw.stop();
    });

    test("the seed's message frame reaches a Socket.IO user's chat:message, and a chat:send comes back", async () => {
      const ana = keep(await signedIn(gw, "/ws/chat/", "ana"));
      const [ben] = await join(gw.url, tok("ben"));
      keep(ben);
      const atBen = waitFor(ben, "chat:message");
      ana.send({ type: "message", receiver_id: "ben", message: "Hello! 👋" });
      const sent = await ana.next("message_sent");
      assert.equal(typeof sent.message.id, "number");
      assert.equal(sent.message.sender_id, "ana");
      assert.equal(sent.message.receiver_id, "ben");
      assert.equal(sent.message.conversation_id, "dm:ana:ben");
      assert.equal(sent.message.message, "Hello! 👋");
      const [m] = await atBen;
      assert.equal(m.id, sent.message.id);
      assert.equal(m.senderId, "ana");
      assert.equal(m.message, "Hello! 👋");
      const delivered = await ana.next("message_delivered");
      assert.deepEqual(delivered.message_ids, [sent.message.id]);
      assert.equal(delivered.receiver_id, "ben");

      // Back: a Socket.IO chat:send reaches the Channels client, and counts as delivered to it.
      const receipt = waitFor(ben, "chat:delivered");
      const r = await ask(ben, "chat:send", { receiverId: "ana", message: "hi back" });
      assert.equal(r.success, true);
      const got = await ana.next("chat_message");
      assert.equal(got.message.id, r.message.id);
      assert.equal(got.message.sender_id, "ben");
      assert.equal(got.message.message, "hi back");
      assert.deepEqual((await receipt)[0].messageIds, [r.message.id]);

      // The sender's other Channels device sees its own message too, the sending one does not.
      const ana2 = keep(await signedIn(gw, "/ws/chat/", "ana"));
      ana.send({ type: "message", receiver_id: 7, message: "to a numeric id" });
      const own = await ana.next("message_sent");
      assert.equal(own.message.receiver_id, "7");
      assert.equal((await ana2.next("chat_message")).message.id, own.message.id);
      assert.equal(await ana.arrives("chat_message"), false);
    });

    test("typing both ways", async () => {
      const cara = keep(await signedIn(gw, "/ws/chat/", "cara"));
      const [dan] = await join(gw.url, tok("dan"));
      keep(dan);
      const atDan = waitFor(dan, "chat:typing");
      cara.send({ type: "typing", receiver_id: "dan" });
      assert.deepEqual((await atDan)[0], { senderId: "cara", isTyping: true });
      assert.equal(await cara.arrives("error", 200), false, "typing is not answered");
      await ask(dan, "chat:typing", { receiverId: "cara", isTyping: false });
      const t = await cara.next("typing");
      assert.deepEqual(t, { type: "typing", sender_id: "dan", is_typing: false });
    });

    test("read receipts both ways", async () => {
      const eve = keep(await signedIn(gw, "/ws/chat/", "eve"));
      const [fred] = await join(gw.url, tok("fred"));
      keep(fred);
      eve.send({ type: "message", receiver_id: "fred", message: "read me" });
      const { message } = await eve.next("message_sent");
      const rr = await ask(fred, "chat:markRead", { userId: "eve" });
      assert.deepEqual(rr.messageIds, [message.id]);
      const receipt = await eve.next("read_receipt");
      assert.equal(receipt.reader_id, "fred");
      assert.equal(receipt.conversation_id, "dm:eve:fred");
      assert.deepEqual(receipt.message_ids, [message.id]);
      assert.ok(!Number.isNaN(Date.parse(receipt.read_at)));

      const r = await ask(fred, "chat:send", { receiverId: "eve", message: "and you" });
      await eve.next("chat_message");
      const atFred = waitFor(fred, "chat:readReceipt");
      eve.send({ type: "read", sender_id: "fred", message_ids: [r.message.id] });
      const ack = await eve.next("messages_read");
      assert.deepEqual(ack.message_ids, [r.message.id]);
      assert.equal(ack.count, 1);
      const [back] = await atFred;
      assert.equal(back.readerId, "eve");
      assert.deepEqual(back.messageIds, [r.message.id]);
    });

    test("a message sent while the Channels user was away arrives when it connects", async () => {
      const [gus] = await join(gw.url, tok("gus"));
      keep(gus);
      const r = await ask(gus, "chat:send", { receiverId: "hana", message: "while you were out" });
      assert.equal(r.success, true);
      const receipt = waitFor(gus, "chat:delivered");
      const hana = keep(await signedIn(gw, "/ws/chat/", "hana"));
      const got = await hana.next("chat_message");
      assert.equal(got.message.id, r.message.id);
      assert.deepEqual((await receipt)[0].messageIds, [r.message.id]);
    });

    test("notifications from the HTTP push API reach the notifications socket; mark_read", async () => {
      const notes = keep(await signedIn(gw, "/ws/notifications/", "ivy"));
      const chat = keep(await signedIn(gw, "/ws/chat/", "ivy"));
      const body = { recipientId: "ivy", type: "approval_request", title: "New approval", message: "Please review ✓", metadata: { approvalId: 9 } };
      const r = await api(gw, "POST", "/api/notify", body, service(gw));
      assert.equal(r.status, 200);
      assert.equal(r.json.recipients, 1);
      const n = await notes.next("notification");
      assert.equal(n.notification.id, r.json.notification.id);
      assert.equal(n.notification.title, "New approval");
      assert.equal(n.notification.recipient_id, "ivy");
      assert.deepEqual(n.notification.metadata, { approvalId: 9 });
      assert.equal(await chat.arrives("notification", 300), false, "the chat socket carries no notifications");

      const g = await api(gw, "POST", "/api/broadcast", { global: true, title: "Everyone", message: "m" }, service(gw));
      assert.equal(g.status, 200);
      assert.equal((await notes.next("notification")).notification.title, "Everyone");

      notes.send({ type: "mark_read", notification_id: n.notification.id });
      const marked = await notes.next("notifications_read");
      assert.deepEqual(marked.ids, [n.notification.id]);
      assert.equal(marked.count, 1);
      notes.send({ type: "get_unread_count" });
      assert.equal((await notes.next("unread_count")).count, 1);
      notes.send({ type: "mark_all_read" });
      assert.equal((await notes.next("notifications_read")).count, 1);
    });

    test("bad frames get an error frame and the connection stays", async () => {
      const c = keep(await signedIn(gw, "/ws/chat/", "jay"));
      const cases = [
        ["not json", "invalid_json"],
        ["[1,2]", "invalid_frame"],
        [JSON.stringify({ message: "no type" }), "invalid_frame"],
        [JSON.stringify({ type: "shout" }), "unknown_type"],
        [JSON.stringify({ type: "message", message: "x" }), "invalid_field"],
        [JSON.stringify({ type: "message", receiver_id: "x y", message: "x" }), "request_failed"],
        [JSON.stringify({ type: "message", receiver_id: "kim", message: "" }), "request_failed"],
      ];
      for (const [frame, code] of cases) {
        c.send(frame);
        const e = await c.next("error");
        assert.equal(e.code, code, frame);
        assert.equal(typeof e.error, "string");
      }
      c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.equal((await c.next("error")).code, "binary_frame");
      c.send({ type: "ping" });
      assert.ok(!Number.isNaN(Date.parse((await c.next("pong")).timestamp)));
      const n = channel(gw, "/ws/notifications/", "?token=" + tok("jay"));
      keep(n);
      await n.next("connection_established");
      n.send({ type: "message", receiver_id: "kim", message: "x" });
      assert.equal((await n.next("error")).code, "unknown_type");
    });

    test("no token, an unknown or invalid token: closed with 4001", async () => {
      const bad = [
        "",
        "?token=garbage",
        "?token=" + jwt.sign({ userId: "x" }, "another-secret-0123456789abcdefghijklmnop"),
        "?token=" + token({ userId: "x" }, { expiresIn: -120 }),
        "?token=" + token({}),
      ];
      for (const q of bad)
        for (const path of ["/ws/chat/", "/ws/notifications/"]) {
          const c = channel(gw, path, q);
          const { code } = await c.closed;
          assert.equal(code, 4001, path + q);
          assert.equal(c.frames.length, 0);
        }
      // Authorization: Bearer works as well as ?token=.
      const h = new WebSocket(gw.url.replace("http", "ws") + "/ws/chat/", { headers: { authorization: "Bearer " + tok("lee") } });
      const hello = await new Promise((r) => h.once("message", (d) => r(JSON.parse(d.toString()))));
      assert.equal(hello.user_id, "lee");
      h.close();
    });

    test("presence: a Channels user is online for Socket.IO users, and hears of its partners", async () => {
      const [quinn] = await join(gw.url, tok("quinn"));
      keep(quinn);
      assert.deepEqual((await ask(quinn, "chat:getOnlineStatus", { userIds: ["pia"] })).statuses, { pia: false });
      const online = waitFor(quinn, "user:online");
      const pia = await signedIn(gw, "/ws/chat/", "pia");
      assert.equal((await online)[0].userId, "pia");
      assert.deepEqual((await ask(quinn, "chat:getOnlineStatus", { userIds: ["pia"] })).statuses, { pia: true });
      // A conversation partner going offline is told to the Channels user.
      const [ola] = await join(gw.url, tok("ola"));
      await ask(ola, "chat:send", { receiverId: "pia", message: "hi" });
      await pia.next("chat_message");
      ola.disconnect();
      // (ola's user:online may reach pia too, when the conversation was stored before it was told.)
      const status = await pia.next("user_status", (f) => f.is_online === false);
      assert.equal(status.user_id, "ola");
      assert.ok(!Number.isNaN(Date.parse(status.last_seen)));
      // And the Channels user's own offline is told to its watchers.
      const offline = waitFor(quinn, "user:offline");
      pia.close();
      assert.equal((await offline)[0].userId, "pia");
    });

    test("a plain GET is told to upgrade; the connections are in /metrics", async () => {
      const r = await fetch(gw.url + "/ws/chat/");
      assert.equal(r.status, 426);
      const m = await metricsText(gw);
      assert.match(m, /switchboard_websocket_connections_total\{path="\/ws\/chat\/"\} \d+/);
      assert.match(m, /switchboard_channels_frames_total\{type="message"\} \d+/);
      assert.match(m, /switchboard_channels_connections \d+/);
    });
  });
}

describe("Channels-style API settings", () => {
  test("CHANNELS_CHAT_PATH moves the endpoint; an empty path turns it off", async () => {
    const gw = await startGateway({ JWT_SECRET: SECRET, CHANNELS_CHAT_PATH: "/chat-ws/", CHANNELS_NOTIFICATIONS_PATH: "" });
    try {
      const c = channel(gw, "/chat-ws/", "?token=" + tok("moe"));
      assert.equal((await c.next("connection_established")).user_id, "moe");
      c.close();
      assert.equal((await fetch(gw.url + "/ws/chat/")).status, 404);
      assert.equal((await fetch(gw.url + "/ws/notifications/")).status, 404);
    } finally {
      await gw.stop();
    }
  });
});

describe("Channels-style API on the shared WebSocket transport", () => {
  test("a message over MAX_PAYLOAD closes with 1009; a drain closes with 1001", async () => {
    const gw = await startGateway({ JWT_SECRET: SECRET, MAX_PAYLOAD: "2000" });
    try {
      const big = await signedIn(gw, "/ws/chat/", "rex");
      big.send({ type: "message", receiver_id: "sam", message: "x".repeat(3000) });
      assert.equal((await big.closed).code, 1009);
      const fine = await signedIn(gw, "/ws/notifications/", "rex");
      fine.send({ type: "ping" });
      await fine.next("pong");
      const closed = fine.closed;
      await gw.stop();
      assert.equal((await closed).code, 1001);
    } finally {
      await gw.stop();
    }
  });
});

describe("Channels-style API: heartbeat", () => {
  test("the server pings every PING_INTERVAL; a peer that does not answer within PING_TIMEOUT is closed", async () => {
    const gw = await startGateway({ JWT_SECRET: SECRET, PING_INTERVAL: "300", PING_TIMEOUT: "300" });
    try {
      const url = gw.url.replace("http", "ws") + "/ws/chat/?token=" + tok("uma");
      const live = new WebSocket(url);
      let pings = 0;
      live.on("ping", () => pings++);
      const mute = new WebSocket(url, { autoPong: false });
      const muteClosed = new Promise((r) => mute.on("close", (code) => r(code)));
      let liveClosed = false;
      live.on("close", () => (liveClosed = true));
      const started = Date.now();
      await muteClosed;
      assert.ok(Date.now() - started < 3000, "closed within an interval and a timeout or so");
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(pings >= 3, `pinged ${pings} times`);
      assert.equal(liveClosed, false, "a peer that answers stays");
      live.close();
    } finally {
      await gw.stop();
    }
  });
});

describe("Channels-style API: a token's end", () => {
  test("a JWT's expiry closes the connection with 4001 after an error frame", async () => {
    const gw = await startGateway({ JWT_SECRET: SECRET, JWT_LEEWAY: "0" });
    try {
      const c = channel(gw, "/ws/chat/", "?token=" + token({ userId: "tia" }, { expiresIn: 2 }));
      await c.next("connection_established");
      const e = await c.next("error", () => true, 5000);
      assert.deepEqual([e.code, e.error], ["unauthorized", "Token expired"]);
      assert.equal((await c.closed).code, 4001);
    } finally {
      await gw.stop();
    }
  });
});

describe("Channels-style API with Django REST Framework tokens", { skip: !pgEnv() && "needs PostgreSQL (scripts/test)" }, () => {
  const url = process.env.SB_TEST_DATABASE_URL;
  const django = "django_ch_" + process.pid;
  const psql = (sql) =>
    execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
  let gw;
  before(async () => {
    psql(`CREATE SCHEMA ${django};
      CREATE TABLE ${django}.accounts_user (id BIGSERIAL PRIMARY KEY, email TEXT, is_active BOOLEAN, is_superuser BOOLEAN, is_staff BOOLEAN, college_id INTEGER);
      CREATE TABLE ${django}.authtoken_token (key VARCHAR(40) PRIMARY KEY, user_id BIGINT, created TIMESTAMPTZ DEFAULT now());
      INSERT INTO ${django}.accounts_user VALUES (201, 'stu@x', true, false, false, 7), (203, 'gone@x', false, false, false, 7);
      INSERT INTO ${django}.authtoken_token (key, user_id) VALUES ('9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b', 201), ('1aac71e000000000000000000000000000000000', 203);`);
    gw = await startGateway({ ...pgEnv(), DRF_TOKEN_AUTH: "true", DJANGO_DB_SCHEMA: django, JWT_SECRET: SECRET, DRF_TOKEN_CACHE_TTL: "1" });
  });
  after(async () => {
    await gw?.stop();
    psql(`DROP SCHEMA IF EXISTS ${django} CASCADE`);
  });

  test("the ERP's ?token=<key> signs in the Django user; unknown and inactive users get 4001", async () => {
    const key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b";
    const c = channel(gw, "/ws/chat/", "?token=" + key);
    assert.equal((await c.next("connection_established")).user_id, "201");
    const n = channel(gw, "/ws/notifications/", "?token=" + key);
    await n.next("connection_established");
    const got = n.next("notification");
    await api(gw, "POST", "/api/broadcast", { collegeId: 7, title: "College news", message: "m" }, service(gw));
    assert.equal((await got).notification.college_id, "7", "a college broadcast reaches the Django user's college");
    const [jwtUser] = await join(gw.url, tok("jwt-user"));
    const atJwt = waitFor(jwtUser, "chat:message");
    c.send({ type: "message", receiver_id: "jwt-user", message: "from Django" });
    assert.equal((await atJwt)[0].senderId, "201");
    for (const bad of ["1aac71e000000000000000000000000000000000", "0000000000000000000000000000000000000000"])
      assert.equal((await channel(gw, "/ws/chat/", "?token=" + bad).closed).code, 4001, bad);
    // A deleted key closes the open connection at its next re-check (DRF_TOKEN_CACHE_TTL=1 here).
    psql(`DELETE FROM ${django}.authtoken_token WHERE key = '${key}'`);
    const e = await c.next("error", () => true, 5000);
    assert.deepEqual([e.code, e.error], ["unauthorized", "Token revoked"]);
    assert.equal((await c.closed).code, 4001);
    assert.equal((await n.closed).code, 4001);
    jwtUser.disconnect();
  });
});
