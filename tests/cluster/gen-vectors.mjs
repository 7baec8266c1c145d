// Captures the cluster messages real socket.io servers exchange through
// @socket.io/redis-streams-adapter, as test vectors for libs/rooms' cluster codec.
//   node tests/cluster/gen-vectors.mjs        (run by hand, not by CI; needs redis-server)
// Starts a throwaway Redis (scripts/redis-temp), two socket.io servers (A and B) in this process on
// it, socket.io-client sockets, and makes them produce every message kind. Each step's stream
// entries (XRANGE) and PUB/SUB payloads (PSUBSCRIBE socket.io#*, buffer mode) are written to
// tests/vectors/cluster/<step>.json; binary is base64.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { io as connect } from "socket.io-client";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const outDir = join(root, "tests", "vectors", "cluster");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const redisDir = mkdtempSync(join(tmpdir(), "sb-vectors-"));
const url = execFileSync(join(root, "scripts", "redis-temp"), ["start", redisDir]).toString().trim();
let stopped = false;
function stopRedis() {
    if (stopped) return;
    stopped = true;
    execFileSync(join(root, "scripts", "redis-temp"), ["stop", redisDir]);
    rmSync(redisDir, { recursive: true, force: true });
}
process.on("exit", stopRedis);

const pubsub = [];
let step = "startup";
const clients = [];
const servers = [];

async function startServer() {
    const client = createClient({ url });
    await client.connect();
    clients.push(client);
    const http = createServer();
    const io = new Server(http, {
        adapter: createAdapter(client),
        connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
    });
    await new Promise((r) => http.listen(0, "127.0.0.1", r));
    servers.push({ io, http });
    return { io, port: http.address().port };
}

const spy = createClient({ url });
await spy.connect();
const sub = spy.duplicate();
await sub.connect();
await sub.pSubscribe(
    "socket.io#*",
    (message, channel) => pubsub.push({ step, channel: channel.toString(), base64: message.toString("base64") }),
    true,
);

const A = await startServer();
const B = await startServer();
// B's sockets: join the rooms the client asks for; a server-side handler answering with binary.
B.io.on("connection", (socket) => {
    socket.join(socket.handshake.query.rooms.split(","));
    socket.data = { user: "bob", level: 3 };
});
B.io.on("hello", (...args) => {
    const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (cb) cb({ answer: 42, blob: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
});
A.io.on("connection", (socket) => {
    socket.join(socket.handshake.query.rooms.split(","));
    socket.data = { user: "alice", tags: ["a", "b"] };
});

async function connectClient(port, rooms) {
    const s = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"], query: { rooms } });
    await new Promise((r) => s.on("connect", r));
    return s;
}
const c1 = await connectClient(A.port, "room1");
const c2 = await connectClient(B.port, "room1,room2");
c1.on("ask", (...args) => args.pop()({ from: "c1", q: args[0] }));
c2.on("ask", (...args) => args.pop()(Buffer.from([1, 2, 3])));
await sleep(700);

let lastId = "0-0";
const results = {};
async function capture(name, description, action) {
    await drainStream(step);
    step = name;
    const out = await action();
    await sleep(400);
    const stream = await drainStream(name);
    results[name] = { description, stream, pubsub: pubsub.filter((p) => p.step === name), ...(out || {}) };
}
async function drainStream(label) {
    const entries = await spy.xRange("socket.io", lastId === "0-0" ? "-" : `(${lastId}`, "+");
    if (entries.length) lastId = entries[entries.length - 1].id;
    if (label === "startup" || label !== step) return entries.map((e) => ({ id: e.id, fields: e.message }));
    return entries.map((e) => ({ id: e.id, fields: e.message }));
}

results.startup = {
    description: "heartbeats: each node's INITIAL_HEARTBEAT (1) and the HEARTBEAT (2) it answers with; no data",
    stream: await drainStream("startup"),
    pubsub: pubsub.filter((p) => p.step === "startup"),
};

await capture("emit_plain", "A: io.emit('news', 1, 'two', {three: [3.5, null, true]}, -42, 2**40, 'é✓')", () => {
    A.io.emit("news", 1, "two", { three: [3.5, null, true] }, -42, 2 ** 40, "é✓");
});
await capture(
    "emit_binary",
    "A: io.emit('bin', {nested: {buf: <00 01 02 ff>}, list: [<'hi'>]}, 'x'): data is base64(msgpack)",
    () => {
        A.io.emit("bin", { nested: { buf: Buffer.from([0, 1, 2, 255]) }, list: [Buffer.from("hi")] }, "x");
    },
);
await capture("emit_rooms", "A: io.to('room1').except('room2').emit('rooms', 'r')", () => {
    A.io.to("room1").except("room2").emit("rooms", "r");
});
await capture("emit_volatile", "A: io.volatile.emit('vol', 1)", () => {
    A.io.volatile.emit("vol", 1);
});
await capture("emit_local", "A: io.local.emit('loc', 1): nothing is published", () => {
    A.io.local.emit("loc", 1);
});
await capture("emit_compress", "A: io.compress(false).to('room2').emit('cmp', true)", () => {
    A.io.compress(false).to("room2").emit("cmp", true);
});
await capture("sockets_join", "A: io.in('room1').socketsJoin(['x', 'y'])", () => {
    A.io.in("room1").socketsJoin(["x", "y"]);
});
await capture("sockets_leave", "A: io.in('room1').except('room2').socketsLeave('x')", () => {
    A.io.in("room1").except("room2").socketsLeave("x");
});
await capture(
    "fetch_sockets",
    "A: io.in('room2').fetchSockets(): FETCH_SOCKETS (7) on PUB/SUB, B's FETCH_SOCKETS_RESPONSE (8) on A's channel",
    async () => {
        const sockets = await A.io.in("room2").fetchSockets();
        return { fetched: sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data })) };
    },
);
await capture("server_side_emit", "A: io.serverSideEmit('hello', 1, {a: 'b'}) without ack", () => {
    A.io.serverSideEmit("hello", 1, { a: "b" });
});
await capture(
    "server_side_emit_ack",
    "A: io.serverSideEmitWithAck('hello', 'q'); B answers {answer: 42, blob: <de ad be ef>}",
    async () => {
        const replies = await A.io.serverSideEmitWithAck("hello", "q");
        return { replies: replies.map((r) => ({ answer: r.answer, blob: Buffer.from(r.blob).toString("base64") })) };
    },
);
await capture(
    "emit_with_ack",
    "A: io.timeout(500).emitWithAck('ask', 'q'): BROADCAST with requestId, B's BROADCAST_CLIENT_COUNT and BROADCAST_ACK (c2 answers <01 02 03>)",
    async () => {
        const acks = await A.io.timeout(500).emitWithAck("ask", "q");
        return { acks: acks.map((a) => (Buffer.isBuffer(a) ? { base64: a.toString("base64") } : a)) };
    },
);
await capture(
    "emit_binary_with_ack",
    "A: io.to('room2').timeout(500).emitWithAck('ask', <09 08>, {k: [<07>]}): binary in a PUB/SUB broadcast",
    async () => {
        await A.io.to("room2").timeout(500).emitWithAck("ask", Buffer.from([9, 8]), { k: [Buffer.from([7])] });
    },
);
await capture(
    "session",
    "c2's transport closes: B persists its session under sio:session:<pid> (SET, base64(msgpack))",
    async () => {
        c2.io.engine.close();
        await sleep(300);
        const keys = await spy.keys("sio:session:*");
        const sessions = [];
        for (const key of keys) sessions.push({ key, base64: await spy.get(key) });
        return { sessions };
    },
);
await capture("disconnect_sockets", "A: io.in('room1').disconnectSockets(true)", () => {
    A.io.in("room1").disconnectSockets(true);
});
await capture("adapter_close", "B: io.close(): ADAPTER_CLOSE (13), no data", async () => {
    B.io.close();
});

mkdirSync(outDir, { recursive: true });
for (const [name, value] of Object.entries(results)) {
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(value, null, 2) + "\n");
}
console.log(`wrote ${Object.keys(results).length} files to ${outDir}`);

c1.close();
c2.close();
A.io.close();
await sleep(200);
for (const c of [...clients, sub, spy]) await c.disconnect().catch(() => {});
for (const { http } of servers) http.close();
process.exit(0);
