// The Node side of the cluster benchmark (scripts/bench-cluster): socket.io 4.8 with
// @socket.io/redis-streams-adapter 0.3 on the shared Redis, and the same two paths the benchmark
// uses on Switchboard: `join_room` {room} (ack {success, room}, then `room_joined`) and the push
// route POST /api/broadcast/room {room, event, data?} with `Authorization: Bearer <key>`
// (→ {success, room, event, recipients}, recipients = this node's sockets in the room).
//   REDIS_URL=redis://… SERVICE_API_KEY=… node server.js PORT
const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-streams-adapter");
const { createClient } = require("redis");

const port = Number(process.argv[2] || 3501);
const key = process.env.SERVICE_API_KEY || "";
const reserved = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

async function main() {
  const redis = createClient({ url: process.env.REDIS_URL });
  redis.on("error", (e) => console.error("redis:", e.message));
  await redis.connect();

  let io;
  const httpServer = http.createServer((req, res) => {
    if (req.url !== "/api/broadcast/room") return reply(res, 404, { success: false, error: "Not found" });
    if (req.method !== "POST") return reply(res, 405, { success: false, error: "Method not allowed" });
    if (!key || req.headers.authorization !== `Bearer ${key}`) return reply(res, 401, { success: false, error: "Unauthorized" });
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply(res, 400, { success: false, error: "Invalid JSON" });
      }
      if (!body || typeof body.room !== "string" || !body.room) return reply(res, 400, { success: false, error: "room is required" });
      if (typeof body.event !== "string" || !body.event || reserved.has(body.event))
        return reply(res, 400, { success: false, error: "event is required" });
      const recipients = io.of("/").adapter.rooms.get(body.room)?.size ?? 0;
      io.to(body.room).emit(body.event, body.data);
      reply(res, 200, { success: true, room: body.room, event: body.event, recipients });
    });
  });

  io = new Server(httpServer, { serveClient: false, adapter: createAdapter(redis) });
  io.on("connection", (socket) => {
    socket.on("join_room", (arg, cb) => {
      const room = typeof arg === "string" ? arg : arg && arg.room;
      if (typeof room !== "string" || !room) {
        if (typeof cb === "function") cb({ success: false, error: "room is required" });
        return;
      }
      socket.join(room);
      if (typeof cb === "function") cb({ success: true, room });
      socket.emit("room_joined", { room, timestamp: new Date().toISOString() });
    });
  });
  httpServer.listen(port, "127.0.0.1", () => console.log(`listening on 127.0.0.1:${port}`));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
