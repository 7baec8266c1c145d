import { test } from "node:test";
import assert from "node:assert/strict";
import { serverFixture, connect, connected, sleep, closeAll } from "./helpers.mjs";

const server = serverFixture();

test("a room broadcast reaches every member exactly once, except the sender", async () => {
  const members = [];
  for (let i = 0; i < 40; i++)
    members.push(connect(server.url, { transports: i % 4 === 0 ? ["polling"] : ["websocket"] }));
  const outsiders = [connect(server.url, { transports: ["websocket"] }), connect(server.url)];
  await Promise.all([...members, ...outsiders].map((s) => connected(s)));
  const got = new Map();
  for (const s of [...members, ...outsiders]) {
    got.set(s, []);
    s.on("news", (d) => got.get(s).push(d));
  }
  for (const s of members) {
    const r = await s.timeout(3000).emitWithAck("join", "room-a");
    assert.deepEqual(r, { success: true });
  }
  const rooms = await members[1].timeout(2000).emitWithAck("rooms");
  assert.deepEqual(rooms, [members[1].id, "room-a"]);

  const sender = members[0];
  const r = await sender.timeout(2000).emitWithAck("broadcast", {
    room: "room-a", event: "news", data: { n: 1 }, exceptSelf: true,
  });
  assert.deepEqual(r, { success: true });
  await sleep(600);
  assert.deepEqual(got.get(sender), []);
  for (const s of members.slice(1)) assert.deepEqual(got.get(s), [{ n: 1 }]);
  for (const s of outsiders) assert.deepEqual(got.get(s), []);

  // A socket that left no longer receives; a namespace-wide broadcast reaches everyone once.
  await members[2].timeout(2000).emitWithAck("leave", "room-a");
  await sender.timeout(2000).emitWithAck("broadcast", { room: "room-a", event: "news", data: 2 });
  await sender.timeout(2000).emitWithAck("broadcast", { event: "news", data: "all" });
  await sleep(600);
  assert.deepEqual(got.get(members[2]), [{ n: 1 }, "all"]);
  assert.deepEqual(got.get(sender), [2, "all"]);
  for (const s of members.slice(3)) assert.deepEqual(got.get(s), [{ n: 1 }, 2, "all"]);
  for (const s of outsiders) assert.deepEqual(got.get(s), ["all"]);
  closeAll([...members, ...outsiders]);
});

test("a disconnected socket leaves its rooms", async () => {
  const a = connect(server.url, { transports: ["websocket"] });
  const b = connect(server.url, { transports: ["websocket"] });
  await Promise.all([connected(a), connected(b)]);
  await a.timeout(2000).emitWithAck("join", "room-b");
  await b.timeout(2000).emitWithAck("join", "room-b");
  a.disconnect();
  await sleep(100);
  let count = 0;
  b.on("ping-room", () => count++);
  await b.timeout(2000).emitWithAck("broadcast", { room: "room-b", event: "ping-room" });
  await sleep(200);
  assert.equal(count, 1);
  b.disconnect();
});
