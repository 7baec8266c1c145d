// The @socket.io/admin-ui dashboard in a real browser: Debian's chromium driven by playwright-core
// opens /admin/ on build/bin/switchboard (ADMIN_UI=true, with a user name and a bcrypt hash), logs
// in on the dashboard's own form against our origin (which it is given as the default server URL),
// and sees our sockets and rooms: two people signed in to the /demo/ chat, and the rooms the
// gateway put them in; the dashboard's join form puts ana's socket in another room. Screenshots go to tests/browser/artifacts/ (gitignored); admin-ui.png is
// the one docs/admin-ui.png (README) was copied from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(process.env.SB_BIN_DIR || path.join(here, "../../build/bin"), "switchboard");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARTIFACTS = path.join(here, "artifacts");
const PASSWORD = "dashboard-pass";
// bcryptjs.hashSync("dashboard-pass", 4): what upstream's docs make with bcrypt, checked by crypt_r.
const HASH = "$2a$04$4fmKR7kbDxJ1hrY18TPIUevUfWJ4JBStfYadrPKO1xqX/yR.0EJ0u";

async function startGateway(dataDir, env) {
  const proc = spawn(BIN, ["--port", "0", "--host", "127.0.0.1"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, SERVICE_API_KEY: "browser-admin-" + process.pid, LOG_LEVEL: "info", ...env },
  });
  const log = [];
  const exited = new Promise((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  const port = await new Promise((resolve, reject) => {
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
    url: `http://127.0.0.1:${port}`,
    log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

async function signIn(page, url, name) {
  await page.goto(url + "/demo/");
  await page.fill("#signin-name", name);
  await page.click("#signin-form button[type=submit]");
  await page.waitForSelector('#conn[data-state="online"]');
}

const launch = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, name) });

test("the admin dashboard at /admin/ logs in and shows our sockets and rooms", { timeout: 120000 }, async () => {
  assert.ok(fs.existsSync(BIN), `${BIN} is missing: build it first (scripts/build)`);
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (scripts/bootstrap)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-browser-admin-"));
  const server = await startGateway(dataDir, { DEV_MODE: "true", ADMIN_UI: "true", ADMIN_USERNAME: "admin", ADMIN_PASSWORD_HASH: HASH });
  const browser = await launch();
  try {
    const viewport = { width: 1280, height: 800 };
    // Two people in the chat demo: the sockets the dashboard will show.
    const people = [];
    for (const name of ["ana", "ben"]) {
      const page = await (await browser.newContext({ viewport })).newPage();
      await signIn(page, server.url, name);
      people.push(page);
    }

    const ctx = await browser.newContext({ viewport });
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const outside = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) outside.push(r.url());
    });

    // /admin redirects; the dashboard asks for credentials, with our origin as the server URL.
    await page.goto(server.url + "/admin");
    assert.match(page.url(), /\/admin\/(#\/)?$/);
    const username = page.getByLabel("Username");
    await username.waitFor({ timeout: 15000 });
    assert.equal(await page.getByLabel("Server URL").inputValue(), server.url);
    await shot(page, "admin-login.png");

    // The dashboard tried our origin at once, without credentials: refused, so the form says
    // "Invalid credentials" already. A wrong password is checked (and logged), and refused too.
    await page.getByText("Invalid credentials").waitFor({ timeout: 10000 });
    const refusals = () => server.log.filter((l) => l.includes("admin dashboard login refused")).length;
    assert.equal(refusals(), 0);
    await username.fill("admin");
    await page.getByLabel("Password").fill("not-it");
    await page.getByRole("button", { name: "Connect" }).click();
    for (let i = 0; i < 100 && refusals() === 0; i++) await page.waitForTimeout(100);
    assert.equal(refusals(), 1);
    await page.getByText("Invalid credentials").waitFor({ timeout: 10000 });
    assert.equal(await page.getByLabel("Username").isVisible(), true);

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Invalid credentials").waitFor({ state: "hidden", timeout: 10000 });
    await page.getByLabel("Username").waitFor({ state: "hidden", timeout: 10000 });

    // The dashboard: the namespaces with their sockets (/: ana and ben; /admin: this page).
    await page.goto(server.url + "/admin/#/");
    await page.getByText("Connected", { exact: false }).first().waitFor({ timeout: 10000 });
    await page.waitForTimeout(2500); // a server_stats tick
    await shot(page, "admin-dashboard.png");

    // Sockets: every socket of the namespace chosen (/ first).
    const nav = (name) => page.locator("nav").getByText(name, { exact: true }).click();
    const visibleRows = page.locator("tbody tr:visible");
    await nav("Sockets");
    await page.waitForTimeout(1000);
    await shot(page, "admin-sockets.png");
    await visibleRows.nth(1).waitFor({ timeout: 10000 });
    const rows = await visibleRows.allInnerTexts();
    assert.ok(rows.length >= 2, rows.join("\n"));
    assert.ok(rows.some((r) => /websocket/i.test(r)), rows.join("\n"));

    // Rooms: the gateway's per-user rooms of ana and ben (private rooms, the sockets' own ids, hidden).
    await nav("Rooms");
    await page.getByText("user:ana").first().waitFor({ timeout: 10000 });
    await page.getByText("user:ben").first().waitFor({ timeout: 10000 });
    await shot(page, "admin-rooms.png");

    // ana's room and its socket.
    await page.getByText("user:ana").first().click();
    await page.waitForTimeout(500);
    await shot(page, "admin-room.png");

    // ana's socket, from the room's page: the dashboard makes it join a room (its `join`).
    await page.locator("tbody tr:visible", { hasText: "WebSocket" }).first().click();
    const joinBox = page.getByLabel("Join a room");
    await joinBox.waitFor({ timeout: 10000 });
    await joinBox.fill("support:1");
    await page.locator("form button[type=submit]:visible").click();
    await page.getByText("support:1").first().waitFor({ timeout: 10000 });
    await page.waitForTimeout(500);
    await shot(page, "admin-ui.png"); // the socket's details, handshake and rooms: README's picture

    // The room is there for the gateway too: ana is in it (its own rule-free admin join).
    await nav("Rooms");
    await page.getByText("support:1").first().waitFor({ timeout: 10000 });
    await shot(page, "admin-rooms-after.png");

    assert.deepEqual(errors, []);
    assert.deepEqual(outside, [], "nothing is loaded from outside our origin");
    for (const p of people) await p.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
