// The HTTP API for backend services: authentication, every route, every error answer.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { waitFor, sleep } from "./helpers.mjs";
import { gatewayFixture, startGateway, SECRET, token, join, api, arrives, metricsText, openRooms } from "./gateway-helpers.mjs";

const KEY = "service-key-123";

describe("gateway: HTTP API with SERVICE_API_KEY", () => {
  const gw = gatewayFixture({
    SERVICE_API_KEY: KEY,
    ALLOW_ANONYMOUS: "true",
    SERVICE_NAME: "websocket-service",
    MAX_PAYLOAD: "4096",
    ROOM_RULES_FILE: openRooms("survey", "project"), // unknown prefixes are denied (audit #12)
  });
  const auth = { authorization: `Bearer ${KEY}` };
  let u1a, u1b, u2, anon;
  before(async () => {
    [u1a] = await join(gw.url, token({ userId: "u1", collegeId: "c9" }));
    [u1b] = await join(gw.url, token({ userId: "u1", collegeId: "c9" }), { transports: ["polling"] });
    [u2] = await join(gw.url, token({ userId: "u2" }));
    [anon] = await join(gw.url);
  });
  after(() => {
    for (const s of [u1a, u1b, u2, anon]) s.disconnect();
  });

  test("without the key: 401; with a wrong key: 401; Bearer or X-API-Key both work", async () => {
    const body = { event: "x", data: 1 };
    assert.deepEqual((await api(gw, "POST", "/api/broadcast/global", body)).json, {
      success: false,
      error: "Unauthorized: an API key is required",
    });
    const wrong = await api(gw, "POST", "/api/broadcast/global", body, { "x-api-key": "nope" });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, "Unauthorized: invalid API key");
    assert.equal((await api(gw, "POST", "/api/broadcast/global", body, { "x-api-key": KEY })).status, 200);
    assert.equal((await api(gw, "POST", "/api/broadcast/global", body, auth)).status, 200);
  });

  test("broadcast/room reaches the room's members", async () => {
    const got = waitFor(u2, "custom.event");
    const none = arrives(u1a, "custom.event", 300);
    await u2.timeout(2000).emitWithAck("join_room", "survey:5");
    const r = await api(gw, "POST", "/api/broadcast/room", { room: "survey:5", event: "custom.event", data: { a: [1, "é", "🚀"] } }, auth);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { success: true, room: "survey:5", event: "custom.event", recipients: 1 });
    assert.deepEqual((await got)[0], { a: [1, "é", "🚀"] });
    assert.equal(await none, false);
  });

  test("broadcast/user reaches every device of that user only", async () => {
    const a = waitFor(u1a, "order:status_updated");
    const b = waitFor(u1b, "order:status_updated");
    const other = arrives(u2, "order:status_updated", 300);
    const r = await api(gw, "POST", "/api/broadcast/user", { userId: "u1", event: "order:status_updated", data: { status: "paid" } }, auth);
    assert.deepEqual(r.json, { success: true, userId: "u1", event: "order:status_updated", recipients: 2 });
    assert.deepEqual((await a)[0], { status: "paid" });
    assert.deepEqual((await b)[0], { status: "paid" });
    assert.equal(await other, false);
    // A numeric id names the same user.
    const r2 = await api(gw, "POST", "/api/broadcast/user", { userId: 12345, event: "x" }, auth);
    assert.equal(r2.json.recipients, 0);
  });

  test("broadcast/global reaches everyone, anonymous included", async () => {
    const all = [u1a, u1b, u2, anon].map((s) => waitFor(s, "announcement:new"));
    const r = await api(gw, "POST", "/api/broadcast/global", { event: "announcement:new", data: "hello" }, auth);
    assert.equal(r.json.recipients, 4);
    for (const p of all) assert.equal((await p)[0], "hello");
  });

  test("broadcast/location goes to survey:{id} and project:{id} as surveyor.location", async () => {
    await u1a.timeout(2000).emitWithAck("join_room", "project:p1");
    const got = waitFor(u1a, "surveyor.location");
    const body = { surveyorId: "s9", projectId: "p1", location: { coordinates: { latitude: 25.2, longitude: 55.27 }, accuracy: 10 }, metadata: { m: 1 } };
    const r = await api(gw, "POST", "/api/broadcast/location", body, auth);
    assert.deepEqual(r.json, { success: true, rooms: ["project:p1"], recipients: 1 });
    const [d] = await got;
    assert.equal(d.type, "surveyor.location");
    assert.equal(d.surveyorId, "s9");
    assert.deepEqual(d.location, body.location);
    assert.deepEqual(d.metadata, { m: 1 });
    assert.ok(Date.parse(d.timestamp));
  });

  test("broadcast/survey-response goes to survey:{id} as response.new", async () => {
    const got = waitFor(u2, "response.new");
    const r = await api(gw, "POST", "/api/broadcast/survey-response", { surveyId: 5, responseId: "r7", response: { q: 1 } }, auth);
    assert.deepEqual(r.json, { success: true, rooms: ["survey:5"], recipients: 1 });
    const [d] = await got;
    assert.deepEqual([d.type, d.surveyId, d.responseId, d.response], ["response.new", 5, "r7", { q: 1 }]);
  });

  test("bad requests: 400 naming the field, and nothing is sent", async () => {
    const cases = [
      ["/api/broadcast/room", "{not json", "Invalid JSON body"],
      ["/api/broadcast/room", "[1,2]", "Request body must be a JSON object"],
      ["/api/broadcast/room", "", "Request body must be a JSON object"],
      ["/api/broadcast/room", { event: "e" }, "room is required"],
      ["/api/broadcast/room", { room: 5, event: "e" }, "room must be a string"],
      ["/api/broadcast/room", { room: "", event: "e" }, "room must not be empty"],
      ["/api/broadcast/room", { room: "a b\u0000", event: "e" }, "room must be ids joined by ':' (1-128 characters of A-Z a-z 0-9 . _ - @ + :)"],
      ["/api/broadcast/room", { room: "r" }, "event is required"],
      ["/api/broadcast/room", { room: "r", event: ["e"] }, "event must be a string"],
      ["/api/broadcast/room", { room: "r", event: "disconnect" }, "event 'disconnect' is reserved by Socket.IO"],
      ["/api/broadcast/user", { event: "e" }, "userId is required"],
      ["/api/broadcast/user", { userId: { id: 1 }, event: "e" }, "userId must be a non-empty string or an integer"],
      ["/api/broadcast/global", { data: 1 }, "event is required"],
      ["/api/broadcast/survey-response", { responseId: 1 }, "surveyId is required"],
      ["/api/broadcast/survey-response", { surveyId: 1, metadata: { projectId: [] } }, "projectId must be a non-empty string or an integer"],
      ["/api/broadcast/location", { location: {} }, "surveyorId is required"],
      ["/api/broadcast/location", { surveyorId: "s" }, "location is required"],
      ["/api/broadcast/location", { surveyorId: "s", location: "here" }, "location must be an object"],
      ["/api/broadcast/location", { surveyorId: "s", location: {} }, "surveyId or projectId is required"],
    ];
    const before = await metricsText(gw);
    for (const [route, body, error] of cases) {
      const r = await api(gw, "POST", route, body, auth);
      assert.equal(r.status, 400, `${route} ${JSON.stringify(body)}`);
      assert.deepEqual(r.json, { success: false, error }, `${route} ${JSON.stringify(body)}`);
    }
    const after = await metricsText(gw);
    const count = (t) => Number(t.match(/^switchboard_broadcasts_total (\d+)$/m)?.[1] ?? 0);
    assert.equal(count(after), count(before), "no broadcast was made");
  });

  test("a body over MAX_PAYLOAD: 413; a wrong method: 405 with Allow", async () => {
    const big = await api(gw, "POST", "/api/broadcast/global", { event: "e", data: "x".repeat(5000) }, auth);
    assert.equal(big.status, 413);
    assert.deepEqual(big.json, { success: false, error: "Payload too large" });
    const text = await metricsText(gw);
    assert.match(text, /switchboard_dropped_total\{reason="payload_too_large"\} 1\n/);
    const get = await api(gw, "GET", "/api/broadcast/global", undefined, auth);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    const post = await api(gw, "POST", "/api/stats", {}, auth);
    assert.equal(post.status, 405);
    assert.equal((await api(gw, "GET", "/api/nothing-here", undefined, auth)).status, 404);
  });

  test("stats, connected users, user status and online users", async () => {
    const s = await api(gw, "GET", "/api/stats", undefined, auth);
    assert.equal(s.json.success, true);
    const st = s.json.stats;
    assert.deepEqual(
      [st.totalConnections, st.authenticatedConnections, st.anonymousConnections, st.uniqueUsers],
      [4, 3, 1, 2],
    );
    const rooms = Object.fromEntries(st.roomStats.map((r) => [r.name, r.connections]));
    assert.equal(rooms.global, 4);
    assert.equal(rooms["user:u1"], 2);
    assert.equal(rooms["college:c9"], 2);
    assert.equal(st.totalRooms, st.roomStats.length);
    assert.deepEqual((await api(gw, "GET", "/connected-users", undefined, auth)).json, {
      success: true,
      data: { count: 2, users: ["u1", "u2"] },
    });
    assert.deepEqual((await api(gw, "GET", "/user-status/u1", undefined, auth)).json, {
      success: true,
      data: { userId: "u1", isConnected: true, devices: 2 },
    });
    assert.deepEqual((await api(gw, "GET", "/user-status/nobody.here", undefined, auth)).json, {
      success: true,
      data: { userId: "nobody.here", isConnected: false, devices: 0 },
    });
    // Not an id (audit #1: the identifier rule holds on the push API too).
    assert.equal((await api(gw, "GET", "/user-status/nobody%20here", undefined, auth)).status, 400);
    assert.equal((await api(gw, "GET", "/user-status/", undefined, auth)).status, 400);
    assert.deepEqual((await api(gw, "GET", "/api/online-users", undefined, auth)).json, {
      success: true,
      data: { count: 2, users: [{ userId: "u1", devices: 2 }, { userId: "u2", devices: 1 }] },
    });
    assert.equal((await api(gw, "GET", "/api/stats")).status, 401);
  });

  test("a user goes offline when the last device leaves", async () => {
    u1b.disconnect();
    await sleep(200);
    assert.equal((await api(gw, "GET", "/user-status/u1", undefined, auth)).json.data.devices, 1);
    u1a.disconnect();
    await sleep(200);
    assert.equal((await api(gw, "GET", "/user-status/u1", undefined, auth)).json.data.isConnected, false);
  });

  test("an event nobody handles is ignored and counted as unhandled", async () => {
    u2.emit("no_such_event", { x: 1 });
    u2.emit("another_unknown");
    const pong = waitFor(u2, "pong");
    u2.emit("ping"); // handled after the unknown ones: the server is still there
    await pong;
    const text = await metricsText(gw);
    assert.match(text, /switchboard_events_in_total\{event="unhandled"\} 2\n/);
    assert.ok(!text.includes('event="no_such_event"'), "client-chosen names never become labels");
  });

  test("/health, /ready and /metrics (Prometheus and the JSON form)", async () => {
    const h = await api(gw, "GET", "/health");
    assert.equal(h.status, 200);
    assert.equal(h.json.status, "ok");
    assert.equal(h.json.service, "websocket-service");
    assert.ok(Math.abs(Date.parse(h.json.timestamp) - Date.now()) < 60000);
    const r = await api(gw, "GET", "/ready");
    assert.equal(r.status, 200);
    assert.equal(r.json.ready, true);
    const m = await fetch(gw.url + "/metrics", { headers: auth });
    assert.match(m.headers.get("content-type"), /^text\/plain/);
    const text = await m.text();
    for (const name of [
      "switchboard_handshakes_total{transport=\"websocket\"}",
      "switchboard_handshakes_total{transport=\"polling\"}",
      "switchboard_events_in_total{event=\"join_room\"}",
      "switchboard_events_out_total{event=\"connected\"}",
      "switchboard_broadcasts_total",
      "switchboard_deliveries_total",
      "switchboard_bytes_in_total",
      "switchboard_bytes_out_total",
      "switchboard_queued_packets",
      "switchboard_engine_sessions",
      "switchboard_sockets{namespace=\"/\"}",
      "switchboard_api_requests_total",
      "switchboard_unique_users",
    ])
      assert.ok(text.includes(name + " "), name);
    const j = await api(gw, "GET", "/metrics", undefined, { accept: "application/json", ...auth });
    assert.equal(j.json.connectedSockets, 2);
    assert.equal(j.json.rooms, undefined, "room names are never listed");
    assert.ok(j.json.totalRooms >= 1);
  });
});

describe("gateway: HTTP API without a key, API_LOOPBACK_ONLY=true", () => {
  const gw = gatewayFixture({ SERVICE_API_KEY: "", API_LOOPBACK_ONLY: "true" });

  test("loopback callers are served", async () => {
    const r = await api(gw, "POST", "/api/broadcast/global", { event: "e" });
    assert.deepEqual(r.json, { success: true, event: "e", recipients: 0 });
  });

  test("other callers get 403", async (t) => {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal);
    if (!external) return t.skip("this machine has no non-loopback IPv4 address");
    const res = await fetch(`http://${external.address}:${gw.port}/api/stats`);
    assert.equal(res.status, 403);
    assert.match((await res.json()).error, /loopback/);
  });
});
