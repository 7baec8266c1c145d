// Security issue #11, the room findings: own-id rooms (#2), room rules with a deny default,
// claim:<name> and the backend check (#12), REST rate limit and typing (#13), connection-state
// recovery re-verified first (#17). Each test fails on the code before the fix.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { connect, connected, waitFor, sleep } from "./helpers.mjs";
import { gatewayFixture, startGateway, SECRET, token, join, ask, api, arrives, rulesFile, openRooms } from "./gateway-helpers.mjs";

const KEY = "audit-key-0123456789abcdef0123456789";

describe("audit #2: a socket's own-id room", () => {
  // Even the weakest rules (default open) must not let a client name a socket id.
  const gw = gatewayFixture({
    CONNECTION_STATE_RECOVERY: "true", // direct emits then go through the room index
    ROOM_RULES_FILE: rulesFile({ default: "open", prefixes: { lobby: "open" } }),
  });

  test("audit #2: another socket's id cannot be joined, its direct emits reach it only, room events carry no socket ids", async () => {
    const [alice, hello] = await join(gw.url, token({ userId: "alice" }));
    const [mallory] = await join(gw.url, token({ userId: "mallory" }));
    assert.equal(hello.socketId, alice.id); // a socket learns its own id, as before
    const r = await ask(mallory, "join_room", alice.id);
    assert.equal(r.success, false);
    assert.equal(r.message, "Access denied to this room");
    assert.ok(!(await ask(mallory, "get_rooms")).rooms.includes(alice.id));
    assert.equal((await ask(alice, "join_room", alice.id)).success, false); // not even its own
    // A direct emit (pong) reaches alice, never mallory.
    const malloryGets = arrives(mallory, "pong", 400);
    const pong = waitFor(alice, "pong");
    alice.emit("ping");
    await pong;
    assert.equal(await malloryGets, false);
    // Room events name the user, not the socket.
    await ask(alice, "join_room", "lobby");
    const seen = waitFor(alice, "user_joined");
    await ask(mallory, "join_room", "lobby");
    const [uj] = await seen;
    assert.equal(uj.userId, "mallory");
    assert.equal(uj.socketId, undefined);
    alice.disconnect();
    mallory.disconnect();
  });
});

// A backend for ROOM_AUTH_URL: records each request; alice may join project:5, bob may not,
// project:500 gets a 500, project:999 never answers.
function backend() {
  const calls = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const q = JSON.parse(body);
      calls.push({ method: req.method, url: req.url, type: req.headers["content-type"], body: q });
      if (q.room === "project:999") return; // hangs: the gateway's deadline decides
      if (q.room === "project:500") {
        res.writeHead(500).end("oops");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ allowed: q.userId === "alice" && q.room === "project:5" }));
    });
  });
  return {
    calls,
    server,
    listen: () => new Promise((r) => server.listen(0, "127.0.0.1", () => r(server.address().port))),
  };
}

describe("audit #12: room rules", () => {
  const plain = gatewayFixture({});

  test("audit #12: a prefix without a rule is denied by default (survey:77, project:5)", async () => {
    const [s] = await join(plain.url, token({ userId: "u1", collegeId: "9" }));
    for (const room of ["survey:77", "project:5", { roomType: "survey", roomId: 77 }]) {
      const r = await ask(s, "join_room", room);
      assert.deepEqual(r, { success: false, message: "Access denied to this room", error: "Access denied to this room" });
    }
    assert.equal((await ask(s, "join_room", "college:9")).success, true); // the known rules still apply
    s.disconnect();
  });

  describe("claim:<name> and backend", () => {
    const be = backend();
    let gw;
    before(async () => {
      const port = await be.listen();
      gw = await startGateway({
        JWT_SECRET: SECRET,
        ROOM_RULES_FILE: rulesFile({ prefixes: { survey: "claim:surveyIds", project: "backend", lobby: "open" } }),
        ROOM_AUTH_URL: `http://127.0.0.1:${port}/rooms/check`,
        ROOM_AUTH_CACHE_TTL: "60000",
        ROOM_AUTH_TIMEOUT: "300",
      });
    });
    after(async () => {
      await gw.stop();
      be.server.closeAllConnections?.();
      be.server.close();
    });

    test("audit #12: claim:surveyIds admits the surveys listed in the token only", async () => {
      const [s] = await join(gw.url, token({ userId: "alice", surveyIds: [77, "78"] }));
      assert.equal((await ask(s, "join_room", "survey:77")).success, true);
      assert.equal((await ask(s, "join_room", "survey:78")).success, true);
      assert.equal((await ask(s, "join_room", "survey:79")).message, "Access denied to this room");
      const [t] = await join(gw.url, token({ userId: "bob", surveyIds: 79 }));
      assert.equal((await ask(t, "join_room", "survey:77")).message, "Access denied to this room");
      assert.equal((await ask(t, "join_room", "survey:79")).success, true);
      s.disconnect();
      t.disconnect();
    });

    test("audit #12: the backend decides project:{id}, its answer is cached, no answer denies", async () => {
      const [a] = await join(gw.url, token({ userId: "alice", collegeId: "7" }));
      const [b] = await join(gw.url, token({ userId: "bob" }));
      assert.equal((await ask(a, "join_room", "project:5")).success, true);
      assert.equal((await ask(b, "join_room", "project:5")).message, "Access denied to this room");
      const first = be.calls.find((c) => c.body.userId === "alice");
      assert.equal(first.method, "POST");
      assert.equal(first.url, "/rooms/check");
      assert.equal(first.type, "application/json");
      assert.deepEqual(first.body, { userId: "alice", room: "project:5", prefix: "project", id: "5", collegeId: "7", isSuperAdmin: false });
      // Cached: leave and join again without a new call.
      const n = be.calls.length;
      assert.equal((await ask(a, "leave_room", "project:5")).success, true);
      assert.equal((await ask(a, "join_room", "project:5")).success, true);
      assert.equal((await ask(b, "join_room", "project:5")).success, false);
      assert.equal(be.calls.length, n);
      // A 500 and a backend that does not answer in ROOM_AUTH_TIMEOUT both deny.
      assert.equal((await ask(a, "join_room", "project:500")).message, "Access denied to this room");
      const t0 = Date.now();
      assert.equal((await ask(a, "join_room", "project:999")).message, "Access denied to this room");
      assert.ok(Date.now() - t0 < 2000);
      assert.ok(!(await ask(a, "get_rooms")).rooms.some((r) => r === "project:500" || r === "project:999"));
      a.disconnect();
      b.disconnect();
    });

    test("audit #12: a rules file that opens a prefix is warned about at start-up", () => {
      assert.ok(gw.log.some((l) => /room rules: prefix lobby open/.test(l)), gw.log.join("\n"));
      assert.ok(!plain.log.some((l) => /room rules:/.test(l)), "the built-in rules open nothing");
    });

    test("audit #12: the backend rule without ROOM_AUTH_URL stops the start", async () => {
      await assert.rejects(
        startGateway({ JWT_SECRET: SECRET, ROOM_RULES_FILE: rulesFile({ prefixes: { project: "backend" } }) }),
        /ROOM_AUTH_URL is empty/,
      );
    });
  });
});

describe("audit #13: REST rate limit and typing", () => {
  const gw = gatewayFixture({
    ALLOW_ANONYMOUS: "true",
    RATE_LIMIT_MAX_MESSAGES: "5",
    RATE_LIMIT_WINDOW: "60000",
    ROOM_RULES_FILE: openRooms("lobby"),
  });

  test("audit #13: REST requests share the socket path's per-user window: 429 with Retry-After", async () => {
    const alice = { authorization: "Bearer " + token({ userId: "alice" }) };
    const statuses = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await api(gw, "GET", "/api/v1/communication/notifications/unread-count", undefined, alice)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const r = await api(gw, "GET", "/api/v1/communication/notifications/unread-count", undefined, alice);
    assert.equal(r.status, 429);
    assert.equal(r.json.success, false);
    const after = Number(r.headers.get("retry-after"));
    assert.ok(after >= 1 && after <= 60, String(after));
    // Per user: bob is not limited by alice.
    const bob = { authorization: "Bearer " + token({ userId: "bob" }) };
    assert.equal((await api(gw, "GET", "/api/v1/communication/notifications/unread-count", undefined, bob)).status, 200);
  });

  test("audit #13: typing in global (or any room not joined by request) reaches nobody", async () => {
    const [alice] = await join(gw.url, token({ userId: "alice" }));
    const [bob] = await join(gw.url, token({ userId: "bob" }));
    const [anon] = await join(gw.url);
    const anonSees = arrives(anon, "user_typing", 400);
    const bobSees = arrives(bob, "user_typing", 400);
    const r = await ask(alice, "typing", { roomId: "global", isTyping: true });
    assert.deepEqual(r, { success: false, message: "Not in room", error: "Not in room" });
    assert.equal((await ask(alice, "typing", { roomType: "user", roomId: "alice" })).success, false);
    assert.equal(await anonSees, false);
    assert.equal(await bobSees, false);
    // In a room joined by request it still works.
    await ask(alice, "join_room", "lobby");
    await ask(bob, "join_room", "lobby");
    const seen = waitFor(bob, "user_typing");
    assert.equal((await ask(alice, "typing", { roomId: "lobby" })).success, true);
    assert.equal((await seen)[0].userId, "alice");
    for (const s of [alice, bob, anon]) s.disconnect();
  });
});

describe("audit #17: connection-state recovery re-verifies first", () => {
  const gw = gatewayFixture({
    CONNECTION_STATE_RECOVERY: "true",
    SERVICE_API_KEY: KEY,
    ROOM_RULES_FILE: openRooms("lobby"),
  });
  const push = (room, data) =>
    api(gw, "POST", "/api/broadcast/room", { room, event: "news", data }, { "x-api-key": KEY });

  // A client that reconnects by itself 300 ms after its transport drops.
  const recoverable = (claims) =>
    connect(gw.url, {
      auth: { token: token(claims) },
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 300,
      reconnectionDelayMax: 300,
      randomizationFactor: 0,
    });

  // alice joins lobby and gets news 1; her transport drops; news 2 is sent while she is away; she
  // reconnects with `nextToken`.
  async function dropAndReconnect(nextToken) {
    const s = recoverable({ userId: "alice" });
    await connected(s);
    const got = [];
    s.on("news", (n) => got.push(n));
    assert.equal((await ask(s, "join_room", "lobby")).success, true);
    await push("lobby", 1);
    for (let i = 0; got.length < 1 && i < 100; i++) await sleep(10);
    const firstId = s.id;
    const down = waitFor(s, "disconnect");
    s.io.engine.close();
    await down;
    await push("lobby", 2);
    s.auth = { token: nextToken };
    const errors = [];
    s.on("connect_error", (e) => errors.push(e.message));
    return { s, got, firstId, errors };
  }

  test("audit #17: another user's token gets a fresh session: no rooms, no missed events", async () => {
    const { s, got, firstId } = await dropAndReconnect(token({ userId: "mallory" }));
    await waitFor(s, "connect", 5000);
    await sleep(200);
    assert.equal(s.recovered, false);
    assert.notEqual(s.id, firstId);
    assert.deepEqual(got, [1]);
    assert.ok(!(await ask(s, "get_rooms")).rooms.includes("lobby"));
    s.disconnect();
  });

  test("audit #17: the same user with fewer rights takes back only the rooms still allowed, and no replay of the others", async () => {
    const s = recoverable({ userId: "carol", collegeId: "1" });
    await connected(s);
    const got = [];
    s.on("news", (n) => got.push(n));
    assert.equal((await ask(s, "join_room", "lobby")).success, true);
    const down = waitFor(s, "disconnect");
    s.io.engine.close();
    await down;
    await push("college:1", "college-1 while away");
    await push("lobby", "lobby while away");
    // Moved to college 2 while away: college:1 is no longer hers.
    s.auth = { token: token({ userId: "carol", collegeId: "2" }) };
    await waitFor(s, "connect", 5000);
    await sleep(200);
    assert.equal(s.recovered, true);
    assert.deepEqual(got, ["lobby while away"], "nothing of college:1 replayed");
    const rooms = (await ask(s, "get_rooms")).rooms;
    assert.ok(!rooms.includes("college:1"), JSON.stringify(rooms));
    assert.ok(rooms.includes("lobby"));
    await push("college:1", "college-1 after");
    await sleep(200);
    assert.deepEqual(got, ["lobby while away"]);
    s.disconnect();
  });

  test("audit #17: a failed token is refused and the session stays kept for its user", async () => {
    const { s, got, firstId, errors } = await dropAndReconnect("not-a-token");
    for (let i = 0; errors.length < 1 && i < 300; i++) await sleep(10);
    assert.deepEqual(errors.slice(0, 1), ["Invalid or expired token"]);
    assert.deepEqual(got, [1]); // nothing replayed to the refused connection
    s.auth = { token: token({ userId: "alice" }) };
    const back = waitFor(s, "connect", 5000);
    s.connect(); // a refused CONNECT is not retried by the client on its own
    await back;
    await sleep(200);
    assert.equal(s.recovered, true);
    assert.equal(s.id, firstId);
    assert.deepEqual(got, [1, 2]);
    assert.ok((await ask(s, "get_rooms")).rooms.includes("lobby"));
    s.disconnect();
  });
});
