// PROFILE end to end: each profile's /health and /metrics bodies as its seed document shows them
// (field for field, in order), an explicit setting winning over the profile's default, the
// start-up warnings of what a profile loosens, and no change at all without a profile. The seed
// flows themselves are in seed_*.test.mjs.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { startGateway, SECRET, token, join, ask } from "./gateway-helpers.mjs";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function get(gw, route, headers = {}) {
  const res = await fetch(gw.url + route, { headers });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), text, json: JSON.parse(text) };
}

// A warning line of the gateway's log whose message contains `what`.
function warned(gw, what) {
  return gw.log.some((l) => {
    try {
      const o = JSON.parse(l);
      return o.level === "warn" && JSON.stringify(o).includes(what);
    } catch {
      return false;
    }
  });
}

async function withGateway(env, fn) {
  const gw = await startGateway({ JWT_SECRET: SECRET, ...env });
  try {
    await fn(gw);
  } finally {
    await gw.stop();
  }
}

describe("profiles: /health and /metrics as each seed shows them", () => {
  test("no PROFILE: /health and /metrics unchanged", async () => {
    await withGateway({}, async (gw) => {
      const h = await get(gw, "/health");
      assert.equal(h.status, 200);
      assert.deepEqual(Object.keys(h.json), ["status", "service", "timestamp", "version", "uptime", "connections"]);
      assert.equal(h.json.status, "ok");
      assert.equal(h.json.service, "switchboard");
      assert.equal((await get(gw, "/metrics")).status, 401); // still needs the key
      assert.ok(!gw.log.some((l) => l.includes('"profile"')));
    });
  });

  test("kumss (seed 000): {status: ok, service: websocket-service, timestamp}", async () => {
    // DRF_TOKEN_AUTH (the profile's default) needs PostgreSQL: turned off here, explicitly.
    await withGateway({ PROFILE: "kumss", DRF_TOKEN_AUTH: "false", SERVICE_API_KEY: "" }, async (gw) => {
      const h = await get(gw, "/health");
      assert.equal(h.status, 200);
      assert.match(h.type, /^application\/json/);
      assert.deepEqual(Object.keys(h.json), ["status", "service", "timestamp"]);
      assert.equal(h.json.status, "ok");
      assert.equal(h.json.service, "websocket-service");
      assert.match(h.json.timestamp, ISO);
      // The keyless loopback API the ERP's backend calls (curl, no key), warned as when set by hand.
      assert.ok(warned(gw, "API_LOOPBACK_ONLY=true without SERVICE_API_KEY"));
    });
  });

  test("kumss without PostgreSQL: the profile's DRF_TOKEN_AUTH stops the start, naming it", async () => {
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, PROFILE: "kumss" }), /DRF_TOKEN_AUTH/);
  });

  test("survey (seed 002): {status: healthy, service, timestamp, uptime, connections: {...}}", async () => {
    await withGateway({ PROFILE: "survey" }, async (gw) => {
      const [s] = await join(gw.url, token({ userId: "user123" }));
      const [anon] = await join(gw.url, undefined); // the profile admits anonymous sockets
      try {
        const h = await get(gw, "/health");
        assert.deepEqual(Object.keys(h.json), ["status", "service", "timestamp", "uptime", "connections"]);
        assert.equal(h.json.status, "healthy");
        assert.equal(h.json.service, "websocket-service");
        assert.match(h.json.timestamp, ISO);
        assert.equal(typeof h.json.uptime, "number");
        assert.deepEqual(h.json.connections, {
          totalConnections: 2,
          authenticatedConnections: 1,
          anonymousConnections: 1,
          uniqueUsers: 1,
        });
        // Warned as when set by hand: survey and project rooms open, anonymous sockets admitted.
        assert.ok(warned(gw, "prefix survey open"));
        assert.ok(warned(gw, "prefix project open"));
        assert.ok(warned(gw, "ALLOW_ANONYMOUS=true"));
      } finally {
        s.disconnect();
        anon.disconnect();
      }
    });
  });

  test("ecommerce (seed 003): {status: OK, service: websocket-service, timestamp}", async () => {
    await withGateway({ PROFILE: "ecommerce" }, async (gw) => {
      const h = await get(gw, "/health");
      assert.deepEqual(Object.keys(h.json), ["status", "service", "timestamp"]);
      assert.equal(h.json.status, "OK");
      assert.equal(h.json.service, "websocket-service");
      assert.ok(warned(gw, "prefix order open"));
      assert.ok(warned(gw, "prefix product open"));
    });
  });

  test("hometrip (seed 004): /health {status, service, version, redis, ...}; /metrics JSON without a key", async () => {
    await withGateway({ PROFILE: "hometrip" }, async (gw) => {
      const [s] = await join(gw.url, token({ userId: "123" }));
      try {
        assert.equal((await ask(s, "join_room", { roomType: "conversation", roomId: "conv-789" })).success, true);
        const h = await get(gw, "/health");
        // No RabbitMQ configured here: no eventBus (seed_hometrip shows it with a broker).
        assert.deepEqual(Object.keys(h.json), ["status", "service", "version", "redis"]);
        assert.equal(h.json.status, "healthy");
        assert.equal(h.json.service, "websocket-gateway");
        assert.equal(typeof h.json.version, "string");
        assert.equal(h.json.redis, "not configured");
        const m = await get(gw, "/metrics"); // curl http://localhost:3002/metrics, no key
        assert.equal(m.status, 200);
        assert.match(m.type, /^application\/json/);
        // Counts only: the seed's "rooms" list names every online user, to anyone (refused; see
        // METRICS_ROOM_NAMES below).
        assert.deepEqual(Object.keys(m.json), ["connectedSockets", "totalRooms"]);
        assert.equal(m.json.connectedSockets, 1);
        assert.ok(m.json.totalRooms >= 2); // user:123, conversation:conv-789 (and global)
        assert.ok(warned(gw, "METRICS_PUBLIC=true"));
        assert.ok(warned(gw, "prefix conversation open"));
        assert.ok(warned(gw, "prefix notification open"));
      } finally {
        s.disconnect();
      }
    });
  });
});

describe("profiles: explicit settings win", () => {
  test("hometrip with HEALTH_STATUS, METRICS_PUBLIC, ROOMS_OPEN and SERVICE_NAME given", async () => {
    const env = { PROFILE: "hometrip", HEALTH_STATUS: "up", METRICS_PUBLIC: "false", ROOMS_OPEN: "", SERVICE_NAME: "gw-2" };
    await withGateway(env, async (gw) => {
      const h = await get(gw, "/health");
      assert.equal(h.json.status, "up");
      assert.equal(h.json.service, "gw-2");
      assert.equal((await get(gw, "/metrics")).status, 401);
      const m = await get(gw, "/metrics", { authorization: `Bearer ${gw.metricsKey}` });
      assert.deepEqual(Object.keys(m.json), ["connectedSockets", "totalRooms"]); // still its format
      assert.ok(!warned(gw, "prefix conversation open"));
      const [s] = await join(gw.url, token({ userId: "123" }));
      try {
        const r = await ask(s, "join_room", { roomType: "conversation", roomId: "conv-1" });
        assert.equal(r.success, false); // the default rules again: conversation rooms closed
      } finally {
        s.disconnect();
      }
    });
  });

  test("hometrip with METRICS_ROOM_NAMES=true: the seed's rooms list, warned while /metrics is public", async () => {
    await withGateway({ PROFILE: "hometrip", METRICS_ROOM_NAMES: "true" }, async (gw) => {
      const [s] = await join(gw.url, token({ userId: "123" }));
      try {
        assert.equal((await ask(s, "join_room", { roomType: "conversation", roomId: "conv-789" })).success, true);
        const m = await get(gw, "/metrics");
        assert.deepEqual(Object.keys(m.json), ["connectedSockets", "rooms", "totalRooms"]);
        assert.ok(m.json.rooms.includes("user:123"));
        assert.ok(m.json.rooms.includes("conversation:conv-789"));
        assert.equal(m.json.totalRooms, m.json.rooms.length);
        assert.ok(warned(gw, "METRICS_ROOM_NAMES=true with METRICS_PUBLIC=true"));
      } finally {
        s.disconnect();
      }
    });
  });

  test("flags win too; --port beats the profile's PORT", async () => {
    await withGateway({ PROFILE: "ecommerce" }, async (gw) => {
      assert.notEqual(gw.port, 8009); // startGateway passes --port 0
    });
    const gw = await startGateway({ JWT_SECRET: SECRET, PROFILE: "survey" }, ["--health-status=fine", "--health-fields=status,service"]);
    try {
      const h = await get(gw, "/health");
      assert.deepEqual(h.json, { status: "fine", service: "websocket-service" });
    } finally {
      await gw.stop();
    }
  });

  test("a rules file naming a prefix keeps its rule over the profile's ROOMS_OPEN", async () => {
    const { rulesFile } = await import("./gateway-helpers.mjs");
    const file = rulesFile({ prefixes: { order: "deny" } });
    await withGateway({ PROFILE: "ecommerce", ROOM_RULES_FILE: file }, async (gw) => {
      const [s] = await join(gw.url, token({ userId: "u1" }));
      try {
        assert.equal((await ask(s, "subscribe_order", "order-1")).success, false);
        assert.equal((await ask(s, "subscribe_inventory", "product-1")).success, true);
      } finally {
        s.disconnect();
      }
    });
  });

  test("bad values stop the start: unknown PROFILE, HEALTH_FIELDS, METRICS_FORMAT, ROOMS_OPEN", async () => {
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, PROFILE: "django" }), /PROFILE: 'django'/);
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, HEALTH_FIELDS: "status,secret" }), /HEALTH_FIELDS/);
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, METRICS_FORMAT: "xml" }), /METRICS_FORMAT/);
    await assert.rejects(startGateway({ JWT_SECRET: SECRET, ROOMS_OPEN: "user" }), /ROOMS_OPEN/);
  });
});
