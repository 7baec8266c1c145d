// Security issue #11, the token findings: auth:refresh replaces the principal (#6), Django keys
// are re-checked and a user can be disconnected by the push API (#7), Django key lookups are
// bounded and refused CONNECTs limited (#8), the expiry timer honours JWT_LEEWAY and a huge exp
// (#16), weak and file-held secrets (#18).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { BIN_DIR, waitFor } from "./helpers.mjs";
import { startGateway, jwt, SECRET, token, join, refused, ask, api, arrives, pgEnv } from "./gateway-helpers.mjs";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");
const KEY = "audit-tokens-service-key-0123456789";
const now = () => Math.floor(Date.now() / 1000);

// Sends CONNECT with `auth` on one raw Engine.IO WebSocket session, again after each CONNECT_ERROR,
// until the server closes it or `max` tries: resolves with {errors, closed}.
function retryConnect(gw, auth, max = 50) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/socket.io/?EIO=4&transport=websocket`);
    let errors = 0;
    const done = (closed) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.terminate();
      resolve({ errors, closed });
    };
    const timer = setTimeout(() => done(false), 5000);
    const send = () => ws.send("40" + JSON.stringify(auth));
    ws.on("message", (data) => {
      const m = data.toString();
      if (m.startsWith("0")) return send();
      if (m === "2") return ws.send("3");
      if (m.startsWith("44")) {
        errors++;
        if (errors >= max) return done(false);
        send();
      }
    });
    ws.on("close", () => done(true));
    ws.on("error", () => done(true));
  });
}

describe("audit: JWT sessions", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-audit-tokens-"));
  const rules = path.join(dir, "rules.json");
  fs.writeFileSync(rules, JSON.stringify({ prefixes: { team: "collegeId" } }));
  let gw;
  before(async () => {
    gw = await startGateway({ JWT_SECRET: SECRET, SERVICE_API_KEY: KEY, ROOM_RULES_FILE: rules, TOKEN_EXPIRY_WARNING: "0" });
  });
  after(async () => {
    await gw.stop();
    fs.rmSync(dir, { recursive: true });
  });

  test("audit #6: auth:refresh replaces role, organisation and rooms; requested rooms are checked again", async () => {
    const [s, hello] = await join(gw.url, token({ userId: "r6", role: "admin", collegeId: 1 }));
    assert.ok(hello.rooms.includes("role:admin") && hello.rooms.includes("college:1"));
    assert.equal((await ask(s, "join_room", "team:1")).success, true);
    const r = await ask(s, "auth:refresh", { token: token({ userId: "r6", role: "student", collegeId: 2 }) });
    assert.equal(r.success, true);
    const rooms = (await ask(s, "get_rooms")).rooms;
    for (const gone of ["role:admin", "college:1", "team:1"]) assert.ok(!rooms.includes(gone), `${gone} left: ${rooms}`);
    for (const added of ["role:student", "college:2", "user:r6", "global"]) assert.ok(rooms.includes(added), `${added} joined: ${rooms}`);
    assert.deepEqual([...r.rooms].sort(), [...rooms].sort());
    // Rights follow the new principal: team:1 is no longer allowed, team:2 is.
    assert.equal((await ask(s, "join_room", "team:1")).success, false);
    assert.equal((await ask(s, "join_room", "team:2")).success, true);
    // A broadcast to the old organisation does not reach it.
    const [other] = await join(gw.url, token({ userId: "o6", collegeId: 1 }));
    const leak = arrives(s, "college-news", 400);
    await api(gw, "POST", "/api/broadcast/room", { room: "college:1", event: "college-news", data: 1 }, { "x-api-key": KEY });
    assert.equal(await leak, false);
    s.disconnect();
    other.disconnect();
  });

  test("audit #6: a token without exp cannot extend a session that had one", async () => {
    const [s] = await join(gw.url, token({ userId: "x6" }, { expiresIn: "2s" }));
    const r = await ask(s, "auth:refresh", { token: jwt.sign({ userId: "x6" }, SECRET) });
    assert.equal(r.success, false);
    assert.equal(r.error, "Token has no expiry; this session needs one");
    // The session still ends with its first token (exp 2 s + the 30 s leeway is too long to wait,
    // so only the refusal is checked here; the timer is covered by the leeway test below).
    assert.equal((await ask(s, "auth:refresh", { token: token({ userId: "x6" }) })).success, true);
    s.disconnect();
  });

  test("audit #16: a token accepted within JWT_LEEWAY is not dropped at once", async () => {
    const t = jwt.sign({ userId: "l16", exp: now() - 5 }, SECRET); // expired 5 s ago, leeway 30 s
    const [s] = await join(gw.url, t);
    const dropped = arrives(s, "disconnect", 1500);
    assert.equal(await dropped, false, "kept until exp + JWT_LEEWAY");
    assert.ok(s.connected);
    s.disconnect();
  });

  test("audit #16: a huge exp is clamped, the socket stays and its expiry is year 9999", async () => {
    const [s] = await join(gw.url, jwt.sign({ userId: "h16", exp: 1e300 }, SECRET));
    assert.equal(await arrives(s, "disconnect", 800), false);
    const r = await ask(s, "auth:refresh", { token: jwt.sign({ userId: "h16", exp: 1e300 }, SECRET) });
    assert.equal(r.success, true);
    assert.match(r.expiresAt, /^9999-12-31T23:59:59/);
    assert.ok(s.connected);
    s.disconnect();
  });

  test("audit #7: POST /api/disconnect-user disconnects every socket of the user", async () => {
    const [a] = await join(gw.url, token({ userId: "d7" }));
    const [b] = await join(gw.url, token({ userId: "d7" }));
    const [c] = await join(gw.url, token({ userId: "keep7" }));
    const told = waitFor(a, "error");
    const gone = [a, b].map((s) => waitFor(s, "disconnect"));
    const r = await api(gw, "POST", "/api/disconnect-user", { userId: "d7", reason: "account suspended" }, { "x-api-key": KEY });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { success: true, userId: "d7", disconnected: 2 });
    assert.deepEqual((await told)[0], { message: "Disconnected by the server", reason: "account suspended" });
    assert.deepEqual((await Promise.all(gone)).map((x) => x[0]), ["io server disconnect", "io server disconnect"]);
    assert.ok(c.connected);
    assert.equal((await api(gw, "POST", "/api/disconnect-user", { userId: "d7" })).status, 401, "same key as the API");
    assert.equal((await api(gw, "POST", "/api/disconnect-user", { userId: "a:b" }, { "x-api-key": KEY })).status, 400);
    c.disconnect();
  });

  test("audit #8: refused CONNECTs on one Engine.IO session close it after 5", async () => {
    const r = await retryConnect(gw, { token: "not-a-valid-token" });
    assert.equal(r.closed, true, `closed after ${r.errors} refusals`);
    assert.ok(r.errors <= 5, `${r.errors} refusals before the close`);
  });
});

describe("audit #8: refused CONNECTs per address", () => {
  let gw;
  before(async () => {
    gw = await startGateway({ JWT_SECRET: SECRET, CONNECT_REFUSALS_PER_ADDRESS: "3", CONNECT_REFUSAL_WINDOW: "60000" });
  });
  after(async () => gw.stop());

  test("audit #8: bad JWTs (no lookup) do not lock an address out: users behind one NAT keep connecting", async () => {
    for (let i = 0; i < 5; i++) assert.equal(await refused(gw.url, { auth: { token: "bad.jwt.token" } }), "Invalid or expired token");
    const [s] = await join(gw.url, token({ userId: "ok" }));
    assert.ok(s.connected);
    s.disconnect();
  });
});

describe("audit #18: JWT secrets", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-audit-secret-"));
  after(() => fs.rmSync(dir, { recursive: true }));
  const run = (env, args = []) =>
    spawnSync(path.join(BIN_DIR, "switchboard"), ["--port", "0", ...args], {
      env: { PATH: process.env.PATH, DATA_DIR: dir, ...env },
      encoding: "utf8",
      timeout: 5000,
    });

  test("audit #18: a JWT_SECRET shorter than 32 bytes is refused unless JWT_ALLOW_WEAK_SECRET=true", async () => {
    const r = run({ JWT_SECRET: "short-secret" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /JWT_SECRET: 12 bytes is too short \(at least 32\); set JWT_ALLOW_WEAK_SECRET=true/);
    const gw = await startGateway({ JWT_SECRET: "short-secret", JWT_ALLOW_WEAK_SECRET: "true" });
    try {
      assert.ok(gw.log.some((l) => l.includes("JWT_SECRET is shorter than 32 bytes")), "a start-up warning");
      const [s] = await join(gw.url, jwt.sign({ userId: "w" }, "short-secret", { expiresIn: "1h" }));
      s.disconnect();
    } finally {
      await gw.stop();
    }
  });

  test("audit #18: JWT_SECRET_FILE and SERVICE_API_KEY_FILE hold the secrets; --help warns about ps", async () => {
    const secretFile = path.join(dir, "jwt");
    const keyFile = path.join(dir, "key");
    fs.writeFileSync(secretFile, SECRET + "\n");
    fs.writeFileSync(keyFile, KEY + "\n");
    const gw = await startGateway({ JWT_SECRET_FILE: secretFile, SERVICE_API_KEY_FILE: keyFile, SERVICE_API_KEY: undefined });
    try {
      const [s] = await join(gw.url, token({ userId: "f18" }));
      const r = await api(gw, "GET", "/api/stats", undefined, { "x-api-key": KEY });
      assert.equal(r.status, 200);
      s.disconnect();
    } finally {
      await gw.stop();
    }
    const both = run({ JWT_SECRET: SECRET, JWT_SECRET_FILE: secretFile });
    assert.equal(both.status, 2);
    assert.match(both.stderr, /JWT_SECRET and JWT_SECRET_FILE are both set/);
    const help = run({}, ["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /visible to every local user in `ps`/);
    for (const name of ["JWT_SECRET_FILE", "SERVICE_API_KEY_FILE", "DB_PASSWORD_FILE", "DATABASE_URL_FILE"])
      assert.ok(help.stdout.includes(name), name);
    const flagged = await startGateway({ JWT_SECRET: "" }, ["--jwt-secret", SECRET]);
    try {
      assert.ok(flagged.log.some((l) => l.includes("a secret was given as a flag") && l.includes("--jwt-secret")));
    } finally {
      await flagged.stop();
    }
  });
});

describe("audit: Django tokens", { skip: !pgEnv() && "needs PostgreSQL (SB_TEST_DATABASE_URL)" }, () => {
  const url = process.env.SB_TEST_DATABASE_URL;
  const django = "django_audit_" + process.pid;
  const psql = (sql) =>
    execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { env: { ...process.env, PGOPTIONS: "-c client_min_messages=warning" } });
  const K1 = "1111111111111111111111111111111111111111";
  const K2 = "2222222222222222222222222222222222222222";
  const K3 = "3333333333333333333333333333333333333333";
  let gw;
  before(async () => {
    psql(`CREATE SCHEMA ${django};
      CREATE TABLE ${django}.accounts_user (id BIGSERIAL PRIMARY KEY, email TEXT, is_active BOOLEAN, is_superuser BOOLEAN, is_staff BOOLEAN, college_id INTEGER);
      CREATE TABLE ${django}.authtoken_token (key VARCHAR(40) PRIMARY KEY, user_id BIGINT, created TIMESTAMPTZ DEFAULT now());
      INSERT INTO ${django}.accounts_user VALUES (201, 'a@x', true, false, false, 7), (202, 'b@x', true, false, true, 7), (203, 'c@x', true, false, false, 7);
      INSERT INTO ${django}.authtoken_token (key, user_id) VALUES ('${K1}', 201), ('${K2}', 202), ('${K3}', 203);`);
    gw = await startGateway({
      ...pgEnv(),
      DRF_TOKEN_AUTH: "true",
      DJANGO_DB_SCHEMA: django,
      JWT_SECRET: SECRET,
      SERVICE_API_KEY: KEY,
      DRF_TOKEN_CACHE_TTL: "1",
      CONNECT_REFUSALS_PER_ADDRESS: "0",
    });
  });
  after(async () => {
    await gw?.stop();
    psql(`DROP SCHEMA IF EXISTS ${django} CASCADE`);
  });

  test("audit #7: a deleted Django token or a deactivated user is disconnected within DRF_TOKEN_CACHE_TTL", async () => {
    const [a, ha] = await join(gw.url, K1);
    const [b] = await join(gw.url, K2);
    const [c] = await join(gw.url, K3);
    assert.equal(ha.userId, "201");
    const aTold = waitFor(a, "error", 4000);
    const bTold = waitFor(b, "error", 4000);
    psql(`DELETE FROM ${django}.authtoken_token WHERE key = '${K1}'; UPDATE ${django}.accounts_user SET is_active = false WHERE id = 202;`);
    assert.deepEqual((await aTold)[0], { message: "Token revoked" });
    assert.deepEqual((await bTold)[0], { message: "Token revoked" });
    await sleep(100);
    assert.ok(!a.connected && !b.connected);
    assert.ok(c.connected, "the other user's socket is re-checked and kept");
    // A changed organisation moves the kept socket between rooms at its next re-check.
    psql(`UPDATE ${django}.accounts_user SET college_id = 8 WHERE id = 203`);
    await sleep(2500);
    const rooms = (await ask(c, "get_rooms")).rooms;
    assert.ok(rooms.includes("college:8") && !rooms.includes("college:7"), String(rooms));
    c.disconnect();
  });

  test("audit #7: /api/disconnect-user ends a Django user's sockets", async () => {
    psql(`INSERT INTO ${django}.authtoken_token (key, user_id) VALUES ('${K1}', 201) ON CONFLICT DO NOTHING`);
    const [a] = await join(gw.url, K1);
    const gone = waitFor(a, "disconnect");
    const r = await api(gw, "POST", "/api/disconnect-user", { userId: 201 }, { "x-api-key": KEY });
    assert.deepEqual(r.json, { success: true, userId: "201", disconnected: 1 });
    await gone;
  });

  test("audit #8: past CONNECT_REFUSALS_PER_ADDRESS unknown Django keys, an address gets no lookup (sockets and REST)", async () => {
    const limited = await startGateway({ ...pgEnv(), DRF_TOKEN_AUTH: "true", DJANGO_DB_SCHEMA: django, JWT_SECRET: SECRET, CONNECT_REFUSALS_PER_ADDRESS: "3" });
    try {
      const unknown = (i) => String(i).repeat(40).slice(0, 40);
      for (let i = 4; i < 6; i++) assert.equal(await refused(limited.url, { auth: { token: unknown(i) } }), "Invalid or expired token");
      const rest = await api(limited, "GET", "/api/v1/communication/notifications/unread-count/", undefined, { authorization: `Token ${unknown(6)}` });
      assert.equal(rest.status, 401);
      // Three refused lookups: the next Django key, even a good one, is refused before any lookup.
      assert.equal(await refused(limited.url, { auth: { token: K1 } }), "Too many failed attempts, retry later");
      const again = await api(limited, "GET", "/api/v1/communication/notifications/unread-count/", undefined, { authorization: `Token ${K1}` });
      assert.equal(again.status, 429);
      // A JWT costs no lookup: still admitted from that address.
      const [s] = await join(limited.url, token({ userId: "jwt-user" }));
      assert.ok(s.connected);
      s.disconnect();
    } finally {
      await limited.stop();
    }
  });

  test("audit #8: keys that are not 40 hex digits are refused unlooked-up and never cached (memory stays flat)", async () => {
    const rss = () => Number(fs.readFileSync(`/proc/${gw.proc.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) * 1024;
    const before = rss();
    const big = "k".repeat(900 * 1024);
    for (let i = 0; i < 150; i++)
      assert.equal(await refused(gw.url, { auth: { token: big + i } }), "Invalid or expired token");
    await sleep(200);
    const grown = rss() - before;
    console.log(`audit #8: RSS grew by ${(grown / 1048576).toFixed(1)} MiB after 150 keys of 900 KiB`);
    assert.ok(grown < 32 * 1048576, `RSS grew by ${grown} bytes`);
    // A well-formed unknown key is still looked up and refused.
    assert.equal(await refused(gw.url, { auth: { token: "abcdef0123456789abcdef0123456789abcdef01" } }), "Invalid or expired token");
  });
});
