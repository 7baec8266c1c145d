// SIGHUP reloads what can change without dropping a connection: the JWT secret (from ENV_FILE, read
// again), the room rules file, the log level. Connected sockets stay; new tokens and joins follow the
// new settings; a bad file is refused whole (the old settings stay); restart-only changes are named.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startGateway, jwt, refused, rulesFile } from "./gateway-helpers.mjs";
import { connect, connected, sleep } from "./helpers.mjs";

const OLD = "reload-old-secret-" + process.pid + "-0123456789abcdefghijklmnop";
const NEW = "reload-new-secret-" + process.pid + "-0123456789abcdefghijklmnop";
const sign = (secret, userId) => jwt.sign({ userId }, secret, { algorithm: "HS256", expiresIn: "1h" });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-reload-"));
const envFile = path.join(dir, "switchboard.env");
const rules = rulesFile({ prefixes: { lobby: "open" } });
let gw;
const sockets = [];

function client(secret, userId) {
  const s = connect(gw.url, { auth: { token: sign(secret, userId) }, transports: ["websocket"], reconnection: false });
  sockets.push(s);
  return s;
}

// Sends SIGHUP and waits for the reload's outcome in the log.
async function hup() {
  const from = gw.log.length;
  gw.proc.kill("SIGHUP");
  for (let i = 0; i < 100; i++) {
    const lines = gw.log.slice(from).join("\n");
    if (/settings reloaded|reload refused/.test(lines)) return lines;
    await sleep(50);
  }
  throw new Error("no reload outcome in the log");
}

before(async () => {
  fs.writeFileSync(envFile, `# test settings\nJWT_SECRET=${OLD}\nLOG_LEVEL=info\nROOM_RULES_FILE=${rules}\n`);
  gw = await startGateway({ ENV_FILE: envFile });
});

after(async () => {
  for (const s of sockets) s.close();
  await gw.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("SIGHUP: a new JWT secret and room rules apply to new connections and joins; connected sockets stay", async () => {
  const a = client(OLD, "alice");
  await connected(a);
  assert.equal((await a.timeout(2000).emitWithAck("join_room", "lobby:1")).success, true);
  assert.equal((await a.timeout(2000).emitWithAck("join_room", "news:1")).success, false);
  let dropped = false;
  a.on("disconnect", () => (dropped = true));

  fs.writeFileSync(envFile, `JWT_SECRET="${NEW}"\nLOG_LEVEL=debug\nROOM_RULES_FILE=${rules}\n`);
  fs.writeFileSync(rules, JSON.stringify({ prefixes: { lobby: "open", news: "open" } }));
  const out = await hup();
  assert.match(out, /settings reloaded/);
  assert.match(out, /"log_level":"debug"/);

  assert.equal(await refused(gw.url, { auth: { token: sign(OLD, "bob") } }), "Invalid or expired token");
  const b = client(NEW, "bob");
  await connected(b);
  // The rules file was read again: news:* is open now, for the old socket too.
  assert.equal((await a.timeout(2000).emitWithAck("join_room", "news:1")).success, true);
  assert.equal((await b.timeout(2000).emitWithAck("join_room", "news:2")).success, true);
  await sleep(200);
  assert.equal(dropped, false, "the connected socket stayed");
  assert.equal(a.connected, true);
});

test("SIGHUP: a file that does not load changes nothing; a restart-only setting is named", async () => {
  fs.writeFileSync(envFile, `JWT_SECRET=${NEW}\nthis line is not a setting\n`);
  const bad = await hup();
  assert.match(bad, /reload refused/);
  assert.match(bad, /line 2: expected NAME=value/);
  assert.doesNotMatch(bad, new RegExp(NEW), "no secret in the log");
  const c = client(NEW, "carol");
  await connected(c);

  fs.writeFileSync(envFile, `JWT_SECRET=${NEW}\nROOM_RULES_FILE=${rules}\nMAX_CONNECTIONS=77\n`);
  const later = await hup();
  assert.match(later, /settings reloaded/);
  assert.match(later, /take effect only after a restart.*MAX_CONNECTIONS/);
  assert.ok(!/"settings":"[^"]*JWT_SECRET/.test(later), "a reloaded setting is not named as restart-only");
});
