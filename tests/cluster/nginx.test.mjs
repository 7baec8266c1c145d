// Three of our instances on one Redis behind Nginx (deploy/nginx/switchboard.conf, ip_hash):
// clients from three /24s land on different instances, over WebSocket and long-polling, and a
// room broadcast made through any instance reaches every one of them exactly once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startGateway, token, SERVICE_KEY, SECRET } from "../e2e/gateway-helpers.mjs";
import { connect, connected, sleep } from "../e2e/helpers.mjs";
import { startRedis, startNginx, until } from "./cluster-helpers.mjs";

let redis, nginx;
const gws = [];
const sockets = [];

before(async () => {
  redis = startRedis();
  for (let i = 0; i < 3; i++) gws.push(await startGateway({ REDIS_URL: redis.url, JWT_SECRET: SECRET }));
  for (const g of gws)
    await until(async () => (await fetch(g.url + "/ready")).status === 200, 15000, "instance ready");
  nginx = startNginx(gws.map((g) => g.port));
});

after(async () => {
  for (const s of sockets) s.close();
  for (const g of gws) await g.stop();
  nginx?.stop();
  redis?.stop();
});

async function sessionsOf(g) {
  return (await (await fetch(g.url + "/health")).json()).connections;
}

for (const transport of ["websocket", "polling"]) {
  test(`${transport} clients from three /24s spread over the instances; a broadcast reaches each once`, async () => {
    const before = await Promise.all(gws.map(sessionsOf));
    const clients = [];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const localAddress = `127.0.${n}.1`;
      const s = connect(nginx.url, {
        auth: { token: token({ userId: `spread-${transport}-${n}` }) },
        transports: [transport],
        localAddress,
        agent: new http.Agent({ localAddress, keepAlive: true }),
      });
      sockets.push(s);
      await connected(s);
      clients.push(s);
    }
    const after = await Promise.all(gws.map(sessionsOf));
    const used = after.filter((n, i) => n > before[i]).length;
    assert.ok(used >= 2, `clients landed on ${used} instance(s): ${before} → ${after}`);
    const got = clients.map(() => []);
    clients.forEach((s, i) => s.on("spread", (d) => got[i].push(d.k)));
    // One broadcast through each instance, to the room every one of these users is in.
    for (const [i, g] of gws.entries()) {
      const r = await fetch(g.url + "/api/broadcast/global", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + SERVICE_KEY },
        body: JSON.stringify({ event: "spread", data: { k: i } }),
      });
      assert.equal(r.status, 200);
    }
    await until(() => got.every((g) => g.length >= 3), 10000, "three broadcasts everywhere");
    await sleep(300);
    for (const g of got) assert.deepEqual([...g].sort(), [0, 1, 2]);
  });
}
