// The server API: namespaces, routes, broadcasts, metrics, run/stop.
#include <switchboard/common/log.hpp>
#include "server_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <switchboard/common/json_write.hpp>

#include <sys/resource.h>
#include <algorithm>
#include <cctype>
#include <thread>

namespace switchboard::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;
using detail::error_code;
using detail::executor_t;
using detail::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// ---- server::impl

namespace {
// The soft descriptor limit, which MAX_CONNECTIONS=0 follows.
std::uint64_t descriptor_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
    return rl.rlim_cur;
}

}  // namespace

server::impl::impl(server& s, server_options o, runtime* given)
    : api(s),
      opts(std::move(o)),
      own_runtime(given ? nullptr : std::make_unique<runtime>(opts.threads)),
      rt(given ? given : own_runtime.get()),
      max_connections(effective_max_connections(opts.max_connections, descriptor_limit())),
      per_address(opts.max_connections_per_ip) {
    opts.threads = rt->size();
    queues = {opts.max_queue_packets, opts.max_queue_bytes, &queued_packets};
    started_ms = detail::now_ms();
}

asio::io_context& server::impl::pick_context() {
    return rt->context(next_context.fetch_add(1, std::memory_order_relaxed) % rt->size());
}

std::shared_ptr<detail::engine_session> server::impl::find_session(const std::string& sid) {
    std::lock_guard lock(sessions_mu);
    auto it = sessions.find(sid);
    return it == sessions.end() ? nullptr : it->second;
}

bool server::impl::add_session(const std::shared_ptr<detail::engine_session>& s) {
    std::lock_guard lock(sessions_mu);
    if (stopping.load()) return false;  // draining: a new session goes to another instance
    if (sessions.size() >= max_connections) {
        refused->inc("max_connections");
        return false;
    }
    if (!per_address.try_add(s->client_address())) {
        refused->inc("per_ip");
        return false;
    }
    sessions.emplace(s->sid(), s);
    session_count = sessions.size();
    return true;
}

void server::impl::remove_session(const std::string& sid) {
    std::lock_guard lock(sessions_mu);
    auto it = sessions.find(sid);
    if (it == sessions.end()) return;
    per_address.remove(it->second->client_address());
    sessions.erase(it);
    session_count = sessions.size();
}

detail::namespace_impl* server::impl::find_namespace(std::string_view name) {
    auto it = ns_state.find(name);
    return it == ns_state.end() ? nullptr : it->second.get();
}

// ---- server

std::string_view http_request::header(std::string_view name) const {
    return view().header(name);
}

http_request_view http_request::view() const {
    return {method, target, path, query, body, remote_address, &headers};
}

std::string_view http_request_view::header(std::string_view name) const {
    if (!headers) return {};
    for (const auto& [k, v] : *headers)
        if (k == name) return v;
    return {};
}

server::server(server_options opts) : server(std::move(opts), nullptr) {}

server::server(server_options opts, runtime& rt) : server(std::move(opts), &rt) {}

server::server(server_options opts, runtime* rt) : impl_(std::make_shared<impl>(*this, std::move(opts), rt)) {
    of("/");
    add_engine_metrics();
    impl_->init_tls();
    // The Engine.IO endpoints answer every method (their own errors for the wrong ones).
    using detail::route_target;
    impl_->router.add(detail::route_kind::exact, impl_->opts.path, detail::methods::any,
                      route_target{route_target::kind::engine, {}, {}}, -1);
    if (!impl_->opts.raw_echo_path.empty())
        impl_->router.add(detail::route_kind::exact, impl_->opts.raw_echo_path, detail::methods::any,
                          route_target{route_target::kind::raw_echo, {}, {}}, -1);
    add_builtin_routes();
}

// The engine's own counters and gauges in the registry /metrics renders.
void server::add_engine_metrics() {
    auto& m = impl_->metrics;
    impl_->handshakes =
        &m.add_family("switchboard_handshakes_total", "Engine.IO sessions opened", "transport");
    impl_->events_in =
        &m.add_family("switchboard_events_in_total",
                      "Events received from clients (unregistered names count as unhandled)", "event");
    impl_->unhandled_in = &impl_->events_in->at("unhandled");
    impl_->events_out =
        &m.add_family("switchboard_events_out_total",
                      "Events sent: one per emit or broadcast, whatever its audience", "event");
    impl_->dropped = &m.add_family(
        "switchboard_dropped_total",
        "Packets dropped (volatile under back-pressure), sessions closed as slow consumers, messages and "
        "bodies over MAX_PAYLOAD",
        "reason");
    impl_->refused =
        &m.add_family("switchboard_engine_refused_total",
                      "Connections closed at accept and handshakes refused, by the limit reached "
                      "(max_connections, per_ip, fd_limit)",
                      "reason");
    impl_->deliveries =
        &m.add_counter("switchboard_deliveries_total", "Broadcast packets queued for a socket");
    impl_->broadcasts =
        &m.add_counter("switchboard_broadcasts_total", "Broadcasts (server API and push API)");
    impl_->bytes_in = &m.add_counter("switchboard_bytes_in_total", "Bytes received in Engine.IO messages");
    impl_->bytes_out = &m.add_counter("switchboard_bytes_out_total", "Bytes sent in Engine.IO messages");
    impl_->ack_latency = &m.add_histogram(
        "switchboard_ack_latency_seconds",
        "Server-side handling time of client events with an ack: event packet decoded to ack packet queued",
        common::latency_buckets());
    impl_->delivery_latency = &m.add_histogram(
        "switchboard_delivery_latency_seconds",
        "Broadcast started on this node (server API, push API, cluster message) to packet queued in a "
        "recipient session's outbound queue, one sample per recipient",
        common::latency_buckets());
    impl_->queue_depth = &m.add_histogram("switchboard_outbound_queue_depth",
                                          "Packets in a session's outbound queue, sampled after each enqueue",
                                          common::depth_buckets());
    impl_->ws_routes_opened =
        &m.add_family("switchboard_websocket_connections_total",
                      "Plain WebSocket connections opened (websocket routes), by path", "path");
    m.add_gauge("switchboard_websocket_connections", "Open plain WebSocket connections (websocket routes)",
                [w = std::weak_ptr<impl>(impl_)] {
                    auto i = w.lock();
                    return i ? static_cast<double>(i->ws_routes_open.load()) : 0.0;
                });
    impl_->ws = {impl_->bytes_in, impl_->bytes_out, &impl_->dropped->at("payload_too_large")};
    m.add_gauge("switchboard_engine_sessions", "Open Engine.IO sessions", [w = std::weak_ptr<impl>(impl_)] {
        auto i = w.lock();
        return i ? static_cast<double>(i->session_count.load()) : 0.0;
    });
    m.add_gauge("switchboard_queued_packets", "Packets waiting in the outbound queues of all sessions",
                [w = std::weak_ptr<impl>(impl_)] {
                    auto i = w.lock();
                    return i ? static_cast<double>(i->queued_packets.load()) : 0.0;
                });
    m.add_gauge_family("switchboard_sockets", "Connected sockets by namespace", "namespace",
                       [w = std::weak_ptr<impl>(impl_)] {
                           std::vector<std::pair<std::string, double>> out;
                           if (auto i = w.lock())
                               for (const auto& [name, st] : i->ns_state) {
                                   std::lock_guard lock(st->mu);
                                   out.emplace_back(name, static_cast<double>(st->sockets.size()));
                               }
                           return out;
                       });
}

server::~server() = default;

const server_options& server::options() const noexcept {
    return impl_->opts;
}

namespace_& server::of(std::string_view name) {
    std::string key(name.empty() ? "/" : name);
    if (key.front() != '/') key.insert(key.begin(), '/');
    auto it = impl_->namespaces.find(key);
    if (it != impl_->namespaces.end()) return *it->second;
    auto ns = std::unique_ptr<namespace_>(new namespace_(*this, key));
    std::unique_ptr<rooms::recovery_log> log;
    if (impl_->opts.recovery_window_ms > 0)
        log = std::make_unique<rooms::recovery_log>(impl_->opts.recovery_window_ms,
                                                    detail::random_id().substr(0, 8) + "-",
                                                    impl_->opts.recovery_max_bytes);
    auto st = std::make_unique<detail::namespace_impl>(*impl_, *ns, std::move(log));
    impl_->install_adapter(*st);
    impl_->ns_state.emplace(key, std::move(st));
    return *impl_->namespaces.emplace(key, std::move(ns)).first->second;
}

namespace_* server::find(std::string_view name) const {
    auto it = impl_->namespaces.find(name);
    return it == impl_->namespaces.end() ? nullptr : it->second.get();
}

std::vector<std::string> server::namespace_names() const {
    std::vector<std::string> out;
    out.reserve(impl_->namespaces.size());
    for (const auto& [name, _] : impl_->namespaces)
        out.push_back(name);
    return out;
}

void server::set_socket_observer(socket_observer* o) noexcept {
    impl_->observer = o;
}

void server::keep_handshake_headers(const std::vector<std::string>& names) {
    auto& kept = impl_->opts.handshake_headers;
    if (kept.empty()) return;
    for (const auto& n : names)
        if (std::find(kept.begin(), kept.end(), n) == kept.end()) kept.push_back(n);
}

void server::route(std::string path, http_route handler, std::string_view methods) {
    impl_->router.add(detail::route_kind::exact, std::move(path), detail::parse_methods(methods),
                      {detail::route_target::kind::sync, std::move(handler), {}});
}

void server::route_async(std::string path, async_http_route handler, bool prefix, std::string_view methods) {
    impl_->router.add(prefix ? detail::route_kind::prefix : detail::route_kind::exact, std::move(path),
                      detail::parse_methods(methods),
                      {detail::route_target::kind::deferred, {}, std::move(handler)}, 1);
}

void server::route_prefix(std::string prefix, http_route handler, std::string_view methods) {
    impl_->router.add(detail::route_kind::prefix, std::move(prefix), detail::parse_methods(methods),
                      {detail::route_target::kind::sync, std::move(handler), {}});
}

void server::route_pattern(std::string pattern, http_route handler, std::string_view methods) {
    impl_->router.add(detail::route_kind::pattern, std::move(pattern), detail::parse_methods(methods),
                      {detail::route_target::kind::sync, std::move(handler), {}});
}

void server::websocket_route(std::string path, websocket_handler handler) {
    detail::route_target t{detail::route_target::kind::websocket, {}, {}};
    t.websocket = std::move(handler);
    impl_->router.add(detail::route_kind::exact, std::move(path), detail::methods::get, std::move(t), -1);
}

void server::set_no_cors(std::function<bool(std::string_view path)> no_cors) {
    impl_->no_cors = std::move(no_cors);
}

metrics_registry& server::metrics() noexcept {
    return impl_->metrics;
}
void server::set_ready(bool r) noexcept {
    impl_->ready_set_by_app = true;
    impl_->ready = r;
}
bool server::ready() const noexcept {
    return impl_->ready.load() && !impl_->stopping.load() && impl_->port.load() != 0 &&
           impl_->dependencies_up();
}

void server::add_health_check(std::string name, std::function<bool()> up) {
    impl_->health_checks.emplace_back(std::move(name), std::move(up));
}

std::size_t server::broadcast(std::string_view nsp, const rooms::broadcast_options& opts,
                              std::string_view event, const payload& p) {
    return broadcast(nsp, opts, event, payload(p));
}

std::size_t server::broadcast(std::string_view nsp, const rooms::broadcast_options& opts,
                              std::string_view event, payload&& p) {
    impl_->events_out->inc(event);
    impl_->broadcasts->inc();
    auto* ns = impl_->find_namespace(nsp);
    if (!ns) return 0;
    rooms::broadcast_packet pkt{ns->nsp(), std::string(event), std::move(p.args), std::move(p.binary)};
    return impl_->broadcast(ns, opts, pkt);
}

void server::impl::install_adapter(detail::namespace_impl& ns) {
    ns.adapter = make_adapter ? make_adapter(ns, ns.recovery.get())
                              : std::make_shared<rooms::memory_adapter>(ns, ns.recovery.get());
}

void server::set_adapter(adapter_factory make) {
    impl_->make_adapter = std::move(make);
    for (auto& [name, ns] : impl_->ns_state)
        impl_->install_adapter(*ns);
}

std::size_t server::connection_count() const noexcept {
    return impl_->session_count.load();
}
std::uint16_t server::bound_port() const noexcept {
    return impl_->port.load();
}

std::uint16_t server::start() {
    auto& ioc = impl_->first_context();
    impl_->acceptor = std::make_unique<tcp::acceptor>(ioc);
    auto& acc = *impl_->acceptor;
    tcp::endpoint ep(asio::ip::make_address(impl_->opts.host), impl_->opts.port);
    acc.open(ep.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(ep);
    acc.listen(asio::socket_base::max_listen_connections);
    impl_->port = acc.local_endpoint().port();
    if (!impl_->ready_set_by_app) impl_->ready = true;
    asio::co_spawn(ioc, detail::accept_loop(impl_, acc), asio::detached);
    log::info("listening", {{"host", impl_->opts.host},
                            {"port", std::to_string(impl_->port.load())},
                            {"max_connections", std::to_string(impl_->max_connections)}});
    return impl_->port;
}

void server::run(std::function<void(std::uint16_t)> on_ready) {
    auto port = start();
    if (on_ready) on_ready(port);
    impl_->rt->run();
}

void server::drain(std::chrono::milliseconds deadline, std::function<void()> done) {
    impl_->drain(deadline, std::move(done));
}

bool server::draining() const noexcept {
    return impl_->stopping.load();
}

void server::stop() {
    // Give close frames a moment, then stop the I/O threads.
    impl_->drain(std::chrono::milliseconds(300), [rt = impl_->rt] { rt->stop(); });
}

}  // namespace switchboard::server
