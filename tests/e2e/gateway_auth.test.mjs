// Identity: JWT from auth/query/header, anonymous connections, refusals, expiry and refresh.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect, connected, waitFor, sleep } from "./helpers.mjs";
import { gatewayFixture, startGateway, jwt, SECRET, token, join, refused, ask, metricsText } from "./gateway-helpers.mjs";

describe("gateway: JWT (HS256) with anonymous off", () => {
  const gw = gatewayFixture();

  test("a valid token connects, auto-joins its rooms and gets `connected`", async () => {
    const t = token({ userId: 42, email: "a@x.io", role: "staff", collegeId: "7", companyId: "c1", shopIds: ["s1", "s2"] });
    const [s, hello] = await join(gw.url, t);
    assert.equal(hello.socketId, s.id);
    assert.equal(hello.userId, "42");
    assert.equal(hello.isAnonymous, false);
    assert.deepEqual(hello.rooms, ["global", "user:42", "college:7", "company:c1", "shop:s1", "shop:s2", "role:staff"]);
    assert.ok(!Number.isNaN(Date.parse(hello.serverTime)));
    assert.equal(typeof hello.message, "string");
    s.disconnect();
  });

  test("super admins also join super_admin; sub and user_id name the user", async () => {
    const [a, ha] = await join(gw.url, token({ sub: "root", isSuperAdmin: true }));
    assert.deepEqual(ha.rooms, ["global", "user:root", "super_admin"]);
    const [b, hb] = await join(gw.url, token({ user_id: "u7", role: "super_admin" }));
    assert.deepEqual(hb.rooms, ["global", "user:u7", "role:super_admin", "super_admin"]);
    a.disconnect();
    b.disconnect();
  });

  test("the token may come from ?token= or an Authorization header", async () => {
    const [q, hq] = await join(gw.url, undefined, { query: { token: token({ userId: "q" }) } });
    assert.equal(hq.userId, "q");
    const [h, hh] = await join(gw.url, undefined, {
      extraHeaders: { authorization: "Bearer " + token({ userId: "h" }) },
    });
    assert.equal(hh.userId, "h");
    // Over long-polling too (the header rides on every request).
    const [p, hp] = await join(gw.url, undefined, {
      transports: ["polling"],
      extraHeaders: { authorization: "Bearer " + token({ userId: "p" }) },
    });
    assert.equal(hp.userId, "p");
    for (const s of [q, h, p]) s.disconnect();
  });

  test("no token: Authentication required; a bad one: Invalid or expired token", async () => {
    assert.equal(await refused(gw.url, {}), "Authentication required");
    assert.equal(await refused(gw.url, { auth: { token: "garbage" } }), "Invalid or expired token");
    const expired = jwt.sign({ userId: 1, exp: Math.floor(Date.now() / 1000) - 3600 }, SECRET);
    assert.equal(await refused(gw.url, { auth: { token: expired } }), "Invalid or expired token");
    const future = jwt.sign({ userId: 1, nbf: Math.floor(Date.now() / 1000) + 3600 }, SECRET);
    assert.equal(await refused(gw.url, { auth: { token: future } }), "Invalid or expired token");
    const other = jwt.sign({ userId: 1 }, "another-secret");
    assert.equal(await refused(gw.url, { auth: { token: other } }), "Invalid or expired token");
    const none = jwt.sign({ userId: 1 }, null, { algorithm: "none" });
    assert.equal(await refused(gw.url, { auth: { token: none } }), "Invalid or expired token");
    const noUser = token({ email: "x@y.z" });
    assert.equal(await refused(gw.url, { auth: { token: noUser } }), "Invalid or expired token");
  });

  test("refusals are counted by reason in /metrics", async () => {
    const text = await metricsText(gw);
    assert.match(text, /switchboard_auth_failures_total\{reason="missing_token"\} [1-9]/);
    assert.match(text, /switchboard_auth_failures_total\{reason="expired"\} [1-9]/);
    assert.match(text, /switchboard_auth_failures_total\{reason="bad_signature"\} [1-9]/);
    assert.match(text, /switchboard_auth_failures_total\{reason="algorithm"\} [1-9]/);
  });

  test("token_expiring_soon once when less than TOKEN_EXPIRY_WARNING remains", async () => {
    const t = jwt.sign({ userId: "w", exp: Math.floor(Date.now() / 1000) + 120 }, SECRET);
    const s = connect(gw.url, { auth: { token: t }, transports: ["websocket"] });
    const [warning] = await waitFor(s, "token_expiring_soon");
    assert.ok(warning.expiresIn > 100 && warning.expiresIn <= 120, `expiresIn ${warning.expiresIn}`);
    s.disconnect();
  });

  test("auth:refresh extends the session for the same user only", async () => {
    const [s] = await join(gw.url, token({ userId: "r" }, { expiresIn: 200 }));
    const ok = await ask(s, "auth:refresh", { token: token({ userId: "r" }, { expiresIn: 7200 }) });
    assert.equal(ok.success, true);
    assert.ok(Date.parse(ok.expiresAt) > Date.now() + 7000 * 1000);
    const other = await ask(s, "auth:refresh", { token: token({ userId: "someone-else" }) });
    assert.deepEqual(other, { success: false, error: "Token belongs to another user" });
    const bad = await ask(s, "auth:refresh", { token: "x.y.z" });
    assert.deepEqual(bad, { success: false, error: "Invalid or expired token" });
    const missing = await ask(s, "auth:refresh", {});
    assert.deepEqual(missing, { success: false, error: "token is required" });
    assert.ok(s.connected);
    s.disconnect();
  });
});

describe("gateway: expiry ends the session", () => {
  const gw = gatewayFixture({ JWT_LEEWAY: "0", TOKEN_EXPIRY_WARNING: "1" });

  test("warned, then disconnected by the server when the token expires", async () => {
    const t = jwt.sign({ userId: "e", exp: Math.floor(Date.now() / 1000) + 3 }, SECRET);
    const [s] = await join(gw.url, t);
    const warned = waitFor(s, "token_expiring_soon", 6000);
    const errored = waitFor(s, "error", 6000);
    const gone = waitFor(s, "disconnect", 6000);
    const [w] = await warned;
    assert.equal(w.expiresIn, 1);
    const [e] = await errored;
    assert.deepEqual(e, { message: "Token expired" });
    const [reason] = await gone;
    assert.equal(reason, "io server disconnect");
  });

  test("a refreshed token keeps the session past the old expiry", async () => {
    const t = jwt.sign({ userId: "f", exp: Math.floor(Date.now() / 1000) + 3 }, SECRET);
    const [s] = await join(gw.url, t);
    const r = await ask(s, "auth:refresh", { token: token({ userId: "f" }) });
    assert.equal(r.success, true);
    await sleep(4000);
    assert.ok(s.connected, "still connected after the first token's exp");
    s.disconnect();
  });
});

describe("gateway: anonymous connections", () => {
  const gw = gatewayFixture({ ALLOW_ANONYMOUS: "true" });

  test("no token → anonymous in global only; a bad token is still refused", async () => {
    const [s, hello] = await join(gw.url);
    assert.equal(hello.isAnonymous, true);
    assert.equal(hello.userId, null);
    assert.deepEqual(hello.rooms, ["global"]);
    assert.equal(await refused(gw.url, { auth: { token: "bad" } }), "Invalid or expired token");
    const r = await ask(s, "auth:refresh", { token: token({ userId: "x" }) });
    assert.equal(r.success, false);
    s.disconnect();
  });
});

describe("gateway: RS256 public key and ES256/ES384 JWKS", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-keys-"));
  const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ec384 = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
  const pemFile = path.join(dir, "pub.pem");
  const jwksFile = path.join(dir, "jwks.json");
  fs.writeFileSync(pemFile, rsa.publicKey.export({ type: "spki", format: "pem" }));
  fs.writeFileSync(
    jwksFile,
    JSON.stringify({
      keys: [
        { ...ec.publicKey.export({ format: "jwk" }), kid: "ec1", alg: "ES256" },
        { ...ec384.publicKey.export({ format: "jwk" }), kid: "ec2" },
      ],
    }),
  );
  let gw;
  before(async () => {
    gw = await startGateway({ JWT_PUBLIC_KEY_FILE: pemFile, JWT_JWKS_FILE: jwksFile, JWT_ISSUER: "erp", JWT_AUDIENCE: "gw" });
  });
  after(async () => {
    await gw.stop();
    fs.rmSync(dir, { recursive: true });
  });
  const claims = { userId: "k", iss: "erp", aud: "gw" };

  test("each accepted algorithm connects", async () => {
    for (const t of [
      jwt.sign(claims, rsa.privateKey, { algorithm: "RS256" }),
      jwt.sign(claims, rsa.privateKey, { algorithm: "RS512" }),
      jwt.sign(claims, ec.privateKey, { algorithm: "ES256", keyid: "ec1" }),
      jwt.sign(claims, ec384.privateKey, { algorithm: "ES384", keyid: "ec2" }),
    ]) {
      const [s, hello] = await join(gw.url, t);
      assert.equal(hello.userId, "k");
      s.disconnect();
    }
  });

  test("key confusion, wrong issuer/audience and HS tokens are refused", async () => {
    const pem = rsa.publicKey.export({ type: "spki", format: "pem" });
    for (const t of [
      jwt.sign(claims, pem, { algorithm: "HS256" }),
      jwt.sign(claims, SECRET, { algorithm: "HS256" }),
      jwt.sign({ ...claims, iss: "other" }, rsa.privateKey, { algorithm: "RS256" }),
      jwt.sign({ ...claims, aud: "other" }, rsa.privateKey, { algorithm: "RS256" }),
      jwt.sign(claims, ec.privateKey, { algorithm: "ES256", keyid: "missing" }),
    ])
      assert.equal(await refused(gw.url, { auth: { token: t } }), "Invalid or expired token");
  });

  test("a bad key file stops the start with a clear message", async () => {
    const bad = path.join(dir, "bad.pem");
    fs.writeFileSync(bad, "nope");
    await assert.rejects(startGateway({ JWT_PUBLIC_KEY_FILE: bad }), /JWT_PUBLIC_KEY_FILE: .* is not a PEM/);
  });
});
