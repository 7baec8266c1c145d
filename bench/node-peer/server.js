// The Node socket.io reference server for the benchmarks: the same app as sb-bench-server.
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 3301);
const io = new Server(port, { serveClient: false });

io.on("connection", (socket) => {
  socket.on("echo", (arg, cb) => {
    if (typeof cb === "function") cb(arg);
  });
  socket.on("join_room", (arg, cb) => {
    if (!arg || typeof arg.room !== "string") {
      if (typeof cb === "function") cb({ success: false, error: "room is required" });
      return;
    }
    socket.join(arg.room);
    if (typeof cb === "function") cb({ success: true });
  });
  socket.on("publish", (arg, cb) => {
    if (!arg || typeof arg.room !== "string") return;
    io.to(arg.room).emit("message", arg.payload);
    if (typeof cb === "function") cb({ success: true });
  });
});

console.log(`listening on 127.0.0.1:${port}`);
