// The chat section of docs/benchmarks.md (issue #12): chat-closed-N and chat-rate-R, ours and
// the Node peer, from the JSON lines scripts/bench collects. Also checks them: a crash, a missing
// result or no acked send from our server is an error; failed sends, undelivered messages and
// socket errors are warnings (figures, not breakage).
const fmt = (v, digits = 1) => (v === undefined || v === null || !Number.isFinite(v) ? "—" : Number(v).toFixed(digits));
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b ? a / b : undefined);

export function chatSection(runs, users, rate) {
  const closed = `chat-closed-${users}`, fixed = `chat-rate-${rate}`;
  const find = (label, server) => runs.find((r) => r.label === label && r.server === server);
  const errors = [], warnings = [];
  for (const label of [closed, fixed])
    for (const server of ["ours", "node"]) {
      const r = find(label, server), who = `${label} (${server === "ours" ? "Switchboard" : "Node peer"})`;
      const out = server === "ours" ? errors : warnings;
      if (!r) out.push(`${who}: no result (the server did not start, or the load generator failed)`);
      else if (r.crashed) out.push(`${who}: the server exited during the run`);
      else if (!r.result.acks) out.push(`${who}: no acked send (${r.result.ack_failures} failed, ${r.result.connected}/${r.result.conns} connected)`);
      if (!r || r.crashed || !r.result.acks) continue;
      const x = r.result, f = x.failed, lost = f.tcp + f.ws + f.open + f.connect;
      if (lost || x.ack_failures || x.missing || x.errors)
        warnings.push(`${who}: ${lost} connections failed, ${x.ack_failures} sends failed, ${x.missing} acked sends not delivered, ${x.errors} socket errors`);
    }

  // Server CPU over the measured window (sb-loadgen --server-pid), per acked send.
  const cpuPer = (r) => (r && r.result.acks ? (r.result.server_cpu_measured_s * 1e6) / r.result.acks : undefined);
  const dbPer = (r) => (r && r.result.acks && r.result.db_cpu_measured_s >= 0 ? (r.result.db_cpu_measured_s * 1e6) / r.result.acks : undefined);
  const perCpuS = (r) => (r && r.result.server_cpu_measured_s > 0 ? r.result.acks / r.result.server_cpu_measured_s : undefined);
  const ms = (p, key = "latency_us") => (r) => (r ? r.result[key][p] / 1000 : undefined);
  const core1 = (r) => (r ? (100 * (r.result.loadgen_cpu_s / (r.result.wall_s || 1) + Math.max(0, r.result.db_cpu_measured_s) / r.result.measured_s)) : undefined);
  const serverCore = (r) => (r ? (100 * r.result.server_cpu_measured_s) / r.result.measured_s : undefined);
  const figures = [
    ["acked sends/s", (r) => r?.result.acks_per_s, 0, "—"],
    ["ack p50, ms", ms("p50"), 2, "—"],
    ["ack p99, ms", ms("p99"), 2, "fixed rate: ≤ Node"],
    ["delivery p99 (send → partner's chat:message), ms", ms("p99", "delivery_latency_us"), 2, "—"],
    ["server CPU per acked send, µs", cpuPer, 1, "—"],
    ["acked sends per server CPU-second", perCpuS, 0, "≥ 3× Node"],
    ["PostgreSQL CPU per acked send (all backends), µs", dbPer, 1, "—"],
    ["server's core busy (server CPU / window), %", serverCore, 0, "—"],
    ["core 1 busy (load generator + PostgreSQL), %", core1, 0, "—"],
  ];
  let md = `## Chat: chat:send with ack on PostgreSQL (issue #12)\n\n` +
    `${users} users (u0..u${users - 1}) in pairs, each connected with its own HS256 JWT in the CONNECT auth, every user sending ` +
    `\`chat:send\` {receiverId, message, clientMessageId} with an ack to its online partner. Closed loop: one send in flight ` +
    `per user. Fixed rate: ${rate} sends/s in total spread evenly over the users (latency from the intended send time). ` +
    `Switchboard is \`build/bin/switchboard\` (THREADS=1: one I/O thread plus the app thread that makes the database calls; ` +
    `DB_POOL_SIZE 10); the Node peer is \`bench/node-peer/chat-server.js\` (socket.io 4.8, pg Pool of 10, jsonwebtoken). Both ` +
    `on one throwaway PostgreSQL (\`scripts/pg-temp\`, fsync off), a fresh schema per run, PostgreSQL pinned to the load ` +
    `generator's core. Per send, ours INSERTs the message, delivers it, then marks it delivered (an UPDATE) and tells the ` +
    `sender \`chat:delivered\`; the Node peer, like the ERP service, only INSERTs and delivers.\n\n`;
  md += `| figure | target | closed: Switchboard | closed: Node | ours/Node | ${rate}/s: Switchboard | ${rate}/s: Node | ours/Node |\n` +
    "|---|---|---|---|---|---|---|---|\n";
  const rows = [];
  for (const [name, get, digits, target] of figures) {
    const v = [get(find(closed, "ours")), get(find(closed, "node")), get(find(fixed, "ours")), get(find(fixed, "node"))];
    rows.push({ name, v });
    md += `| ${name} | ${target} | ${fmt(v[0], digits)} | ${fmt(v[1], digits)} | ${fmt(ratio(v[0], v[1]), 2)} | ` +
      `${fmt(v[2], digits)} | ${fmt(v[3], digits)} | ${fmt(ratio(v[2], v[3]), 2)} |\n`;
  }
  const eff = rows.find((r) => r.name.startsWith("acked sends per")).v, p99 = rows.find((r) => r.name === "ack p99, ms").v;
  const verdict = (ok) => (ok === undefined ? "not measured" : ok ? "**met**" : "**not met**");
  const effRatio = ratio(eff[0], eff[1]), effRatioRate = ratio(eff[2], eff[3]);
  md += `\nTargets: acked sends per server CPU-second ≥ 3× Node: closed loop ${fmt(effRatio, 2)}×, at ${rate}/s ` +
    `${fmt(effRatioRate, 2)}× — ${verdict(effRatio === undefined ? undefined : effRatio >= 3 && (effRatioRate ?? 3) >= 3)}. ` +
    `Ack p99 ≤ Node's at ${rate}/s: ${fmt(p99[2], 2)} vs ${fmt(p99[3], 2)} ms — ` +
    `${verdict(p99[2] === undefined || p99[3] === undefined ? undefined : p99[2] <= p99[3])}.\n`;
  const threads = find(closed, "ours")?.result.server_threads;
  if (threads?.length) {
    const w = find(closed, "ours").result.measured_s;
    const main = Math.min(...threads.map((t) => t.tid));
    const list = [...threads]
      .sort((a, b) => b.cpu_s - a.cpu_s)
      .map((t) => `${t.tid === main ? "main (I/O) thread" : `thread ${t.tid}`}: ${fmt((100 * t.cpu_s) / w, 0)} %`);
    md += `\nOur server's threads over the closed-loop window (CPU time / window; with THREADS=1 the main thread runs the ` +
      `I/O, the other busy one is the app thread that makes every database call): ${list.join(", ")}.\n`;
  }
  return { md: md + "\n", errors, warnings };
}
