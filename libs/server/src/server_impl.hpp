#pragma once
// Private to libs/server: the server's shared state (contexts, namespaces, routes, sessions,
// metrics) behind the public server API.
#include "http/http.hpp"
#include "sio/sio.hpp"

#include <switchboard/server/admission.hpp>
#include <switchboard/server/errc.hpp>

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace switchboard::server {

struct server::impl : std::enable_shared_from_this<server::impl> {
    explicit impl(server& s, server_options o);

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
    detail::io_ctx ioc;  // the first I/O thread's: acceptor, signals, stop
    // The other I/O threads' (THREADS - 1), each run by one thread. Connections are dealt
    // round-robin over ioc and these.
    std::vector<std::unique_ptr<detail::io_ctx>> workers;
    std::atomic<unsigned> next_context{0};
    boost::asio::io_context& pick_context();
    string_map<std::unique_ptr<namespace_>> namespaces;
    string_map<std::unique_ptr<detail::namespace_impl>> ns_state;
    server::adapter_factory make_adapter;  // null: rooms::memory_adapter
    std::vector<std::pair<std::string, http_route>> routes;
    std::vector<std::pair<std::string, http_route>> prefix_routes;
    std::vector<std::pair<std::string, async_http_route>> async_routes;
    std::vector<std::pair<std::string, async_http_route>> async_prefix_routes;
    std::function<bool(std::string_view)> no_cors;  // paths answered without CORS headers

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
    std::atomic<std::int64_t> queued_packets{0};
    std::atomic<bool> ready{false};
    std::atomic<bool> ready_set_by_app{false};

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
    std::int64_t started_ms = 0;
};

}  // namespace switchboard::server
