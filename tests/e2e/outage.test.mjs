// PostgreSQL stopped in the middle of a conversation and started again: no acked message lost,
// none duplicated, clear errors in between (no hang), and recovery without a restart of ours.
// The test runs its own throwaway PostgreSQL (scripts/pg-temp) so it can stop it.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "./helpers.mjs";
import { startGateway, SECRET, token, join, api, collect } from "./gateway-helpers.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const pgTemp = path.resolve(here, "../../scripts/pg-temp");
const hasPostgres = fs.existsSync("/usr/lib/postgresql");

describe("PostgreSQL outage", { skip: !hasPostgres && "PostgreSQL server binaries not installed" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-pg-outage-"));
  const pgDir = path.join(dir, "pg");
  // Asynchronous, so the event loop keeps reading answers (and timing them) while pg_ctl waits.
  const pg = async (cmd) => (await promisify(execFile)(pgTemp, [cmd, pgDir], { encoding: "utf8" })).stdout.trim();
  let url, gw, alice, bob;
  const answered = [];  // every send and its answer, in the order answered
  before(async () => {
    url = (await pg("start")).split("\n").pop();
    gw = await startGateway({ JWT_SECRET: SECRET, DATABASE_URL: url, DB_QUERY_TIMEOUT: "1000", RATE_LIMIT_MAX_MESSAGES: "100000" });
    [alice] = await join(gw.url, token({ userId: "alice" }));
    [bob] = await join(gw.url, token({ userId: "bob" }));
  });
  after(async () => {
    alice?.disconnect();
    bob?.disconnect();
    await gw?.stop();
    try {
      await pg("stop");
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Sends one message and records its answer; a missing answer (a hang) fails the test.
  async function send(i) {
    const t0 = Date.now();
    let r;
    try {
      r = await alice.timeout(15000).emitWithAck("chat:send", { receiverId: "bob", message: `msg ${i}`, clientMessageId: `c-${i}` });
    } catch (e) {
      throw new Error(`chat:send ${i} got no answer in 15 s; gateway log:\n${gw.log.slice(-15).join("\n")}`);
    }
    answered.push({ i, r, ms: Date.now() - t0 });
    return answered.at(-1);
  }

  test("stop mid-conversation, start again: errors meanwhile, then nothing lost or doubled", async () => {
    try {
      await conversation();
    } catch (e) {
      // What each send answered and what the gateway logged, so a failure on CI explains itself.
      e.message += `\nsends: ${JSON.stringify(answered.map((x) => [x.i, x.ms, x.r.success ? x.r.message.id : x.r.error]))}`;
      e.message += `\ngateway log:\n${gw.log.slice(-25).join("\n")}`;
      throw e;
    }
  });

  async function conversation() {
    const atBob = collect(bob, "chat:message");
    const results = [];
    let i = 0;
    for (; i < 10; i++) results.push(await send(i));
    assert.ok(results.every((x) => x.r.success), "all acked while the database is up");

    // Five sends in flight while the server goes away: each may land or not, but each answers.
    const inFlight = [];
    for (let k = 0; k < 5; k++) inFlight.push(send(i++));
    await pg("stop");
    const down = await Promise.all(inFlight);
    const stoppedAt = Date.now();
    while (Date.now() - stoppedAt < 3000) {
      down.push(await send(i++));
      await sleep(100);
    }
    const failures = down.filter((x) => !x.r.success);
    assert.ok(failures.length >= 2, `errors while the database is down (${failures.length})`);
    for (const f of failures) {
      // The send may or may not have committed: the answer says so and names the retry key.
      assert.deepEqual(f.r, { success: false, error: "Outcome unknown: retry with the same clientMessageId", clientMessageId: `c-${f.i}` });
    }
    const history = await alice.timeout(6000).emitWithAck("chat:getMessages", { userId: "bob" });
    assert.deepEqual(history, { success: false, error: "Service temporarily unavailable, please retry" });

    await pg("resume");
    // The service recovers by itself: sends succeed again within a few seconds.
    const resumedAt = Date.now();
    let after;
    do {
      after = await send(i++);
      if (!after.r.success) await sleep(200);
    } while (!after.r.success && Date.now() - resumedAt < 15000);
    assert.equal(after.r.success, true, "sends succeed again after the database returns");

    // Every message that failed is retried with its clientMessageId: stored once.
    const all = [...results, ...down, after];
    for (const f of all.filter((x) => !x.r.success)) {
      const again = await send(f.i);
      assert.equal(again.r.success, true);
      f.r = again.r;
    }
    const sentIds = all.map((x) => x.r.message.id);
    assert.equal(new Set(sentIds).size, all.length, "one stored message per clientMessageId");

    // The record: exactly the acked messages, each once, in order.
    const stored = [];
    let before;
    for (;;) {
      const page = await alice.timeout(6000).emitWithAck("chat:getMessages", { userId: "bob", limit: 100, ...(before ? { before } : {}) });
      assert.equal(page.success, true);
      stored.push(...page.messages);
      if (!page.hasMore) break;
      before = page.messages.at(-1).id;
    }
    assert.deepEqual(
      stored.map((m) => m.clientMessageId).sort(),
      all.map((x) => `c-${x.i}`).sort(),
    );
    assert.deepEqual(stored.map((m) => m.id).sort((a, b) => a - b), [...sentIds].sort((a, b) => a - b));
    // Bob got each live message at most once.
    await sleep(300);
    const seen = atBob.map((m) => m.id);
    assert.equal(new Set(seen).size, seen.length, "no duplicate deliveries");
    for (const x of results) assert.ok(seen.includes(x.r.message.id), "messages acked before the outage reached bob");
    // A message stored while its answer was lost reached bob too: its retry delivered it (audit #9).
    for (const id of sentIds) assert.ok(seen.includes(id), `message ${id} reached bob live`);
  }

  test("started while the database is down: /ready 503 and clear errors, then ready by itself", async () => {
    await pg("stop");
    const late = await startGateway({ JWT_SECRET: SECRET, DATABASE_URL: url }, [], { waitReady: false });
    try {
      const r = await api(late, "GET", "/ready");
      assert.equal(r.status, 503);
      const [s] = await join(late.url, token({ userId: "carol" }));
      assert.deepEqual(await s.timeout(6000).emitWithAck("chat:send", { receiverId: "dave", message: "early" }), {
        success: false,
        error: "Service is starting, please retry",
      });
      await pg("resume");
      const t0 = Date.now();
      while ((await api(late, "GET", "/ready")).status !== 200) {
        assert.ok(Date.now() - t0 < 20000, "ready within 20 s of the database's return");
        await sleep(200);
      }
      const ok = await s.timeout(6000).emitWithAck("chat:send", { receiverId: "dave", message: "now" });
      assert.equal(ok.success, true);
      s.disconnect();
    } finally {
      await late.stop();
    }
  });
});
