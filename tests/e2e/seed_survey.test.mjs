// Seed 002 (the survey platform's websocket-service) against PROFILE=survey, as its document shows
// it: its "Manual Testing" script and "Manual Integration" client run unchanged (only the URL and
// the token filled in, console.log recorded), its client events (join_room, leave_room, ping,
// get_rooms) and server events (connected, room_joined, room_left, response.new,
// surveyor.location, notification, error), its room types, anonymous connections limited to
// global, and its HTTP API called as its curl examples do, without a key (the profile's
// loopback-only API): /api/broadcast/room, /user, /global, /survey-response, /location, /api/stats
// and /health. Its Kafka topics are covered by the Kafka bridge's own tests.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { sleep, waitFor } from "./helpers.mjs";
import { startGateway, SECRET, token, ask, collect, arrives } from "./gateway-helpers.mjs";

const require = createRequire(import.meta.url);

function recorder() {
  const lines = [];
  const log = (...args) => lines.push(args);
  return {
    lines,
    console: { log, error: log, warn: log },
    async until(label, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const hit = lines.find((l) => l[0] === label);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`never logged '${label}': ${JSON.stringify(lines)}`);
        await sleep(20);
      }
    },
  };
}

// curl -X POST http://localhost:3002/api/... -H "Content-Type: application/json" -d '...'
async function curl(gw, route, body) {
  const res = await fetch(gw.url + route, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("seed 002 (survey) against PROFILE=survey", () => {
  let gw;
  const sockets = [];
  before(async () => {
    gw = await startGateway({ PROFILE: "survey", JWT_SECRET: SECRET, SERVICE_API_KEY: "" });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await gw?.stop();
  });

  test("Manual Testing script (anonymous): connects, joins global, gets test.message from the curl broadcast", async () => {
    const rec = recorder();
    // The seed's test script, unchanged ('http://localhost:3002' → the gateway's URL).
    const io = require("socket.io-client");

    const socket = io(gw.url);
    sockets.push(socket);
    const joinedGlobal = waitFor(socket, "room_joined");

    socket.on("connect", () => {
      rec.console.log("Connected:", socket.id);

      // Join room
      socket.emit("join_room", { room: "global" });
    });

    socket.on("notification", (data) => {
      rec.console.log("Notification:", data);
    });

    socket.on("error", (error) => {
      rec.console.error("Error:", error);
    });

    await rec.until("Connected:");
    assert.equal((await joinedGlobal)[0].room, "global");
    const got = waitFor(socket, "test.message");
    // Test broadcast to room
    const r = await curl(gw, "/api/broadcast/room", { room: "global", event: "test.message", data: { message: "Hello, World!" } });
    assert.equal(r.status, 200);
    assert.equal(r.json.success, true);
    assert.deepEqual((await got)[0], { message: "Hello, World!" });
    // A global notification (system.notifications without userId, here through the HTTP API).
    await curl(gw, "/api/broadcast/global", { event: "notification", data: { type: "info", title: "T", message: "M" } });
    const [, note] = await rec.until("Notification:");
    assert.equal(note.title, "T");
    assert.equal(rec.lines.filter((l) => l[0] === "Error:").length, 0);
  });

  test("anonymous sockets: global only; survey rooms refused with an error", async () => {
    const io = require("socket.io-client");
    const socket = io(gw.url, { transports: ["websocket"] });
    sockets.push(socket);
    const [hello] = await waitFor(socket, "connected");
    assert.deepEqual(hello.rooms, ["global"]);
    assert.equal(hello.isAnonymous, true);
    const err = waitFor(socket, "error");
    socket.emit("join_room", { room: "survey:123" });
    assert.ok((await err)[0].message);
    assert.equal(await arrives(socket, "room_joined", 200), false);
  });

  test("Manual Integration (JWT): connected with global and user rooms; survey:123 joined; response.new, surveyor.location", async () => {
    const rec = recorder();
    const console = rec.console;
    const io = require("socket.io-client");
    const userToken = token({ userId: "user123", email: "user@example.com", role: "user" });
    const connectedSeen = [];
    // The seed's manual integration, unchanged but for the URL and the token.
    const socket = io(gw.url, {
      transports: ["websocket", "polling"],
      reconnection: true,
      auth: {
        token: userToken, // Optional
      },
    });
    sockets.push(socket);
    socket.on("connected", (data) => connectedSeen.push(data));
    const joinedSeen = waitFor(socket, "room_joined"); // before the (buffered) join below is sent

    // Connection events
    socket.on("connect", () => {
      console.log("Connected:", socket.id);
    });

    socket.on("disconnect", (reason) => {
      console.log("Disconnected:", reason);
    });

    // Join rooms
    socket.emit("join_room", { room: "survey:123" });

    // Listen for events
    socket.on("response.new", (data) => {
      console.log("New response:", data);
    });

    await rec.until("Connected:");
    const [joined] = await joinedSeen;
    assert.equal(joined.room, "survey:123");
    assert.ok(joined.timestamp);
    // The seed shows ["global", "user:user123"]; a token with a role also puts it in role:{role}.
    assert.deepEqual(connectedSeen[0].rooms.slice(0, 2), ["global", "user:user123"]);
    assert.equal(connectedSeen[0].userId, "user123");

    // Survey Response Broadcast
    const r = await curl(gw, "/api/broadcast/survey-response", {
      surveyId: "123",
      responseId: "response456",
      response: { question1: "answer1" },
      metadata: { projectId: "project789" },
    });
    assert.equal(r.json.success, true);
    const [, resp] = await rec.until("New response:");
    assert.equal(resp.surveyId, "123");
    assert.equal(resp.responseId, "response456");
    assert.deepEqual(resp.response, { question1: "answer1" });

    // Project rooms are open to users too; the location update reaches survey and project rooms.
    socket.emit("join_room", { room: "project:project789" });
    await waitFor(socket, "room_joined");
    const locations = collect(socket, "surveyor.location");
    await curl(gw, "/api/broadcast/location", {
      surveyorId: "surveyor123",
      surveyId: "123",
      projectId: "project789",
      location: { coordinates: { latitude: 25.2048, longitude: 55.2708 }, accuracy: 10 },
      metadata: {},
    });
    await sleep(300);
    assert.equal(locations.length, 1); // in both rooms, told once
    assert.equal(locations[0].surveyorId, "surveyor123");
    assert.deepEqual(locations[0].location.coordinates, { latitude: 25.2048, longitude: 55.2708 });

    // Broadcast to User
    const custom = waitFor(socket, "custom.event");
    await curl(gw, "/api/broadcast/user", { userId: "user123", event: "custom.event", data: { a: 1 } });
    assert.deepEqual((await custom)[0], { a: 1 });

    // ping, get_rooms, leave_room → room_left
    const pong = waitFor(socket, "pong");
    socket.emit("ping");
    await pong;
    const rooms = await ask(socket, "get_rooms");
    assert.deepEqual([...rooms.rooms].sort(), ["global", "project:project789", "role:user", "survey:123", "user:user123"]);
    const left = waitFor(socket, "room_left");
    socket.emit("leave_room", { room: "survey:123" });
    assert.equal((await left)[0].room, "survey:123");
  });

  test("curl /api/stats and /health", async () => {
    const s = await curl(gw, "/api/stats");
    assert.equal(s.status, 200);
    assert.equal(s.json.success, true);
    for (const k of ["totalConnections", "authenticatedConnections", "anonymousConnections", "totalRooms", "uniqueUsers", "roomStats"])
      assert.ok(k in s.json.stats, k);
    assert.ok(s.json.stats.roomStats.some((r) => r.name === "global" && r.connections === s.json.stats.totalConnections));
    const h = await curl(gw, "/health");
    assert.deepEqual(Object.keys(h.json), ["status", "service", "timestamp", "uptime", "connections"]);
    assert.equal(h.json.status, "healthy");
    assert.equal(h.json.service, "websocket-service");
    assert.equal(h.json.connections.totalConnections, s.json.stats.totalConnections);
  });
});
