// The admin dashboard over a cluster: two of our instances (ADMIN_UI=true) on one Redis. A
// dashboard connected to one instance sees the other's server_stats (its own serverId), its
// sockets (all_sockets through fetchSockets, socket_connected and room events through /admin's
// adapter), and its join / leave / _disconnect reach a socket on the other instance.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startGateway, token, SECRET } from "../e2e/gateway-helpers.mjs";
import { connect, connected, waitFor } from "../e2e/helpers.mjs";
import { startRedis, until } from "./cluster-helpers.mjs";

let redis;
const gws = [];
const sockets = [];

before(async () => {
  redis = startRedis();
  for (let i = 0; i < 2; i++)
    gws.push(await startGateway({ REDIS_URL: redis.url, JWT_SECRET: SECRET, ADMIN_UI: "true", CLUSTER_REQUEST_TIMEOUT: "5000" }));
  for (const g of gws) await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "instance ready");
});

after(async () => {
  for (const s of sockets) s.close();
  for (const g of gws) await g.stop();
  redis?.stop();
});

function waitUntil(socket, event, pred, ms = 8000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for a matching '${event}'`));
    }, ms);
    function handler(...args) {
      if (!pred(...args)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(args);
    }
    socket.on(event, handler);
  });
}

async function dashboard(g) {
  const s = connect(g.url + "/admin", { transports: ["websocket"] });
  sockets.push(s);
  const all = waitFor(s, "all_sockets", 8000);
  await connected(s);
  const [list] = await all;
  return [s, list];
}

test("a dashboard on one instance sees and acts on the other instance's sockets", { timeout: 60000 }, async () => {
  const [a, b] = gws;
  const [admin] = await dashboard(a);

  // Both instances' stats, each under its own serverId.
  const servers = new Set();
  admin.on("server_stats", (st) => servers.add(st.serverId));
  await until(async () => servers.size >= 2, 10000, "stats of both instances");

  // A client of instance b: its socket_connected and room_joined reach the dashboard on a.
  // Both waits start before the client connects: the two events can arrive in one read.
  const seen = waitUntil(admin, "socket_connected", (sock) => sock.nsp === "/");
  const autoJoined = waitUntil(admin, "room_joined", (nsp, room) => room === "user:remote-ana");
  const client = connect(b.url, { auth: { token: token({ userId: "remote-ana" }) }, transports: ["websocket"] });
  sockets.push(client);
  await connected(client);
  const id = client.id;
  const [sock] = await seen;
  assert.equal(sock.id, id);
  assert.equal((await autoJoined)[2], id);

  // A second dashboard on a lists it (fetchSockets over the cluster), with its rooms.
  const [, list] = await dashboard(a);
  const listed = list.find((x) => x.id === id);
  assert.ok(listed, "the other instance's socket is listed");
  assert.ok(listed.rooms.includes("user:remote-ana"), JSON.stringify(listed.rooms));

  // join / leave / _disconnect from a act on b's socket.
  const joined = waitUntil(admin, "room_joined", (nsp, room, sid) => sid === id && room === "ops:1");
  admin.emit("join", "/", "ops:1", id);
  await joined;
  const left = waitUntil(admin, "room_left", (nsp, room, sid) => sid === id && room === "ops:1");
  admin.emit("leave", "/", "ops:1", id);
  await left;
  const gone = waitUntil(admin, "socket_disconnected", (nsp, sid) => sid === id);
  const reason = waitFor(client, "disconnect", 8000);
  admin.emit("_disconnect", "/", false, id);
  assert.equal((await reason)[0], "io server disconnect");
  await gone;
});
