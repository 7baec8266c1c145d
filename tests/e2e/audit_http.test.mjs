// Security issue #11, the HTTP findings: UTF-8 on every input path (#3), /metrics behind a key and
// without room or user names (#5), the service API's key, CORS and JSON bodies (#10).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { waitFor, sleep } from "./helpers.mjs";
import { gatewayFixture, SECRET, token, join, api, service, answer } from "./gateway-helpers.mjs";

const user = (userId) => ({ authorization: `Bearer ${token({ userId })}` });
const REST = "/api/v1/communication/";

// A raw request (fetch would re-encode a path or query that is not UTF-8).
async function raw(gw, method, target, headers = {}, body) {
  return answer(await fetch(gw.url + target, { method, headers, body }));
}

const corsHeaders = (h) => [...h.keys()].filter((k) => k.startsWith("access-control-"));

describe("audit #3: invalid UTF-8 never gets in through HTTP, and never goes out in a text frame", () => {
  const gw = gatewayFixture({});

  test("audit #3: a REST query value that is not UTF-8 is refused, nothing is stored or sent", async () => {
    const [bob] = await join(gw.url, token({ userId: "bob" }));
    const got = [];
    bob.on("chat:message", (m) => got.push(m));
    let closed = false;
    bob.on("disconnect", () => (closed = true));
    // The probe: the message and receiver in the query of a REST send.
    for (const q of ["receiverId=bob&message=%FF", "receiverId=bob&message=a%C3", "receiverId=bob&message=%ED%A0%80", "receiverId=bob&message=ok&x%FF=1"]) {
      const r = await raw(gw, "POST", `${REST}chats/?${q}`, user("alice"));
      assert.equal(r.status, 400, q);
      assert.deepEqual(r.json, { success: false, error: "Query string must be valid UTF-8" }, q);
    }
    const search = await raw(gw, "GET", `${REST}chats/search/?q=%FE%FF`, user("alice"));
    assert.equal(search.status, 400);
    // Valid UTF-8 in the query still works, and arrives intact.
    const arrival = waitFor(bob, "chat:message");
    const ok = await raw(gw, "POST", `${REST}chats/?receiverId=bob&message=caf%C3%A9+%E2%82%AC`, user("alice"));
    assert.equal(ok.status, 201);
    assert.equal((await arrival)[0].message, "café €");
    await sleep(200);
    assert.equal(got.length, 1, "only the valid message was sent");
    assert.equal(closed, false, "the receiver's client keeps its connection");
    // Loading the conversation gives only valid text.
    const conv = await raw(gw, "GET", `${REST}chats/conversation/alice/`, user("bob"));
    assert.equal(conv.status, 200);
    assert.ok(!conv.text.includes("\uFFFD"));
    bob.disconnect();
  });

  test("audit #3: REST path segments and /user-status/ paths that are not UTF-8: 400", async () => {
    for (const target of [`${REST}chats/conversation/%FF/`, `${REST}chats/conversation/%C0%AF`, `${REST}notifications/%FE/mark-read/`]) {
      const r = await raw(gw, target.includes("mark-read") ? "POST" : "GET", target, user("alice"));
      assert.equal(r.status, 400, target);
      assert.equal(r.json.success, false);
    }
    const s = await raw(gw, "GET", "/user-status/%FF", service(gw));
    assert.equal(s.status, 400);
  });

  test("audit #3: polling bodies and Engine.IO queries must be UTF-8", async () => {
    const bad = await raw(gw, "GET", "/socket.io/?EIO=4&transport=polling&x=%FF");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { code: 3, message: "Bad request" });
    // A polling session whose POST carries a Socket.IO packet with invalid UTF-8 is refused and closed.
    const open = await raw(gw, "GET", "/socket.io/?EIO=4&transport=polling");
    const sid = JSON.parse(open.text.slice(1)).sid;
    const post = (body) =>
      fetch(`${gw.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body });
    const refused = await post(Buffer.from([0x34, 0x30, 0x7b, 0x7d, 0x1e, 0x34, 0x32, 0x5b, 0x22, 0xff, 0x22, 0x5d])); // 40{}␞42["\xFF"]
    assert.equal(refused.status, 400);
    const after = await raw(gw, "GET", `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(after.status, 400, "the session is gone");
  });

  test("audit #3: a staff notification broadcast through the REST query cannot carry invalid UTF-8", async () => {
    const [a] = await join(gw.url, token({ userId: "u-a", collegeId: "c1" }));
    const [b] = await join(gw.url, token({ userId: "u-b", collegeId: "c1" }), { transports: ["polling"] });
    let closed = 0;
    for (const s of [a, b]) s.on("disconnect", () => ++closed);
    const staff = { authorization: `Bearer ${token({ userId: "staff-1", collegeId: "c1", role: "staff" })}` };
    const bad = await raw(gw, "POST", `${REST}notifications/broadcast/?collegeId=c1&title=%FF%FE&message=m`, staff);
    assert.equal(bad.status, 400);
    const got = waitFor(a, "notification:new");
    const ok = await raw(gw, "POST", `${REST}notifications/broadcast/?collegeId=c1&title=r%C3%A9union&message=m`, staff);
    assert.ok(ok.status < 300, ok.text);
    assert.equal((await got)[0].title, "réunion");
    await sleep(300);
    assert.equal(closed, 0, "every receiver keeps its connection");
    a.disconnect();
    b.disconnect();
  });
});

describe("audit #5: /metrics needs a key and names no room or user", () => {
  const gw = gatewayFixture({ METRICS_KEY: "m-key-1" });

  test("audit #5: without the key 401 (both forms), with it 200; the service key works too", async () => {
    for (const accept of ["text/plain", "application/json"]) {
      assert.equal((await raw(gw, "GET", "/metrics", { accept })).status, 401, accept);
      assert.equal((await raw(gw, "GET", "/metrics", { accept, authorization: "Bearer wrong" })).status, 401, accept);
      assert.equal((await raw(gw, "GET", "/metrics", { accept, authorization: "Bearer m-key-1" })).status, 200, accept);
      assert.equal((await raw(gw, "GET", "/metrics", { accept, "x-api-key": "m-key-1" })).status, 200, accept);
    }
  });

  test("audit #5: no room or user names in the JSON or the Prometheus text", async () => {
    const [s] = await join(gw.url, token({ userId: "secret-user-77", collegeId: "college-x9", role: "staff" }));
    const j = await raw(gw, "GET", "/metrics", { accept: "application/json", "x-api-key": "m-key-1" });
    assert.equal(j.status, 200);
    assert.equal(j.json.rooms, undefined);
    assert.ok(j.json.totalRooms >= 1);
    assert.equal(j.json.connectedSockets, 1);
    const p = await raw(gw, "GET", "/metrics", { "x-api-key": "m-key-1" });
    // (Event names such as user:online are counted by name; room names never appear.)
    for (const body of [j.text, p.text])
      for (const name of ["secret-user-77", "college-x9", '"user:secret', "college:", "role:"]) assert.ok(!body.includes(name), name);
    s.disconnect();
  });
});

describe("audit #5: metrics without any key, and METRICS_PUBLIC=true", () => {
  const closed = gatewayFixture({ SERVICE_API_KEY: "" });
  const open = gatewayFixture({ SERVICE_API_KEY: "", METRICS_PUBLIC: "true" });

  test("audit #5: no key configured: /metrics refuses everyone (403), with a start-up warning", async () => {
    assert.equal((await raw(closed, "GET", "/metrics")).status, 403);
    assert.equal((await raw(closed, "GET", "/metrics", { accept: "application/json" })).status, 403);
    assert.ok(closed.log.some((l) => l.includes("/metrics has no key")));
  });

  test("audit #5: METRICS_PUBLIC=true serves counts without a key and warns at start-up", async () => {
    const r = await raw(open, "GET", "/metrics", { accept: "application/json" });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json).sort(), ["connectedSockets", "totalRooms"]);
    assert.ok(open.log.some((l) => l.includes("METRICS_PUBLIC=true")));
  });
});

describe("audit #10: the service API needs a key unless API_LOOPBACK_ONLY=true", () => {
  const nokey = gatewayFixture({ SERVICE_API_KEY: "" });
  const proxied = gatewayFixture({ SERVICE_API_KEY: "", API_LOOPBACK_ONLY: "true", TRUSTED_PROXIES: "loopback" });

  test("audit #10: without SERVICE_API_KEY even loopback callers get 403, and the log says why", async () => {
    for (const [method, route] of [["GET", "/api/stats"], ["GET", "/api/online-users"], ["GET", "/connected-users"], ["GET", "/user-status/u1"]])
      assert.equal((await api(nokey, method, route)).status, 403, route);
    const r = await api(nokey, "POST", "/api/broadcast/global", { event: "e" });
    assert.equal(r.status, 403);
    assert.ok(nokey.log.some((l) => l.includes("SERVICE_API_KEY is not set")));
  });

  test("audit #10: API_LOOPBACK_ONLY=true judges the real client behind a trusted proxy", async () => {
    assert.equal((await api(proxied, "GET", "/api/stats")).status, 200);
    assert.equal((await api(proxied, "GET", "/api/stats", undefined, { "x-forwarded-for": "127.0.0.1" })).status, 200);
    const viaProxy = await api(proxied, "GET", "/api/stats", undefined, { "x-forwarded-for": "203.0.113.9" });
    assert.equal(viaProxy.status, 403);
    const post = await api(proxied, "POST", "/api/broadcast/global", { event: "e" }, { "x-forwarded-for": "198.51.100.1, 127.0.0.1" });
    assert.equal(post.status, 403);
    assert.ok(proxied.log.some((l) => l.includes("API_LOOPBACK_ONLY=true")));
  });
});

describe("audit #10: CORS follows ALLOWED_ORIGINS, never reflects with credentials, none on the service API", () => {
  const listed = gatewayFixture({ ALLOWED_ORIGINS: "https://app.example" });
  const any = gatewayFixture({});

  test("audit #10: an unlisted origin gets no CORS header on any route", async () => {
    const evil = { origin: "https://evil.example" };
    for (const [method, target, headers] of [
      ["GET", "/health", {}],
      ["GET", `${REST}chats/conversations/`, user("alice")],
      ["OPTIONS", `${REST}chats/`, { "access-control-request-method": "POST" }],
      ["GET", "/api/stats", service(listed)],
    ]) {
      const r = await raw(listed, method, target, { ...evil, ...headers });
      assert.deepEqual(corsHeaders(r.headers), [], `${method} ${target}`);
    }
    const engine = await raw(listed, "GET", "/socket.io/?EIO=4&transport=polling", evil);
    assert.equal(engine.status, 403);
    assert.deepEqual(corsHeaders(engine.headers), []);
  });

  test("audit #10: a listed origin: echoed, with credentials only on the Engine.IO endpoint", async () => {
    const app = { origin: "https://app.example" };
    const rest = await raw(listed, "GET", `${REST}chats/conversations/`, { ...app, ...user("alice") });
    assert.equal(rest.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(rest.headers.get("access-control-allow-credentials"), null);
    assert.match(rest.headers.get("vary") ?? "", /Origin/);
    const pre = await raw(listed, "OPTIONS", `${REST}chats/`, { ...app, "access-control-request-method": "POST" });
    assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
    assert.ok(!(pre.headers.get("access-control-allow-headers") ?? "").toLowerCase().includes("x-api-key"));
    const engine = await raw(listed, "GET", "/socket.io/?EIO=4&transport=polling", app);
    assert.equal(engine.status, 200);
    assert.equal(engine.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(engine.headers.get("access-control-allow-credentials"), "true");
  });

  test("audit #10: ALLOWED_ORIGINS=* answers * without credentials, never the request's origin", async () => {
    const evil = { origin: "https://evil.example" };
    for (const target of ["/health", `${REST}chats/conversations/`, "/socket.io/?EIO=4&transport=polling"]) {
      const r = await raw(any, "GET", target, { ...evil, ...user("alice") });
      assert.equal(r.headers.get("access-control-allow-origin"), "*", target);
      assert.equal(r.headers.get("access-control-allow-credentials"), null, target);
    }
  });

  test("audit #10: the service API sends no CORS header, preflights included", async () => {
    const app = { origin: "https://app.example" };
    for (const gw of [listed, any]) {
      for (const [method, target, headers] of [
        ["GET", "/api/stats", service(gw)],
        ["GET", "/user-status/u1", service(gw)],
        ["OPTIONS", "/api/broadcast/global", { "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-api-key" }],
        ["OPTIONS", "/api/notify", { "access-control-request-method": "POST" }],
      ]) {
        const r = await raw(gw, method, target, { ...app, ...headers });
        assert.deepEqual(corsHeaders(r.headers), [], `${method} ${target}`);
      }
    }
  });

  test("audit #10: JSON routes require Content-Type application/json", async () => {
    const body = JSON.stringify({ event: "e" });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const r = await raw(any, "POST", "/api/broadcast/global", { "content-type": type, ...service(any) }, body);
      assert.equal(r.status, 415, type);
      assert.deepEqual(r.json, { success: false, error: "Content-Type must be application/json" });
    }
    const ok = await raw(any, "POST", "/api/broadcast/global", { "content-type": "Application/JSON; charset=utf-8", ...service(any) }, body);
    assert.equal(ok.status, 200);
    const rest = await raw(any, "POST", `${REST}chats/`, { "content-type": "text/plain", ...user("alice") }, JSON.stringify({ receiverId: "bob", message: "hi" }));
    assert.equal(rest.status, 415);
  });
});
