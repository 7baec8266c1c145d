// Limits: the per-socket event rate, and connections per client address (behind trusted proxies).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { waitFor, sleep } from "./helpers.mjs";
import { gatewayFixture, token, join, refused, ask, arrives, metricsText } from "./gateway-helpers.mjs";

describe("gateway: rate limit", () => {
  const gw = gatewayFixture({ RATE_LIMIT_MAX_MESSAGES: "5", RATE_LIMIT_WINDOW: "60000", RATE_LIMIT_DISCONNECT_AFTER: "3" });

  test("excess events are dropped with one warning; sustained abuse disconnects", async () => {
    const [s] = await join(gw.url, token({ userId: "spammer" }));
    for (let i = 0; i < 5; i++) assert.ok(Date.parse((await ask(s, "heartbeat")).timestamp));
    const warned = waitFor(s, "rate_limit_exceeded");
    await assert.rejects(ask(s, "heartbeat"), /timed out/); // the 6th: dropped, never answered
    const [w] = await warned;
    assert.equal(w.message, "Too many messages");
    assert.ok(w.retryAfter > 0 && w.retryAfter <= 60000, `retryAfter ${w.retryAfter}`);
    const again = arrives(s, "rate_limit_exceeded", 300);
    s.emit("heartbeat");
    s.emit("heartbeat"); // 8th: 3 dropped so far
    assert.equal(await again, false, "warned once per window");
    assert.ok(s.connected);
    const err = waitFor(s, "error");
    const gone = waitFor(s, "disconnect");
    s.emit("heartbeat"); // 9th: a 4th drop, past RATE_LIMIT_DISCONNECT_AFTER
    assert.deepEqual((await err)[0], { message: "Rate limit exceeded, disconnecting" });
    assert.equal((await gone)[0], "io server disconnect");
  });

  test("another socket has its own window; the limit is counted in /metrics", async () => {
    const [s] = await join(gw.url, token({ userId: "calm" }));
    assert.ok((await ask(s, "heartbeat")).timestamp);
    s.disconnect();
    const text = await metricsText(gw);
    assert.match(text, /switchboard_rate_limited_total\{action="dropped"\} 3\n/);
    assert.match(text, /switchboard_rate_limited_total\{action="disconnected"\} 1\n/);
  });
});

describe("gateway: connections per IP", () => {
  const direct = gatewayFixture({ MAX_CONNECTIONS_PER_IP: "2" });
  const proxied = gatewayFixture({ MAX_CONNECTIONS_PER_IP: "2", TRUSTED_PROXIES: "loopback" });

  test("the third socket from one address is refused until one leaves", async () => {
    const [a] = await join(direct.url, token({ userId: "a" }));
    const [b] = await join(direct.url, token({ userId: "b" }));
    assert.equal(await refused(direct.url, { auth: { token: token({ userId: "c" }) } }), "Too many connections from this IP");
    // X-Forwarded-For from an untrusted peer changes nothing.
    assert.equal(
      await refused(direct.url, { auth: { token: token({ userId: "c" }) }, extraHeaders: { "x-forwarded-for": "203.0.113.7" } }),
      "Too many connections from this IP",
    );
    a.disconnect();
    await sleep(200);
    const [c] = await join(direct.url, token({ userId: "c" }));
    b.disconnect();
    c.disconnect();
    const text = await metricsText(direct);
    assert.match(text, /switchboard_connections_refused_total\{limit="per_ip"\} 2\n/);
  });

  test("behind a trusted proxy each forwarded address has its own quota", async () => {
    const as = (ip, user) => join(proxied.url, token({ userId: user }), { extraHeaders: { "x-forwarded-for": ip } });
    const [a1] = await as("203.0.113.1", "a1");
    const [a2] = await as("203.0.113.1", "a2");
    const [b1] = await as("203.0.113.2", "b1");
    assert.equal(
      await refused(proxied.url, { auth: { token: token({ userId: "a3" }) }, extraHeaders: { "x-forwarded-for": "203.0.113.1" } }),
      "Too many connections from this IP",
    );
    for (const s of [a1, a2, b1]) s.disconnect();
  });
});
