// Writes docs/bench-cluster.md from scripts/bench-cluster's results (one JSON line per run).
//   node report.mjs RESULTS OUT.md LABEL SUBS PUBS SECONDS CORES LOAD_BEFORE LOAD_AFTER
import fs from "node:fs";
import os from "node:os";

const [resultsPath, outPath, label, subs, pubs, secs, cores, loadBefore, loadAfter, fsync] = process.argv.slice(2);
const runs = fs
  .readFileSync(resultsPath, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const get = (kind, mode) => runs.find((r) => r.kind === kind && r.mode === mode);
// B's side of a run's per-port results (the load generator's --port2 in a split run, --port in a
// b-only run).
// Redis's own time in commands over a run (INFO commandstats: calls, µs), per broadcast; XADD's µs per call.
const redisCommandsPerBroadcast = (r) => {
  if (!r?.redis_commands || !(r.result.published > 0)) return NaN;
  return Object.values(r.redis_commands).reduce((t, c) => t + c.usec, 0) / r.result.published;
};
const xaddPerCall = (r) => {
  const x = r?.redis_commands?.xadd;
  return x && x.calls > 0 ? x.usec / x.calls : NaN;
};
const bSide = (r) => r.result.cluster.sides[r.b_side ?? 1];
// Redis's CPU per second with both instances up and idle (NaN when not measured).
const idleRate = (kind) => {
  const r = runs.find((x) => x.kind === kind && x.mode === "redis-idle");
  return r && r.redis_sched_s !== undefined ? r.redis_sched_s / r.seconds : NaN;
};

// Per implementation: the figures of the table.
function figures(kind) {
  const br = get(kind, "bridged"), lo = get(kind, "local");
  const f = {};
  if (br) {
    const c = br.result.cluster, b = bSide(br), a = c.sides[0];
    f.published = br.result.published;
    f.bDeliveries = b.deliveries;
    f.bCpuPerDelivery = b.deliveries > 0 && c.server_cpu_s >= 0 ? (c.server_cpu_s * 1e6) / b.deliveries : NaN;
    f.redisPerBroadcast = br.result.published > 0 && c.redis_cpu_s >= 0 ? (c.redis_cpu_s * 1e6) / br.result.published : NaN;
    f.redisCmdPerBroadcast = redisCommandsPerBroadcast(br);
    f.xaddUs = xaddPerCall(br);
    f.redisSchedPerBroadcast = br.result.published > 0 && c.redis_sched_s >= 0 ? (c.redis_sched_s * 1e6) / br.result.published : NaN;
    f.redisNetPerBroadcast = f.redisSchedPerBroadcast - (idleRate(kind) * c.pub_span_s * 1e6) / br.result.published;
    f.aCpuPerPublish = br.result.published > 0 && c.other_cpu_s >= 0 ? (c.other_cpu_s * 1e6) / br.result.published : NaN;
    f.bridgedFirst = b.first_us;
    f.bridgedP50 = b.latency_us.p50 / 1e3;
    f.bridgedP99 = b.latency_us.p99 / 1e3;
    f.aLocalP99 = a.latency_us.p99 / 1e3;
    f.missing = br.result.missing;
    f.duplicates = br.result.duplicates;
    f.pubFailures = c.pub_failures;
    f.pubLag = c.pub_lag_ms;
    f.connected = br.result.connected;
    f.loadBridged = br.load;
  }
  if (lo) {
    const c = lo.result.cluster, b = bSide(lo);
    f.localFirst = b.first_us;
    f.localP50 = b.latency_us.p50 / 1e3;
    f.localP99 = b.latency_us.p99 / 1e3;
    f.bLocalCpuPerDelivery = b.deliveries > 0 && c.server_cpu_s >= 0 ? (c.server_cpu_s * 1e6) / b.deliveries : NaN;
    f.localMissing = lo.result.missing;
    f.localPubFailures = c.pub_failures;
    f.loadLocal = lo.load;
  }
  f.bridgeAddsP99 = f.bridgedP99 - f.localP99;
  // B only: half the room, all on B; A does nothing but take the publish and XADD it.
  const bb = get(kind, "bridged-b-only"), lb = get(kind, "local-b-only");
  if (bb) {
    const c = bb.result.cluster, b = bSide(bb);
    f.bOnlyBridgedFirst = b.first_us;
    f.bOnlyBridgedP50 = b.latency_us.p50 / 1e3;
    f.bOnlyBridgedP99 = b.latency_us.p99 / 1e3;
    f.bOnlyCpuPerDelivery = b.deliveries > 0 && c.server_cpu_s >= 0 ? (c.server_cpu_s * 1e6) / b.deliveries : NaN;
    f.bOnlyRedisPerBroadcast = bb.result.published > 0 && c.redis_cpu_s >= 0 ? (c.redis_cpu_s * 1e6) / bb.result.published : NaN;
    f.bOnlyRedisCmdPerBroadcast = redisCommandsPerBroadcast(bb);
    f.bOnlyRedisSchedPerBroadcast = bb.result.published > 0 && c.redis_sched_s >= 0 ? (c.redis_sched_s * 1e6) / bb.result.published : NaN;
    f.bOnlyRedisNetPerBroadcast = f.bOnlyRedisSchedPerBroadcast - (idleRate(kind) * c.pub_span_s * 1e6) / bb.result.published;
    f.bOnlyMissing = bb.result.missing;
  }
  if (lb) {
    const b = bSide(lb);
    f.bOnlyLocalFirst = b.first_us;
    f.bOnlyLocalP50 = b.latency_us.p50 / 1e3;
    f.bOnlyLocalP99 = b.latency_us.p99 / 1e3;
    f.bOnlyLocalMissing = lb.result.missing;
  }
  f.bOnlyBridgeAddsP99 = f.bOnlyBridgedP99 - f.bOnlyLocalP99;
  f.bOnlyBridgeAddsP50 = f.bOnlyBridgedP50 - f.bOnlyLocalP50;
  return f;
}
const ours = figures("ours"), node = figures("node");
// First delivery per publish (ms): "p50 / p99", and bridged less local.
const first = (x) => (x ? `${n(x.p50 / 1e3)} / ${n(x.p99 / 1e3)}` : "— / —");
const firstAdds = (br, lo) => (br && lo ? `${n((br.p50 - lo.p50) / 1e3)} / ${n((br.p99 - lo.p99) / 1e3)}` : "— / —");
const n = (v, d = 1) => (v === undefined || Number.isNaN(v) ? "—" : v.toFixed(d));
const ratio = (a, b, d = 2) => (a > 0 && b > 0 ? (a / b).toFixed(d) : "—");

const lines = [];
lines.push("# Cluster benchmark (issue #13)", "");
lines.push(
  "Two instances of ours (`build/bin/switchboard`, `REDIS_URL`, one I/O thread each) against two Node",
  "socket.io 4.8 servers with `@socket.io/redis-streams-adapter` 0.3 (`bench/cluster/server.js`), each",
  "pair on a fresh throwaway Redis (`scripts/redis-temp`), driven by the same load generator",
  "(`sb-loadgen --scenario fanout --port2`). One room of subscribers, alternately on instance A and",
  "instance B (anonymous sockets in `global`); a publisher POSTs `/api/broadcast/room` (the same",
  "route on the Node servers) at a fixed rate, the payload carrying its send time. **Bridged**: the",
  "publishes go to A and B's subscribers get them through Redis. **Local**: the publishes go to B.",
  "CPU is read from `/proc/<pid>/stat` (utime + stime) over the publishing span; deliveries and",
  "latencies (publish → the subscriber reading it) are the load generator's, per instance.",
  ""
);
lines.push(`Command: \`${label}\` — ${subs} subscribers (${Math.ceil(subs / 2)} on A, ${Math.floor(subs / 2)} on B), ${pubs} publishes/s for ${secs} s per run.`);
lines.push(`Redis \`appendfsync\`: ${fsync}.`);
lines.push(`Cores: ${cores} (of ${os.cpus().length}: ${os.cpus()[0]?.model ?? "?"}).`, "");
lines.push(`Machine load (\`uptime\`) before: \`${loadBefore.trim()}\`; after: \`${loadAfter.trim()}\`.`, "");

lines.push("| figure | target | Switchboard | Node | ours/Node |", "|---|---|---|---|---|");
lines.push(
  `| server CPU per delivery on B (bridged), µs | ours ≥ 3× Node per delivery (ratio ≤ 0.33) | ${n(ours.bCpuPerDelivery, 2)} | ${n(node.bCpuPerDelivery, 2)} | ${ratio(ours.bCpuPerDelivery, node.bCpuPerDelivery)} |`
);
lines.push(
  `| deliveries per CPU-second on B, ours vs Node | ≥ 3× | ${n(1e6 / ours.bCpuPerDelivery, 0)} | ${n(1e6 / node.bCpuPerDelivery, 0)} | ${ratio(node.bCpuPerDelivery, ours.bCpuPerDelivery)}× |`
);
lines.push(
  `| server CPU per delivery on B (local broadcast), µs | — | ${n(ours.bLocalCpuPerDelivery, 2)} | ${n(node.bLocalCpuPerDelivery, 2)} | ${ratio(ours.bLocalCpuPerDelivery, node.bLocalCpuPerDelivery)} |`
);
lines.push(`| publish → delivery on B, bridged, p50 / p99 ms | — | ${n(ours.bridgedP50)} / ${n(ours.bridgedP99)} | ${n(node.bridgedP50)} / ${n(node.bridgedP99)} | ${ratio(ours.bridgedP99, node.bridgedP99)} (p99) |`);
lines.push(`| publish → delivery on B, local, p50 / p99 ms | — | ${n(ours.localP50)} / ${n(ours.localP99)} | ${n(node.localP50)} / ${n(node.localP99)} | ${ratio(ours.localP99, node.localP99)} (p99) |`);
lines.push(`| first delivery on B per publish, bridged, p50 / p99 ms | — | ${first(ours.bridgedFirst)} | ${first(node.bridgedFirst)} | — |`);
lines.push(`| first delivery on B per publish, local, p50 / p99 ms | — | ${first(ours.localFirst)} | ${first(node.localFirst)} | — |`);
lines.push(`| what the bridge adds to the first delivery, p50 / p99 ms | — | ${firstAdds(ours.bridgedFirst, ours.localFirst)} | ${firstAdds(node.bridgedFirst, node.localFirst)} | — |`);
lines.push(`| what the bridge adds to B's p99, ms | ≤ 2 ms | ${n(ours.bridgeAddsP99)} | ${n(node.bridgeAddsP99)} | — |`);
lines.push(`| Redis CPU per broadcast (\`schedstat\`, ns resolution), µs | — | ${n(ours.redisSchedPerBroadcast)} | ${n(node.redisSchedPerBroadcast)} | ${ratio(ours.redisSchedPerBroadcast, node.redisSchedPerBroadcast)} |`);
lines.push(`| Redis CPU per broadcast (\`stat\` utime + stime, 10 ms ticks), µs | — | ${n(ours.redisPerBroadcast, 0)} | ${n(node.redisPerBroadcast, 0)} | ${ratio(ours.redisPerBroadcast, node.redisPerBroadcast)} |`);
lines.push(`| Redis CPU per broadcast less its idle CPU (both instances up, no clients), µs | — | ${n(ours.redisNetPerBroadcast)} | ${n(node.redisNetPerBroadcast)} | ${ratio(ours.redisNetPerBroadcast, node.redisNetPerBroadcast)} |`);
lines.push(`| Redis's time in commands per broadcast (\`INFO commandstats\`, whole run), µs | — | ${n(ours.redisCmdPerBroadcast)} | ${n(node.redisCmdPerBroadcast)} | ${ratio(ours.redisCmdPerBroadcast, node.redisCmdPerBroadcast)} |`);
lines.push(`| of which XADD, µs per call | — | ${n(ours.xaddUs)} | ${n(node.xaddUs)} | ${ratio(ours.xaddUs, node.xaddUs)} |`);
lines.push(`| Redis idle CPU (\`schedstat\`), ms per s | — | ${n(idleRate("ours") * 1e3)} | ${n(idleRate("node") * 1e3)} | — |`);
lines.push(`| A's CPU per publish (HTTP + local fan-out + XADD), µs | — | ${n(ours.aCpuPerPublish, 0)} | ${n(node.aCpuPerPublish, 0)} | ${ratio(ours.aCpuPerPublish, node.aCpuPerPublish)} |`);
lines.push(`| publish → delivery on A (its own local fan-out, bridged run), p99 ms | — | ${n(ours.aLocalP99)} | ${n(node.aLocalP99)} | ${ratio(ours.aLocalP99, node.aLocalP99)} |`);
lines.push("");
lines.push(`The same two runs with only B's half of the room (${Math.floor(subs / 2)} subscribers, all on B), so that A does nothing but take the publish and append it to the stream: what the bridge itself adds.`, "");
lines.push("| figure (B only) | target | Switchboard | Node | ours/Node |", "|---|---|---|---|---|");
lines.push(`| server CPU per delivery on B (bridged), µs | — | ${n(ours.bOnlyCpuPerDelivery, 2)} | ${n(node.bOnlyCpuPerDelivery, 2)} | ${ratio(ours.bOnlyCpuPerDelivery, node.bOnlyCpuPerDelivery)} |`);
lines.push(`| publish → delivery, bridged, p50 / p99 ms | — | ${n(ours.bOnlyBridgedP50)} / ${n(ours.bOnlyBridgedP99)} | ${n(node.bOnlyBridgedP50)} / ${n(node.bOnlyBridgedP99)} | ${ratio(ours.bOnlyBridgedP99, node.bOnlyBridgedP99)} (p99) |`);
lines.push(`| publish → delivery, local, p50 / p99 ms | — | ${n(ours.bOnlyLocalP50)} / ${n(ours.bOnlyLocalP99)} | ${n(node.bOnlyLocalP50)} / ${n(node.bOnlyLocalP99)} | ${ratio(ours.bOnlyLocalP99, node.bOnlyLocalP99)} (p99) |`);
lines.push(`| first delivery per publish, bridged, p50 / p99 ms | — | ${first(ours.bOnlyBridgedFirst)} | ${first(node.bOnlyBridgedFirst)} | — |`);
lines.push(`| first delivery per publish, local, p50 / p99 ms | — | ${first(ours.bOnlyLocalFirst)} | ${first(node.bOnlyLocalFirst)} | — |`);
lines.push(`| what the bridge adds to the first delivery, p50 / p99 ms | ≤ 2 ms (p99) | ${firstAdds(ours.bOnlyBridgedFirst, ours.bOnlyLocalFirst)} | ${firstAdds(node.bOnlyBridgedFirst, node.bOnlyLocalFirst)} | — |`);
lines.push(`| what the bridge adds, p50 / p99 ms | ≤ 2 ms (p99) | ${n(ours.bOnlyBridgeAddsP50)} / ${n(ours.bOnlyBridgeAddsP99)} | ${n(node.bOnlyBridgeAddsP50)} / ${n(node.bOnlyBridgeAddsP99)} | — |`);
lines.push(`| Redis's time in commands per broadcast, µs | — | ${n(ours.bOnlyRedisCmdPerBroadcast)} | ${n(node.bOnlyRedisCmdPerBroadcast)} | ${ratio(ours.bOnlyRedisCmdPerBroadcast, node.bOnlyRedisCmdPerBroadcast)} |`);
lines.push(`| Redis CPU per broadcast, \`schedstat\` (less idle), µs | — | ${n(ours.bOnlyRedisSchedPerBroadcast)} (${n(ours.bOnlyRedisNetPerBroadcast)}) | ${n(node.bOnlyRedisSchedPerBroadcast)} (${n(node.bOnlyRedisNetPerBroadcast)}) | ${ratio(ours.bOnlyRedisSchedPerBroadcast, node.bOnlyRedisSchedPerBroadcast)} |`);
lines.push(`| missing (bridged, local) | — | ${ours.bOnlyMissing ?? "—"}, ${ours.bOnlyLocalMissing ?? "—"} | ${node.bOnlyMissing ?? "—"}, ${node.bOnlyLocalMissing ?? "—"} | — |`);
lines.push("");
lines.push("Completeness (bridged run / local run):", "");
lines.push("| | Switchboard | Node |", "|---|---|---|");
lines.push(`| subscribers connected | ${ours.connected ?? "—"} | ${node.connected ?? "—"} |`);
lines.push(`| publishes (bridged) | ${ours.published ?? "—"} | ${node.published ?? "—"} |`);
lines.push(`| deliveries on B (bridged) | ${ours.bDeliveries ?? "—"} | ${node.bDeliveries ?? "—"} |`);
lines.push(`| missing, duplicates (bridged) | ${ours.missing ?? "—"}, ${ours.duplicates ?? "—"} | ${node.missing ?? "—"}, ${node.duplicates ?? "—"} |`);
lines.push(`| missing (local) | ${ours.localMissing ?? "—"} | ${node.localMissing ?? "—"} |`);
lines.push(`| failed publishes (bridged, local) | ${ours.pubFailures ?? "—"}, ${ours.localPubFailures ?? "—"} | ${node.pubFailures ?? "—"}, ${node.localPubFailures ?? "—"} |`);
lines.push(`| publishing started after the planned start by, ms | ${n(ours.pubLag)} | ${n(node.pubLag)} |`);
lines.push(`| load average when each run started (bridged; local) | ${ours.loadBridged ?? "—"}; ${ours.loadLocal ?? "—"} | ${node.loadBridged ?? "—"}; ${node.loadLocal ?? "—"} |`);
lines.push("");
const verdict = (ok) => (ok === undefined ? "not measured" : ok ? "met" : "not met");
const cpuOk = ours.bCpuPerDelivery > 0 && node.bCpuPerDelivery > 0 ? node.bCpuPerDelivery / ours.bCpuPerDelivery >= 3 : undefined;
const bridgeOk = Number.isFinite(ours.bOnlyBridgeAddsP99) ? ours.bOnlyBridgeAddsP99 <= 2 : undefined;
const firstAddsP99 = ours.bOnlyBridgedFirst && ours.bOnlyLocalFirst ? (ours.bOnlyBridgedFirst.p99 - ours.bOnlyLocalFirst.p99) / 1e3 : NaN;
const firstOk = Number.isFinite(firstAddsP99) ? firstAddsP99 <= 2 : undefined;
const bridgeSplitOk = Number.isFinite(ours.bridgeAddsP99) ? ours.bridgeAddsP99 <= 2 : undefined;
lines.push(
  `Targets: CPU per delivery on B, ours ≥ 3× Node: **${verdict(cpuOk)}** (${ratio(node.bCpuPerDelivery, ours.bCpuPerDelivery)}×). ` +
    `The bridge adds ≤ 2 ms p99 over a local broadcast: **${verdict(bridgeOk)}** with B only (${n(ours.bOnlyBridgeAddsP99)} ms), ` +
    `**${verdict(bridgeSplitOk)}** with the room split (${n(ours.bridgeAddsP99)} ms); ` +
    `on the first delivery of each publish with B only: **${verdict(firstOk)}** (${n(firstAddsP99)} ms). ` +
    "A p99 over a run's publishes is close to their maximum, and a difference of two p99s taken minutes " +
    "apart on a shared machine carries that noise: the p50s and the first deliveries say more about the hop itself.",
  ""
);
lines.push(
  "Notes:",
  "",
  "- Layout: the machine has two cores. B, the receiving instance whose CPU and latency are the figures,",
  "  runs alone on its core; A, Redis and the load generator share the other (`BENCH_CORE_*` to change).",
  "  With the room split, A's own fan-out and the load generator reading both halves compete with the",
  "  bridge's path (A's XADD, Redis, and the reading of B's deliveries), so the split runs' latencies",
  "  are mostly that contention; the B-only runs isolate the bridge.",
  "- \"First delivery\" is, per publish, the earliest of its deliveries on that instance: the path to",
  "  the instance (HTTP, the bridge) without the fan-out, whose length is the rest of a delivery's latency.",
  "- Our instances deliver a broadcast on their own sockets first and then append it to the stream",
  "  (recovery off: `ns_adapter::broadcast`, libs/redis/src/cluster_adapter.cpp), so in the split runs",
  "  a bridged delivery also waits for A's local fan-out on A's core.",
  "  Node's `ClusterAdapter` (socket.io-adapter 2.5, under the streams adapter) does the opposite: it",
  "  awaits its XADD before delivering on its own sockets, so a Node \"local\" broadcast already",
  "  includes the Redis round trip (and its fsync), and the bridge adds little on top of it there.",
  "- Server CPU includes the kernel; on loopback the kernel's TCP work for the receiving end of a send",
  "  is charged to the sender. `/proc/<pid>/stat` counts in 10 ms ticks, too coarse for Redis at a",
  "  few broadcasts a second, so Redis's CPU is also read from `/proc/<pid>/task/*/schedstat` (ns). Redis is `scripts/redis-temp`'s",
  "  (`appendfsync always` unless `BENCH_REDIS_FSYNC` says otherwise), so its CPU includes writing the",
  "  append-only file, and a stream entry reaches the readers only after its fsync; its CPU in the",
  "  window also includes what the instances do when idle (blocking reads, health probes). Redis's",
  "  `INFO commandstats` (reset before each run, read after it, so the ramp is included) counts only",
  "  the time inside commands, not the event loop, the network or the fsync.",
  "- Our subscribers are anonymous sockets (`ALLOW_ANONYMOUS=true`) asking to join `global`, the room",
  "  every socket is in from its connection, so the join is acknowledged with no `user_joined` to the",
  "  room (which a fresh join sends, through the cluster: n² deliveries for n joins). The Node",
  "  subscribers join `global` with the same event. Both publish paths are `POST /api/broadcast/room`",
  "  with a bearer key; the Node route (`bench/cluster/server.js`) does the same checks and",
  "  `io.to(room).emit(event, data)`.",
  ""
);
lines.push("Raw results (one line per run):", "", "```");
for (const r of runs) lines.push(JSON.stringify(r));
lines.push("```", "");
fs.writeFileSync(outPath, lines.join("\n"));
console.log(`bench-cluster: wrote ${outPath}`);
