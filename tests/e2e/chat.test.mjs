// Direct chat end to end, on PostgreSQL and on the embedded SQLite: two users on two devices each
// through a whole conversation, an offline receiver catching up, bad input, and a restart.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { waitFor, sleep } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, arrives, backends, collect } from "./gateway-helpers.mjs";

const tok = (userId) => token({ userId });

for (const [backend, dbEnv] of backends()) {
  describe(`chat on ${backend}`, () => {
    const env = { JWT_SECRET: SECRET, TYPING_TIMEOUT: "700", ALLOW_ANONYMOUS: "true", ...dbEnv };
    let gw, a1, a2, b1, b2;
    const sockets = [];
    const open = async (user, opts) => {
      const [s] = await join(gw.url, user === null ? undefined : tok(user), opts);
      sockets.push(s);
      return s;
    };
    before(async () => {
      gw = await startGateway(env);
      a1 = await open("alice");
      a2 = await open("alice", { transports: ["polling"] });
      b1 = await open("bob");
      b2 = await open("bob");
    });
    after(async () => {
      for (const s of sockets) s.disconnect();
      await gw.stop();
    });

    test("send: stored, acked with the message, on every device of both users but the sender's", async () => {
      const text = "héllo 🚀 — \"quoted\" \n second line 你好";
      const atB1 = waitFor(b1, "chat:message");
      const atB2 = waitFor(b2, "chat:message");
      const atA2 = waitFor(a2, "chat:message");
      const notA1 = arrives(a1, "chat:message", 400);
      const receipt = waitFor(a1, "chat:delivered");
      const attachments = [{ url: "https://files.example/x.pdf", name: "x.pdf", mime: "application/pdf", size: 1234, junk: 1 }];
      const r = await ask(a1, "chat:send", { receiverId: "bob", message: text, attachments, clientMessageId: "m-1" });
      assert.equal(r.success, true);
      const m = r.message;
      assert.equal(typeof m.id, "number");
      assert.equal(m.conversationId, "dm:alice:bob");
      assert.equal(m.senderId, "alice");
      assert.equal(m.receiverId, "bob");
      assert.equal(m.message, text);
      assert.deepEqual(m.attachments, [{ url: "https://files.example/x.pdf", name: "x.pdf", mime: "application/pdf", size: 1234 }]);
      assert.equal(m.clientMessageId, "m-1");
      assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
      assert.equal(m.readAt, null);
      for (const p of [atB1, atB2, atA2]) {
        const [got] = await p;
        assert.equal(got.id, m.id);
        assert.equal(got.message, text);
      }
      assert.equal(await notA1, false);
      const [d] = await receipt;
      assert.deepEqual(d.messageIds, [m.id]);
      assert.ok(!Number.isNaN(Date.parse(d.deliveredAt)));
      // A retry with the same clientMessageId: the stored message, nothing delivered twice.
      const again = arrives(b1, "chat:message", 400);
      const retry = await ask(a1, "chat:send", { receiverId: "bob", message: text, clientMessageId: "m-1" });
      assert.equal(retry.success, true);
      assert.equal(retry.duplicate, true);
      assert.equal(retry.message.id, m.id);
      assert.equal(await again, false);
      const h = await ask(b1, "chat:getMessages", { userId: "alice" });
      assert.equal(h.messages.filter((x) => x.clientMessageId === "m-1").length, 1);
      assert.ok(h.messages[0].deliveredAt, "delivered once bob's devices had it");
    });

    test("typing reaches the receiver and ends by itself without a refresh", async () => {
      const events = collect(b1, "chat:typing");
      const r = await ask(a1, "chat:typing", { receiverId: "bob", isTyping: true });
      assert.deepEqual(r, { success: true, receiverId: "bob", isTyping: true });
      await sleep(1200); // TYPING_TIMEOUT is 700 ms here
      assert.deepEqual(events, [
        { senderId: "alice", isTyping: true },
        { senderId: "alice", isTyping: false },
      ]);
      // A refresh keeps it going; an explicit stop ends it at once.
      events.length = 0;
      await ask(a1, "chat:typing", { receiverId: "bob", isTyping: true });
      await sleep(400);
      await ask(a1, "chat:typing", { receiverId: "bob", isTyping: true });
      await sleep(400);
      assert.deepEqual(events.map((e) => e.isTyping), [true, true]);
      await ask(a1, "chat:typing", { receiverId: "bob", isTyping: false });
      await sleep(900);
      assert.deepEqual(events.map((e) => e.isTyping), [true, true, false], "one stop, no second one from the timer");
    });

    test("history pages newest first, conversations, unread counts, read receipts, search", async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await ask(b1, "chat:send", { receiverId: "alice", message: `page ${i}` })).message.id);
      const p1 = await ask(a1, "chat:getMessages", { userId: "bob", limit: 3 });
      assert.equal(p1.success, true);
      assert.deepEqual(p1.messages.map((m) => m.id), [ids[4], ids[3], ids[2]]);
      assert.equal(p1.hasMore, true);
      const p2 = await ask(a1, "chat:getMessages", { conversationId: "dm:alice:bob", before: ids[2], limit: 3 });
      assert.deepEqual(p2.messages.map((m) => m.id), [ids[1], ids[0], p2.messages[2].id]);
      assert.equal(p2.messages[2].message.startsWith("héllo"), true);
      assert.equal(p2.hasMore, false);

      const unread = await ask(a1, "chat:getUnreadCount", {});
      assert.deepEqual(unread, { success: true, total: 5, byConversation: { "dm:alice:bob": 5 } });
      const convs = await ask(a1, "chat:getConversations", {});
      assert.equal(convs.conversations.length, 1);
      const c = convs.conversations[0];
      assert.equal(c.conversationId, "dm:alice:bob");
      assert.equal(c.userId, "bob");
      assert.equal(c.unreadCount, 5);
      assert.equal(c.lastMessage.id, ids[4]);

      // Read two by id, then the rest up to an id: receipts to bob's devices.
      const r1 = waitFor(b1, "chat:readReceipt");
      const r2 = waitFor(b2, "chat:readReceipt");
      const read = await ask(a2, "chat:markRead", { conversationId: "dm:alice:bob", messageIds: [ids[0], ids[1]] });
      assert.equal(read.success, true);
      assert.deepEqual(read.messageIds, [ids[0], ids[1]]);
      for (const p of [r1, r2]) {
        const [rr] = await p;
        assert.equal(rr.readerId, "alice");
        assert.equal(rr.conversationId, "dm:alice:bob");
        assert.deepEqual(rr.messageIds, [ids[0], ids[1]]);
        assert.ok(!Number.isNaN(Date.parse(rr.readAt)));
      }
      const upTo = await ask(a1, "chat:markRead", { userId: "bob", upToId: ids[3] });
      assert.deepEqual(upTo.messageIds, [ids[2], ids[3]]);
      assert.equal((await ask(a1, "chat:getUnreadCount", {})).total, 1);
      const none = await ask(a1, "chat:markRead", { userId: "bob", messageIds: [ids[0]] });
      assert.deepEqual(none.messageIds, [], "already read: nothing changes");
      await ask(a1, "chat:markRead", { userId: "bob" });
      assert.equal((await ask(a1, "chat:getUnreadCount", {})).total, 0);
      const h = await ask(b1, "chat:getMessages", { userId: "alice", limit: 1 });
      assert.ok(h.messages[0].readAt, "bob sees his message read");

      const found = await ask(b1, "chat:search", { q: "PAGE 3" });
      assert.deepEqual(found.messages.map((m) => m.id), [ids[3]]);
      const emoji = await ask(a1, "chat:search", { q: "🚀" });
      assert.equal(emoji.messages.length, 1);
      const other = await open("carol");
      assert.deepEqual((await ask(other, "chat:search", { q: "page" })).messages, [], "only the caller's messages");
    });

    test("bad input gets {success:false, error} naming the problem and stores nothing", async () => {
      const before = (await ask(a1, "chat:getMessages", { userId: "bob", limit: 100 })).messages.length;
      const cases = [
        [{ message: "x" }, "receiverId is required"],
        [{ receiverId: { id: 1 }, message: "x" }, "receiverId must be a user id (an integer, or 1-128 characters of A-Z a-z 0-9 . _ - @ +)"],
        [{ receiverId: "alice", message: "x" }, "receiverId must be another user"],
        [{ receiverId: "bob" }, "message is required"],
        [{ receiverId: "bob", message: "   " }, "message must not be empty"],
        [{ receiverId: "bob", message: 42 }, "message must be a string"],
        [{ receiverId: "bob", message: "é".repeat(5001) }, "message is longer than 5000 characters"],
        [{ receiverId: "bob", message: "x", attachments: "a" }, "attachments must be an array"],
        [{ receiverId: "bob", message: "x", attachments: [{ name: "n" }] }, "attachments[0].url is required (a string of at most 2048 characters)"],
        [{ receiverId: "bob", message: "x", attachments: [{ url: "javascript:alert(1)" }] }, "attachments[0].url must be an http(s) URL or an absolute path"],
        [{ receiverId: "bob", message: "x", attachments: [{ url: "/f", size: -1 }] }, "attachments[0].size must be a non-negative integer (bytes)"],
        [{ receiverId: "bob", message: "x", clientMessageId: "c".repeat(129) }, "clientMessageId must be 1-128 characters of A-Z a-z 0-9 . _ - @ + : (or an integer)"],
        [{ receiverId: "bob", message: "nul\u0000cut" }, "message must not contain NUL characters"],
      ];
      for (const [args, error] of cases) assert.deepEqual(await ask(a1, "chat:send", args), { success: false, error }, JSON.stringify(args));
      assert.deepEqual(await ask(a1, "chat:send", "hello"), { success: false, error: "Expected an object argument" });
      assert.deepEqual(await ask(a1, "chat:getMessages", { conversationId: "dm:bob:carol" }), {
        success: false,
        error: "conversationId is not one of your conversations",
      });
      assert.deepEqual(await ask(a1, "chat:getMessages", {}), { success: false, error: "conversationId or userId is required" });
      assert.deepEqual(await ask(a1, "chat:getMessages", { userId: "bob", limit: 101 }), { success: false, error: "limit must be an integer from 1 to 100" });
      assert.deepEqual(await ask(a1, "chat:markRead", { userId: "bob", messageIds: ["x"] }), {
        success: false,
        error: "messageIds must be an array of positive integer ids (at most 500)",
      });
      assert.deepEqual(await ask(a1, "chat:typing", { receiverId: "bob", isTyping: "yes" }), { success: false, error: "isTyping must be true or false" });
      // Without an ack, a failure arrives as an `error` event.
      const err = waitFor(a1, "error");
      a1.emit("chat:send", { receiverId: "bob" });
      assert.deepEqual((await err)[0], { message: "message is required", event: "chat:send" });
      const anon = await open(null);
      assert.deepEqual(await ask(anon, "chat:send", { receiverId: "bob", message: "x" }), { success: false, error: "Authentication required" });
      assert.equal((await ask(a1, "chat:getMessages", { userId: "bob", limit: 100 })).messages.length, before);
    });

    test("an offline receiver gets every undelivered message in order when a device connects", async () => {
      const sent = [];
      for (let i = 0; i < 3; i++) sent.push((await ask(a1, "chat:send", { receiverId: "dave", message: `while away ${i}` })).message);
      assert.ok(sent.every((m) => m.deliveredAt === null));
      const receipt = waitFor(a1, "chat:delivered");
      const { connect } = await import("./helpers.mjs");
      const d = connect(gw.url, { auth: { token: tok("dave") }, transports: ["websocket"] });
      sockets.push(d);
      const got = collect(d, "chat:message");
      const [r] = await receipt;
      assert.deepEqual(r.messageIds, sent.map((m) => m.id));
      await sleep(200);
      assert.deepEqual(got.map((m) => m.message), ["while away 0", "while away 1", "while away 2"]);
      // A second device later gets nothing again (already delivered).
      const d2 = connect(gw.url, { auth: { token: tok("dave") }, transports: ["websocket"] });
      sockets.push(d2);
      assert.equal(await arrives(d2, "chat:message", 500), false);
    });

    test("a restart of the service keeps everything", async () => {
      const before = await ask(a1, "chat:getMessages", { userId: "bob", limit: 100 });
      for (const s of sockets) s.disconnect();
      sockets.length = 0;
      await gw.stop();
      gw = await startGateway({ ...env, DATA_DIR: gw.dataDir });
      a1 = await open("alice");
      const after = await ask(a1, "chat:getMessages", { userId: "bob", limit: 100 });
      assert.deepEqual(after, before);
      const convs = await ask(a1, "chat:getConversations", {});
      assert.deepEqual(convs.conversations.map((c) => c.userId).sort(), ["bob", "dave"]);
    });
  });
}
