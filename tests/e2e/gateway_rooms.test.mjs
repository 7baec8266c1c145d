// Rooms and events of the gateway: join/leave in every accepted form, access rules, typing,
// liveness events, and errors that never half-join.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitFor, sleep } from "./helpers.mjs";
import { gatewayFixture, startGateway, SECRET, token, join, ask, arrives, metricsText, service } from "./gateway-helpers.mjs";

describe("gateway: rooms and events", () => {
  const gw = gatewayFixture({ ALLOW_ANONYMOUS: "true" });
  let alice, bob, carol, anon;
  before(async () => {
    [alice] = await join(gw.url, token({ userId: "alice", collegeId: "7", role: "staff" }));
    [bob] = await join(gw.url, token({ userId: "bob", collegeId: "7" }));
    [carol] = await join(gw.url, token({ userId: "carol", collegeId: "8" }));
    [anon] = await join(gw.url);
  });
  after(() => {
    for (const s of [alice, bob, carol, anon]) s.disconnect();
  });

  test("join_room by name, {room} and {roomType, roomId}: ack, room_joined, user_joined to the others", async () => {
    const joined = waitFor(alice, "room_joined");
    const r1 = await ask(alice, "join_room", "survey:1");
    assert.deepEqual(r1, { success: true, room: "survey:1", message: "Joined room survey:1" });
    const [rj] = await joined;
    assert.equal(rj.room, "survey:1");
    assert.ok(Date.parse(rj.timestamp));
    const aliceSees = waitFor(alice, "user_joined");
    const bobSeesOwn = arrives(bob, "user_joined", 300);
    assert.equal((await ask(bob, "join_room", { room: "survey:1" })).success, true);
    const [uj] = await aliceSees;
    assert.deepEqual([uj.userId, uj.room, uj.socketId], ["bob", "survey:1", bob.id]);
    assert.equal(await bobSeesOwn, false, "the joiner is not told of its own join"); // before carol joins
    const aliceSeesCarol = waitFor(alice, "user_joined");
    const r3 = await ask(carol, "join_room", { roomType: "survey", roomId: 1 });
    assert.equal((await aliceSeesCarol)[0].userId, "carol");
    assert.deepEqual(r3, { success: true, room: "survey:1", message: "Joined room survey:1" });
    assert.deepEqual(await ask(carol, "get_rooms"), { success: true, rooms: ["global", "user:carol", "college:8", "survey:1"] });
    // Joining again is harmless: success, no second user_joined.
    const again = arrives(alice, "user_joined", 300);
    assert.equal((await ask(carol, "join_room", "survey:1")).success, true);
    assert.equal(await again, false);
  });

  test("leave_room: ack, room_left, user_left to the remaining members", async () => {
    await ask(bob, "join_room", "project:9");
    await ask(carol, "join_room", "project:9");
    const bobSeesLeave = waitFor(bob, "user_left");
    const left = waitFor(carol, "room_left");
    assert.deepEqual(await ask(carol, "leave_room", "project:9"), {
      success: true,
      room: "project:9",
      message: "Left room project:9",
    });
    assert.equal((await left)[0].room, "project:9");
    const [l] = await bobSeesLeave;
    assert.deepEqual([l.userId, l.room, l.socketId], ["carol", "project:9", carol.id]);
    assert.ok(!(await ask(carol, "get_rooms")).rooms.includes("project:9"));
  });

  test("leave_room of a room the socket is not in answers an error", async () => {
    const err = waitFor(carol, "error");
    const r = await ask(carol, "leave_room", { room: "nowhere" });
    assert.deepEqual(r, { success: false, message: "Not in room", error: "Not in room" });
    assert.deepEqual((await err)[0], { message: "Not in room" });
  });

  test("access rules: another user's room, another college, role and super_admin are refused; nothing half-joins", async () => {
    for (const room of ["user:bob", "college:8", "role:admin", "super_admin", { roomType: "user", roomId: "bob" }]) {
      const err = waitFor(alice, "error");
      const r = await ask(alice, "join_room", room);
      assert.deepEqual(r, { success: false, message: "Access denied to this room", error: "Access denied to this room" });
      assert.deepEqual((await err)[0], { message: "Access denied to this room" });
    }
    const rooms = (await ask(alice, "get_rooms")).rooms;
    for (const r of ["user:bob", "college:8", "role:admin", "super_admin"]) assert.ok(!rooms.includes(r), r);
    assert.equal(await arrives(bob, "user_joined", 200), false, "a refused join tells nobody");
    assert.equal((await ask(alice, "join_room", "college:7")).success, true);
    assert.equal((await ask(alice, "join_room", "role:staff")).success, true);
  });

  test("a refused join is counted in /metrics", async () => {
    const text = await metricsText(gw);
    assert.match(text, /switchboard_joins_refused_total\{reason="forbidden"\} [1-9]/);
  });

  test("anonymous sockets may only be in global", async () => {
    const r = await ask(anon, "join_room", "survey:1");
    assert.deepEqual(r, {
      success: false,
      message: "Authentication required to join this room",
      error: "Authentication required to join this room",
    });
    assert.equal((await ask(anon, "join_room", "global")).success, true);
    assert.deepEqual((await ask(anon, "get_rooms")).rooms, ["global"]);
  });

  test("bad room arguments answer clearly", async () => {
    for (const bad of [null, 5, "", { room: 3 }, { roomType: "x" }]) {
      const r = await ask(alice, "join_room", bad);
      assert.equal(r.success, false, JSON.stringify(bad));
      assert.match(r.message, /^Invalid room/);
    }
    for (const bad of ["a".repeat(200), "line\nbreak"])
      assert.equal((await ask(alice, "join_room", bad)).message, "Invalid room name");
  });

  test("join_room without an ack still confirms with room_joined; get_rooms without one answers `rooms`", async () => {
    const joined = waitFor(bob, "room_joined");
    bob.emit("join_room", "noack:1");
    assert.equal((await joined)[0].room, "noack:1");
    const listed = waitFor(bob, "rooms");
    bob.emit("get_rooms");
    assert.ok((await listed)[0].rooms.includes("noack:1"));
  });

  test("subscribe_order and subscribe_inventory join order:{id} and product:{id}", async () => {
    assert.deepEqual(await ask(bob, "subscribe_order", "order-123"), {
      success: true,
      room: "order:order-123",
      message: "Joined room order:order-123",
    });
    assert.equal((await ask(bob, "subscribe_inventory", "product-456")).room, "product:product-456");
    assert.equal((await ask(bob, "subscribe_order", { orderId: 77 })).room, "order:77");
    assert.deepEqual(await ask(bob, "subscribe_order", null), { success: false, message: "Invalid id", error: "Invalid id" });
    const rooms = (await ask(bob, "get_rooms")).rooms;
    assert.ok(rooms.includes("order:order-123") && rooms.includes("product:product-456"));
  });

  test("typing and stop_typing reach the room's other members only", async () => {
    await ask(alice, "join_room", "chat-room");
    await ask(bob, "join_room", "chat-room");
    const bobTyping = waitFor(bob, "user_typing");
    const aliceOwn = arrives(alice, "user_typing", 300);
    const carolSees = arrives(carol, "user_typing", 300);
    alice.emit("typing", { roomId: "chat-room", isTyping: true });
    const [t] = await bobTyping;
    assert.deepEqual([t.userId, t.room, t.socketId], ["alice", "chat-room", alice.id]);
    assert.ok(Date.parse(t.timestamp));
    assert.equal(await aliceOwn, false, "the sender does not get its own typing");
    assert.equal(await carolSees, false, "non-members do not get it");
    const err = waitFor(alice, "error");
    alice.emit("stop_typing", { roomType: "chat", roomId: "x" }); // not in chat:x
    assert.deepEqual((await err)[0], { message: "Not in room" });
    const stop1 = waitFor(bob, "user_stop_typing");
    alice.emit("typing", { roomId: "chat-room", isTyping: false }); // the e-commerce form of stop
    assert.equal((await stop1)[0].userId, "alice");
    const stop2 = waitFor(bob, "user_stop_typing");
    alice.emit("stop_typing", { roomId: "chat-room" });
    assert.equal((await stop2)[0].room, "chat-room");
  });

  test("ping → pong and heartbeat → heartbeat:ack, with or without an ack", async () => {
    const pong = waitFor(alice, "pong");
    alice.emit("ping");
    assert.ok(Date.parse((await pong)[0].timestamp));
    const hb = waitFor(alice, "heartbeat:ack");
    const acked = await ask(alice, "heartbeat");
    assert.ok(Date.parse(acked.timestamp));
    assert.ok(Date.parse((await hb)[0].timestamp));
  });

  test("a broadcast to several rooms reaches each member once", async () => {
    // bob is in survey:1 and project:9; the survey service's response goes to both rooms.
    const got = [];
    bob.on("response.new", (d) => got.push(d));
    const r = await fetch(gw.url + "/api/broadcast/survey-response", {
      method: "POST",
      headers: { "content-type": "application/json", ...service(gw) },
      body: JSON.stringify({ surveyId: 1, responseId: "r1", response: { q1: "yes" }, metadata: { projectId: 9 } }),
    }).then((x) => x.json());
    assert.equal(r.success, true);
    assert.deepEqual(r.rooms, ["survey:1", "project:9"]);
    await sleep(300);
    assert.equal(got.length, 1);
    assert.equal(got[0].type, "response.new");
    assert.equal(got[0].surveyId, 1);
    assert.deepEqual(got[0].response, { q1: "yes" });
    assert.ok(Date.parse(got[0].timestamp));
  });
});

describe("gateway: a rules file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-rules-"));
  const file = path.join(dir, "rules.json");
  fs.writeFileSync(file, JSON.stringify({ prefixes: { internal: "deny" }, default: "open", maxRoomsPerSocket: 4 }));
  let gw;
  before(async () => {
    gw = await startGateway({ JWT_SECRET: SECRET, ROOM_RULES_FILE: file });
  });
  after(async () => {
    await gw.stop();
    fs.rmSync(dir, { recursive: true });
  });

  test("a denied prefix and the room cap apply", async () => {
    const [s] = await join(gw.url, token({ userId: "z" }));
    assert.equal((await ask(s, "join_room", "internal:ops")).message, "Access denied to this room");
    assert.equal((await ask(s, "join_room", "a")).success, true); // global, user:z, a
    assert.equal((await ask(s, "join_room", "b")).success, true); // 4 rooms now
    assert.deepEqual(await ask(s, "join_room", "c"), { success: false, message: "Too many rooms", error: "Too many rooms" });
    s.disconnect();
  });

  test("an unusable rules file stops the start with a clear message", async () => {
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, JSON.stringify({ prefixes: { x: "sometimes" } }));
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, ROOM_RULES_FILE: bad }), /ROOM_RULES_FILE: .*prefixes\.x/);
  });
});
