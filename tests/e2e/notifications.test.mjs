// Notifications end to end (to a user, a college, everyone) with per-user read state, the role
// check, the REST API for apps, and Django REST Framework tokens looked up in PostgreSQL.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { waitFor, sleep } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, arrives, api, backends, pgEnv, refused, service } from "./gateway-helpers.mjs";

const KEY = "notify-key";
const svc = { "x-api-key": KEY };

for (const [backend, dbEnv] of backends()) {
  describe(`notifications on ${backend}`, () => {
    let gw, u1a, u1b, u2, u3, staff;
    const sockets = [];
    before(async () => {
      gw = await startGateway({ JWT_SECRET: SECRET, SERVICE_API_KEY: KEY, ...dbEnv });
      const open = async (claims) => {
        const [s] = await join(gw.url, token(claims));
        sockets.push(s);
        return s;
      };
      u1a = await open({ userId: "u1", collegeId: "c1" });
      u1b = await open({ userId: "u1", collegeId: "c1" });
      u2 = await open({ userId: "u2", collegeId: "c1" });
      u3 = await open({ userId: "u3", collegeId: "c2" });
      staff = await open({ userId: "s1", collegeId: "c1", role: "staff" });
    });
    after(async () => {
      for (const s of sockets) s.disconnect();
      await gw.stop();
    });

    test("POST /api/notify: stored, then notification:new on every device of that user only", async () => {
      const a = waitFor(u1a, "notification:new");
      const b = waitFor(u1b, "notification:new");
      const other = arrives(u2, "notification:new", 400);
      const body = { recipientId: "u1", type: "approval_request", title: "New approval", message: "Please review ✓", metadata: { approvalId: 9 }, priority: "high" };
      const r = await api(gw, "POST", "/api/notify", body, svc);
      assert.equal(r.status, 200);
      assert.equal(r.json.success, true);
      const n = r.json.notification;
      assert.equal(typeof n.id, "number");
      assert.deepEqual(
        { type: n.type, title: n.title, message: n.message, priority: n.priority, metadata: n.metadata, audience: n.audience, recipientId: n.recipientId, read: n.read },
        { type: "approval_request", title: "New approval", message: "Please review ✓", priority: "high", metadata: { approvalId: 9 }, audience: "user", recipientId: "u1", read: false },
      );
      assert.equal(r.json.recipients, 2);
      assert.deepEqual((await a)[0], n);
      assert.deepEqual((await b)[0], n);
      assert.equal(await other, false);
    });

    test("POST /api/broadcast: a college, or everyone with global:true", async () => {
      const got = [waitFor(u1a, "notification:new"), waitFor(u2, "notification:new"), waitFor(staff, "notification:new")];
      const notC2 = arrives(u3, "notification:new", 400);
      const r = await api(gw, "POST", "/api/broadcast", { collegeId: "c1", type: "notice", title: "Notice", message: "Exams moved" }, svc);
      assert.equal(r.json.success, true);
      assert.equal(r.json.notification.audience, "college");
      assert.equal(r.json.notification.collegeId, "c1");
      assert.equal(r.json.notification.priority, "normal");
      for (const p of got) assert.equal((await p)[0].id, r.json.notification.id);
      assert.equal(await notC2, false);
      const all = [waitFor(u3, "notification:new"), waitFor(u1b, "notification:new")];
      const g = await api(gw, "POST", "/api/broadcast", { global: true, title: "Maintenance", message: "Tonight" }, svc);
      assert.equal(g.json.notification.audience, "global");
      for (const p of all) assert.equal((await p)[0].id, g.json.notification.id);
    });

    test("the service API validates whole requests and stores nothing on error", async () => {
      const cases = [
        ["/api/notify", { title: "t", message: "m" }, "recipientId is required"],
        ["/api/notify", { recipientId: "u1", message: "m" }, "title is required"],
        ["/api/notify", { recipientId: "u1", title: "t" }, "message is required"],
        ["/api/notify", { recipientId: "u1", title: "t", message: "m", priority: "critical" }, "priority must be one of low, normal, high, urgent"],
        ["/api/notify", { recipientId: "u1", title: "t", message: "m", metadata: [1] }, "metadata must be an object"],
        ["/api/broadcast", { title: "t", message: "m" }, "collegeId is required (or global: true for everyone)"],
        ["/api/broadcast", { collegeId: "c1", global: true, title: "t", message: "m" }, "collegeId and global:true exclude each other"],
      ];
      for (const [route, body, error] of cases) {
        const r = await api(gw, "POST", route, body, svc);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.deepEqual(r.json, { success: false, error });
      }
      assert.equal((await api(gw, "POST", "/api/notify", "{oops", svc)).status, 400);
      assert.equal((await api(gw, "POST", "/api/notify", { recipientId: "u1", title: "t", message: "m" })).status, 401);
      assert.equal((await api(gw, "GET", "/api/notify", undefined, svc)).status, 405);
      const count = await ask(u1a, "notification:getUnreadCount", {});
      assert.equal(count.count, 3, "the user, college and global ones only");
    });

    test("read state is per user: getUnread, markRead, markAllRead, dismiss", async () => {
      const list = await ask(u1a, "notification:getUnread", {});
      assert.equal(list.success, true);
      assert.deepEqual(list.notifications.map((n) => n.audience), ["global", "college", "user"], "newest first");
      const [global, college, mine] = list.notifications.map((n) => n.id);
      const page = await ask(u1a, "notification:getUnread", { limit: 2 });
      assert.equal(page.notifications.length, 2);
      assert.equal(page.hasMore, true);
      const rest = await ask(u1a, "notification:getUnread", { limit: 2, before: page.notifications[1].id });
      assert.deepEqual(rest.notifications.map((n) => n.id), [mine]);

      // u1 reads the college one; u2 still has it unread. u1's other device is told.
      const sync = waitFor(u1b, "notification:read");
      const r = await ask(u1a, "notification:markRead", { ids: [college, 999999] });
      assert.deepEqual(r, { success: true, ids: [college], count: 1 });
      assert.deepEqual((await sync)[0].ids, [college]);
      assert.equal((await ask(u1a, "notification:getUnreadCount", {})).count, 2);
      assert.equal((await ask(u2, "notification:getUnreadCount", {})).count, 2);
      // Another user's notification cannot be marked.
      assert.deepEqual(await ask(u2, "notification:markRead", { ids: [mine] }), { success: true, ids: [], count: 0 });

      const dismissed = await ask(u1a, "notification:dismiss", { ids: [global] });
      assert.deepEqual(dismissed.ids, [global]);
      const all = await ask(u1a, "notification:getAll", {});
      assert.deepEqual(all.notifications.map((n) => [n.id, n.read]), [[college, true], [mine, false]]);
      const everything = await ask(u1a, "notification:markAllRead", {});
      assert.deepEqual(everything.ids, [mine]);
      assert.equal((await ask(u1a, "notification:getUnreadCount", {})).count, 0);
      assert.equal((await ask(u3, "notification:getUnreadCount", {})).count, 1, "u3 still has the global one");
      assert.deepEqual(await ask(u1a, "notification:markRead", {}), { success: false, error: "ids is required" });
      assert.deepEqual(await ask(u1a, "notification:markRead", { ids: "all" }), {
        success: false,
        error: "ids must be an array of positive integer ids (at most 500)",
      });
    });

    test("notification:send and :broadcast only for NOTIFY_ROLES", async () => {
      assert.deepEqual(await ask(u2, "notification:send", { recipientId: "u1", title: "t", message: "m" }), {
        success: false,
        error: "Insufficient permissions to send notifications",
      });
      assert.deepEqual(await ask(u2, "notification:broadcast", { collegeId: "c1", title: "t", message: "m" }), {
        success: false,
        error: "Insufficient permissions to send notifications",
      });
      const got = waitFor(u3, "notification:new");
      const r = await ask(staff, "notification:send", { recipientId: "u3", type: "reminder", title: "Fees", message: "Due Friday", priority: "urgent" });
      assert.equal(r.success, true);
      const [n] = await got;
      assert.equal(n.senderId, "s1");
      assert.equal(n.priority, "urgent");
      const all = waitFor(u2, "notification:new");
      const b = await ask(staff, "notification:broadcast", { collegeId: "c1", title: "Holiday", message: "Monday off" });
      assert.equal(b.success, true);
      assert.equal((await all)[0].title, "Holiday");
    });

    test("REST /api/v1/communication/ with a JWT: chats and notifications, snake_case accepted", async () => {
      const bearer = { authorization: `Bearer ${token({ userId: "u2", collegeId: "c1" })}` };
      const base = "/api/v1/communication/";
      const atU1 = waitFor(u1a, "chat:message");
      const sent = await api(gw, "POST", base + "chats/", { receiver_id: "u1", message: "via REST", client_message_id: "r-1" }, bearer);
      assert.equal(sent.status, 201);
      assert.equal(sent.json.message.message, "via REST");
      assert.equal((await atU1)[0].id, sent.json.message.id);
      const dup = await api(gw, "POST", base + "chats/", { receiver_id: "u1", message: "via REST", client_message_id: "r-1" }, bearer);
      assert.equal(dup.status, 200);
      assert.equal(dup.json.duplicate, true);
      const u1bearer = { authorization: `Bearer ${token({ userId: "u1", collegeId: "c1" })}` };
      const conv = await api(gw, "GET", base + "chats/conversation/u2/?limit=10", undefined, u1bearer);
      assert.equal(conv.status, 200);
      assert.deepEqual(conv.json.messages.map((m) => m.message), ["via REST"]);
      assert.equal((await api(gw, "GET", base + "chats/conversations/", undefined, u1bearer)).json.conversations[0].userId, "u2");
      assert.deepEqual((await api(gw, "GET", base + "chats/unread-count/", undefined, u1bearer)).json.byConversation, { "dm:u1:u2": 1 });
      const receipt = waitFor(u2, "chat:readReceipt");
      const mr = await api(gw, "POST", base + "chats/mark-read/", { user_id: "u2", message_ids: [sent.json.message.id] }, u1bearer);
      assert.deepEqual(mr.json.messageIds, [sent.json.message.id]);
      assert.equal((await receipt)[0].readerId, "u1");
      const typing = waitFor(u1a, "chat:typing");
      assert.equal((await api(gw, "POST", base + "chats/typing/", { receiver_id: "u1", is_typing: true }, bearer)).json.success, true);
      assert.deepEqual((await typing)[0], { senderId: "u2", isTyping: true });
      const online = await api(gw, "GET", base + "chats/online-users/", undefined, bearer);
      assert.ok(online.json.users.some((u) => u.userId === "u1" && u.devices === 2));

      const n = await api(gw, "POST", "/api/notify", { recipientId: "u2", title: "REST", message: "m" }, svc);
      const id = n.json.notification.id;
      const unread = await api(gw, "GET", base + "notifications/unread/", undefined, bearer);
      assert.ok(unread.json.notifications.some((x) => x.id === id));
      const one = await api(gw, "POST", base + `notifications/${id}/mark-read/`, undefined, bearer);
      assert.deepEqual(one.json, { success: true, ids: [id], count: 1 });
      const all = await api(gw, "GET", base + "notifications/?limit=50", undefined, bearer);
      assert.equal(all.json.notifications.find((x) => x.id === id).read, true);
      assert.equal((await api(gw, "POST", base + "notifications/mark-all-read/", undefined, bearer)).json.success, true);
      assert.equal((await api(gw, "GET", base + "notifications/unread/", undefined, bearer)).json.notifications.length, 0);

      // Errors: no token, bad token, unknown path, wrong method, bad body.
      assert.equal((await api(gw, "GET", base + "notifications/")).status, 401);
      assert.equal((await api(gw, "GET", base + "notifications/", undefined, { authorization: "Bearer x.y.z" })).status, 401);
      assert.equal((await api(gw, "GET", base + "nothing/", undefined, bearer)).status, 404);
      const wrong = await api(gw, "GET", base + "chats/", undefined, bearer);
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get("allow"), "POST");
      assert.equal((await api(gw, "POST", base + "chats/", "[1]", bearer)).status, 400);
      const bad = await api(gw, "POST", base + "chats/", { receiver_id: "u1", message: "" }, bearer);
      assert.deepEqual([bad.status, bad.json], [400, { success: false, error: "message must not be empty" }]);
    });
  });
}

describe("Django REST Framework tokens", { skip: !pgEnv() && "needs PostgreSQL (scripts/test)" }, () => {
  const url = process.env.SB_TEST_DATABASE_URL;
  const django = "django_" + process.pid;
  const psql = (sql) =>
    execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
  let gw;
  before(async () => {
    psql(`CREATE SCHEMA ${django};
      CREATE TABLE ${django}.accounts_user (id BIGSERIAL PRIMARY KEY, email TEXT, is_active BOOLEAN, is_superuser BOOLEAN, is_staff BOOLEAN, college_id INTEGER);
      CREATE TABLE ${django}.authtoken_token (key VARCHAR(40) PRIMARY KEY, user_id BIGINT, created TIMESTAMPTZ DEFAULT now());
      INSERT INTO ${django}.accounts_user VALUES (101, 'stu@x', true, false, false, 7), (102, 'staff@x', true, false, true, 7), (103, 'gone@x', false, false, false, 7);
      INSERT INTO ${django}.authtoken_token (key, user_id) VALUES ('9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b', 101), ('5aff000000000000000000000000000000000000', 102), ('1aac71e000000000000000000000000000000000', 103);`);
    gw = await startGateway({ ...pgEnv(), DRF_TOKEN_AUTH: "true", DJANGO_DB_SCHEMA: django, JWT_SECRET: SECRET, DRF_TOKEN_CACHE_TTL: "1" });
  });
  after(async () => {
    await gw?.stop();
    psql(`DROP SCHEMA IF EXISTS ${django} CASCADE`);
  });

  test("a token in auth.token, ?token= or Authorization: Token identifies the Django user", async () => {
    const key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b";
    const [a, hello] = await join(gw.url, key);
    assert.equal(hello.userId, "101");
    assert.ok(hello.rooms.includes("college:7"), "organisation from accounts_user.college_id");
    const [b, hello2] = await join(gw.url, undefined, { query: { token: key } });
    assert.equal(hello2.userId, "101");
    const { connect, connected } = await import("./helpers.mjs");
    const c = connect(gw.url, { transports: ["polling"], extraHeaders: { authorization: `Token ${key}` } });
    const hello3 = waitFor(c, "connected");
    await connected(c);
    assert.equal((await hello3)[0].userId, "101");
    // JWT users still work beside them.
    const [j, hj] = await join(gw.url, token({ userId: "jwt-user" }));
    assert.equal(hj.userId, "jwt-user");
    // A college broadcast reaches the token user.
    const got = waitFor(a, "notification:new");
    await api(gw, "POST", "/api/broadcast", { collegeId: 7, title: "t", message: "m" }, service(gw));
    assert.equal((await got)[0].collegeId, "7");
    // The REST API takes the same token.
    const r = await api(gw, "GET", "/api/v1/communication/notifications/unread/", undefined, { authorization: `Token ${key}` });
    assert.equal(r.json.notifications.length, 1);
    for (const s of [a, b, c, j]) s.disconnect();
  });

  test("unknown and inactive users are refused; roles come from is_staff / is_superuser", async () => {
    assert.equal(await refused(gw.url, { auth: { token: "1aac71e000000000000000000000000000000000" } }), "Invalid or expired token");
    assert.equal(await refused(gw.url, { auth: { token: "0000000000000000000000000000000000000000" } }), "Invalid or expired token");
    const [staff] = await join(gw.url, "5aff000000000000000000000000000000000000");
    const [student] = await join(gw.url, "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b");
    assert.equal((await ask(student, "notification:send", { recipientId: "101", title: "t", message: "m" })).success, false);
    const got = waitFor(student, "notification:new");
    assert.equal((await ask(staff, "notification:send", { recipientId: "101", title: "From staff", message: "m" })).success, true);
    assert.equal((await got)[0].title, "From staff");
    // A deactivated user is refused once the cache entry ends (DRF_TOKEN_CACHE_TTL=1 here).
    psql(`UPDATE ${django}.accounts_user SET is_active = false WHERE id = 102`);
    await sleep(1200);
    assert.equal(await refused(gw.url, { auth: { token: "5aff000000000000000000000000000000000000" } }), "Invalid or expired token");
    staff.disconnect();
    student.disconnect();
  });
});
