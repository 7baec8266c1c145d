// Listener, HTTP routing, polling and WebSocket entry points, broadcasts, run/stop.
#include <switchboard/common/log.hpp>
#include "internal.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
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

namespace {

// The raw Engine.IO echo endpoint of the conformance app.
class echo_handler final : public detail::engine_handler {
public:
    explicit echo_handler(detail::engine_session& s) : s_(s) {}
    void on_message(std::string&& data, bool binary) override {
        auto frame =
            binary ? std::move(data) : protocol::encode_engine_text(protocol::engine_type::message, data);
        s_.send(detail::out_item{std::make_shared<const std::string>(std::move(frame)), binary});
    }
    void on_close(protocol::errc) override {}

private:
    detail::engine_session& s_;
};

bool any_origin(const server_options& o) {
    return o.allowed_origins.empty() ||
           std::find(o.allowed_origins.begin(), o.allowed_origins.end(), "*") != o.allowed_origins.end();
}

bool origin_allowed(const server_options& o, std::string_view origin) {
    if (origin.empty() || any_origin(o)) return true;
    return std::find(o.allowed_origins.begin(), o.allowed_origins.end(), origin) != o.allowed_origins.end();
}

// Which CORS answer a response gets: the Engine.IO endpoint's (credentials for a listed origin),
// another route's (never credentials), or none (the service API).
enum class cors_kind { engine, route, none };

// The Access-Control-* headers: ALLOWED_ORIGINS "*" (or empty) gives "*" without credentials; a
// listed origin is echoed (with credentials on the Engine.IO endpoint only); any other origin, and
// `none`, get no CORS header at all (a preflight's method and header lists included).
void apply_cors(response& res, std::string_view origin, const server_options& o, cors_kind kind) {
    res.erase(http::field::access_control_allow_origin);
    res.erase(http::field::access_control_allow_credentials);
    bool allow = false;
    if (kind != cors_kind::none) {
        if (any_origin(o)) {
            res.set(http::field::access_control_allow_origin, "*");
            allow = true;
        } else if (!origin.empty() && origin_allowed(o, origin)) {
            res.set(http::field::access_control_allow_origin, origin);
            if (kind == cors_kind::engine) res.set(http::field::access_control_allow_credentials, "true");
            allow = true;
        }
        if (!any_origin(o)) res.set(http::field::vary, "Origin");
    }
    if (!allow) {
        res.erase(http::field::access_control_allow_methods);
        res.erase(http::field::access_control_allow_headers);
    }
}

response make_response(const request& req, http::status status, std::string body,
                       std::string_view type = "text/plain; charset=UTF-8") {
    response res{status, req.version()};
    res.set(http::field::server, "switchboard");
    res.set(http::field::content_type, type);
    res.body() = std::move(body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
}

response engine_error(const request& req, protocol::errc e) {
    auto status = e == protocol::errc::forbidden ? http::status::forbidden : http::status::bad_request;
    return make_response(req, status, protocol::engine_error_body(e), "application/json");
}

protocol::http_verb_kind verb_kind(http::verb v) {
    switch (v) {
        case http::verb::get:
            return protocol::http_verb_kind::get;
        case http::verb::post:
            return protocol::http_verb_kind::post;
        case http::verb::options:
            return protocol::http_verb_kind::options;
        default:
            return protocol::http_verb_kind::other;
    }
}

// The request's headers with lower-case names, as handshakes and routes see them.
std::vector<std::pair<std::string, std::string>> lower_headers(const request& req) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : req) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        out.emplace_back(std::move(name), std::string(f.value()));
    }
    return out;
}

// A CORS preflight answer.
response preflight(const request& req, std::string_view allowed_headers) {
    auto res = make_response(req, http::status::no_content, "");
    res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    res.set(http::field::access_control_allow_headers, allowed_headers);
    return res;
}

bool is_engine_path(const server_options& o, std::string_view path) {
    return path == o.path || (!o.raw_echo_path.empty() && path == o.raw_echo_path);
}

// Is the header `name` one the app keeps (server_options::handshake_headers; empty: all)?
bool kept_header(const server_options& o, std::string_view name) {
    if (o.handshake_headers.empty()) return true;
    for (const auto& k : o.handshake_headers)
        if (beast::iequals(k, name)) return true;
    return false;
}

std::shared_ptr<const handshake> make_handshake(const server_options& o, const request& req,
                                                const std::string& remote,
                                                const protocol::query_list& query) {
    auto hs = std::make_shared<handshake>();
    hs->url = std::string(req.target());
    hs->query = query;
    std::size_t bytes = 0, fields = 0;
    for (const auto& f : req)
        if (kept_header(o, f.name_string())) {
            bytes += f.name_string().size() + f.value().size();
            ++fields;
        }
    hs->headers.reserve(bytes, fields);
    for (const auto& f : req)
        if (kept_header(o, f.name_string())) hs->headers.add(f.name_string(), f.value());
    hs->address = remote;
    hs->xdomain = req.find(http::field::origin) != req.end();
    return hs;
}

// A new session, admitted under MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP; null: refused.
std::shared_ptr<detail::engine_session> new_session(server::impl& srv, executor_t ex,
                                                    protocol::transport_kind t,
                                                    std::shared_ptr<const handshake> hs, bool raw) {
    std::string address = srv.opts.client_address ? srv.opts.client_address(*hs) : hs->address;
    auto s =
        std::make_shared<detail::engine_session>(srv, std::move(ex), detail::random_id(), t, std::move(hs));
    s->set_client_address(std::move(address));
    if (!srv.add_session(s)) return nullptr;
    srv.handshakes->inc(t == protocol::transport_kind::websocket ? "websocket" : "polling");
    if (raw)
        s->set_handler(std::make_unique<echo_handler>(*s));
    else
        s->set_handler(std::make_unique<detail::sio_client>(*s));
    return s;
}

// A WebSocket upgrade request we cannot take (is_upgrade already checked the method, Upgrade and
// Connection): the HTTP answer to give instead.
std::optional<response> ws_refusal(const request& req) {
    if (req[http::field::sec_websocket_version] != "13") {
        auto res =
            make_response(req, http::status::upgrade_required, "Unsupported WebSocket version", "text/plain");
        res.set(http::field::sec_websocket_version, "13");
        res.keep_alive(false);
        return res;
    }
    if (!protocol::ws::valid_client_key(req[http::field::sec_websocket_key])) {
        auto res = make_response(req, http::status::bad_request, "Invalid Sec-WebSocket-Key", "text/plain");
        res.keep_alive(false);
        return res;
    }
    return std::nullopt;
}

// The 101 answer, written together with the first frames.
std::shared_ptr<const std::string> ws_accept(const request& req) {
    return std::make_shared<const std::string>(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
        "Upgrade\r\nSec-WebSocket-Accept: " +
        protocol::ws::accept_key(req[http::field::sec_websocket_key]) + "\r\nServer: switchboard\r\n\r\n");
}

asio::awaitable<void> accept_delay(const server_options& o) {
    if (o.accept_delay.count() <= 0) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, o.accept_delay);
    co_await t.async_wait(as_tuple(use_awaitable));
}

// Upgrade of an existing polling session: runs on the session's thread.
void start_upgrade(std::shared_ptr<detail::engine_session> s, tcp::socket sock,
                   std::shared_ptr<const std::string> accepted, std::size_t max_payload,
                   detail::conn_slot slot, std::string early) {
    auto conn = std::make_shared<detail::ws_conn>(std::move(sock), max_payload);
    conn->slot = std::move(slot);
    if (!s->begin_upgrade()) {
        // Not upgradable now: the handshake, a close frame (policy), then the end.
        static const auto refused =
            std::make_shared<const std::string>(protocol::ws::close_frame(protocol::ws::close_code::policy));
        std::array<asio::const_buffer, 2> bufs{asio::buffer(*accepted), asio::buffer(*refused)};
        asio::async_write(conn->sock, bufs, [conn, accepted](error_code, std::size_t) {
            error_code ignored;
            conn->sock.shutdown(tcp::socket::shutdown_both, ignored);
            conn->sock.close(ignored);
        });
        return;
    }
    conn->raw_out.push_back(std::move(accepted));
    s->start_websocket(std::move(conn), true, std::move(early));
}

asio::awaitable<bool> handle_websocket(std::shared_ptr<server::impl> srv, beast::tcp_stream& stream,
                                       request& req, std::string_view query, bool raw,
                                       const std::string& remote, executor_t ex, detail::conn_slot& slot,
                                       std::string early) {
    const auto& opts = srv->opts;
    auto fail = [&](protocol::errc e) -> asio::awaitable<bool> {
        auto res = engine_error(req, e);
        res.keep_alive(false);
        co_await http::async_write(stream, res, as_tuple(use_awaitable));
        co_return false;
    };
    if (!origin_allowed(opts, req[http::field::origin])) co_return co_await fail(protocol::errc::forbidden);
    auto parsed = protocol::parse_engine_request(query, protocol::http_verb_kind::get, true);
    if (!parsed) co_return co_await fail(static_cast<protocol::errc>(parsed.error().value()));

    if (auto bad = ws_refusal(req)) {
        co_await http::async_write(stream, *bad, as_tuple(use_awaitable));
        co_return false;
    }
    if (!parsed->sid.empty()) {
        auto s = srv->find_session(parsed->sid);
        if (!s) co_return co_await fail(protocol::errc::unknown_sid);
        // Hand the socket to the session's thread.
        auto& raw_sock = stream.socket();
        auto proto = raw_sock.local_endpoint().protocol();
        tcp::socket moved(s->executor(), proto, raw_sock.release());
        asio::dispatch(s->executor(),
                       [s, sock = std::move(moved), accepted = ws_accept(req), max = opts.engine.max_payload,
                        slot = std::move(slot), early = std::move(early)]() mutable {
                           start_upgrade(std::move(s), std::move(sock), std::move(accepted), max,
                                         std::move(slot), std::move(early));
                       });
        co_return true;
    }

    co_await accept_delay(opts);
    auto hs = make_handshake(opts, req, remote, parsed->query);
    auto s = new_session(*srv, ex, protocol::transport_kind::websocket, hs, raw);
    if (!s) co_return co_await fail(protocol::errc::forbidden);
    auto conn = std::make_shared<detail::ws_conn>(stream.release_socket(), opts.engine.max_payload);
    conn->slot = std::move(slot);
    conn->raw_out.push_back(ws_accept(req));
    s->send(detail::out_item{std::make_shared<const std::string>(s->open_frame()), false});
    s->start();
    // The 101 and the open packet leave in one write; frames the client sent right behind its
    // request (read with it) are handled first.
    s->start_websocket(std::move(conn), false, std::move(early));
    co_return true;
}

asio::awaitable<response> handle_polling(std::shared_ptr<server::impl> srv, beast::tcp_stream& stream,
                                         request& req, std::string_view query, bool raw,
                                         const std::string& remote, executor_t ex, bool& client_gone) {
    using namespace asio::experimental::awaitable_operators;
    const auto& opts = srv->opts;
    if (req.method() == http::verb::options)
        co_return preflight(req, req[http::field::access_control_request_headers]);
    if (!origin_allowed(opts, req[http::field::origin]))
        co_return engine_error(req, protocol::errc::forbidden);
    auto parsed = protocol::parse_engine_request(query, verb_kind(req.method()), false);
    if (!parsed) co_return engine_error(req, static_cast<protocol::errc>(parsed.error().value()));

    if (parsed->sid.empty()) {
        co_await accept_delay(opts);
        auto s = new_session(*srv, ex, protocol::transport_kind::polling,
                             make_handshake(opts, req, remote, parsed->query), raw);
        if (!s) co_return engine_error(req, protocol::errc::forbidden);
        s->start();
        co_return make_response(req, http::status::ok, s->open_frame());
    }

    auto s = srv->find_session(parsed->sid);
    if (!s) co_return engine_error(req, protocol::errc::unknown_sid);
    if (req.method() == http::verb::post) {
        auto [ec] = co_await s->async_post(std::move(req.body()), as_tuple(use_awaitable));
        if (ec) co_return engine_error(req, protocol::errc::bad_request);
        co_return make_response(req, http::status::ok, "ok");
    }
    auto result = co_await (s->async_poll(as_tuple(use_awaitable)) ||
                            stream.socket().async_wait(tcp::socket::wait_read, as_tuple(use_awaitable)));
    if (result.index() == 1) {
        client_gone = true;
        co_return response{};
    }
    auto [ec, body] = std::get<0>(std::move(result));
    if (ec) co_return engine_error(req, protocol::errc::bad_request);
    co_return make_response(req, http::status::ok, std::move(body));
}

// Runs a deferred route and waits for its answer (a timer stands in for a one-shot channel: the
// responder stores the reply and cancels it, on the connection's thread).
asio::awaitable<http_reply> answer_later(const async_http_route& route, http_request req, executor_t ex) {
    struct pending {
        explicit pending(executor_t ex) : timer(ex) {}
        asio::steady_timer timer;
        std::optional<http_reply> reply;
    };
    auto p = std::make_shared<pending>(ex);
    p->timer.expires_after(std::chrono::seconds(30));
    auto respond = [p, ex, done = std::make_shared<std::atomic<bool>>(false)](http_reply r) {
        if (done->exchange(true)) return;
        asio::post(ex, [p, r = std::move(r)]() mutable {
            p->reply = std::move(r);
            p->timer.cancel();
        });
    };
    try {
        route(std::move(req), std::move(respond));
    } catch (const std::exception& e) {
        log::error("route handler threw", {{"what", e.what()}});
        co_return http_reply{500, "application/json", R"({"success":false,"error":"Internal error"})"};
    }
    if (!p->reply) co_await p->timer.async_wait(as_tuple(use_awaitable));
    if (!p->reply) {
        log::warn("deferred route did not answer in time");
        co_return http_reply{504, "application/json", R"({"success":false,"error":"Timed out"})"};
    }
    co_return std::move(*p->reply);
}

}  // namespace

asio::awaitable<void> detail::run_http(std::shared_ptr<server::impl> srv, tcp::socket sock, executor_t ex,
                                       std::string remote, detail::conn_slot slot) {
    error_code ignored;
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buf;
    const auto& opts = srv->opts;
    for (bool first = true;; first = false) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(opts.engine.max_payload);
        auto ec = co_await detail::read_request(stream, buf, parser, opts, first);
        if (ec == http::error::body_limit) {
            srv->dropped->inc("payload_too_large");
            request dummy;
            dummy.version(11);
            std::string_view tpath = parser.get().target();
            auto res = make_response(dummy, http::status::payload_too_large,
                                     is_engine_path(opts, tpath.substr(0, tpath.find('?')))
                                         ? R"({"code":3,"message":"Payload too large"})"
                                         : R"({"success":false,"error":"Payload too large"})",
                                     "application/json");
            res.keep_alive(false);
            apply_cors(res, parser.get()[http::field::origin], opts, cors_kind::none);
            co_await http::async_write(stream, res, as_tuple(use_awaitable));
            break;
        }
        if (ec) break;
        stream.expires_never();
        request req = parser.release();
        std::string target(req.target());
        auto qpos = target.find('?');
        std::string path = target.substr(0, qpos);
        std::string query = qpos == std::string::npos ? std::string{} : target.substr(qpos + 1);
        bool is_engine = is_engine_path(opts, path);
        bool raw = !opts.raw_echo_path.empty() && path == opts.raw_echo_path;

        if (is_engine && websocket::is_upgrade(req)) {
            // Bytes read past the request belong to the WebSocket (a client that did not wait for 101).
            std::string early(static_cast<const char*>(buf.data().data()), buf.size());
            co_await handle_websocket(srv, stream, req, query, raw, remote, ex, slot, std::move(early));
            co_return;
        }
        response res;
        if (is_engine) {
            bool gone = false;
            res = co_await handle_polling(srv, stream, req, query, raw, remote, ex, gone);
            if (gone) break;
        } else {
            const http_route* route = nullptr;
            const async_http_route* deferred = nullptr;
            for (const auto& r : srv->routes)
                if (r.first == path) route = &r.second;
            if (!route)
                for (const auto& r : srv->async_routes)
                    if (r.first == path) deferred = &r.second;
            if (!route && !deferred)
                for (const auto& r : srv->prefix_routes)
                    if (path.starts_with(r.first)) route = &r.second;
            if (!route && !deferred)
                for (const auto& r : srv->async_prefix_routes)
                    if (path.starts_with(r.first)) deferred = &r.second;
            if ((route || deferred) && req.method() == http::verb::options) {
                res = preflight(req, "Authorization, Content-Type");
            } else if (route || deferred) {
                http_reply reply;
                if (deferred) {
                    http_request copy{std::string(req.method_string()),
                                      std::string(req.target()),
                                      path,
                                      query,
                                      std::move(req.body()),
                                      remote,
                                      lower_headers(req)};
                    reply = co_await answer_later(*deferred, std::move(copy), ex);
                } else {
                    auto headers = lower_headers(req);
                    http_request_view view{req.method_string(), req.target(), path,    query,
                                           req.body(),          remote,       &headers};
                    try {
                        reply = (*route)(view);
                    } catch (const std::exception& e) {
                        log::error("route handler threw", {{"path", path}, {"what", e.what()}});
                        reply = {500, "application/json", R"({"success":false,"error":"Internal error"})"};
                    }
                }
                res = make_response(req, static_cast<http::status>(reply.status), std::move(reply.body),
                                    reply.content_type);
                for (const auto& [k, v] : reply.headers)
                    res.set(k, v);
            } else {
                res = make_response(req, http::status::not_found, R"({"success":false,"error":"Not found"})",
                                    "application/json");
            }
        }
        apply_cors(res, req[http::field::origin], opts,
                   is_engine                            ? cors_kind::engine
                   : srv->no_cors && srv->no_cors(path) ? cors_kind::none
                                                        : cors_kind::route);
        stream.expires_after(std::chrono::seconds(30));
        auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
        if (wec || !res.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
}

// ---- server::impl

namespace {
// The soft descriptor limit, which MAX_CONNECTIONS=0 follows.
std::uint64_t descriptor_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
    return rl.rlim_cur;
}

// THREADS=0 means one per core. Each I/O thread runs an io_context of its own (concurrency hint
// 1: only that thread runs it; other threads may still post to it).
server_options with_threads(server_options o) {
    if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
    return o;
}
}  // namespace

server::impl::impl(server& s, server_options o)
    : api(s),
      opts(with_threads(std::move(o))),
      ioc(1),
      max_connections(effective_max_connections(opts.max_connections, descriptor_limit())),
      per_address(opts.max_connections_per_ip) {
    for (unsigned i = 1; i < opts.threads; ++i)
        workers.push_back(std::make_unique<detail::io_ctx>(1));
    started_ms = detail::now_ms();
}

asio::io_context& server::impl::pick_context() {
    unsigned n = next_context.fetch_add(1, std::memory_order_relaxed) % (workers.size() + 1);
    return n == 0 ? ioc : *workers[n - 1];
}

std::shared_ptr<detail::engine_session> server::impl::find_session(const std::string& sid) {
    std::lock_guard lock(sessions_mu);
    auto it = sessions.find(sid);
    return it == sessions.end() ? nullptr : it->second;
}

bool server::impl::add_session(const std::shared_ptr<detail::engine_session>& s) {
    std::lock_guard lock(sessions_mu);
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

detail::namespace_state* server::impl::find_namespace(std::string_view name) {
    auto it = ns_state.find(name);
    return it == ns_state.end() ? nullptr : it->second.get();
}

void server::impl::deliver_local(const rooms::broadcast_message& msg) {
    if (auto* ns = find_namespace(msg.nsp)) deliver_to(*ns, msg);
}

std::size_t server::impl::deliver_to(detail::namespace_state& ns, const rooms::broadcast_message& msg) {
    std::vector<std::shared_ptr<detail::socket_impl>> targets;
    {
        std::lock_guard lock(ns.mu);
        targets.reserve(msg.opts.rooms.empty() ? ns.sockets.size() : 16);
        ns.index.for_each_target(msg.opts, [&](const std::string& id) {
            if (auto it = ns.sockets.find(id); it != ns.sockets.end())
                if (auto s = it->second.lock()) targets.push_back(std::move(s));
        });
    }
    std::size_t n = targets.size();
    if (targets.empty()) return 0;
    deliveries->inc(targets.size());
    auto items = std::make_shared<const std::vector<detail::out_item>>(detail::to_items(msg.packet));
    bool vol = msg.opts.is_volatile;
    for (auto& t : targets) {
        auto& session = t->session();
        session.deliver(std::move(t), items, vol);
    }
    return n;
}

// ---- server

namespace {

bool same_key(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// /metrics needs the key (X-API-Key, or Authorization: Bearer) unless metrics_public.
std::optional<http_reply> metrics_refusal(const server_options& o, const http_request_view& req) {
    if (o.metrics_public) return std::nullopt;
    if (o.metrics_key.empty())
        return http_reply{403, "application/json", R"({"success":false,"error":"Forbidden"})"};
    std::string_view key = req.header("x-api-key");
    if (key.empty()) {
        std::string_view a = req.header("authorization");
        if (a.size() > 7 && (a.substr(0, 7) == "Bearer " || a.substr(0, 7) == "bearer ")) key = a.substr(7);
    }
    if (!key.empty() && same_key(key, o.metrics_key)) return std::nullopt;
    http_reply r{401, "application/json",
                 R"({"success":false,"error":"Unauthorized: a metrics key is required"})"};
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

}  // namespace

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

server::server(server_options opts) : impl_(std::make_shared<impl>(*this, std::move(opts))) {
    of("/");
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
    route("/ready", [this](const http_request_view&) {
        bool ok = ready();
        boost::json::object o{{"ready", ok},
                              {"service", impl_->opts.service_name},
                              {"status", ok ? "ready" : (impl_->stopping ? "draining" : "starting")}};
        return http_reply{ok ? 200u : 503u, "application/json", common::json_write(o)};
    });
    if (impl_->opts.metrics_public)
        log::warn("METRICS_PUBLIC=true: /metrics answers without a key");
    else if (impl_->opts.metrics_key.empty())
        log::warn("/metrics has no key: it refuses every request (set METRICS_KEY or SERVICE_API_KEY)");
    route("/metrics", [this](const http_request_view& req) {
        if (auto refusal = metrics_refusal(impl_->opts, req)) return *refusal;
        if (req.header("accept").find("application/json") != std::string_view::npos) {
            // The JSON the travel gateway's monitors read: counts only, never room or user names.
            auto& root = of("/");
            boost::json::object o{{"connectedSockets", root.socket_count()},
                                  {"totalRooms", root.room_sizes().size()}};
            return http_reply{200, "application/json", common::json_write(o)};
        }
        return http_reply{200, "text/plain; version=0.0.4; charset=utf-8", impl_->metrics.render()};
    });
    route("/health", [this](const http_request_view&) {
        boost::json::object o;
        o["status"] = "ok";
        o["service"] = impl_->opts.service_name;
        o["timestamp"] = detail::iso_time(detail::wall_ms());
        o["version"] = SWITCHBOARD_VERSION;
        o["uptime"] = static_cast<double>(detail::now_ms() - impl_->started_ms) / 1000.0;
        o["connections"] = connection_count();
        return http_reply{200, "application/json", common::json_write(o)};
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
    auto st = std::make_unique<detail::namespace_state>();
    st->api = ns.get();
    if (impl_->opts.recovery_window_ms > 0)
        st->recovery = std::make_unique<rooms::recovery_log>(impl_->opts.recovery_window_ms,
                                                             detail::random_id().substr(0, 8) + "-",
                                                             impl_->opts.recovery_max_bytes);
    impl_->ns_state.emplace(key, std::move(st));
    return *impl_->namespaces.emplace(key, std::move(ns)).first->second;
}

void server::route(std::string path, http_route handler) {
    for (auto& r : impl_->routes)
        if (r.first == path) {
            r.second = std::move(handler);
            return;
        }
    impl_->routes.emplace_back(std::move(path), std::move(handler));
}

void server::route_async(std::string path, async_http_route handler, bool prefix) {
    (prefix ? impl_->async_prefix_routes : impl_->async_routes)
        .emplace_back(std::move(path), std::move(handler));
}

void server::set_no_cors(std::function<bool(std::string_view path)> no_cors) {
    impl_->no_cors = std::move(no_cors);
}

void server::route_prefix(std::string prefix, http_route handler) {
    impl_->prefix_routes.emplace_back(std::move(prefix), std::move(handler));
}

metrics_registry& server::metrics() noexcept {
    return impl_->metrics;
}
void server::set_ready(bool r) noexcept {
    impl_->ready_set_by_app = true;
    impl_->ready = r;
}
bool server::ready() const noexcept {
    return impl_->ready.load() && !impl_->stopping.load() && impl_->port.load() != 0;
}

std::size_t server::broadcast(std::string_view nsp, const rooms::broadcast_options& opts,
                              std::string_view event, const payload& p) {
    impl_->events_out->inc(event);
    impl_->broadcasts->inc();
    return impl_->broadcast(impl_->find_namespace(nsp), nsp, opts, event, p);
}

std::size_t server::impl::broadcast(detail::namespace_state* ns, std::string_view nsp,
                                    const rooms::broadcast_options& opts, std::string_view event,
                                    const payload& p) {
    rooms::broadcast_message msg{std::string(nsp), opts, {}};
    // With recovery the event gets an offset and is logged; allocation, logging and delivery stay
    // in one critical section so every receiver's order is the offset order.
    std::unique_lock<std::mutex> order;
    if (ns && ns->recovery && !opts.is_volatile) {
        order = std::unique_lock(ns->order_mu);
        std::pair<std::uint64_t, std::string> off;
        {
            std::lock_guard lock(ns->mu);
            off = ns->recovery->next_offset();
        }
        msg.packet = detail::encode_event(nsp, std::nullopt, event, p, off.second);
        std::lock_guard lock(ns->mu);
        ns->recovery->append(off.first, {off.second, detail::wall_ms(), opts, msg.packet});
    } else {
        msg.packet = detail::encode_event(nsp, std::nullopt, event, p);
    }
    std::size_t n = ns ? deliver_to(*ns, msg) : 0;
    order = {};
    if (bus && !opts.local) bus->publish(msg);
    return n;
}

void server::set_cluster_bus(std::shared_ptr<rooms::cluster_bus> bus) {
    impl_->bus = std::move(bus);
}

std::size_t server::connection_count() const noexcept {
    return impl_->session_count.load();
}
std::uint16_t server::bound_port() const noexcept {
    return impl_->port.load();
}

void server::run(std::function<void(std::uint16_t)> on_ready) {
    auto& ioc = impl_->ioc;
    tcp::acceptor acc(ioc);
    tcp::endpoint ep(asio::ip::make_address(impl_->opts.host), impl_->opts.port);
    acc.open(ep.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(ep);
    acc.listen(asio::socket_base::max_listen_connections);
    impl_->port = acc.local_endpoint().port();
    if (!impl_->ready_set_by_app) impl_->ready = true;

    asio::co_spawn(ioc, detail::accept_loop(impl_, acc), asio::detached);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([this](error_code ec, int) {
        if (!ec) stop();
    });
    auto self = impl_;
    stop_hook_ = [&acc, &signals, self] {
        error_code ignored;
        acc.close(ignored);
        signals.cancel(ignored);
    };
    log::info("listening", {{"host", impl_->opts.host},
                            {"port", std::to_string(impl_->port.load())},
                            {"max_connections", std::to_string(impl_->max_connections)}});
    if (on_ready) on_ready(impl_->port);

    std::vector<std::thread> threads;
    for (auto& w : impl_->workers)
        threads.emplace_back([&w] {
            auto guard = asio::make_work_guard(*w);  // idle until stop()
            w->run();
        });
    ioc.run();
    for (auto& w : impl_->workers)
        w->stop();
    for (auto& t : threads)
        t.join();
    for (auto& w : impl_->workers)
        w->shut_down();
    ioc.shut_down();
    stop_hook_ = nullptr;
}

void server::stop() {
    auto self = impl_;
    asio::post(self->ioc, [this, self] {
        if (self->stopping.exchange(true)) return;
        log::info("stopping");
        if (stop_hook_) stop_hook_();
        std::vector<std::shared_ptr<detail::engine_session>> all;
        {
            std::lock_guard lock(self->sessions_mu);
            for (auto& [sid, s] : self->sessions)
                all.push_back(s);
        }
        for (auto& s : all)
            asio::dispatch(s->executor(), [s] { s->close(protocol::errc::server_close); });
        // Give close frames a moment, then stop.
        auto t = std::make_shared<asio::steady_timer>(self->ioc, std::chrono::milliseconds(300));
        t->async_wait([t, self](error_code) { self->ioc.stop(); });
    });
}

}  // namespace switchboard::server
