// Turns scripts/bench results (JSON lines) into docs/benchmarks.md and gnuplot PNGs.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { chatSection } from "./report-chat.mjs";

// chatUsers and chatRate name the chat runs (empty when PostgreSQL was not there to run them).
const [resultsFile, outDir, quick, command, floorFile, chatUsers, chatRate] = process.argv.slice(2);
let floor;
try {
  floor = JSON.parse(fs.readFileSync(floorFile, "utf8").trim());
} catch {}
const runs = fs.readFileSync(resultsFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const find = (label, server, threads = 1) => runs.find((r) => r.label === label && r.server === server && r.threads === threads);

const fmt = (v, digits = 1) => (v === undefined || v === null || Number.isNaN(v) ? "—" : Number(v).toFixed(digits));
const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : "—");
const bottleneck = (r) => r && r.result.loadgen_cpu_s / r.result.measured_s > 0.85;
const chatCore1 = (r) => r && r.result.scenario === "chat" && (r.result.loadgen_cpu_s / r.result.wall_s + r.result.db_cpu_measured_s / r.result.measured_s) > 0.85;

const rows = [];
function row(figure, target, get, unit, digits = 1, lowerIsBetter = true) {
  const o = get("ours"), n = get("node");
  rows.push({ figure, ours: o, node: n, unit, digits, target, r: ratio(o, n), lowerIsBetter });
}
const perConn = (label) => (s) => {
  const r = find(label, s);
  return r && r.result.connected ? (r.rss_peak_kib - r.rss0_kib) / r.result.connected : undefined;
};
// Handshakes: the server's CPU over the whole run. Echo and fan-out: over the measured window only
// (sb-loadgen --server-pid reads /proc at its start and end), so connecting is not charged to them.
const cpuPer = (label, field, threads = 1) => (s) => {
  const r = find(label, s, threads);
  if (!r || !r.result[field]) return undefined;
  const measured = r.result.server_cpu_measured_s;
  const cpu = field !== "connected" && measured >= 0 ? measured : r.server_cpu_s;
  return (cpu * 1e6) / r.result[field];
};
const lat = (label, p) => (s) => {
  const r = find(label, s);
  return r ? r.result.latency_us[p] / 1000 : undefined;
};
const big = quick === "1" ? "500" : "10000";
row(`RSS per idle WebSocket connection (${big} conns), KiB`, "≤ 4", perConn(`connect-${big}`), "KiB");
if (quick !== "1") row("RSS per idle WebSocket connection (19000 conns), KiB", "≤ 4", perConn("connect-19000"), "KiB");
row(`server CPU per handshake (WebSocket + CONNECT, ${big} conns), µs`, "≤ 120", cpuPer(`connect-${big}`, "connected"), "µs");
row("server CPU per echo with ack (1k conns, closed loop), µs", "≤ 15", cpuPer("echo-closed-1k", "acks"), "µs", 2);
if (quick !== "1")
  row("server CPU per fan-out delivery (1 room × 10k), µs", "≤ 5", cpuPer("fanout-1x10k-2", "deliveries"), "µs", 2);
row("server CPU per fan-out delivery (1 room × 1k), µs", "—", cpuPer("fanout-1x1k-10", "deliveries"), "µs", 2);
row("fan-out 1×1k at 10 publishes/s, publish → delivery p99, ms", "≤ 25", lat("fanout-1x1k-10", "p99"), "ms", 2);
row("echo at a fixed 5,000/s over 1k connections, ack p99, ms", "≤ 5", lat("echo-open-5000", "p99"), "ms", 2);
row("echo closed loop, acks/s", "—", (s) => find("echo-closed-1k", s)?.result.acks_per_s, "/s", 0, false);

const one = find("echo-closed-1k", "ours", 1), two = find("echo-closed-1k", "ours", 2);
const echoCpu = (threads) => cpuPer("echo-closed-1k", "acks", threads)("ours");
let md = `# Benchmarks\n\nMade by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (${process.env.HOSTNAME || "this machine"}: ` +
  `2 cores). Each scenario runs against a fresh server process pinned to core 0, the same load generator ` +
  `(\`build/bin/sb-loadgen\`) pinned to core 1. Server CPU is utime+stime from /proc (user and kernel: on loopback the ` +
  `kernel's TCP work for both ends of a send is charged to the sender); per handshake it is the whole run, per echo ` +
  `and per fan-out delivery only the measured window (no handshakes). Memory is VmRSS (user space; ` +
  `the kernel's socket buffers come on top). Ratios are ours/Node: below 1 is better for costs and latencies.\n\n`;
md += "| figure | target | Switchboard | Node socket.io 4.8 | ours/Node |\n|---|---|---|---|---|\n";
for (const r of rows) md += `| ${r.figure} | ${r.target} | ${fmt(r.ours, r.digits)} | ${fmt(r.node, r.digits)} | ${r.r} |\n`;
md += `| 2 threads vs 1 thread, closed-loop echo acks/s | ≥ 1.8× | ${fmt(two?.result.acks_per_s, 0)} vs ${fmt(one?.result.acks_per_s, 0)} | — | ${ratio(two?.result.acks_per_s, one?.result.acks_per_s)}× |\n`;
md += `| server CPU per echo, 2 threads vs 1 thread, µs | — | ${fmt(echoCpu(2), 2)} vs ${fmt(echoCpu(1), 2)} | — | ${ratio(echoCpu(2), echoCpu(1))}× |\n\n`;
if (floor) {
  const fan = quick === "1" ? cpuPer("fanout-1x1k-10", "deliveries")("ours") : cpuPer("fanout-1x10k-2", "deliveries")("ours");
  md += `**What one send() costs here.** \`build/bin/sb-sendfloor --conns ${floor.conns} --bursts ${floor.bursts}\` ` +
    `(bench/send_floor.cpp) sends one ${floor.bytes}-byte frame on each of ${floor.conns} established loopback connections per burst, ` +
    `with no server around it (a reader process on the other core): **${fmt(floor.cpu_us_per_send, 2)} µs** of sender CPU per send ` +
    `(${fmt(floor.kernel_us_per_send, 2)} µs of it kernel). Our fan-out delivery above costs ${fmt(fan, 2)} µs, ` +
    `${ratio(fan, floor.cpu_us_per_send)}× that. The kernel's share depends on the reader (waking a sleeping reader is dear; a busy ` +
    `one, like the load generator, is cheaper to reach), so this is a reference, not a hard floor; but with one publish per ` +
    `subscriber there is one send() per delivery, and no delivery costs less than the send it needs.\n\n`;
}

const chat = chatUsers ? chatSection(runs, chatUsers, chatRate) : { md: "## Chat\n\nNot run: no PostgreSQL.\n\n", errors: [], warnings: [] };
md += chat.md;

md += "## Every run\n\n| scenario | server | threads | connected | failures (tcp/ws/open/connect) | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | missing | dup | server CPU s | load generator CPU s | bottleneck |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
for (const r of runs) {
  const x = r.result, f = x.failed, l = x.latency_us;
  const ops = x.scenario === "echo" || x.scenario === "chat" ? x.acks_per_s : x.scenario === "fanout" ? x.deliveries_per_s : x.connected;
  md += `| ${r.label} | ${r.server} | ${r.threads} | ${x.connected} | ${f.tcp}/${f.ws}/${f.open}/${f.connect} | ${fmt(ops, 0)} | ` +
    `${fmt(l.p50 / 1000, 2)} | ${fmt(l.p99 / 1000, 2)} | ${fmt(l.p999 / 1000, 2)} | ${fmt(l.max / 1000, 2)} | ${x.missing} | ${x.duplicates} | ` +
    `${fmt(r.server_cpu_s, 2)} | ${fmt(x.loadgen_cpu_s, 2)} | ${bottleneck(r) ? "load generator" : chatCore1(r) ? "core 1 (load generator + PostgreSQL)" : "server"} |\n`;
}
md += `\n"missing" counts (subscriber, publish) pairs not received by 2 s after the last publish; "dup", ` +
  `messages received twice.\n`;
md += `\nWhen the load generator, not the server, used most of its core ("bottleneck: load generator"), raw ` +
  `throughput says little; compare the server CPU per operation instead. The 2-thread run shares both cores with ` +
  `the load generator, so it understates what two cores give the server: a throughput ratio of 1.8× needs two ` +
  `cores for the server and more for the load generator. The server CPU per echo at 2 threads vs 1 shows what the ` +
  `threads cost each other (1.00× = none).\n`;

// Plots
const plots = [];
try {
  execFileSync("gnuplot", ["--version"], { stdio: "ignore" });
  const dat = path.join(outDir, "bench-latency.dat");
  let d = "# scenario-server p50 p99 p999 max (ms)\n";
  for (const label of ["echo-open-5000", "fanout-1x1k-10"])
    for (const s of ["ours", "node"]) {
      const r = find(label, s);
      if (r) d += `"${label} ${s === "ours" ? "Switchboard" : "Node"}" ${[r.result.latency_us.p50, r.result.latency_us.p99, r.result.latency_us.p999, r.result.latency_us.max].map((v) => (v / 1000).toFixed(3)).join(" ")}\n`;
    }
  fs.writeFileSync(dat, d);
  const mem = path.join(outDir, "bench-memory.dat");
  let m = "# label ours node (KiB per connection)\n";
  for (const label of [`connect-${big}`, "connect-19000"]) {
    const o = perConn(label)("ours"), n = perConn(label)("node");
    if (o !== undefined) m += `"${label}" ${o.toFixed(2)} ${n !== undefined ? n.toFixed(2) : 0}\n`;
  }
  fs.writeFileSync(mem, m);
  const gp = `set terminal pngcairo size 900,500 noenhanced
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set grid ytics
set key top left
set output "${path.join(outDir, "bench-latency.png")}"
set title "Latency percentiles (ms, log scale)"
set logscale y
set xtics rotate by -20
plot "${dat}" using 2:xtic(1) title "p50", "" using 3 title "p99", "" using 4 title "p99.9", "" using 5 title "max"
unset logscale y
set output "${path.join(outDir, "bench-memory.png")}"
set title "RSS per idle WebSocket connection (KiB)"
plot "${mem}" using 2:xtic(1) title "Switchboard", "" using 3 title "Node socket.io"
`;
  execFileSync("gnuplot", [], { input: gp.replace("pngcairo", "png") });
  fs.unlinkSync(dat);
  fs.unlinkSync(mem);
  plots.push("bench-latency.png", "bench-memory.png");
} catch (e) {
  md += "\n(gnuplot was not available: no plots.)\n";
}
for (const p of plots) md += `\n![${p}](${p})\n`;
fs.writeFileSync(path.join(outDir, "benchmarks.md"), md);
console.log(md.split("\n## Every run")[0]);

// Correctness gate (used by the smoke run in scripts/test): every Switchboard run connected every
// client and delivered every message exactly once, with no errors. No timing is asserted.
const bad = runs.filter((r) => r.server === "ours" && r.result.scenario !== "chat").filter((r) => {
  const x = r.result, f = x.failed;
  return r.crashed || x.connected < x.conns || f.tcp + f.ws + f.open + f.connect > 0 || x.missing > 0 || x.duplicates > 0 || x.errors > 0 ||
    (x.scenario === "echo" && x.acks === 0) || (x.scenario === "fanout" && x.deliveries === 0);
});
for (const r of bad) console.error(`bench: ${r.label} (${r.threads} thread(s)) is incomplete: ${JSON.stringify(r.result)}`);
const expected = quick === "1" ? 9 : 13;
const others = runs.filter((r) => r.result.scenario !== "chat").length;
if (others < expected) console.error(`bench: ${others} of ${expected} runs produced a result`);
// Chat: our server crashing, giving no result or acking nothing fails the run; the rest is told.
for (const w of chat.warnings) console.error(`bench: chat warning: ${w}`);
for (const e of chat.errors) console.error(`bench: chat ERROR: ${e}`);
process.exit(bad.length || others < expected || chat.errors.length ? 1 : 0);
