#pragma once
// Switchboard's Socket.IO server: the API an app composes. This header stays free of Asio/Beast;
// the I/O lives in the library's sources.
#include <switchboard/common/metrics.hpp>
#include <switchboard/protocol/engine_fsm.hpp>
#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/header_list.hpp>
#include <switchboard/rooms/adapter.hpp>
#include <switchboard/rooms/local_sockets.hpp>
#include <switchboard/server/websocket_route.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::server {

// A string-keyed map that can be searched with a string_view (no temporary string per lookup).
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

struct handshake;

struct server_options {
    std::string host = "0.0.0.0";
    std::uint16_t port = 3001;
    unsigned threads = 0;  // 0: one per core
    std::string path = "/socket.io/";
    protocol::engine_options engine;
    std::vector<std::string> allowed_origins;  // empty or "*": any origin
    // /metrics asks for this key (Bearer or X-API-Key) unless metrics_public; empty: refused.
    std::string metrics_key;
    bool metrics_public = false;
    std::size_t max_queue_packets = 4096;  // per session, then slow-consumer policy
    std::size_t max_queue_bytes = 16u << 20;
    // permessage-deflate (RFC 7692) on WebSocket: agreed when a client offers it (no context
    // takeover either way); messages of at least deflate_threshold bytes are sent compressed.
    bool per_message_deflate = false;
    std::size_t deflate_threshold = 1024;
    std::chrono::milliseconds accept_delay{0};  // delay before answering a new-session request
    std::string raw_echo_path;                  // test-only: a raw Engine.IO echo endpoint here
    // Connection-state recovery: sessions lost by their transport are kept this long, with the
    // events sent meanwhile (0: off).
    std::int64_t recovery_window_ms = 0;
    std::size_t recovery_max_bytes = 64u << 20;  // per namespace; then the oldest events go (0: no bound)
    std::string service_name = "switchboard";
    // /health: the status word while every check is up (else "degraded", HTTP 503), and the fields
    // shown, in order, each "name" or "key=source" (empty: checks, status, service, timestamp,
    // version, uptime, connections). Sources: health_field_sources() and add_health_field's.
    std::string health_status = "ok";
    std::vector<std::string> health_fields;
    // /metrics: "prometheus" (the JSON counts when the request accepts application/json) or
    // "json" (always {connectedSockets, totalRooms}, with "rooms" names when metrics_room_names).
    std::string metrics_format = "prometheus";
    bool metrics_room_names = false;
    // Admission. max_connections: open TCP connections (checked at accept) and Engine.IO sessions
    // (checked at handshake); 0: the descriptor limit less a reserve. max_connections_per_ip:
    // Engine.IO sessions per client address, checked at handshake (0: no limit).
    std::size_t max_connections = 0;
    std::size_t max_connections_per_ip = 0;
    // The client address of a handshake (default: the peer), e.g. from X-Forwarded-For behind
    // trusted proxies; called before the session exists, on any I/O thread.
    std::function<std::string(const handshake&)> client_address;
    // Request headers a session keeps in its handshake (lower-case names); empty: all of them.
    std::vector<std::string> handshake_headers;
    // HTTP: the request header must arrive within header_timeout; a keep-alive connection may wait
    // idle_timeout for its next request; a body must arrive at min_body_rate bytes/s after a grace
    // of header_timeout (0: each read within header_timeout).
    std::chrono::milliseconds http_header_timeout{10000};
    std::chrono::milliseconds http_idle_timeout{15000};
    std::size_t http_min_body_rate = 1024;
    // Drain: sessions are told to go (an Engine.IO close: the client reconnects, to another
    // instance behind a balancer) `drain_batch` at a time every `drain_interval`, the batch grown
    // so that every session is told within half the drain's deadline.
    std::size_t drain_batch = 500;
    std::chrono::milliseconds drain_interval{100};
    // TLS without a proxy: PEM certificate chain and private key; both empty: plain TCP. The server
    // refuses to start (throws) with one without the other or with a file it cannot load.
    std::string tls_cert_file;
    std::string tls_key_file;
};

// What is wrong with the TLS settings of `o` (one file without the other, a file unreadable, not
// PEM, or a key not the certificate's), for a clear start-up error; nullopt: fine or TLS off.
std::optional<std::string> tls_options_error(const server_options& o);

// Arguments of an event or ack: JSON values, with binary attachments referenced by placeholders
// {"_placeholder":true,"num":i} → binary[i].
struct payload {
    boost::json::array args;
    std::vector<std::string> binary;

    // Appends a binary argument (a placeholder in args, the bytes in binary).
    payload& add_binary(std::string bytes);
};

struct connect_error {
    std::string message;
    boost::json::value data;  // null: no "data" key
};

// The request that opened the Engine.IO session, shared by all its namespaces.
struct handshake {
    std::string url;
    protocol::query_list query;
    protocol::header_list headers;  // lower-case names
    std::string address;
    bool secure = false;
    bool xdomain = false;
};

class socket;
using socket_ptr = std::shared_ptr<socket>;
// Sends the ack for an event; empty when the client asked for none. Call at most once.
using ack_reply = std::function<void(payload)>;
using event_handler = std::function<void(const socket_ptr&, payload&&, ack_reply)>;
// Decides admission; call `decide` once, from any thread (nullopt admits).
using connect_hook =
    std::function<void(const socket_ptr&, std::function<void(std::optional<connect_error>)> decide)>;
using ack_callback = std::function<void(boost::system::error_code, payload)>;

// One Socket.IO connection to one namespace. Methods are thread-safe; handlers run on the
// socket's thread, where `data` may be used freely.
class socket {
public:
    virtual ~socket() = default;
    virtual const std::string& id() const noexcept = 0;
    virtual const std::string& nsp() const noexcept = 0;
    virtual const handshake& handshake_info() const noexcept = 0;
    // The Engine.IO session this socket belongs to (its sid), shared by all its namespaces.
    virtual const std::string& session_id() const noexcept = 0;
    // The auth object of this namespace's CONNECT ({} when none) and when it arrived (ms since epoch).
    virtual const boost::json::object& auth() const noexcept = 0;
    virtual std::int64_t issued() const noexcept = 0;
    // The Node server's socket.handshake object: headers, time, address, xdomain, secure, issued,
    // url, query, auth.
    boost::json::object handshake_json() const;
    virtual bool connected() const noexcept = 0;
    // "polling" or "websocket": the Engine.IO session's transport. On the socket's thread.
    virtual std::string_view transport() const noexcept = 0;
    // This socket resumed a session lost by its transport (same id, rooms, missed events replayed).
    virtual bool recovered() const noexcept = 0;

    virtual void emit(std::string_view event, payload p = {}) = 0;
    // The callback gets errc::ack_timeout when the client does not answer in time.
    virtual void emit_with_ack(std::string_view event, payload p, std::chrono::milliseconds timeout,
                               ack_callback cb) = 0;
    virtual void join(const std::string& room) = 0;
    virtual void leave(const std::string& room) = 0;
    virtual std::vector<std::string> rooms() const = 0;
    // Sends DISCONNECT for this namespace; with close_transport, ends the whole Engine.IO session.
    virtual void disconnect(bool close_transport = false) = 0;
    // One timer per socket for the app (token expiry and the like): runs `f` on the socket's thread
    // after `delay`, unless replaced by another set_timer, cancelled, or the socket disconnects.
    virtual void set_timer(std::chrono::milliseconds delay, std::function<void()> f) = 0;
    virtual void cancel_timer() = 0;
    // Runs `f` on the socket's thread (soon, not inline), unless the socket has disconnected.
    virtual void post(std::function<void()> f) = 0;

    boost::json::object data;
    // Typed state of the app, set in the connect hook or on connection; used on the session's thread.
    std::shared_ptr<void> app_state;
    // Whom the session belongs to, set by the connect hook (e.g. the user id). A CONNECT that asks
    // for connection-state recovery passes the hook first, and gets the kept session (its id, rooms
    // and missed events) only when the hook set the same owner; otherwise it starts a fresh session.
    std::string owner;
};

// Sees what the sockets of every namespace do, for a dashboard (the admin UI). None is installed
// by default, and then nothing is called: one null check on connect, join, leave, upgrade and
// disconnect, none per packet. Calls may come from any I/O thread at once: keep them cheap and
// thread-safe. connected / upgraded / disconnected run on the socket's thread; joined / left on
// the thread that made the socket join or leave (after the room index changed).
class socket_observer {
public:
    virtual ~socket_observer() = default;
    // A socket joined its namespace (before the app's connection handler runs), or resumed one.
    virtual void connected(const socket_ptr& s) = 0;
    // Its Engine.IO session moved from polling to WebSocket.
    virtual void upgraded(const socket_ptr& s) = 0;
    virtual void disconnected(const socket& s, std::string_view reason) = 0;
    virtual void joined(const socket& s, const std::string& room) = 0;
    virtual void left(const socket& s, const std::string& room) = 0;
};

class server;
namespace detail {
class sio_client;
class socket_impl;
class namespace_impl;
}  // namespace detail

// A namespace: register its hooks before server::run().
class namespace_ {
public:
    void on_connect(connect_hook hook) { connect_hook_ = std::move(hook); }
    // Connection-state recovery: which of a kept session's rooms the socket (admitted by the
    // connect hook, with its app_state set) takes back. Rooms it refuses are not rejoined and
    // replay nothing. Runs on the socket's thread under the namespace's lock: pure checks only.
    void on_restore_room(std::function<bool(const socket_ptr&, const std::string& room)> f) {
        restore_room_ = std::move(f);
    }
    void on_connection(std::function<void(const socket_ptr&)> f) { connection_ = std::move(f); }
    void on(std::string event, event_handler h);
    void on_disconnect(std::function<void(const socket_ptr&, std::string_view reason)> f) {
        disconnect_ = std::move(f);
    }
    // Sees every incoming event (handled or not) before its handler; false drops it (no handler
    // call, no ack). Rate limits live here.
    void on_incoming(std::function<bool(const socket_ptr&, std::string_view event)> f) {
        incoming_ = std::move(f);
    }
    const std::string& name() const noexcept { return name_; }

    // Broadcast to the namespace (rooms empty: everyone).
    void emit(std::string_view event, const payload& p, const rooms::broadcast_options& opts = {});
    // Through the namespace's adapter, so on every node with a cluster adapter (Socket.IO's
    // socketsJoin, socketsLeave, disconnectSockets, fetchSockets, serverSideEmit). `done` runs once,
    // on any thread.
    void sockets_join(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms);
    void sockets_leave(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms);
    void disconnect_sockets(const rooms::broadcast_options& opts, bool close = false);
    void fetch_sockets(const rooms::broadcast_options& opts,
                       std::function<void(std::vector<rooms::socket_info>)> done);
    void server_side_emit(const std::string& event, const boost::json::array& args);
    // A server-side emit of another node (`reply` empty when it asked for no ack). Call before run().
    using server_side_handler =
        std::function<void(boost::json::array args, std::function<void(boost::json::array)> reply)>;
    void on_server_side_emit(std::string event, server_side_handler h);
    std::size_t socket_count() const;
    // Rooms with their member counts (the sockets' own-id rooms excluded).
    std::vector<std::pair<std::string, std::size_t>> room_sizes() const;
    bool in_room(const std::string& socket_id, const std::string& room) const;

private:
    friend class server;
    friend class detail::sio_client;
    friend class detail::socket_impl;
    friend class detail::namespace_impl;
    namespace_(server& srv, std::string name) : srv_(&srv), name_(std::move(name)) {}
    rooms::adapter& adapter() const;
    server* srv_;
    std::string name_;
    connect_hook connect_hook_;
    std::function<bool(const socket_ptr&, const std::string&)> restore_room_;
    std::function<void(const socket_ptr&)> connection_;
    std::function<void(const socket_ptr&, std::string_view)> disconnect_;
    std::function<bool(const socket_ptr&, std::string_view)> incoming_;
    struct handler_entry {
        event_handler fn;
        common::counter* received;  // its switchboard_events_in_total, looked up once here, not per event
    };
    string_map<handler_entry> handlers_;  // a later on() replaces an earlier one
    std::unordered_map<std::string, server_side_handler> server_side_;
};

struct http_request_view {
    std::string_view method;
    std::string_view target;
    std::string_view path;
    std::string_view query;  // after '?', still percent-encoded
    std::string_view body;
    std::string_view remote_address;
    const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  // lower-case names

    // The first header of that (lower-case) name, or "".
    std::string_view header(std::string_view name) const;
};
struct http_reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers = {};
};
using http_route = std::function<http_reply(const http_request_view&)>;
// A request a deferred route keeps (owning copies of what the view points at).
struct http_request {
    std::string method;
    std::string target;
    std::string path;
    std::string query;
    std::string body;
    std::string remote_address;
    std::vector<std::pair<std::string, std::string>> headers;  // lower-case names

    std::string_view header(std::string_view name) const;
    http_request_view view() const;
};
// Answers a deferred request: call once, from any thread, while the server runs. A route that
// does not answer in 30 s gets a 504 on its behalf.
using http_responder = std::function<void(http_reply)>;
using async_http_route = std::function<void(http_request, http_responder)>;

class runtime;

// The /health fields the server itself knows: checks, status, service, timestamp, version, uptime,
// connections, redis ("connected", "disconnected" or "not configured").
const std::vector<std::string>& health_field_sources();

class server {
public:
    // With its own runtime of opts.threads I/O threads.
    explicit server(server_options opts);
    // On the app's runtime (opts.threads is its size); the runtime outlives the server.
    server(server_options opts, runtime& rt);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    const server_options& options() const noexcept;
    // Creates the namespace on first use. Call before run().
    namespace_& of(std::string_view name);
    // The namespace of that name, null when there is none; never creates one (any time).
    namespace_* find(std::string_view name) const;
    // Every namespace's name (fixed once the server runs).
    std::vector<std::string> namespace_names() const;
    // Installs the observer of every socket (null: none); call before run(). It outlives the run.
    void set_socket_observer(socket_observer* o) noexcept;
    // Request headers sessions keep in their handshake beyond server_options::handshake_headers
    // (nothing to add when that list is empty: all are kept). Call before run().
    void keep_handshake_headers(const std::vector<std::string>& names);
    // HTTP routes, in one router with the Engine.IO endpoint and the built-ins; call before run().
    // `methods`: the methods a route answers ("GET", "GET, POST"; empty: any). A known path asked
    // with another method answers 405 with Allow; an unknown path 404 {"success":false,...}.
    // Lookup: exact paths, then patterns (in the order added), then prefixes (the longest first).
    // An exact path, e.g. /metrics.
    void route(std::string path, http_route handler, std::string_view methods = {});
    // A route for every path that starts with `prefix` (e.g. "/user-status/"); exact routes win.
    void route_prefix(std::string prefix, http_route handler, std::string_view methods = {});
    // A pattern: "/users/{id}/rooms" ({name} matches one non-empty segment).
    void route_pattern(std::string pattern, http_route handler, std::string_view methods = {});
    // A route that answers later (after a database call): exact path, or every path under a
    // prefix ending in '/'. Synchronous routes of the same kind win.
    void route_async(std::string path, async_http_route handler, bool prefix = false,
                     std::string_view methods = {});
    // A plain WebSocket endpoint (no Engine.IO) at the exact `path`: its upgrade requests (origin
    // checked against allowed_origins) become connections of `handler` (websocket_route.hpp); a GET
    // that is not an upgrade answers 426. Call before run().
    void websocket_route(std::string path, websocket_handler handler);
    // Paths for which `no_cors` is true answer without any Access-Control-* header (APIs for
    // services, which browsers must not call). Others follow allowed_origins. Call before run().
    void set_no_cors(std::function<bool(std::string_view path)> no_cors);

    // Every broadcast goes through here, then through the namespace's adapter (offset first, then
    // local delivery; a cluster adapter also forwards it). Returns how many local sockets it was
    // queued for. A payload passed as an rvalue is moved into the packet, not copied.
    std::size_t broadcast(std::string_view nsp, const rooms::broadcast_options& opts, std::string_view event,
                          const payload& p);
    std::size_t broadcast(std::string_view nsp, const rooms::broadcast_options& opts, std::string_view event,
                          payload&& p);
    // Builds the adapter of each namespace: `local` is its sockets on this node, `log` its in-memory
    // recovery log (null with recovery off). Default: rooms::memory_adapter.
    using adapter_factory =
        std::function<std::shared_ptr<rooms::adapter>(rooms::local_sockets& local, rooms::recovery_log* log)>;
    // Installs another adapter (a cluster bridge) for every namespace, existing and future. Call
    // before run().
    void set_adapter(adapter_factory make);

    // The registry /metrics renders; the server's own metrics are in it, apps add theirs.
    common::metrics_registry& metrics() noexcept;
    // /ready answers 200 while ready and not stopping (default: ready once listening).
    void set_ready(bool ready) noexcept;
    bool ready() const noexcept;
    // A dependency (e.g. "redis") whose state /ready and /health report: while `up()` answers
    // false, /ready answers 503 {"status":"degraded"} and /health 503 {"status":"degraded",
    // "checks":{name:"down"}}. `up` is called on I/O threads: keep it cheap. Call before run().
    void add_health_check(std::string name, std::function<bool()> up);
    // A field /health may show (server_options::health_fields names it), e.g. "eventBus"; `value`
    // is called on I/O threads: keep it cheap. Call before run().
    void add_health_field(std::string name, std::function<boost::json::value()> value);

    // Binds and starts accepting (on the runtime's first thread); returns the port.
    std::uint16_t start();
    // start(), then runs the runtime until stop(). `on_ready` runs once listening. Signals are the
    // app's: it calls stop() (or drain) on SIGINT/SIGTERM.
    void run(std::function<void(std::uint16_t port)> on_ready = {});
    // Stops accepting, /ready answers 503 "draining", the sessions close (server_close) in batches
    // (server_options::drain_batch, drain_interval), each after its queued packets are written;
    // HTTP answers stop keeping connections alive. `done` runs on the first I/O thread when no
    // session and no HTTP request is left, or after `deadline`. The runtime keeps running. From any
    // thread; later calls only wait.
    void drain(std::chrono::milliseconds deadline, std::function<void()> done = {});
    // drain(300 ms), then the runtime stops (run() returns).
    void stop();
    // A drain (or stop) has begun.
    bool draining() const noexcept;

    std::size_t connection_count() const noexcept;
    std::uint16_t bound_port() const noexcept;

    // Reads TLS_CERT_FILE and TLS_KEY_FILE again: new connections use them, open ones keep what
    // they began with. On failure (logged, with the reason) the current certificate stays and the
    // error is tls_load_failed; tls_not_configured without TLS. From any thread (e.g. on SIGHUP).
    boost::system::error_code reload_tls();
    // The same from other files (settings reloaded with new paths), which become the current ones.
    boost::system::error_code reload_tls(const std::string& cert_file, const std::string& key_file);

    struct impl;

private:
    friend class namespace_;
    server(server_options opts, runtime* rt);
    void add_engine_metrics();
    void add_builtin_routes();
    std::shared_ptr<impl> impl_;
};

}  // namespace switchboard::server
