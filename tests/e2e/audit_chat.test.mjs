// Security audit (issue #11), the chat findings, against the real binary:
//   #1 one user read and wrote other users' conversations (NUL-cut parameters, ':' in ids, a
//      conversation id parsed from a string, no participant check in SQL);
//   #9 a send that committed after the database deadline was answered "failed", its retry was
//      answered `duplicate` and never delivered, and a retry without an id stored a second copy.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { waitFor, sleep, connect, connected } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, api, backends, collect, pgEnv, refused } from "./gateway-helpers.mjs";

const KEY = "audit-chat-service-key-0123456789abcdef";

for (const [backend, dbEnv] of backends()) {
  describe(`audit #1 on ${backend}: conversations belong to their two participants`, () => {
    let gw, u12, u345, u9;
    before(async () => {
      gw = await startGateway({ JWT_SECRET: SECRET, SERVICE_API_KEY: KEY, ...dbEnv });
      [u12] = await join(gw.url, token({ userId: "12" }));
      [u345] = await join(gw.url, token({ userId: "345" }));
      [u9] = await join(gw.url, token({ userId: "9" }));
      const r = await ask(u12, "chat:send", { receiverId: "345", message: "private to 345" });
      assert.equal(r.success, true);
    });
    after(async () => {
      for (const s of [u12, u345, u9]) s?.disconnect();
      await gw?.stop();
    });

    test("audit #1: chat:getMessages with a NUL- or ':'-bearing userId is refused, not read", async () => {
      for (const userId of ["12:345\u0000", "12:345", "345\u0000", "12\u0000:345"]) {
        const r = await ask(u9, "chat:getMessages", { userId });
        assert.equal(r.success, false, JSON.stringify(userId));
        assert.match(r.error, /^userId must be a user id/);
      }
      assert.deepEqual(await ask(u9, "chat:getMessages", { conversationId: "dm:12:345" }), {
        success: false,
        error: "conversationId is not one of your conversations",
      });
      const own = await ask(u9, "chat:getMessages", { userId: "345" });
      assert.equal(own.success, true);
      assert.deepEqual(own.messages, []);
    });

    test("audit #1: chat:send and chat:markRead cannot reach into another conversation", async () => {
      for (const receiverId of ["12:345\u0000", "345\u0000", "12:345"]) {
        const r = await ask(u9, "chat:send", { receiverId, message: "intrusion" });
        assert.equal(r.success, false);
        assert.match(r.error, /^receiverId must be a user id/);
      }
      const mr = await ask(u9, "chat:markRead", { conversationId: "dm:12:345" });
      assert.equal(mr.success, false);
      const history = await ask(u345, "chat:getMessages", { userId: "12" });
      assert.equal(history.success, true);
      assert.deepEqual(history.messages.map((m) => m.message), ["private to 345"]);
      assert.equal(history.messages[0].readAt, null);
    });

    test("audit #1: the REST route refuses the same ids in its path", async () => {
      const auth = { authorization: `Bearer ${token({ userId: "9" })}` };
      for (const id of ["12%3A345%00", "345%00", "12%3A345"]) {
        const r = await api(gw, "GET", `/api/v1/communication/chats/conversation/${id}/`, undefined, auth);
        assert.equal(r.status, 400, id);
        assert.equal(r.json.success, false);
      }
      const send = await api(gw, "POST", "/api/v1/communication/chats/", { receiver_id: "345\u0000", message: "x" }, auth);
      assert.equal(send.status, 400);
    });

    test("audit #1: a JWT whose user id is not an id is refused; the push API refuses such ids", async () => {
      assert.equal(await refused(gw.url, { auth: { token: token({ userId: "12:345" }) } }), "Invalid or expired token");
      assert.equal(await refused(gw.url, { auth: { token: token({ sub: "345\u0000" }) } }), "Invalid or expired token");
      const r = await api(gw, "POST", "/api/broadcast/user", { userId: "345\u0000", event: "x" }, { "x-api-key": KEY });
      assert.equal(r.status, 400);
      const n = await api(gw, "POST", "/api/notify", { recipientId: "12:345", title: "t", message: "m" }, { "x-api-key": KEY });
      assert.equal(n.status, 400);
    });
  });

  describe(`audit #9 on ${backend}: clientMessageId is the retry key`, () => {
    let gw, alice, bob;
    before(async () => {
      gw = await startGateway({ JWT_SECRET: SECRET, ...dbEnv });
      [alice] = await join(gw.url, token({ userId: "alice" }));
      [bob] = await join(gw.url, token({ userId: "bob" }));
    });
    after(async () => {
      alice?.disconnect();
      bob?.disconnect();
      await gw?.stop();
    });

    test("audit #9: a send without clientMessageId gets one generated, and its retry stores nothing twice", async () => {
      const atBob = collect(bob, "chat:message");
      const r = await ask(alice, "chat:send", { receiverId: "bob", message: "no key given" });
      assert.equal(r.success, true);
      assert.match(r.message.clientMessageId, /^sb-[0-9a-f]{32}$/);
      const again = await ask(alice, "chat:send", { receiverId: "bob", message: "no key given", clientMessageId: r.message.clientMessageId });
      assert.equal(again.success, true);
      assert.equal(again.duplicate, true);
      assert.equal(again.message.id, r.message.id);
      await sleep(200);
      assert.deepEqual(atBob.map((m) => m.id), [r.message.id], "delivered once");
    });
  });
}

// A statement blocked past the deadline: PostgreSQL cancels it (statement_timeout), the client is
// told the outcome is unknown with the key to retry with, and the retry stores and delivers once.
const pg = pgEnv();
describe("audit #9 on postgres: a send past the deadline", { skip: !pg && "SB_TEST_DATABASE_URL is not set" }, () => {
  let gw, alice, bob;
  before(async () => {
    gw = await startGateway({ JWT_SECRET: SECRET, DB_QUERY_TIMEOUT: "500", ...pg });
    [alice] = await join(gw.url, token({ userId: "alice" }));
    [bob] = await join(gw.url, token({ userId: "bob" }));
    const warm = waitFor(bob, "chat:message");
    assert.equal((await ask(alice, "chat:send", { receiverId: "bob", message: "warm-up" })).success, true);
    await warm;
  });
  after(async () => {
    alice?.disconnect();
    bob?.disconnect();
    await gw?.stop();
  });

  test("audit #9: outcome unknown → retry with the same clientMessageId → stored and delivered once", async () => {
    const atBob = collect(bob, "chat:message");
    // Another session holds the table for 1.5 s: the INSERT waits on the lock past our deadline.
    const psql = spawn("psql", [process.env.SB_TEST_DATABASE_URL, "-v", "ON_ERROR_STOP=1", "-f", "-"], { stdio: ["pipe", "pipe", "inherit"] });
    const locked = new Promise((resolve) => {
      let out = "";
      psql.stdout.on("data", (d) => (out += d) && out.includes("LOCK TABLE") && resolve());
    });
    const lock = new Promise((resolve) => psql.on("exit", resolve));
    psql.stdin.end(`BEGIN;\nLOCK TABLE "${pg.DB_SCHEMA}".chat_messages IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(1.5);\nCOMMIT;\n`);
    await locked;
    const r = await ask(alice, "chat:send", { receiverId: "bob", message: "during the lock" });
    assert.equal(r.success, false);
    assert.equal(r.error, "Outcome unknown: retry with the same clientMessageId");
    assert.match(r.clientMessageId, /^sb-[0-9a-f]{32}$/);
    await lock;
    await sleep(300);
    // The statement was cancelled at the deadline, not left to commit once the lock went.
    const page = await ask(alice, "chat:getMessages", { userId: "bob" });
    assert.equal(page.success, true);
    assert.deepEqual(page.messages.map((m) => m.message), ["warm-up"]);
    const again = await ask(alice, "chat:send", { receiverId: "bob", message: "during the lock", clientMessageId: r.clientMessageId });
    assert.equal(again.success, true);
    assert.notEqual(again.duplicate, true);
    for (let i = 0; i < 50 && atBob.length === 0; i++) await sleep(50);
    await sleep(200);
    assert.deepEqual(atBob.map((m) => m.clientMessageId), [r.clientMessageId], "delivered once");
  });

  test("audit #9: a stored message the first answer never told about is delivered on the retry", async () => {
    // Bob is offline when it is stored; alice's retry (same key) after bob is back delivers it.
    bob.disconnect();
    const first = await ask(alice, "chat:send", { receiverId: "bob", message: "while away", clientMessageId: "k-away" });
    assert.equal(first.success, true);
    // Bob reconnects: catch-up delivers it (and marks it delivered); a later retry sends nothing twice.
    bob = connect(gw.url, { auth: { token: token({ userId: "bob" }) }, transports: ["websocket"] });
    const atBob = collect(bob, "chat:message");
    await connected(bob);
    for (let i = 0; i < 100 && atBob.length === 0; i++) await sleep(50);
    assert.deepEqual(atBob.map((m) => m.clientMessageId), ["k-away"]);
    atBob.length = 0;
    const retry = await ask(alice, "chat:send", { receiverId: "bob", message: "while away", clientMessageId: "k-away" });
    assert.equal(retry.duplicate, true);
    await sleep(300);
    assert.deepEqual(atBob, [], "an already delivered duplicate is not resent");
  });
});
