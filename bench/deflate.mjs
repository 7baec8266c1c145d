// permessage-deflate, ad hoc: what it costs the server per connection and per large message.
//   node bench/deflate.mjs [connections=500] [echoes=300] [size=100000]
// For PER_MESSAGE_DEFLATE off and on: starts sb-conformance (build/bin, or SB_BIN_DIR), opens
// `connections` socket.io-client WebSocket connections (each echoes one 4 KB message, so any zlib
// state would be touched) and reads the server's RSS; then one client echoes a `size`-byte JSON
// message `echoes` times with acks, timing it and reading the server's CPU time (utime + stime).
import fs from "node:fs";
import { createRequire } from "node:module";
import { startServer } from "../tests/e2e/helpers.mjs";

const require = createRequire(new URL("../tests/e2e/", import.meta.url));
const { io } = require("socket.io-client");

const [connections = 500, echoes = 300, size = 100000] = process.argv.slice(2).map(Number);

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const cpuMs = (pid) => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, 100 Hz ticks
};
const open = (url, threshold) =>
    new Promise((resolve, reject) => {
        const s = io(url, { forceNew: true, reconnection: false, transports: ["websocket"], perMessageDeflate: { threshold } });
        s.once("connect", () => resolve(s));
        s.once("connect_error", reject);
    });

function message(n) {
    const rows = [];
    let len = 0;
    for (let i = 0; len < n; ++i) {
        const row = { id: i, user: "user-" + (i % 97), room: "room-" + (i % 13), text: "message number " + i + " in the room", at: 1733400000000 + i };
        rows.push(row);
        len += JSON.stringify(row).length + 1;
    }
    return rows;
}

// Off; on with the client compressing too (its default threshold, 1024); on with a client that
// offers the extension but never compresses (the server's deflate cost alone).
for (const [deflate, clientThreshold] of [
    [false, 1024],
    [true, 1024],
    [true, Infinity],
]) {
    const srv = await startServer(["--ping-interval", "20000", "--ping-timeout", "20000", "--per-message-deflate", String(deflate), "--threads", "1"]);
    const base = rssKb(srv.proc.pid);
    const sockets = [];
    for (let i = 0; i < connections; ++i) sockets.push(await open(srv.url, clientThreshold));
    const small = message(4000);
    await Promise.all(sockets.map((s) => s.timeout(10000).emitWithAck("message-with-ack", small)));
    const withConns = rssKb(srv.proc.pid);
    for (const s of sockets.slice(1)) s.disconnect();

    const s = sockets[0];
    const big = message(size);
    const bytes = JSON.stringify(big).length;
    await s.timeout(10000).emitWithAck("message-with-ack", big); // warm
    const cpu0 = cpuMs(srv.proc.pid);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < echoes; ++i) await s.timeout(10000).emitWithAck("message-with-ack", big);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = cpuMs(srv.proc.pid) - cpu0;
    s.disconnect();
    await srv.stop();
    console.log(
        JSON.stringify({
            deflate,
            client_compresses: clientThreshold !== Infinity && deflate,
            connections,
            rss_base_kb: base,
            rss_with_connections_kb: withConns,
            per_connection_bytes: Math.round(((withConns - base) * 1024) / connections),
            echo_message_bytes: bytes,
            echoes,
            echo_ms: Math.round(ms),
            echoes_per_s: Math.round((echoes * 1000) / ms),
            server_cpu_ms_per_echo: +(cpu / echoes).toFixed(3),
        }),
    );
}
process.exit(0);
