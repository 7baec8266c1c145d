#pragma once
// Private to libs/server: the server's shared state (contexts, namespaces, routes, sessions,
// metrics) behind the public server API.
#include "http/http.hpp"
#include "sio/sio.hpp"

#include <switchboard/server/admission.hpp>
#include <switchboard/server/errc.hpp>
#include <switchboard/server/runtime.hpp>

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace switchboard::server {

struct server::impl : std::enable_shared_from_this<server::impl> {
    // `rt` null: the server makes its own runtime of opts.threads.
    impl(server& s, server_options o, runtime* rt);

    // The one broadcast path (server::broadcast and recovery-logged single emits): the namespace's
    // adapter (offset, then local delivery: encode once, targets, deliver). 0 without `ns`.
    std::size_t broadcast(detail::namespace_impl* ns, const rooms::broadcast_options& opts,
                          const rooms::broadcast_packet& p) {
        return ns ? ns->adapter->broadcast(p, opts) : 0;
    }
    // Gives `ns` the adapter the app installed (set_adapter), or the in-memory one.
    void install_adapter(detail::namespace_impl& ns);
    std::shared_ptr<detail::engine_session> find_session(const std::string& sid);
    // Admits and registers a new session under MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP; false:
    // refused (counted in `refused`), nothing registered.
    bool add_session(const std::shared_ptr<detail::engine_session>& s);
    void remove_session(const std::string& sid);
    detail::namespace_impl* find_namespace(std::string_view name);

    server& api;
    server_options opts;
    // The I/O threads (runtime/): the app's, or our own. Connections are dealt round-robin over
    // their contexts; the first runs the acceptor and the drain.
    std::unique_ptr<runtime> own_runtime;
    runtime* rt = nullptr;
    std::atomic<unsigned> next_context{0};
    boost::asio::io_context& first_context() noexcept { return rt->context(0); }
    boost::asio::io_context& pick_context();
    unsigned threads() const noexcept { return rt->size(); }
    std::unique_ptr<detail::tcp::acceptor> acceptor;  // from start() until the drain
    // Closes the acceptor and every session (once), then calls `done` on the first context when
    // no session and no connection is left, or at `deadline`.
    void drain(std::chrono::milliseconds deadline, std::function<void()> done);
    // The router of every HTTP path (http/router.hpp): built-ins, the engine endpoints, the app's.
    detail::route_table router;
    string_map<std::unique_ptr<namespace_>> namespaces;
    string_map<std::unique_ptr<detail::namespace_impl>> ns_state;
    server::adapter_factory make_adapter;           // null: rooms::memory_adapter
    std::function<bool(std::string_view)> no_cors;  // paths answered without CORS headers
    socket_observer* observer = nullptr;            // set_socket_observer (the admin UI), else none

    // Metrics of the engine (registered in `metrics`).
    metrics_registry metrics;
    counter_family* handshakes = nullptr;  // by transport
    counter_family* events_in = nullptr;   // by event name
    counter* unhandled_in = nullptr;       // events_in{event="unhandled"}
    counter_family* events_out = nullptr;  // by event name (one per emit or broadcast)
    counter_family* dropped = nullptr;     // by reason
    counter* deliveries = nullptr;         // packets queued for a socket by broadcasts
    counter* broadcasts = nullptr;
    counter* bytes_in = nullptr;
    counter* bytes_out = nullptr;
    histogram* ack_latency = nullptr;       // event with an ack id received → its ack queued
    histogram* delivery_latency = nullptr;  // broadcast started here → queued for a recipient
    histogram* queue_depth = nullptr;       // a session's outbound queue, sampled at each enqueue
    std::atomic<std::int64_t> queued_packets{0};
    detail::queue_policy queues;  // every session's queue bounds, and queued_packets
    detail::ws_stats ws;          // what every WebSocket connection counts
    std::atomic<bool> ready{false};
    std::atomic<bool> ready_set_by_app{false};
    // Dependencies /ready and /health report (add_health_check; set before run(), read after).
    std::vector<std::pair<std::string, std::function<bool()>>> health_checks;
    std::vector<std::pair<std::string, std::function<boost::json::value()>>> health_fields;
    bool dependencies_up() const {
        for (const auto& [name, up] : health_checks)
            if (!up()) return false;
        return true;
    }

    // Open TCP connections (conn_slot) and the limit applied to them and to sessions; declared
    // before the sessions, whose WebSockets give their slots back here when they go.
    std::atomic<std::size_t> open_connections{0};
    std::size_t max_connections = 0;
    counter_family* refused = nullptr;  // by reason: max_connections, per_ip, fd_limit

    std::mutex sessions_mu;
    address_counts per_address{0};  // guarded by sessions_mu
    std::unordered_map<std::string, std::shared_ptr<detail::engine_session>> sessions;
    std::atomic<std::size_t> session_count{0};
    std::atomic<std::uint16_t> port{0};
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> requests_in_flight{0};  // HTTP requests read and not yet answered
    // Plain WebSocket routes (http/ws_route.cpp): the open connections (closed by the drain), by path.
    std::mutex ws_routes_mu;
    std::unordered_map<const void*, std::weak_ptr<ws_peer>> ws_routes;  // guarded by ws_routes_mu
    std::atomic<std::size_t> ws_routes_open{0};
    counter_family* ws_routes_opened = nullptr;  // by path
    std::int64_t started_ms = 0;

    // TLS (opts.tls_cert_file; tls_config.cpp): the context new connections take, replaced by
    // reload_tls; null: plain TCP. Read once per accepted connection.
    void init_tls();  // from the constructor: loads the files, throws on failure
    std::shared_ptr<const detail::tls_context> current_tls() const {
        std::lock_guard lock(tls_mu);
        return tls;
    }
    bool tls_enabled = false;  // set once, before start()
    mutable std::mutex tls_mu;
    std::shared_ptr<const detail::tls_context> tls;  // guarded by tls_mu
    std::string tls_cert_file, tls_key_file;         // what `tls` was loaded from; guarded by tls_mu
    counter* tls_failures = nullptr;                 // handshakes that failed
};

}  // namespace switchboard::server
