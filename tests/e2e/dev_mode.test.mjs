// DEV_MODE (scripts/run): a JWT secret generated once and kept in DATA_DIR, POST /dev/token {name}
// minting a token for any name that the gateway then accepts; without DEV_MODE no such route.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startGateway, jwt, join } from "./gateway-helpers.mjs";

const mint = (gw, body) =>
  fetch(gw.url + "/dev/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

test("dev mode: a token for any name, accepted by the gateway, still valid after a restart", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-dev-"));
  let gw = await startGateway({ DEV_MODE: "true", DATA_DIR: dataDir });
  try {
    assert.ok(gw.log.some((l) => l.includes("DEV MODE")), "announced");
    const r = await mint(gw, { name: "ana" });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.success, true);
    assert.equal(body.userId, "ana");
    const secret = fs.readFileSync(path.join(dataDir, "dev-jwt-secret"), "utf8").trim();
    assert.ok(secret.length >= 32);
    assert.equal((fs.statSync(path.join(dataDir, "dev-jwt-secret")).mode & 0o777).toString(8), "600");
    assert.equal(jwt.verify(body.token, secret, { algorithms: ["HS256"] }).userId, "ana");
    const [s, hello] = await join(gw.url, body.token);
    assert.equal(hello.userId, "ana");
    s.disconnect();
    // A bad name: refused, with the rule.
    for (const bad of [{}, { name: "" }, { name: "a b" }, { name: 7 }]) {
      const b = await mint(gw, bad);
      assert.equal(b.status, 400, JSON.stringify(bad));
      assert.equal((await b.json()).success, false);
    }
    assert.equal((await fetch(gw.url + "/dev/token")).status, 405);
    await gw.stop();
    // The same secret after a restart: the token still works.
    gw = await startGateway({ DEV_MODE: "true", DATA_DIR: dataDir });
    const [s2, hello2] = await join(gw.url, body.token);
    assert.equal(hello2.userId, "ana");
    s2.disconnect();
  } finally {
    await gw.stop();
  }
});

test("without DEV_MODE there is no /dev/token, and no secret is made", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-dev-"));
  const gw = await startGateway({ DATA_DIR: dataDir, JWT_SECRET: "x".repeat(40) });
  try {
    assert.equal((await mint(gw, { name: "ana" })).status, 404);
    assert.equal(fs.existsSync(path.join(dataDir, "dev-jwt-secret")), false);
  } finally {
    await gw.stop();
  }
});

test("dev mode with JWT_SECRET set mints with that secret", async () => {
  const secret = "y".repeat(40);
  const gw = await startGateway({ DEV_MODE: "true", JWT_SECRET: secret });
  try {
    const body = await (await mint(gw, { name: "bo" })).json();
    assert.equal(jwt.verify(body.token, secret, { algorithms: ["HS256"] }).userId, "bo");
  } finally {
    await gw.stop();
  }
});

// The /demo/ chat's embedded files: with DEV_MODE (and / → /demo/), with DEMO=true alone (no
// redirect, no /dev/token), and neither without both.
test("the /demo/ chat is served in dev mode or with DEMO=true, never otherwise", async () => {
  const get = (gw, p) => fetch(gw.url + p, { redirect: "manual" });
  const files = [
    ["/demo/", "text/html"],
    ["/demo/index.html", "text/html"],
    ["/demo/app.js", "text/javascript"],
    ["/demo/app.css", "text/css"],
    ["/demo/socket.io.min.js", "text/javascript"],
  ];
  for (const env of [{ DEV_MODE: "true" }, { DEMO: "true" }]) {
    const gw = await startGateway(env);
    try {
      for (const [p, type] of files) {
        const r = await get(gw, p);
        assert.equal(r.status, 200, p);
        assert.ok(r.headers.get("content-type").startsWith(type + "; charset=utf-8"), p);
        assert.equal(r.headers.get("cache-control"), "no-cache", p);
        assert.ok((await r.text()).length > 100, p);
      }
      assert.match(await (await get(gw, "/demo/")).text(), /<script src="app\.js"><\/script>/);
      const bare = await get(gw, "/demo");
      assert.equal(bare.status, 302);
      assert.equal(bare.headers.get("location"), "/demo/");
      assert.equal((await get(gw, "/demo/missing.js")).status, 404);
      const root = await get(gw, "/");
      if (env.DEV_MODE) {
        assert.equal(root.status, 302);
        assert.equal(root.headers.get("location"), "/demo/");
      } else {
        assert.equal(root.status, 404);
        assert.equal((await mint(gw, { name: "ana" })).status, 404, "DEMO alone mints no token");
      }
    } finally {
      await gw.stop();
    }
  }
  const gw = await startGateway({});
  try {
    for (const p of ["/", "/demo", "/demo/", "/demo/app.js"]) assert.equal((await get(gw, p)).status, 404, p);
  } finally {
    await gw.stop();
  }
});
