// Switchboard's chat demo: plain DOM and socket.io-client (window.io, from socket.io.min.js).
// Events and payloads: README, "Chat and notifications (namespace /)".
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STORE = "switchboard.demo.session";
  const PAGE = 30;

  // ---- state ----
  let session = null; // {name, userId, token, expiresAt}
  let socket = null;
  const convs = new Map(); // partner id → {userId, conversationId, lastMessage, unreadCount, updatedAt}
  const threads = new Map(); // partner id → {messages: Map id → message, hasMore, loaded, loading}
  const online = new Map(); // user id → bool
  const typingFrom = new Map(); // user id → timer
  const pending = new Map(); // clientMessageId → {receiverId, message, createdAt, state}
  const early = new Map(); // message id → receipts that came before the message (its ack)
  const notifications = new Map(); // id → notification (unread)
  let notifCount = 0;
  let active = null; // partner id of the open conversation
  let typingSent = { to: null, at: 0, timer: null };

  // ---- helpers ----
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
    return el;
  }
  function hue(s) {
    let x = 0;
    for (const ch of String(s)) x = (x * 31 + ch.codePointAt(0)) >>> 0;
    return x % 360;
  }
  function initials(name) {
    const parts = String(name).replace(/[_.@-]+/g, " ").trim().split(/\s+/);
    const s = parts.length > 1 ? parts[0][0] + parts[1][0] : String(name).slice(0, 2);
    return s.toUpperCase();
  }
  function paintAvatar(el, name, isOnline) {
    el.textContent = initials(name);
    el.style.background = `hsl(${hue(name)} 55% 52%)`;
    el.classList.toggle("online", !!isOnline);
    el.title = name;
  }
  function avatar(name, isOnline) {
    const el = h("span", { class: "avatar" });
    paintAvatar(el, name, isOnline);
    return el;
  }
  const sameDay = (a, b) => a.toDateString() === b.toDateString();
  function timeOf(iso) {
    const d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function shortTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const now = new Date();
    if (sameDay(d, now)) return timeOf(iso);
    const yesterday = new Date(now.getTime() - 86400000);
    if (sameDay(d, yesterday)) return "Yesterday";
    return d.toLocaleDateString([], { month: "short", day: "numeric" });
  }
  function dayLabel(d) {
    const now = new Date();
    if (sameDay(d, now)) return "Today";
    if (sameDay(d, new Date(now.getTime() - 86400000))) return "Yesterday";
    return d.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" });
  }
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  let toastTimer;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (t.hidden = true), 3500);
  }
  // An acknowledged call; resolves {success:false, error} on a timeout instead of throwing.
  async function call(event, payload, timeout = 8000) {
    try {
      return await socket.timeout(timeout).emitWithAck(event, payload);
    } catch {
      return { success: false, error: "No answer from the server" };
    }
  }
  const partnerOf = (m) => (m.senderId === session.userId ? m.receiverId : m.senderId);
  function thread(id) {
    if (!threads.has(id)) threads.set(id, { messages: new Map(), hasMore: false, loaded: false, loading: false });
    return threads.get(id);
  }
  function conv(id) {
    if (!convs.has(id)) convs.set(id, { userId: id, conversationId: null, lastMessage: null, unreadCount: 0, updatedAt: null });
    return convs.get(id);
  }

  // ---- session ----
  async function mint(name) {
    const r = await fetch("/dev/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    const body = await r.json().catch(() => ({}));
    if (r.status === 404) throw new Error("This server does not mint tokens (DEV_MODE is off): paste a token from your backend below.");
    if (!r.ok || !body.success) throw new Error(body.error || `Sign-in failed (HTTP ${r.status})`);
    return { name, userId: body.userId, token: body.token, expiresAt: body.expiresAt };
  }
  function save() {
    localStorage.setItem(STORE, JSON.stringify(session));
  }
  async function freshSession() {
    // A token with less than 10 minutes left is replaced before use.
    if (session.pasted) return;
    if (new Date(session.expiresAt).getTime() - Date.now() < 600000) {
      session = await mint(session.name);
      save();
    }
  }

  $("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("signin-name").value.trim();
    $("signin-error").textContent = "";
    if (!name) return ($("signin-error").textContent = "Type a name.");
    try {
      session = await mint(name);
      save();
      start();
    } catch (err) {
      $("signin-error").textContent = err.message;
    }
  });
  // A token from elsewhere (DEMO=true without DEV_MODE): used as is, never renewed; the user id
  // shown comes from the server's `connected` event.
  $("signin-token-go").addEventListener("click", () => {
    const token = $("signin-token").value.trim();
    let claims = {};
    try {
      claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    } catch {
      return ($("signin-error").textContent = "That is not a JWT.");
    }
    const id = String(claims.userId ?? claims.user_id ?? claims.sub ?? claims.id ?? "me");
    const expiresAt = claims.exp ? new Date(claims.exp * 1000).toISOString() : new Date(Date.now() + 86400000).toISOString();
    session = { name: null, userId: id, token, expiresAt, pasted: true };
    save();
    start();
  });
  function signOut(message) {
    localStorage.removeItem(STORE);
    if (message) sessionStorage.setItem(STORE + ".error", message);
    location.reload();
  }
  $("signout").addEventListener("click", () => {
    localStorage.removeItem(STORE);
    location.reload();
  });

  // ---- connection ----
  function setConn(state, text) {
    $("conn").dataset.state = state;
    $("conn").textContent = text;
    $("banner").hidden = state === "online" || !active;
  }

  async function start() {
    $("signin").hidden = true;
    $("app").hidden = false;
    paintAvatar($("me-avatar"), session.userId, false);
    $("me-name").textContent = session.userId;
    document.title = `${session.userId} · Switchboard chat`;
    try {
      await freshSession();
    } catch (err) {
      toast(err.message);
    }
    socket = io({ auth: (cb) => cb({ token: session.token }), reconnectionDelayMax: 3000 });
    socket.on("connect", onConnect);
    socket.on("disconnect", (reason) => {
      setConn("connecting", "Reconnecting…");
      online.clear(); // unknown until the next connect asks again
      renderConversations();
      renderHead();
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.io.on("reconnect_attempt", () => setConn("connecting", "Reconnecting…"));
    socket.on("connect_error", async (err) => {
      setConn("offline", "Offline");
      if (socket.active) return; // the transport failed: socket.io-client retries by itself
      if (session.pasted) return signOut(`The server refused the token: ${err.message}`);
      // Refused by the server (an expired or unknown token): a new token, then again.
      try {
        session = await mint(session.name);
        save();
      } catch {}
      setTimeout(() => socket.connect(), 1500);
    });
    socket.on("error", (e) => {
      if (e && /token/i.test(e.message || "")) socket.disconnect().connect();
    });
    socket.on("connected", (e) => {
      if (!e.userId || e.userId === session.userId) return;
      session.userId = e.userId; // the server's spelling of the id
      save();
      paintAvatar($("me-avatar"), session.userId, false);
      $("me-name").textContent = session.userId;
    });
    socket.on("token_expiring_soon", async () => {
      if (session.pasted) return;
      try {
        session = await mint(session.name);
        save();
        await call("auth:refresh", { token: session.token });
      } catch {}
    });
    socket.on("chat:message", onMessage);
    socket.on("chat:delivered", (e) => markState(e.messageIds, "deliveredAt", e.deliveredAt));
    socket.on("chat:readReceipt", (e) => markState(e.messageIds, "readAt", e.readAt));
    socket.on("chat:typing", onTyping);
    socket.on("user:online", (e) => setOnline(e.userId, true));
    socket.on("user:offline", (e) => setOnline(e.userId, false));
    socket.on("notification:new", (n) => {
      if (notifications.has(n.id)) return;
      notifications.set(n.id, n);
      notifCount++;
      renderNotifications();
      toast(`New notification: ${n.title}`);
    });
    socket.on("notification:read", (e) => dropNotifications(e.ids));
    socket.on("notification:dismissed", (e) => dropNotifications(e.ids));
  }

  // Every (re)connect: the lists again, the open conversation's newest page merged in, and the
  // messages whose send was never acknowledged sent again with the same clientMessageId.
  async function onConnect() {
    setConn("online", "Online");
    await Promise.all([loadConversations(), loadNotifications()]);
    if (active) {
      await loadPage(active, null);
      markRead(active);
    }
    for (const [cid, p] of pending) if (p.state !== "sending-now") send(p.receiverId, p.message, cid);
  }

  async function loadConversations() {
    const r = await call("chat:getConversations", {});
    if (!r.success) return toast(r.error);
    for (const c of r.conversations) Object.assign(conv(c.userId), c);
    const u = await call("chat:getUnreadCount", {});
    if (u.success)
      for (const c of convs.values()) if (c.conversationId != null) c.unreadCount = u.byConversation[c.conversationId] || 0;
    await watch([...convs.keys()]);
    renderConversations();
  }
  async function watch(ids) {
    if (!ids.length) return;
    const r = await call("chat:getOnlineStatus", { userIds: ids });
    if (r.success) for (const [id, on] of Object.entries(r.statuses)) online.set(id, on);
    renderConversations();
    renderHead();
  }
  function setOnline(id, on) {
    online.set(id, on);
    renderConversations();
    renderHead();
  }

  // ---- messages ----
  function addMessage(m) {
    const t = thread(partnerOf(m));
    const old = t.messages.get(m.id);
    // Receipts only move forward (a page loaded later may be older than a receipt).
    const seen = old || early.get(m.id);
    if (seen) m = { ...m, deliveredAt: m.deliveredAt || seen.deliveredAt, readAt: m.readAt || seen.readAt };
    early.delete(m.id);
    t.messages.set(m.id, m);
    if (m.clientMessageId) pending.delete(m.clientMessageId);
    const c = conv(partnerOf(m));
    if (m.conversationId != null) c.conversationId = m.conversationId;
    if (!c.lastMessage || c.lastMessage.id <= m.id) {
      c.lastMessage = m;
      c.updatedAt = m.createdAt;
    }
  }
  function onMessage(m) {
    const partner = partnerOf(m);
    const t = thread(partner);
    const isNew = !t.messages.has(m.id);
    // Newer than the conversation's last message as the server listed it: not in its unread count.
    const last = conv(partner).lastMessage;
    const counted = last && m.id <= last.id;
    addMessage(m);
    if (isNew && m.senderId !== session.userId) {
      stopTyping(partner);
      if (active === partner && document.visibilityState === "visible") markRead(partner);
      else if (!counted) conv(partner).unreadCount++;
      if (!online.has(partner)) watch([partner]);
    }
    renderConversations();
    if (active === partner) renderMessages({ stick: true });
  }
  function findMessage(id) {
    for (const t of threads.values()) if (t.messages.has(id)) return t.messages.get(id);
    return null;
  }
  function markState(ids, field, at) {
    let touched = false;
    for (const id of ids || []) {
      const m = findMessage(id);
      if (!m) early.set(id, { ...early.get(id), [field]: at }); // its ack is still on the way
      else if (!m[field]) {
        m[field] = at;
        if (field === "readAt" && !m.deliveredAt) m.deliveredAt = at;
        touched = true;
      }
    }
    if (touched && active) renderMessages({});
  }
  async function loadPage(partner, before) {
    const t = thread(partner);
    if (t.loading) return;
    t.loading = true;
    renderHistoryState();
    const r = await call("chat:getMessages", { userId: partner, limit: PAGE, ...(before ? { before } : {}) });
    t.loading = false;
    if (!r.success) {
      renderHistoryState();
      return toast(r.error);
    }
    for (const m of r.messages) addMessage(m);
    if (before || !t.loaded) t.hasMore = r.hasMore;
    t.loaded = true;
    if (active === partner) renderMessages(before ? { keep: true } : { stick: true });
    renderConversations();
  }
  async function markRead(partner) {
    const c = conv(partner);
    const t = thread(partner);
    const unread = [...t.messages.values()].some((m) => m.senderId === partner && !m.readAt);
    if (!unread && !c.unreadCount) return;
    const r = await call("chat:markRead", { userId: partner });
    if (r.success) {
      for (const id of r.messageIds || []) {
        const m = t.messages.get(id);
        if (m) m.readAt = r.readAt;
      }
      c.unreadCount = 0;
      renderConversations();
    }
  }
  async function send(receiverId, text, cid = newId()) {
    const p = pending.get(cid) || { receiverId, message: text, createdAt: new Date().toISOString(), state: "sending" };
    p.state = "sending-now";
    pending.set(cid, p);
    if (active === receiverId) renderMessages({ stick: true });
    const r = await call("chat:send", { receiverId, message: text, clientMessageId: cid }, 10000);
    if (r.success) {
      onMessage(r.message);
    } else if (pending.has(cid)) {
      // Not acknowledged: kept, and sent again with the same key on the next connect (the
      // server stores it once). A refusal (a bad id, too long) is shown as failed.
      p.state = /unknown|No answer|unavailable|retry/i.test(r.error || "") ? "sending" : "failed";
      if (p.state === "failed") toast(r.error);
      if (socket.connected && p.state === "sending") setTimeout(() => pending.has(cid) && send(receiverId, text, cid), 2000);
      if (active === receiverId) renderMessages({});
    }
  }

  // ---- typing ----
  function onTyping(e) {
    const id = e.senderId;
    clearTimeout(typingFrom.get(id));
    if (e.isTyping) typingFrom.set(id, setTimeout(() => stopTyping(id), 7000));
    else typingFrom.delete(id);
    renderConversations();
    renderHead();
  }
  function stopTyping(id) {
    clearTimeout(typingFrom.get(id));
    typingFrom.delete(id);
    renderConversations();
    renderHead();
  }
  function typed() {
    if (!active || !socket.connected) return;
    const now = Date.now();
    if (typingSent.to !== active || now - typingSent.at > 3000) {
      socket.emit("chat:typing", { receiverId: active, isTyping: true });
      typingSent = { ...typingSent, to: active, at: now };
    }
    clearTimeout(typingSent.timer);
    typingSent.timer = setTimeout(endTyping, 2500);
  }
  function endTyping() {
    clearTimeout(typingSent.timer);
    if (typingSent.to && socket.connected) socket.emit("chat:typing", { receiverId: typingSent.to, isTyping: false });
    typingSent = { to: null, at: 0, timer: null };
  }

  // ---- notifications ----
  async function loadNotifications() {
    const [list, count] = await Promise.all([call("notification:getUnread", { limit: 20 }), call("notification:getUnreadCount", {})]);
    if (list.success) {
      notifications.clear();
      for (const n of list.notifications) notifications.set(n.id, n);
    }
    if (count.success) notifCount = count.count;
    renderNotifications();
  }
  function dropNotifications(ids) {
    for (const id of ids || []) if (notifications.delete(id)) notifCount = Math.max(0, notifCount - 1);
    renderNotifications();
  }
  async function readNotifications(ids) {
    const r = ids ? await call("notification:markRead", { ids }) : await call("notification:markAllRead", {});
    if (!r.success) return toast(r.error);
    if (ids) dropNotifications(r.ids.length ? r.ids : ids);
    else {
      notifications.clear();
      notifCount = 0;
      renderNotifications();
    }
  }
  function renderNotifications() {
    $("bell-count").hidden = notifCount <= 0;
    $("bell-count").textContent = notifCount > 99 ? "99+" : String(notifCount);
    const list = [...notifications.values()].sort((a, b) => b.id - a.id);
    $("notif-list").replaceChildren(
      ...list.map((n) =>
        h(
          "li",
          { class: "notif", dataset: { id: n.id, priority: n.priority }, title: "Mark as read", onclick: () => readNotifications([n.id]) },
          h("div", {}, h("div", { class: "notif-title", text: n.title }), h("div", { class: "notif-body", text: n.message }), h("div", { class: "notif-time", text: shortTime(n.createdAt) })),
        ),
      ),
    );
    $("notif-empty").hidden = list.length > 0;
  }
  $("bell").addEventListener("click", (e) => {
    e.stopPropagation();
    $("notifications").hidden = !$("notifications").hidden;
  });
  $("notifications").addEventListener("click", (e) => e.stopPropagation());
  document.addEventListener("click", () => ($("notifications").hidden = true));
  $("notif-all-read").addEventListener("click", () => readNotifications(null));

  // ---- rendering ----
  function preview(c) {
    if (typingFrom.has(c.userId)) return h("div", { class: "conv-preview typing", text: "typing…" });
    const m = c.lastMessage;
    if (!m) return h("div", { class: "conv-preview", text: "No messages yet" });
    const who = m.senderId === session.userId ? "You: " : "";
    return h("div", { class: "conv-preview", text: who + m.message });
  }
  function renderConversations() {
    const list = [...convs.values()].sort((a, b) => String(b.updatedAt || "9").localeCompare(String(a.updatedAt || "9")));
    $("conversations").replaceChildren(
      ...list.map((c) =>
        h(
          "li",
          { class: "conv" + (c.userId === active ? " active" : ""), dataset: { user: c.userId, online: online.get(c.userId) ? "true" : "false" }, onclick: () => open(c.userId) },
          avatar(c.userId, online.get(c.userId)),
          h("div", { class: "conv-main" }, h("div", { class: "conv-name", text: c.userId }), preview(c)),
          h(
            "div",
            { class: "conv-side" },
            h("span", { class: "conv-time", text: shortTime(c.updatedAt) }),
            c.unreadCount > 0 && c.userId !== active ? h("span", { class: "unread", text: String(c.unreadCount) }) : null,
          ),
        ),
      ),
    );
    $("conversations-empty").hidden = list.length > 0;
    const total = list.reduce((n, c) => n + (c.userId === active ? 0 : c.unreadCount || 0), 0);
    $("total-unread").hidden = total === 0;
    $("total-unread").textContent = `${total} unread`;
  }
  function renderHead() {
    if (!active) return;
    paintAvatar($("peer-avatar"), active, online.get(active));
    $("peer-name").textContent = active;
    const status = $("peer-status");
    const typing = typingFrom.has(active);
    status.className = "peer-status" + (typing ? " typing" : online.get(active) ? " online" : "");
    status.textContent = typing ? "typing…" : !online.has(active) ? "" : online.get(active) ? "Online" : "Offline";
    $("typing").hidden = !typing;
    $("typing-text").textContent = `${active} is typing…`;
  }
  function stateOf(m) {
    if (m.readAt) return ["read", "✓✓", "Read " + timeOf(m.readAt)];
    if (m.deliveredAt) return ["delivered", "✓✓", "Delivered " + timeOf(m.deliveredAt)];
    return ["sent", "✓", "Sent"];
  }
  function renderHistoryState() {
    if (!active) return;
    const t = thread(active);
    $("history-state").textContent = t.loading ? "Loading…" : t.hasMore ? "Scroll up for older messages" : t.messages.size ? "Beginning of the conversation" : "";
  }
  function renderMessages({ stick = false, keep = false }) {
    if (!active) return;
    const box = $("messages");
    const fromBottom = box.scrollHeight - box.scrollTop;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const t = thread(active);
    const items = [...t.messages.values()].sort((a, b) => a.id - b.id);
    const waiting = [...pending.entries()].filter(([, p]) => p.receiverId === active);
    const rows = [];
    let lastDay = null;
    const dayRow = (iso) => {
      const d = new Date(iso);
      if (!lastDay || !sameDay(lastDay, d)) rows.push(h("li", { class: "day", text: dayLabel(d) }));
      lastDay = d;
    };
    const lastMine = items.filter((m) => m.senderId === session.userId).pop();
    for (const m of items) {
      dayRow(m.createdAt);
      const mine = m.senderId === session.userId;
      const [state, mark, title] = stateOf(m);
      const label = mine && m === lastMine && !waiting.length ? h("span", { class: "state-label", text: title.split(" ")[0] }) : null;
      rows.push(
        h(
          "li",
          { class: "msg " + (mine ? "mine" : "theirs"), dataset: { id: m.id, state: mine ? state : "received" } },
          h("div", { class: "bubble", text: m.message }),
          h("div", { class: "meta" }, h("time", { datetime: m.createdAt, text: timeOf(m.createdAt) }), mine ? h("span", { class: "state", title, text: mark }) : null, label),
        ),
      );
    }
    for (const [cid, p] of waiting) {
      dayRow(p.createdAt);
      const failed = p.state === "failed";
      rows.push(
        h(
          "li",
          { class: "msg mine", dataset: { client: cid, state: failed ? "failed" : "sending" } },
          h("div", { class: "bubble", text: p.message }),
          h("div", { class: "meta" }, h("time", { text: timeOf(p.createdAt) }), h("span", { class: "state", text: failed ? "Not sent" : "Sending…" })),
        ),
      );
    }
    $("message-list").replaceChildren(...rows);
    renderHistoryState();
    if (keep) box.scrollTop = box.scrollHeight - fromBottom;
    else if (stick || atBottom) box.scrollTop = box.scrollHeight;
    // A short first page leaves nothing to scroll: fetch the next one now.
    if (t.hasMore && !t.loading && box.scrollHeight <= box.clientHeight) loadOlder();
  }
  function loadOlder() {
    const t = thread(active);
    if (!t.hasMore || t.loading) return;
    const oldest = Math.min(...[...t.messages.keys()]);
    loadPage(active, oldest);
  }
  $("messages").addEventListener("scroll", () => {
    if ($("messages").scrollTop < 60) loadOlder();
  });

  async function open(partner) {
    if (active && active !== partner) endTyping();
    active = partner;
    conv(partner);
    $("app").classList.add("in-chat");
    for (const id of ["chat-head", "messages", "composer"]) $(id).hidden = false;
    $("chat-empty").hidden = true;
    setConn($("conn").dataset.state, $("conn").textContent);
    renderHead();
    renderConversations();
    $("message-list").replaceChildren();
    renderMessages({ stick: true });
    $("composer-input").focus();
    if (!online.has(partner)) watch([partner]);
    if (socket.connected) {
      await loadPage(partner, null);
      markRead(partner);
    }
  }

  $("new-conv").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("new-conv-user").value.trim();
    if (!id) return;
    if (id === session.userId) return toast("That's you — pick someone else.");
    $("new-conv-user").value = "";
    open(id);
  });
  const input = $("composer-input");
  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }
  input.addEventListener("input", () => {
    grow();
    if (input.value.trim()) typed();
    else endTyping();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || !active) return;
    input.value = "";
    grow();
    endTyping();
    send(active, text);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && active && socket?.connected) markRead(active);
  });
  setInterval(() => renderConversations(), 60000); // relative times

  // ---- boot ----
  try {
    session = JSON.parse(localStorage.getItem(STORE) || "null");
  } catch {
    session = null;
  }
  if (session && session.token && (session.name || session.pasted)) start();
  else {
    $("signin").hidden = false;
    $("signin-error").textContent = sessionStorage.getItem(STORE + ".error") || "";
    sessionStorage.removeItem(STORE + ".error");
  }
})();
