// Chat helpers of the cluster tests that run a conversation through Nginx while instances fail or
// drain (failover.test.mjs, drain.test.mjs).
import assert from "node:assert/strict";
import http from "node:http";
import { token } from "../e2e/gateway-helpers.mjs";
import { connect, sleep } from "../e2e/helpers.mjs";

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
// (as an app does); resolves with the acknowledged ids.
export async function sendAll(s, to, prefix, count, gapMs) {
  const acked = [];
  for (let k = 0; k < count; k++) {
    const clientMessageId = `${prefix}-${k}`;
    for (;;) {
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
