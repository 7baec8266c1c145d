// Presence on one node: chat:getOnlineStatus answers and makes the socket a watcher of those
// users; user:online / user:offline {userId, lastSeen?} arrive once per transition (a second
// device is not one), to watchers and to conversation partners who never asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gatewayFixture, join, token, ask, collect, service, api } from "./gateway-helpers.mjs";
import { sleep, waitFor } from "./helpers.mjs";

const gw = gatewayFixture();

test("chat:getOnlineStatus answers and watches; one user:online and one user:offline per transition", async () => {
  const [watcher] = await join(gw.url, token({ userId: "w-1" }));
  const online = collect(watcher, "user:online");
  const offline = collect(watcher, "user:offline");
  assert.deepEqual(await ask(watcher, "chat:getOnlineStatus", { userIds: ["w-bob", "w-1"] }), {
    success: true,
    statuses: { "w-bob": false, "w-1": true },
  });
  // Waited for from before the join: the watcher may hear of bob before bob hears "connected".
  const bobOnline = waitFor(watcher, "user:online");
  const [bob1] = await join(gw.url, token({ userId: "w-bob" }));
  await bobOnline;
  const [bob2] = await join(gw.url, token({ userId: "w-bob" }));
  const status = await api(gw, "GET", "/user-status/w-bob", undefined, service(gw));
  assert.deepEqual(status.json.data, { userId: "w-bob", isConnected: true, devices: 2 });
  bob1.disconnect();
  await sleep(300);
  assert.equal(offline.length, 0, "a device is left");
  bob2.disconnect();
  await waitFor(watcher, "user:offline");
  await sleep(200);
  assert.deepEqual(online, [{ userId: "w-bob" }]);
  assert.equal(offline.length, 1);
  assert.equal(offline[0].userId, "w-bob");
  assert.match(offline[0].lastSeen, /^\d{4}-\d\d-\d\dT/);
  watcher.disconnect();
});

test("without an ack the answer comes as chat:onlineStatus; a bad list is refused", async () => {
  const [s] = await join(gw.url, token({ userId: "w-2" }));
  const answered = waitFor(s, "chat:onlineStatus");
  s.emit("chat:getOnlineStatus", { userIds: ["w-2"] });
  const [o] = await answered;
  assert.deepEqual(o, { success: true, statuses: { "w-2": true } });
  const bad = await ask(s, "chat:getOnlineStatus", { userIds: "w-2" });
  assert.equal(bad.success, false);
  assert.match(bad.error, /userIds/);
  s.disconnect();
});

test("a conversation partner is told without asking", async () => {
  const [alice] = await join(gw.url, token({ userId: "w-alice" }));
  const sent = await ask(alice, "chat:send", { receiverId: "w-carol", message: "hello" });
  assert.equal(sent.success, true);
  const online = collect(alice, "user:online");
  const offline = collect(alice, "user:offline");
  const carolOnline = waitFor(alice, "user:online");
  const [carol] = await join(gw.url, token({ userId: "w-carol" }));
  await carolOnline;
  carol.disconnect();
  await waitFor(alice, "user:offline");
  assert.deepEqual(online, [{ userId: "w-carol" }]);
  assert.equal(offline[0].userId, "w-carol");
  // A stranger is not told.
  const [dave] = await join(gw.url, token({ userId: "w-dave" }));
  const heard = collect(dave, "user:online");
  const [eve] = await join(gw.url, token({ userId: "w-eve" }));
  await sleep(300);
  assert.deepEqual(heard, []);
  for (const s of [alice, dave, eve]) s.disconnect();
});
