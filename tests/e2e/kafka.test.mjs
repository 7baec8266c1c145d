// The Kafka consumer end to end: librdkafka's mock cluster (build/bin/sb-kafka-mock) stands in for
// the survey platform's Kafka; messages produced to the seed's four topics reach real
// socket.io-client sockets as the seed documents (event, rooms, payload); poison goes to the
// dead-letter topic with its headers while later messages still flow; the broker down and up
// mid-traffic loses nothing, and /health shows the outage; two instances over Redis share the
// partitions; bad settings stop the start.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import readline from "node:readline";
import { BIN_DIR, sleep } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, collect, metricsText, openRooms } from "./gateway-helpers.mjs";

// sb-kafka-mock: the first stdout line is the bootstrap servers, then one answer line per command.
async function startMock() {
  const proc = spawn(path.join(BIN_DIR, "sb-kafka-mock"), [], { stdio: ["pipe", "pipe", "inherit"] });
  process.on("exit", () => proc.kill("SIGKILL"));
  const lines = [];
  const waiters = [];
  readline.createInterface({ input: proc.stdout }).on("line", (l) => {
    lines.push(l);
    for (const w of [...waiters])
      if (w.pred(l, lines.length - 1)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  });
  // The first line (from `from` on) that `pred(line, index)` accepts.
  const waitLine = (pred, ms = 30000, from = 0) => {
    const found = lines.find((l, i) => i >= from && pred(l, i));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred: (l, i) => i >= from && pred(l, i), resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error("sb-kafka-mock: no such line within " + ms + " ms")), ms).unref();
    });
  };
  const brokers = await waitLine(() => true, 10000);
  let sent = 0;
  return {
    brokers,
    // Resolves with the send's number; `delivered(n)` once the cluster has it.
    send(topic, value) {
      proc.stdin.write(`send ${topic} ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
      return ++sent;
    },
    // The same, to one partition.
    sendTo(topic, partition, value) {
      proc.stdin.write(`sendto ${topic} ${partition} ${JSON.stringify(value)}\n`);
      return ++sent;
    },
    delivered: (n, ms) => waitLine((l) => l.startsWith(`delivered ${n} `), ms),
    async command(cmd) {
      const from = lines.length;
      proc.stdin.write(cmd + "\n");
      return waitLine((l) => l.startsWith("ok ") || l.startsWith("error "), 30000, from);
    },
    async read(topic) {
      const from = lines.length;
      proc.stdin.write(`read ${topic}\n`);
      await waitLine((l) => l.startsWith(`end ${topic} `), 30000, from);
      const end = lines.findIndex((l, i) => i >= from && l.startsWith(`end ${topic} `));
      return lines.slice(from, end).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    },
    stop() {
      proc.stdin.end("quit\n");
      return new Promise((r) => proc.on("exit", r));
    },
  };
}

describe("Kafka consumer (seed 002 topics, librdkafka mock cluster)", () => {
  let mock, gw, alice, bob;
  async function health() {
    const res = await fetch(gw.url + "/health");
    return { status: res.status, body: await res.json() };
  }
  async function waitHealth(want, ms = 30000) {
    const end = Date.now() + ms;
    for (;;) {
      const h = await health();
      if (h.body.checks?.kafka === want) return h;
      if (Date.now() > end) throw new Error(`/health never showed kafka ${want}: ${JSON.stringify(h.body)}\n${gw.log.slice(-10).join("\n")}`);
      await sleep(100);
    }
  }
  async function metric(name) {
    const line = (await metricsText(gw)).split("\n").find((l) => l.startsWith(name + " "));
    return line ? Number(line.split(" ")[1]) : undefined;
  }
  async function until(cond, ms, what) {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error("timed out: " + what);
      await sleep(50);
    }
  }

  before(async () => {
    mock = await startMock();
    gw = await startGateway({
      JWT_SECRET: SECRET,
      KAFKA_BROKERS: mock.brokers,
      KAFKA_GROUP_ID: "e2e-" + process.pid,
      KAFKA_DEAD_LETTER_TOPIC: "websocket.dead-letters",
      ROOM_RULES_FILE: openRooms("survey", "project"),
      RATE_LIMIT_MAX_MESSAGES: "100000",
    });
    [alice] = await join(gw.url, token({ userId: "alice" }));
    [bob] = await join(gw.url, token({ userId: "bob" }));
    assert.equal((await ask(alice, "join_room", "survey:s1")).success, true);
    assert.equal((await ask(bob, "join_room", "project:p1")).success, true);
    await waitHealth("up");
  });
  after(async () => {
    for (const s of [alice, bob]) s?.disconnect();
    await gw?.stop();
    await mock?.stop();
  });

  test("each topic's documented message becomes its documented event in its rooms", async () => {
    const got = {};
    for (const [who, s] of [["alice", alice], ["bob", bob]])
      for (const ev of ["response.new", "analytics.update", "surveyor.location", "notification"]) got[`${who} ${ev}`] = collect(s, ev);
    const sends = [
      mock.send("survey.responses", { surveyId: "s1", responseId: "r1", response: { q1: "a1" }, metadata: { projectId: "p1" } }),
      mock.send("survey.analytics", { surveyId: "s1", projectId: "p2", analytics: { total: 3 }, type: "realtime" }),
      mock.send("surveyor.locations", { surveyorId: "v1", projectId: "p1", location: { coordinates: { latitude: 25.2, longitude: 55.27 }, accuracy: 10 } }),
      mock.send("system.notifications", { userId: "bob", type: "info", title: "For bob", message: "approved", priority: "high" }),
      mock.send("system.notifications", { type: "warning", title: "To all", message: "maintenance" }),
    ];
    for (const n of sends) await mock.delivered(n);
    await until(() => got["alice response.new"].length && got["bob response.new"].length && got["alice analytics.update"].length && got["bob surveyor.location"].length && got["bob notification"].length === 2 && got["alice notification"].length, 10000, "the events");
    await sleep(300); // nothing more arrives
    const r = got["alice response.new"][0];
    assert.deepEqual({ ...r, timestamp: undefined }, { type: "response.new", surveyId: "s1", responseId: "r1", response: { q1: "a1" }, metadata: { projectId: "p1" }, timestamp: undefined });
    assert.match(r.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(got["bob response.new"], [r]);
    const a = got["alice analytics.update"];
    assert.equal(a.length, 1);
    assert.deepEqual({ ...a[0], timestamp: undefined }, { type: "analytics.update", surveyId: "s1", projectId: "p2", analytics: { total: 3 }, updateType: "realtime", timestamp: undefined });
    assert.deepEqual(got["bob analytics.update"], []);
    const l = got["bob surveyor.location"];
    assert.equal(l.length, 1);
    assert.equal(l[0].type, "surveyor.location");
    assert.equal(l[0].surveyorId, "v1");
    assert.deepEqual(l[0].location, { coordinates: { latitude: 25.2, longitude: 55.27 }, accuracy: 10 });
    assert.deepEqual(got["alice surveyor.location"], []);
    const [forBob, toAll] = [got["bob notification"].find((n) => n.title === "For bob"), got["bob notification"].find((n) => n.title === "To all")];
    assert.deepEqual({ ...forBob, timestamp: undefined }, { type: "notification", userId: "bob", notificationType: "info", title: "For bob", message: "approved", priority: "high", timestamp: undefined });
    assert.equal(toAll.notificationType, "warning");
    assert.equal(toAll.priority, "normal");
    assert.deepEqual(got["alice notification"].map((n) => n.title), ["To all"]);
    assert.equal(await metric('switchboard_kafka_messages_total{result="dispatched"}'), 5);
    assert.equal(await metric("switchboard_kafka_up"), 1);
  });

  test("poison goes to the dead-letter topic with its headers; later messages still flow", async () => {
    const got = collect(alice, "response.new");
    await mock.delivered(mock.send("survey.responses", "{not json"));
    await mock.delivered(mock.send("survey.responses", { responseId: "no survey" }));
    await mock.delivered(mock.send("survey.responses", { surveyId: "s1", responseId: "after the poison" }));
    await until(() => got.length === 1, 10000, "the good message after the poison");
    assert.equal(got[0].responseId, "after the poison");
    let dead = [];
    await until(async () => (dead = await mock.read("websocket.dead-letters")).length === 2, 10000, "two dead letters");
    // Sent in this order, but maybe to different partitions: told apart by their values.
    dead.sort((x, y) => (x.value === "{not json" ? -1 : 1) - (y.value === "{not json" ? -1 : 1));
    assert.equal(dead[0].value, "{not json");
    assert.equal(dead[0].headers["dlt-original-topic"], "survey.responses");
    assert.equal(dead[0].headers["dlt-reason"], "message is not JSON (or nested too deeply)");
    assert.ok(/^\d+$/.test(dead[0].headers["dlt-original-partition"]));
    assert.equal(dead[1].headers["dlt-reason"], "a required field is missing (surveyId)");
    assert.equal(await metric('switchboard_kafka_messages_total{result="dead_lettered"}'), 2);
    assert.ok(gw.log.some((l) => l.includes("poison message dead-lettered")));
  });

  test("broker down and up mid-traffic: every message delivered at least once", async () => {
    const seen = new Map();
    alice.on("response.new", (m) => {
      if (m.response?.run === "restart") seen.set(m.response.seq, (seen.get(m.response.seq) || 0) + 1);
    });
    const N = 300;
    let healthDuring;
    let last;
    for (let seq = 0; seq < N; seq++) {
      last = mock.send("survey.responses", { surveyId: "s1", response: { run: "restart", seq } });
      if (seq === 100) {
        await mock.delivered(last);
        await until(() => seen.size >= 50, 10000, "traffic before the outage");
        await mock.command("down");
        healthDuring = await waitHealth("down", 20000);
      }
      if (seq === 200) {
        await sleep(500);
        await mock.command("up");
      }
      await sleep(2);
    }
    await mock.delivered(last, 60000);
    await waitHealth("up", 30000);
    await until(() => seen.size === N, 30000, `all ${N} delivered (have ${seen.size})`);
    await sleep(300);
    const deliveries = [...seen.values()].reduce((x, y) => x + y, 0);
    console.log(`kafka restart: produced ${N}, delivered ${seen.size} distinct, ${deliveries} deliveries; /health during the outage: ${healthDuring.status} ${JSON.stringify(healthDuring.body.checks)}`);
    assert.equal(seen.size, N, "nothing lost");
    assert.equal(healthDuring.status, 503);
    assert.equal(healthDuring.body.checks.kafka, "down");
  });
});

// Two instances bridged by Redis in one consumer group: the partitions are shared (each message is
// dispatched by one instance), and its event reaches the room's sockets on both, once.
const redisTemp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/redis-temp");
const hasRedis = fs.existsSync("/usr/bin/redis-server");
describe("Kafka consumer on two instances over Redis", { skip: !hasRedis && "redis-server not installed" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-kafka-cluster-"));
  let mock, gws = [], alice, bob;
  // Partitions this instance holds now (eager rebalancing: revoked all, then assigned).
  const held = (gw) => {
    let n = 0;
    for (const l of gw.log) {
      try {
        const o = JSON.parse(l);
        if (o.msg === "kafka: partitions assigned") n = Number(o.count);
        if (o.msg === "kafka: partitions revoked") n = 0;
      } catch {}
    }
    return n;
  };
  before(async () => {
    mock = await startMock();
    const redisUrl = (await promisify(execFile)(redisTemp, ["start", path.join(dir, "redis")], { encoding: "utf8", timeout: 60000 })).stdout.trim().split("\n").pop();
    const env = { JWT_SECRET: SECRET, REDIS_URL: redisUrl, KAFKA_BROKERS: mock.brokers, KAFKA_GROUP_ID: "e2e-cluster-" + process.pid, ROOM_RULES_FILE: openRooms("survey") };
    gws = [await startGateway(env), await startGateway(env)];
    [alice] = await join(gws[0].url, token({ userId: "alice" }));
    [bob] = await join(gws[1].url, token({ userId: "bob" }));
    for (const s of [alice, bob]) assert.equal((await ask(s, "join_room", "survey:s9")).success, true);
    // 4 topics × 3 partitions, split between the two.
    const end = Date.now() + 60000;
    while (!(held(gws[0]) > 0 && held(gws[1]) > 0 && held(gws[0]) + held(gws[1]) === 12)) {
      if (Date.now() > end) throw new Error(`partitions not shared: ${held(gws[0])} + ${held(gws[1])}\n${gws.map((g) => g.log.filter((l) => l.includes("kafka")).join("\n")).join("\n--\n")}`);
      await sleep(100);
    }
  });
  after(async () => {
    for (const s of [alice, bob]) s?.disconnect();
    for (const gw of gws) await gw.stop();
    await mock?.stop();
    try {
      await promisify(execFile)(redisTemp, ["stop", path.join(dir, "redis")], { timeout: 60000 });
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("each message once to the room's sockets on both instances", async () => {
    const got = { alice: collect(alice, "response.new"), bob: collect(bob, "response.new") };
    const N = 100;
    let last;
    // Spread over the 3 partitions (keyless messages would stick to one for a while).
    for (let seq = 0; seq < N; seq++) last = mock.sendTo("survey.responses", seq % 3, { surveyId: "s9", response: { seq } });
    await mock.delivered(last);
    const end = Date.now() + 15000;
    while ((got.alice.length < N || got.bob.length < N) && Date.now() < end) await sleep(50);
    await sleep(300);
    const seqs = (list) => list.map((m) => m.response.seq).sort((a, b) => a - b);
    const all = [...Array(N).keys()];
    assert.deepEqual(seqs(got.alice), all);
    assert.deepEqual(seqs(got.bob), all);
    const dispatched = [];
    for (const gw of gws) {
      const line = (await metricsText(gw)).split("\n").find((l) => l.startsWith('switchboard_kafka_messages_total{result="dispatched"}'));
      dispatched.push(Number(line.split(" ")[1]));
    }
    console.log(`kafka cluster: ${N} produced, dispatched by the instances ${dispatched.join(" + ")}, alice ${got.alice.length}, bob ${got.bob.length}`);
    assert.equal(dispatched[0] + dispatched[1], N);
    assert.ok(dispatched[0] > 0 && dispatched[1] > 0, "both instances took a share");
  });
});

describe("Kafka settings", () => {
  // A bad setting stops the start (exit 2) and names itself.
  async function refusedStart(env) {
    const proc = spawn(path.join(BIN_DIR, "switchboard"), ["--port", "0"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { PATH: process.env.PATH, JWT_SECRET: SECRET, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "sb-kafka-cfg-")), ...env },
    });
    let err = "";
    proc.stderr.on("data", (d) => (err += d));
    const code = await new Promise((r) => proc.on("exit", r));
    return { code, err };
  }
  test("KAFKA_OFFSET_RESET and a dead-letter topic that is read are refused", async () => {
    let r = await refusedStart({ KAFKA_BROKERS: "127.0.0.1:1", KAFKA_OFFSET_RESET: "middle" });
    assert.equal(r.code, 2);
    assert.match(r.err, /KAFKA_OFFSET_RESET: 'middle' is not earliest or latest/);
    r = await refusedStart({ KAFKA_BROKERS: "127.0.0.1:1", KAFKA_DEAD_LETTER_TOPIC: "survey.responses" });
    assert.equal(r.code, 2);
    assert.match(r.err, /KAFKA_DEAD_LETTER_TOPIC: 'survey.responses' is a topic the consumer reads/);
  });
  test("switchboard --help lists the Kafka settings", async () => {
    const out = (await promisify(execFile)(path.join(BIN_DIR, "switchboard"), ["--help"], { encoding: "utf8" })).stdout;
    for (const env of ["KAFKA_BROKERS", "KAFKA_CLIENT_ID", "KAFKA_GROUP_ID", "KAFKA_TOPIC_RESPONSES", "KAFKA_TOPIC_ANALYTICS", "KAFKA_TOPIC_LOCATIONS", "KAFKA_TOPIC_NOTIFICATIONS", "KAFKA_DEAD_LETTER_TOPIC", "KAFKA_OFFSET_RESET"])
      assert.ok(out.includes(`env ${env};`), env);
    assert.ok(out.includes("--kafka-brokers VALUE"));
  });
});
