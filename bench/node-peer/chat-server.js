// The Node socket.io reference for the chat benchmark: what the ERP's Node chat service does, on
// the same PostgreSQL as Switchboard. socket.io 4.8 + pg (a Pool of 10, our DB_POOL_SIZE default) +
// jsonwebtoken.
//   DATABASE_URL=postgresql://… JWT_SECRET=… node chat-server.js PORT [SCHEMA]
// Handshake: the token in the CONNECT auth ({token}), HS256, claim userId (or user_id, sub); no or
// a bad token is refused. Each socket joins `user:<userId>`. chat:send {receiverId, message,
// clientMessageId?} is checked like ours, INSERTed (clientMessageId is the idempotency key, as in
// our table), emitted as chat:message to the receiver and to the sender's other sockets, and acked
// {success: true, message}. Its table mirrors ours (libs/persistence/src/migrations.cpp, v1).
const { Server } = require("socket.io");
const { Pool } = require("pg");
const jwt = require("jsonwebtoken");
const crypto = require("node:crypto");

const port = Number(process.argv[2] || 3302);
const schema = process.argv[3] || "node_peer";
const secret = process.env.JWT_SECRET;
const maxLength = 5000;
if (!process.env.DATABASE_URL || !secret || !/^[a-z_][a-z0-9_]*$/.test(schema)) {
  console.error("chat-server: DATABASE_URL, JWT_SECRET and a plain schema name are required");
  process.exit(2);
}
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const table = `"${schema}".chat_messages`;
const idPattern = /^[A-Za-z0-9._@+-]{1,128}$/;
const clientIdPattern = /^[A-Za-z0-9._@+:-]{1,128}$/;
const columns =
  "id, conversation_id, sender_id, receiver_id, body, attachments, client_message_id, created_at, delivered_at, read_at";

const iso = (ms) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());
const conversation = (a, b) => (a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`);
const toJson = (r) => ({
  id: Number(r.id),
  conversationId: r.conversation_id,
  senderId: r.sender_id,
  receiverId: r.receiver_id,
  message: r.body,
  attachments: JSON.parse(r.attachments),
  createdAt: iso(r.created_at),
  deliveredAt: iso(r.delivered_at),
  readAt: iso(r.read_at),
  clientMessageId: r.client_message_id,
});

async function migrate() {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${table} (
  id BIGSERIAL PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  receiver_id TEXT NOT NULL,
  body TEXT NOT NULL,
  attachments TEXT NOT NULL DEFAULT '[]',
  client_message_id TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT,
  read_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS chat_messages_client_id ON ${table} (sender_id, client_message_id);
CREATE INDEX IF NOT EXISTS chat_messages_conversation ON ${table} (conversation_id, id);
CREATE INDEX IF NOT EXISTS chat_messages_undelivered ON ${table} (receiver_id, id) WHERE delivered_at IS NULL;
CREATE INDEX IF NOT EXISTS chat_messages_unread ON ${table} (receiver_id, conversation_id) WHERE read_at IS NULL;`);
}

// The arguments of chat:send → a row to insert, or the error text.
function check(userId, a) {
  if (!a || typeof a !== "object") return "Expected an object argument";
  if (typeof a.receiverId !== "string" || !idPattern.test(a.receiverId)) return "receiverId is required";
  if (a.receiverId === userId) return "receiverId must be another user";
  if (typeof a.message !== "string" || a.message.length === 0) return "message is required";
  if (a.message.length > maxLength) return `message must be at most ${maxLength} characters`;
  if (a.attachments !== undefined && !Array.isArray(a.attachments)) return "attachments must be an array";
  const cid = a.clientMessageId;
  if (cid !== undefined && cid !== null && (typeof cid !== "string" || !clientIdPattern.test(cid)))
    return "clientMessageId is invalid";
  return null;
}

async function send(userId, a) {
  const key = a.clientMessageId || "node-" + crypto.randomBytes(16).toString("hex");
  const params = [conversation(userId, a.receiverId), userId, a.receiverId, a.message, JSON.stringify(a.attachments || []), key, Date.now()];
  const r = await pool.query(
    `INSERT INTO ${table} (conversation_id, sender_id, receiver_id, body, attachments, client_message_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${columns}`,
    params,
  );
  if (r.rows.length) return { row: r.rows[0], created: true };
  const again = await pool.query(`SELECT ${columns} FROM ${table} WHERE sender_id = $1 AND client_message_id = $2`, [userId, key]);
  return { row: again.rows[0], created: false };
}

async function main() {
  await migrate();
  const io = new Server(port, { serveClient: false });
  io.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    if (typeof token !== "string") return next(new Error("Authentication required"));
    try {
      const claims = jwt.verify(token, secret, { algorithms: ["HS256"] });
      const id = claims.userId ?? claims.user_id ?? claims.sub;
      if (id === undefined || !idPattern.test(String(id))) return next(new Error("Invalid or expired token"));
      socket.data.userId = String(id);
      next();
    } catch {
      next(new Error("Invalid or expired token"));
    }
  });
  io.on("connection", (socket) => {
    const userId = socket.data.userId;
    socket.join(`user:${userId}`);
    socket.emit("connected", { socketId: socket.id, userId, isAnonymous: false, rooms: [`user:${userId}`], serverTime: new Date().toISOString(), message: "Connected" });
    socket.on("chat:send", async (a, cb) => {
      const ack = typeof cb === "function" ? cb : () => {};
      const bad = check(userId, a);
      if (bad) return ack({ success: false, error: bad });
      try {
        const { row, created } = await send(userId, a);
        const msg = toJson(row);
        if (created) {
          io.to(`user:${a.receiverId}`).emit("chat:message", msg);
          socket.to(`user:${userId}`).emit("chat:message", msg);
          ack({ success: true, message: msg });
        } else {
          ack({ success: true, message: msg, duplicate: true });
        }
      } catch (e) {
        ack({ success: false, error: "Internal error" });
      }
    });
  });
  console.log(`listening on 127.0.0.1:${port}`);
}

main().catch((e) => {
  console.error("chat-server:", e.message);
  process.exit(1);
});
