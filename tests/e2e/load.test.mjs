// 1,000 WebSocket and 200 polling clients connect, exchange acks and get one room broadcast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, connect, connected, sleep, closeAll } from "./helpers.mjs";

const WS_CLIENTS = Number(process.env.SB_E2E_WS_CLIENTS || 1000);
const POLL_CLIENTS = Number(process.env.SB_E2E_POLL_CLIENTS || 200);

test(`${WS_CLIENTS} websocket + ${POLL_CLIENTS} polling clients: connect, acks, one broadcast`, { timeout: 180000 }, async () => {
  // Production-like heartbeat: at 300 ms pings, 200 polling clients in one Node process saturate the client.
  const server = await startServer(["--ping-interval", "5000", "--ping-timeout", "20000"]);
  const clients = [];
  try {
    for (let i = 0; i < WS_CLIENTS + POLL_CLIENTS; i++) {
      const transports = i < WS_CLIENTS ? ["websocket"] : ["polling"];
      clients.push(connect(server.url, { transports, timeout: 20000 }));
      if (i % 100 === 99) await sleep(20); // pace the handshakes a little
    }
    await Promise.all(clients.map((s) => connected(s, 60000)));
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.connections, clients.length);

    const results = await Promise.all(
      clients.map((s, i) => s.timeout(30000).emitWithAck("message-with-ack", i, `c${i}`)),
    );
    results.forEach((r, i) => assert.equal(r, i));

    await Promise.all(clients.map((s) => s.timeout(30000).emitWithAck("join", "everyone")));
    const counts = new Array(clients.length).fill(0);
    clients.forEach((s, i) => s.on("all-hands", () => counts[i]++));
    await clients[0].timeout(10000).emitWithAck("broadcast", { room: "everyone", event: "all-hands", data: "hi" });
    const deadline = Date.now() + 30000;
    while (counts.some((c) => c === 0) && Date.now() < deadline) await sleep(100);
    await sleep(300);
    assert.equal(counts.filter((c) => c === 1).length, clients.length, "each client got the broadcast once");
  } finally {
    closeAll(clients);
    await server.stop();
  }
});
