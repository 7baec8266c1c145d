// Seed 003 (the e-commerce websocket-service) against PROFILE=ecommerce, as its document shows it:
// its React, Vue and Angular client examples and its use cases run unchanged (framework state
// replaced by plain variables), its RabbitMQ events (order.*, payment.*, inventory.*,
// notification.*) published by a real amqplib publisher to a real broker (scripts/rabbitmq-temp)
// and routed by the profile's deploy/routes/ecommerce.json (built in), its auto-joined rooms, its
// authentication errors, and its curl calls (/health, /connected-users, /user-status/:userId)
// without a key, as the seed makes them.
//
// Refused on purpose: `join_room` with a bare custom name ('custom-room-id'): a name without a
// prefix is never joinable by request (socket ids are such names); a rules file can open one.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import io from "socket.io-client";
import { sleep, waitFor } from "./helpers.mjs";
import { startGateway, SECRET, token, join, ask, collect, arrives } from "./gateway-helpers.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const rabbitTemp = path.resolve(here, "../../scripts/rabbitmq-temp");
const hasRabbit = fs.existsSync("/usr/lib/rabbitmq/bin/rabbitmq-server");
const EXCHANGE = "events"; // deploy/routes/ecommerce.json's

async function until(cond, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out: " + what);
    await sleep(20);
  }
}

describe("seed 003 (ecommerce) against PROFILE=ecommerce", { skip: !hasRabbit && "rabbitmq-server not installed" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sb-seed003-"));
  const brokerDir = path.join(dir, "rabbit");
  const broker = async (cmd, ...args) =>
    (await promisify(execFile)(rabbitTemp, [cmd, brokerDir, ...args], { encoding: "utf8", timeout: 120000 })).stdout.trim();
  const amqp = require("amqplib");
  let url, gw, conn, ch, base;
  const sockets = [];
  const customer = () => token({ userId: "cust-1", role: "customer" });
  const manager = () => token({ userId: "mgr-1", role: "manager", companyId: "co-1", shopIds: ["shop-1"] });

  function publish(key, body) {
    return new Promise((resolve, reject) =>
      ch.publish(EXCHANGE, key, Buffer.from(JSON.stringify(body)), { persistent: true, contentType: "application/json" }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
  }

  before(async () => {
    url = (await broker("start")).split("\n").pop();
    const u = new URL(url);
    // The API the seed's curl calls reach without a key: the profile's loopback-only API.
    gw = await startGateway({ PROFILE: "ecommerce", JWT_SECRET: SECRET, SERVICE_API_KEY: "", RABBITMQ_HOST: u.hostname, RABBITMQ_PORT: u.port });
    base = gw.url.replace("http://", "ws://"); // io('ws://localhost:8009', ...) as the seed writes it
    const end = Date.now() + 30000;
    while (!gw.log.some((l) => l.includes("amqp: consuming"))) {
      if (Date.now() > end) throw new Error("the consumer never started: " + gw.log.slice(-10).join("\n"));
      await sleep(100);
    }
    conn = await amqp.connect(url);
    ch = await conn.createConfirmChannel();
    await ch.assertExchange(EXCHANGE, "topic", { durable: true });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    try {
      await conn?.close();
    } catch {}
    await gw?.stop();
    try {
      await broker("stop");
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("curl /health, /connected-users, /user-status/:userId (no key)", async () => {
    const h = await (await fetch(gw.url + "/health")).json();
    assert.deepEqual(Object.keys(h), ["status", "service", "timestamp"]);
    assert.equal(h.status, "OK");
    assert.equal(h.service, "websocket-service");
    const [s] = await join(gw.url, token({ userId: "user123" }));
    sockets.push(s);
    const users = await (await fetch(gw.url + "/connected-users")).json();
    assert.equal(users.success, true);
    assert.ok(users.data.users.includes("user123"));
    assert.equal(users.data.count, users.data.users.length);
    const st = await (await fetch(gw.url + "/user-status/user123")).json();
    assert.equal(st.success, true);
    assert.equal(st.data.userId, "user123");
    assert.equal(st.data.isConnected, true);
  });

  test("React example: connected, then order:status_updated shown for the customer's order", async () => {
    const shown = [];
    const showNotification = (m) => shown.push(m);
    let connected = false;
    const setConnected = (v) => (connected = v);
    let socket = null;
    const setSocket = (s) => (socket = s);
    const token = customer();
    // The body of useWebSocket's effect, unchanged.
    const socketInstance = io(base, {
      auth: { token },
    });

    socketInstance.on("connected", (data) => {
      shown.push(["Connected:", data]);
      setConnected(true);
    });

    socketInstance.on("order:status_updated", (data) => {
      // Handle order update
      showNotification(data.message);
    });

    socketInstance.on("disconnect", () => {
      setConnected(false);
    });

    setSocket(socketInstance);
    sockets.push(socket);
    await until(() => connected, "connected");
    const hello = shown[0][1];
    assert.equal(hello.message, "Connected");
    assert.equal(hello.socketId, socket.id);
    assert.ok(hello.rooms.includes("user:cust-1"));

    await publish("order.shipped", {
      orderId: "order_123",
      orderNumber: "ORD-12345",
      customerId: "cust-1",
      status: "shipped",
      message: "Your order #ORD-12345 is now shipped",
      timestamp: new Date().toISOString(),
    });
    await until(() => shown.includes("Your order #ORD-12345 is now shipped"), "order:status_updated");
  });

  test("use cases 1 and 2: subscribe_order and subscribe_inventory get order:update, inventory:stock_changed", async () => {
    const [socket] = await join(gw.url, customer());
    sockets.push(socket);
    const joined = collect(socket, "room_joined");
    const updates = [];
    const stock = [];
    const alerts = [];
    const updateOrderStatus = (s) => updates.push(s);
    const showNotification = () => {};
    const updateProductQuantity = (id, q) => stock.push([id, q]);
    const showAlert = (m, s) => alerts.push([m, s]);
    // Customer subscribes to their order
    socket.emit("subscribe_order", "order-123");

    // Receives real-time updates
    socket.on("order:update", (data) => {
      updateOrderStatus(data.status);
      showNotification(`Order ${data.status}`);
    });
    // Manager subscribes to product
    socket.emit("subscribe_inventory", "product-456");

    // Receives stock updates
    socket.on("inventory:stock_changed", (data) => {
      updateProductQuantity(data.productId, data.quantity);
    });

    // Receives low stock alerts
    socket.on("inventory:low_stock_alert", (data) => {
      showAlert(data.message, data.severity);
    });
    await until(() => joined.length === 2, "both subscriptions joined");
    assert.deepEqual((await ask(socket, "get_rooms")).rooms.filter((r) => /^(order|product):/.test(r)).sort(), [
      "order:order-123",
      "product:product-456",
    ]);
    await publish("order.delivered", { orderId: "order-123", customerId: "someone-else", status: "delivered" });
    await publish("inventory.updated", { productId: "product-456", companyId: "co-9", quantity: 7 });
    await until(() => updates.length && stock.length, "order:update and inventory:stock_changed");
    assert.deepEqual(updates, ["delivered"]);
    assert.deepEqual(stock, [["product-456", 7]]);
    assert.deepEqual(alerts, []); // low-stock alerts go to the company and shop rooms
  });

  test("use cases 3 and 4, Vue example: company and shop rooms auto-joined; new orders, low stock, global alerts", async () => {
    const notified = [];
    const vm = { $store: { state: { auth: { token: manager() } } }, $notify: (n) => notified.push(n), socket: null, connected: false };
    // Vue example's mounted(), unchanged.
    (function mounted() {
      this.socket = io(base, {
        auth: { token: this.$store.state.auth.token },
      });

      this.socket.on("connected", (data) => {
        this.connected = true;
      });

      this.socket.on("inventory:low_stock_alert", (data) => {
        this.$notify({
          title: "Low Stock Alert",
          message: data.message,
          type: "warning",
        });
      });
    }).call(vm);
    sockets.push(vm.socket);
    await until(() => vm.connected, "the manager connected");
    const socket = vm.socket;
    const orders = [];
    const shopOrders = [];
    const shopInventory = [];
    const alertList = [];
    // Admin dashboard / shop manager handlers, unchanged but for their list helpers.
    socket.on("order:new_order", (data) => orders.push(data));
    socket.on("inventory:alert", (data) => alertList.push(data));
    socket.on("order:shop_order", (data) => shopOrders.push(data));
    socket.on("inventory:shop_update", (data) => shopInventory.push(data));

    await publish("order.created", { orderId: "o-9", orderNumber: "ORD-9", customerId: "cust-1", companyId: "co-1", shopId: "shop-1", status: "created" });
    await publish("inventory.low_stock", {
      productId: "prod_123",
      productName: "iPhone 15",
      quantity: 5,
      threshold: 10,
      severity: "warning",
      message: "iPhone 15 is running low (5 remaining)",
      companyId: "co-1",
      shopId: "shop-1",
    });
    await publish("inventory.updated", { productId: "prod_123", companyId: "co-1", shopId: "shop-1", quantity: 4 });
    await publish("inventory.out_of_stock", { productId: "prod_7", companyId: "co-2", shopId: "shop-2", message: "out" });
    await until(() => orders.length && shopOrders.length && notified.length && shopInventory.length && alertList.length, "the manager's events");
    assert.equal(orders[0].orderId, "o-9");
    assert.equal(shopOrders[0].orderId, "o-9");
    // One alert: the company and shop rooms hold the same socket, which gets it once.
    await sleep(200);
    assert.deepEqual(notified, [{ title: "Low Stock Alert", message: "iPhone 15 is running low (5 remaining)", type: "warning" }]);
    assert.equal(shopInventory[0].quantity, 4);
    assert.deepEqual(alertList.map((a) => a.productId), ["prod_7"]); // inventory:alert goes to everyone
  });

  test("Angular service: onOrderUpdate observes order:status_updated; notification.* → notification:new", async () => {
    // The seed's WebSocketService, its TypeScript types dropped and Observable reduced to a callback.
    class WebSocketService {
      connect(token) {
        this.socket = io(base, {
          auth: { token },
        });
      }
      onOrderUpdate(next) {
        this.socket.on("order:status_updated", (data) => {
          next(data);
        });
      }
      disconnect() {
        if (this.socket) {
          this.socket.close();
        }
      }
    }
    const svc = new WebSocketService();
    svc.connect(customer());
    const seen = [];
    svc.onOrderUpdate((d) => seen.push(d));
    const notes = collect(svc.socket, "notification:new");
    const announcements = collect(svc.socket, "announcement:new");
    await waitFor(svc.socket, "connected");
    await publish("payment.success", { paymentId: "p-1", orderId: "o-1", customerId: "cust-1", status: "paid" });
    await publish("order.confirmed", { orderId: "o-1", customerId: "cust-1", status: "confirmed" });
    await publish("notification.created", { userId: "cust-1", type: "info", priority: "high", subject: "System Maintenance", content: "Tonight" });
    await publish("notification.announcement", { type: "info", subject: "Sale", content: "50% off" });
    await until(() => seen.length && notes.length && announcements.length, "order, notification and announcement");
    assert.equal(seen[0].status, "confirmed");
    assert.equal(notes[0].subject, "System Maintenance");
    assert.equal(announcements[0].subject, "Sale");
    svc.disconnect();
  });

  test("Error handling: connect_error 'Authentication required' / 'Invalid or expired token'", async () => {
    const messages = [];
    for (const auth of [{}, { token: "not-a-jwt" }]) {
      const socket = io(base, { auth, reconnection: false });
      const [error] = await waitFor(socket, "connect_error");
      messages.push(error.message);
      socket.close();
    }
    assert.deepEqual(messages, ["Authentication required", "Invalid or expired token"]);
  });

  test("refused: join_room with a bare custom name (not joinable by request)", async () => {
    const [socket] = await join(gw.url, customer());
    sockets.push(socket);
    const r = await ask(socket, "join_room", "custom-room-id");
    assert.equal(r.success, false);
    assert.equal(await arrives(socket, "room_joined", 200), false);
  });
});
