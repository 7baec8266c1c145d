// The @socket.io/admin-ui protocol (ADMIN_UI=true): a socket.io-client on /admin, as the dashboard
// connects, with and without the right password (a bcrypt hash made here by bcryptjs, the library
// upstream's server uses); it gets config, all_sockets and server_stats, sees a gateway client's
// socket and rooms as they change, and its join / leave / _disconnect act on that client.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { connect, connected, waitFor } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, openRooms, refused } from "./gateway-helpers.mjs";

const require = createRequire(import.meta.url);
const bcrypt = require("bcryptjs");

const PASSWORD = "correct horse battery staple";
const HASH = bcrypt.hashSync(PASSWORD, 4); // $2a$04$...: cheap for a test; crypt_r checks it

// Resolves with the first `event` whose arguments satisfy `pred`.
function waitUntil(socket, event, pred, ms = 5000) {
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

// An /admin connection as the dashboard makes it; resolves once connected with what arrived first.
async function dashboard(url, auth, opts = {}) {
  const s = connect(url + "/admin", { auth, transports: ["websocket"], ...opts });
  const session = waitFor(s, "session").catch(() => null);
  const config = waitFor(s, "config");
  const all = waitFor(s, "all_sockets");
  await connected(s);
  const [[cfg], [sockets]] = await Promise.all([config, all]);
  return { s, cfg, sockets, session };
}

describe("admin UI with basic auth", () => {
  let gw;
  before(async () => {
    gw = await startGateway({
      JWT_SECRET: SECRET,
      ADMIN_UI: "true",
      ADMIN_USERNAME: "admin",
      ADMIN_PASSWORD_HASH: HASH,
      ROOM_RULES_FILE: openRooms("survey", "vip"),
    });
  });
  after(async () => gw.stop());

  test("wrong, missing or partial credentials: connect_error 'invalid credentials'", async () => {
    const bad = [{ username: "admin", password: "wrong" }, { username: "root", password: PASSWORD }, {}, { username: "admin" }, { sessionId: "nope" }];
    for (const auth of bad) {
      const msg = await refused(gw.url + "/admin", { auth });
      assert.equal(msg, "invalid credentials", JSON.stringify(auth));
    }
    assert.ok(gw.log.some((l) => l.includes("admin dashboard login refused")));
  });

  test("the right password: session, config, all_sockets, periodic server_stats; the session id logs in again", async () => {
    const { s, cfg, sockets, session } = await dashboard(gw.url, { username: "admin", password: PASSWORD });
    try {
      const [sessionId] = await session;
      assert.match(sessionId, /^[0-9a-f]{32}$/);
      assert.deepEqual(cfg.supportedFeatures.sort(), ["DISCONNECT", "JOIN", "LEAVE", "MDISCONNECT", "MJOIN", "MLEAVE"]);
      assert.ok(Array.isArray(sockets));
      // The dashboard's own socket is among them, its secrets gone.
      const me = sockets.find((x) => x.id === s.id);
      assert.ok(me, "the admin socket itself is listed");
      assert.equal(me.nsp, "/admin");
      assert.equal(me.transport, "websocket");
      assert.match(me.clientId, /^[0-9a-f]{12}$/);
      assert.equal(me.handshake.auth.password, undefined);
      assert.equal(me.handshake.auth.username, "admin");
      const [stats] = await waitFor(s, "server_stats", 4000);
      assert.equal(typeof stats.serverId, "string");
      assert.equal(typeof stats.hostname, "string");
      assert.equal(stats.pid, gw.proc.pid);
      assert.ok(stats.uptime > 0);
      assert.ok(stats.clientsCount >= 1);
      assert.equal(stats.pollingClientsCount, 0);
      const admin = stats.namespaces.find((n) => n.name === "/admin");
      assert.equal(admin.socketsCount, 1);
      assert.ok(stats.namespaces.some((n) => n.name === "/"));
      // The next one comes about 2 s later.
      const t0 = Date.now();
      await waitFor(s, "server_stats", 4000);
      assert.ok(Date.now() - t0 > 1000);
      // Reconnecting with the session id (as the dashboard does after a reload) needs no password.
      const again = await dashboard(gw.url, { sessionId });
      again.s.disconnect();
    } finally {
      s.disconnect();
    }
  });

  test("sees a client connect, join and leave rooms, and disconnect; join / leave / _disconnect act on it", async () => {
    const { s: admin } = await dashboard(gw.url, { username: "admin", password: PASSWORD });
    let client;
    try {
      const seen = waitUntil(admin, "socket_connected", (sock) => sock.nsp === "/" && sock.data !== undefined);
      const tok = token({ userId: "ana" });
      [client] = await join(gw.url, tok, { query: { token: tok, lang: "pt" } });
      const [sock, at] = await seen;
      assert.equal(sock.id, client.id);
      assert.equal(sock.transport, "websocket");
      assert.match(sock.clientId, /^[0-9a-f]{12}$/);
      assert.ok(!Number.isNaN(Date.parse(at)));
      // No token anywhere in what the dashboard gets.
      assert.equal(JSON.stringify(sock).includes(tok), false, JSON.stringify(sock));
      assert.equal(sock.handshake.query.lang, "pt");
      assert.equal(sock.handshake.headers.authorization, undefined);
      assert.ok(sock.rooms.includes(client.id));

      // The client joins a room itself: room_joined.
      const joined = waitUntil(admin, "room_joined", (nsp, room, id) => nsp === "/" && room === "survey:1" && id === client.id);
      assert.equal((await ask(client, "join_room", "survey:1")).success, true);
      await joined;

      // all_sockets of a new dashboard lists it with its rooms.
      const { s: second, sockets } = await dashboard(gw.url, { username: "admin", password: PASSWORD });
      second.disconnect();
      const listed = sockets.find((x) => x.id === client.id);
      assert.ok(listed);
      assert.ok(listed.rooms.includes("survey:1"), JSON.stringify(listed.rooms));
      assert.equal(listed.clientId, sock.clientId);
      assert.equal(JSON.stringify(listed).includes(tok), false);

      // The dashboard makes it join and leave a room.
      const vipJoined = waitUntil(admin, "room_joined", (nsp, room, id) => room === "vip:1" && id === client.id);
      admin.emit("join", "/", "vip:1", client.id);
      await vipJoined;
      const vipLeft = waitUntil(admin, "room_left", (nsp, room, id) => room === "vip:1" && id === client.id);
      admin.emit("leave", "/", "vip:1", client.id);
      await vipLeft;
      // Unknown namespaces and bad arguments are ignored.
      admin.emit("join", "/nope", "x", client.id);
      admin.emit("join", "/", 7, client.id);
      admin.emit("_disconnect", 42);

      // ... and disconnects it: the client is told (io server disconnect), the dashboard too.
      // (client.id is gone once the client sees its disconnect: keep it.)
      const cid = client.id;
      const gone = waitUntil(admin, "socket_disconnected", (nsp, id) => nsp === "/" && id === cid);
      const left = waitUntil(admin, "room_left", (nsp, room, id) => room === "survey:1" && id === cid);
      const reason = waitFor(client, "disconnect");
      admin.emit("_disconnect", "/", false, cid);
      assert.equal((await reason)[0], "io server disconnect");
      const [, , why, when] = await gone;
      assert.equal(why, "server namespace disconnect");
      assert.ok(!Number.isNaN(Date.parse(when)));
      await left;
    } finally {
      client?.disconnect();
      admin.disconnect();
    }
  });

  test("a polling client: transport polling, then socket_updated to websocket; pollingClientsCount", async () => {
    const { s: admin } = await dashboard(gw.url, { username: "admin", password: PASSWORD });
    let client;
    try {
      const seen = waitUntil(admin, "socket_connected", (sock) => sock.nsp === "/");
      const upgraded = waitUntil(admin, "socket_updated", (u) => u.transport === "websocket" && u.nsp === "/");
      client = connect(gw.url, { auth: { token: token({ userId: "bo" }) }, transports: ["polling", "websocket"] });
      const [sock] = await seen;
      assert.equal(sock.transport, "polling");
      const [u] = await upgraded;
      assert.equal(u.id, sock.id);
    } finally {
      client?.disconnect();
      admin.disconnect();
    }
  });
});

test("without a user name the dashboard needs no password, and the start-up log warns", async () => {
  const gw = await startGateway({ JWT_SECRET: SECRET, ADMIN_UI: "true" });
  try {
    assert.ok(gw.log.some((l) => l.includes("ADMIN_UI=true without ADMIN_USERNAME")));
    const { s, cfg } = await dashboard(gw.url, {});
    assert.ok(cfg.supportedFeatures.includes("JOIN"));
    s.disconnect();
  } finally {
    await gw.stop();
  }
});

test("the dashboard's files under /admin/, with nothing loaded from elsewhere", async () => {
  const gw = await startGateway({ JWT_SECRET: SECRET, ADMIN_UI: "true" });
  try {
    const r = await fetch(gw.url + "/admin", { redirect: "manual" });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get("location"), "/admin/");
    const index = await fetch(gw.url + "/admin/");
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type"), /text\/html/);
    const html = await index.text();
    assert.match(html, /Socket\.IO Admin UI/);
    assert.doesNotMatch(html, /https?:\/\//);
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.length >= 6, assets.join());
    for (const a of [...assets, "mdi/fonts/materialdesignicons-webfont.woff2"]) {
      const res = await fetch(gw.url + "/admin/" + a);
      assert.equal(res.status, 200, a);
      await res.arrayBuffer();
    }
  } finally {
    await gw.stop();
  }
});

test("ADMIN_UI off (the default): no /admin/ and no /admin namespace", async () => {
  const gw = await startGateway({ JWT_SECRET: SECRET });
  try {
    assert.equal((await fetch(gw.url + "/admin/")).status, 404);
    assert.equal(await refused(gw.url + "/admin", { auth: {} }), "Invalid namespace");
  } finally {
    await gw.stop();
  }
});

test("a bad ADMIN_PASSWORD_HASH or a user name without one: the gateway refuses to start", async () => {
  for (const env of [{ ADMIN_USERNAME: "admin", ADMIN_PASSWORD_HASH: "plain" }, { ADMIN_USERNAME: "admin" }]) {
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, ADMIN_UI: "true", ...env }), /exited with 1/);
  }
});
