// Chat persistence figures (not a test): acked chat:send latency and throughput on PostgreSQL and
// on the embedded SQLite, through the real switchboard binary and socket.io-client.
//   node bench/chat-store.mjs [postgresql://… URL]   (scripts/pg-temp start DIR prints one)
// Sequential: one sender, N messages one after another (ack latency p50/p99/max).
// Concurrent: C senders at once, each M messages in a closed loop (messages/s, p99).
import { startGateway, token, join, SECRET } from "../tests/e2e/gateway-helpers.mjs";

const N = Number(process.env.N || 2000), C = Number(process.env.C || 50), M = Number(process.env.M || 100);
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function run(name, env) {
  const gw = await startGateway({ JWT_SECRET: SECRET, RATE_LIMIT_MAX_MESSAGES: "1000000", ...env });
  const [rx] = await join(gw.url, token({ userId: "receiver" }));
  const [tx] = await join(gw.url, token({ userId: "sender" }));
  const seq = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const r = await tx.timeout(10000).emitWithAck("chat:send", { receiverId: "receiver", message: `m${i}`, clientMessageId: `s${i}` });
    if (!r.success) throw new Error(JSON.stringify(r));
    seq.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  seq.sort((a, b) => a - b);
  const senders = await Promise.all(Array.from({ length: C }, (_, k) => join(gw.url, token({ userId: `s${k}` })).then(([s]) => s)));
  const lat = [];
  const t0 = Date.now();
  await Promise.all(
    senders.map(async (s, k) => {
      for (let i = 0; i < M; i++) {
        const a = process.hrtime.bigint();
        const r = await s.timeout(10000).emitWithAck("chat:send", { receiverId: "receiver", message: `c${k}-${i}` });
        if (!r.success) throw new Error(JSON.stringify(r));
        lat.push(Number(process.hrtime.bigint() - a) / 1e6);
      }
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  console.log(
    `${name}: sequential ${N} sends: p50 ${pct(seq, 50).toFixed(2)} ms, p99 ${pct(seq, 99).toFixed(2)} ms, max ${seq.at(-1).toFixed(2)} ms; ` +
      `${C} concurrent senders × ${M}: ${Math.round((C * M) / secs)} messages/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms`,
  );
  for (const s of [rx, tx, ...senders]) s.disconnect();
  await gw.stop();
}

const url = process.argv[2] || process.env.SB_TEST_DATABASE_URL;
if (url) await run("postgresql", { DATABASE_URL: url, DB_SCHEMA: "bench_" + process.pid });
await run("sqlite", {});
process.exit(0);
