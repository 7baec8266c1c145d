// The /demo/ chat in a real browser: Debian's chromium driven by playwright-core, against
// build/bin/switchboard in dev mode. Two people chat (messages, receipts, typing, unread counts,
// online dots, history on scroll), a notification reaches the bell, and the server is restarted
// mid-conversation: both pages reconnect by themselves and nothing sent meanwhile is lost.
// Screenshots go to tests/browser/artifacts/ (gitignored).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createHmac } from "node:crypto";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(process.env.SB_BIN_DIR || path.join(here, "../../build/bin"), "switchboard");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARTIFACTS = path.join(here, "artifacts");
const KEY = "browser-test-key-" + process.pid;

// Starts the gateway (in dev mode unless `env` says otherwise; port 0: a free one) and resolves
// once its database is ready.
async function startGateway(dataDir, port = 0, env = { DEV_MODE: "true" }) {
  const proc = spawn(BIN, ["--port", String(port), "--host", "127.0.0.1"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, SERVICE_API_KEY: KEY, LOG_LEVEL: "info", ...env },
  });
  const log = [];
  const exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    let buf = "";
    let listening = null;
    const timer = setTimeout(() => reject(new Error("gateway did not start:\n" + log.join("\n"))), 15000);
    proc.stderr.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        log.push(line);
        try {
          const o = JSON.parse(line);
          if (o.msg === "listening") listening = Number(o.port);
          if (o.msg === "database ready" && listening !== null) {
            clearTimeout(timer);
            resolve(listening);
          }
        } catch {}
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${log.join("\n")}`));
    });
  });
  process.on("exit", () => proc.kill("SIGKILL"));
  return {
    port: ready,
    url: `http://127.0.0.1:${ready}`,
    log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

async function signIn(page, url, name) {
  await page.goto(url + "/"); // dev mode: / redirects to /demo/
  assert.match(page.url(), /\/demo\/$/);
  await page.fill("#signin-name", name);
  await page.click("#signin-form button[type=submit]");
  await page.waitForSelector('#conn[data-state="online"]');
  assert.equal(await page.textContent("#me-name"), name);
}

const launch = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
const b64url = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
function hs256(claims, secret) {
  const head = b64url({ alg: "HS256", typ: "JWT" }) + "." + b64url(claims);
  return head + "." + createHmac("sha256", secret).update(head).digest("base64url");
}
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, name) });

test("two people chat in /demo/, through a notification and a server restart", { timeout: 180000 }, async () => {
  assert.ok(fs.existsSync(BIN), `${BIN} is missing: build it first (scripts/build)`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/bootstrap)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-browser-"));
  let server = await startGateway(dataDir);
  const browser = await launch();
  try {
    const viewport = { width: 1180, height: 760 };
    const anaCtx = await browser.newContext({ viewport });
    const benCtx = await browser.newContext({ viewport });
    const ana = await anaCtx.newPage();
    const ben = await benCtx.newPage();
    const errors = [];
    for (const [who, p] of [["ana", ana], ["ben", ben]]) p.on("pageerror", (e) => errors.push(`${who}: ${e.message}`));

    // The demo's files: content types and no-cache.
    for (const [file, type] of [["", "text/html"], ["app.js", "text/javascript"], ["app.css", "text/css"], ["socket.io.min.js", "text/javascript"]]) {
      const r = await fetch(`${server.url}/demo/${file}`);
      assert.equal(r.status, 200, file);
      assert.match(r.headers.get("content-type"), new RegExp("^" + type), file);
      assert.equal(r.headers.get("cache-control"), "no-cache", file);
    }

    // History to page through: cleo has sent ana 45 messages (REST API, cleo's dev token).
    const cleo = await (await fetch(`${server.url}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "cleo" }) })).json();
    for (let i = 1; i <= 45; i++) {
      const r = await fetch(`${server.url}/api/v1/communication/chats/`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${cleo.token}` },
        body: JSON.stringify({ receiverId: "ana", message: `Standup note ${i} of 45` }),
      });
      assert.equal(r.status, 201);
    }

    await ana.goto(server.url + "/demo/");
    await ana.waitForSelector("#signin-form");
    await shot(ana, "01-sign-in.png");
    await signIn(ana, server.url, "ana");
    await signIn(ben, server.url, "ben");

    // ana: cleo's conversation has 45 unread (delivered to her page as she connected); after a
    // reload (the session is kept) opening it shows the newest page, and scrolling up the rest.
    await ana.waitForSelector('.conv[data-user="cleo"] .unread:text-is("45")');
    await ana.reload();
    await ana.waitForSelector('#conn[data-state="online"]');
    await ana.waitForSelector('.conv[data-user="cleo"] .unread:text-is("45")');
    await ana.click('.conv[data-user="cleo"]');
    await ana.waitForSelector('.msg.theirs:has-text("Standup note 45 of 45")');
    assert.equal(await ana.locator(".msg.theirs").count(), 30);
    await ana.waitForSelector('.conv[data-user="cleo"]:not(:has(.unread))');
    await ana.locator("#messages").evaluate((el) => (el.scrollTop = 0));
    await ana.waitForSelector('.msg.theirs:has-text("Standup note 1 of 45")');
    assert.equal(await ana.locator(".msg.theirs").count(), 45);
    await ana.waitForSelector('#history-state:text-is("Beginning of the conversation")');

    // ana starts a conversation with ben; ben is online, so it is delivered at once.
    await ana.fill("#new-conv-user", "ben");
    await ana.press("#new-conv-user", "Enter");
    await ana.waitForSelector('#peer-name:text-is("ben")');
    await ana.waitForSelector('#peer-status:text-is("Online")');
    await ana.fill("#composer-input", "Hi Ben! Is the release still on for Friday?");
    await ana.press("#composer-input", "Enter");
    await ana.waitForSelector('.msg.mine[data-state="delivered"]:has-text("release still on")');

    // ben: the conversation with one unread and ana's online dot; opening it reads it.
    await ben.waitForSelector('.conv[data-user="ana"][data-online="true"] .unread:text-is("1")');
    await ben.waitForSelector('.conv[data-user="ana"] .conv-preview:has-text("release still on")');
    await ben.click('.conv[data-user="ana"]');
    await ben.waitForSelector('.msg.theirs:has-text("Hi Ben! Is the release still on for Friday?")');
    await ana.waitForSelector('.msg.mine[data-state="read"]:has-text("release still on")');

    // Typing, both ways.
    await ben.locator("#composer-input").pressSequentially("Yes — QA signed off", { delay: 30 });
    await ana.waitForSelector('#typing:not([hidden])');
    await ana.waitForSelector('#peer-status:text-is("typing…")');
    await ana.waitForSelector('.conv[data-user="ben"] .conv-preview.typing');
    await ben.press("#composer-input", "Enter");
    await ana.waitForSelector('.msg.theirs:has-text("Yes — QA signed off")');
    await ana.waitForSelector("#typing", { state: "hidden" });
    await ben.waitForSelector('.msg.mine[data-state="read"]:has-text("QA signed off")'); // ana has it open
    await ana.locator("#composer-input").pressSequentially("Great, thanks", { delay: 30 });
    await ben.waitForSelector('#typing:not([hidden])');
    await ben.waitForSelector('.conv[data-user="ana"] .conv-preview.typing');
    await shot(ben, "02-ben-typing.png");
    await ana.press("#composer-input", "Enter");
    await ben.waitForSelector('.msg.theirs:has-text("Great, thanks")');
    await ana.waitForSelector('.msg.mine[data-state="read"]:has-text("Great, thanks")');

    // A notification from a backend (POST /api/notify) reaches ana's bell.
    const n = await fetch(`${server.url}/api/notify`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ recipientId: "ana", title: "Invoice #1042 approved", message: "Finance approved the Q4 vendor invoice.", priority: "high" }),
    });
    assert.equal(n.status, 200);
    await ana.waitForSelector('#bell-count:not([hidden]):text-is("1")');
    await ana.click("#bell");
    await ana.waitForSelector('#notif-list .notif:has-text("Invoice #1042 approved")');
    await ana.waitForSelector("#toast", { state: "hidden", timeout: 6000 });
    await shot(ana, "03-ana-notification.png");
    await ana.click('#notif-list .notif:has-text("Invoice #1042 approved")');
    await ana.waitForSelector("#bell-count", { state: "hidden" });
    await ana.click("#chat");

    // The server restarts mid-conversation (same port and data). A message ana sends while it is
    // down waits as "Sending…"; both pages reconnect by themselves and it arrives.
    const port = server.port;
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, "graceful stop");
    await ana.waitForSelector('#conn:not([data-state="online"])');
    await ben.waitForSelector('#conn:not([data-state="online"])');
    await ana.waitForSelector("#banner:not([hidden])");
    await ana.fill("#composer-input", "Sent while the server was down");
    await ana.press("#composer-input", "Enter");
    await ana.waitForSelector('.msg.mine[data-state="sending"]:has-text("while the server was down")');
    await shot(ana, "04-ana-offline.png");
    server = await startGateway(dataDir, port);
    await ana.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    await ben.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    await ben.waitForSelector('.msg.theirs:has-text("Sent while the server was down")', { timeout: 20000 });
    await ana.waitForSelector('.msg.mine[data-state="read"]:has-text("while the server was down")', { timeout: 20000 });
    assert.equal(await ben.locator('.msg:has-text("Sent while the server was down")').count(), 1, "stored and shown once");
    await ben.fill("#composer-input", "Back online — see you Friday");
    await ben.press("#composer-input", "Enter");
    await ana.waitForSelector('.msg.theirs:has-text("Back online — see you Friday")');
    await ben.waitForSelector('.msg.mine[data-state="read"]:has-text("see you Friday")');
    await ana.waitForSelector('.conv[data-user="ben"][data-online="true"]');
    await ana.waitForSelector("#toast", { state: "hidden", timeout: 6000 });
    await shot(ana, "05-ana-after-restart.png");
    await shot(ben, "06-ben-after-restart.png");

    // A reload keeps the session (localStorage) and shows the history.
    await ben.reload();
    await ben.waitForSelector('#conn[data-state="online"]');
    await ben.click('.conv[data-user="ana"]');
    await ben.waitForSelector('.msg.mine:has-text("see you Friday")');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("DEMO=true without dev mode: no /dev/token, so the demo signs in with a pasted token", { timeout: 60000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-browser-"));
  const secret = "browser-test-secret-0123456789abcdefghijklmnop";
  const server = await startGateway(dataDir, 0, { DEMO: "true", JWT_SECRET: secret });
  const browser = await launch();
  try {
    const page = await browser.newPage();
    assert.equal((await page.goto(server.url + "/")).status(), 404, "no redirect without dev mode");
    await page.goto(server.url + "/demo/");
    await page.fill("#signin-name", "ana");
    await page.click("#signin-form button[type=submit]");
    await page.waitForSelector('#signin-error:has-text("does not mint tokens")');
    await page.click(".paste-token summary");
    await page.fill("#signin-token", hs256({ sub: 42, exp: Math.floor(Date.now() / 1000) + 3600 }, secret));
    await page.click("#signin-token-go");
    await page.waitForSelector('#conn[data-state="online"]');
    assert.equal(await page.textContent("#me-name"), "42");
    // A token the server refuses: back to the sign-in form, with the reason.
    await page.click("#signout");
    await page.click(".paste-token summary");
    await page.fill("#signin-token", hs256({ sub: "x", exp: Math.floor(Date.now() / 1000) + 3600 }, "another-secret-0123456789abcdefghijklmnop"));
    await page.click("#signin-token-go");
    await page.waitForSelector('#signin-error:has-text("refused the token")');
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
