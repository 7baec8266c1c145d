// Chat helpers of the cluster tests that run a conversation through Nginx while instances fail or
// drain (failover.test.mjs, drain.test.mjs).
import assert from "node:assert/strict";
import http from "node:http";
import { token } from "../e2e/gateway-helpers.mjs";
import { connect, connected, sleep } from "../e2e/helpers.mjs";

// A client through `url` from its own /24 (127.0.n.1, so Nginx's ip_hash spreads them),
// reconnecting quickly; pushed onto `sockets` so the test closes it.
export function nginxClient(url, sockets, userId, n) {
  const localAddress = `127.0.${n}.1`;
  const s = connect(url, {
    auth: { token: token({ userId }) },
    transports: ["websocket"],
    localAddress,
    agent: new http.Agent({ localAddress }),
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
  });
  sockets.push(s);
  return s;
}

// Sends `count` messages to `to`, each retried with the same clientMessageId until acknowledged
// (as an app does); resolves with the acknowledged ids. Gives up after 90 s: a test that failed
// meanwhile must not keep the suite alive.
export async function sendAll(s, to, prefix, count, gapMs) {
  const acked = [];
  const end = Date.now() + 90000;
  for (let k = 0; k < count; k++) {
    const clientMessageId = `${prefix}-${k}`;
    for (;;) {
      if (Date.now() > end) return acked;
      if (!s.connected) {
        await sleep(50);
        continue;
      }
      try {
        const r = await s.timeout(3000).emitWithAck("chat:send", { receiverId: to, message: `m ${k}`, clientMessageId });
        if (r.success) {
          acked.push(clientMessageId);
          break;
        }
      } catch {}
      await sleep(100);
    }
    await sleep(gapMs);
  }
  return acked;
}

// Every message between the two users, as the store has them (oldest first).
export async function history(s, other) {
  const out = [];
  let before;
  for (;;) {
    const r = await s.timeout(5000).emitWithAck("chat:getMessages", { userId: other, limit: 100, before });
    assert.equal(r.success, true, JSON.stringify(r));
    out.push(...r.messages.map((m) => m.clientMessageId));
    if (!r.hasMore || r.messages.length === 0) break;
    before = r.messages[r.messages.length - 1].id;
  }
  return out.reverse();
}

// The open Engine.IO sessions of one instance (its /health).
export async function connectionsOf(g) {
  return (await (await fetch(g.url + "/health")).json()).connections;
}

// Until every instance reads the shared stream: a push on the first to a user connected to each
// other instance reaches that user's socket (an instance's reader may start after /ready says 200).
export async function warmCluster(gws) {
  for (const g of gws.slice(1)) {
    const userId = `warm-${g.port}`;
    const s = connect(g.url, { auth: { token: token({ userId }) }, transports: ["websocket"], reconnection: false });
    await connected(s);
    try {
      for (let k = 0; ; k++) {
        const heard = new Promise((resolve) => {
          const timer = setTimeout(() => resolve(false), 500);
          s.once("warm", () => (clearTimeout(timer), resolve(true)));
        });
        await fetch(gws[0].url + "/api/broadcast/user", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": gws[0].apiKey },
          body: JSON.stringify({ userId, event: "warm", data: k }),
        });
        if (await heard) break;
        if (k > 60) throw new Error(`instance ${g.port} never got a broadcast of another`);
      }
    } finally {
      s.close();
    }
  }
}
