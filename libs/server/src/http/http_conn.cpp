// One HTTP/1.1 connection: CORS, the Engine.IO polling and WebSocket entry points, routes.
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"
#include "response.hpp"
#include "tls_http_stream.hpp"
#include "ws_upgrade.hpp"

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
using namespace detail;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;
using detail::error_code;
using detail::executor_t;
using detail::tcp;

namespace {

template <class Stream>
constexpr bool secure_v = std::is_same_v<Stream, detail::tls_http_stream>;

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
                                                const std::string& remote, const protocol::query_list& query,
                                                bool secure) {
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
    hs->secure = secure;
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

asio::awaitable<void> accept_delay(const server_options& o) {
    if (o.accept_delay.count() <= 0) co_return;
    asio::steady_timer t(co_await asio::this_coro::executor, o.accept_delay);
    co_await t.async_wait(as_tuple(use_awaitable));
}

// Upgrade of an existing polling session: runs on the session's thread.
template <class Conn>
void start_upgrade(std::shared_ptr<detail::engine_session> s, std::shared_ptr<Conn> conn,
                   std::shared_ptr<const std::string> accepted, detail::conn_slot slot, std::string early,
                   std::optional<protocol::ws::deflate_agreement> deflate) {
    conn->set_slot(std::move(slot));
    if (deflate) conn->enable_deflate(*deflate, s->srv().opts.deflate_threshold);
    conn->write_raw(std::move(accepted));
    if (!s->begin_upgrade()) {
        // Not upgradable now: the handshake, a close frame (policy), then the end.
        conn->detach();
        conn->close(protocol::ws::close_code::policy);
        conn->start(nullptr);
        return;
    }
    s->start_websocket(std::move(conn), true, std::move(early));
}

template <class Stream>
asio::awaitable<bool> handle_websocket(std::shared_ptr<server::impl> srv, Stream& stream, request& req,
                                       std::string_view query, bool raw, const std::string& remote,
                                       executor_t ex, detail::conn_slot& slot, std::string early) {
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
        // Hand the socket (and a TLS engine) to the session's thread.
        auto& raw_sock = beast::get_lowest_layer(stream).socket();
        auto proto = raw_sock.local_endpoint().protocol();
        tcp::socket moved(s->executor(), proto, raw_sock.release());
        auto conn = make_ws(stream, std::move(moved), opts.engine.max_payload, srv->ws);
        auto deflate = ws_deflate(opts, req);
        asio::dispatch(s->executor(), [s, conn = std::move(conn), accepted = ws_accept(req, deflate),
                                       slot = std::move(slot), early = std::move(early), deflate]() mutable {
            start_upgrade(std::move(s), std::move(conn), std::move(accepted), std::move(slot),
                          std::move(early), deflate);
        });
        co_return true;
    }

    co_await accept_delay(opts);
    auto hs = make_handshake(opts, req, remote, parsed->query, secure_v<Stream>);
    auto s = new_session(*srv, ex, protocol::transport_kind::websocket, hs, raw);
    if (!s) co_return co_await fail(protocol::errc::forbidden);
    auto conn =
        make_ws(stream, beast::get_lowest_layer(stream).release_socket(), opts.engine.max_payload, srv->ws);
    conn->set_slot(std::move(slot));
    auto deflate = ws_deflate(opts, req);
    if (deflate) conn->enable_deflate(*deflate, opts.deflate_threshold);
    conn->write_raw(ws_accept(req, deflate));
    s->send(detail::out_item{std::make_shared<const std::string>(s->open_frame()), false});
    s->start();
    // The 101 and the open packet leave in one write; frames the client sent right behind its
    // request (read with it) are handled first.
    s->start_websocket(std::move(conn), false, std::move(early));
    co_return true;
}

template <class Stream>
asio::awaitable<response> handle_polling(std::shared_ptr<server::impl> srv, Stream& stream, request& req,
                                         std::string_view query, bool raw, const std::string& remote,
                                         executor_t ex, bool& client_gone) {
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
                             make_handshake(opts, req, remote, parsed->query, secure_v<Stream>), raw);
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
    auto result = co_await (
        s->async_poll(as_tuple(use_awaitable)) ||
        beast::get_lowest_layer(stream).socket().async_wait(tcp::socket::wait_read, as_tuple(use_awaitable)));
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

// A route's answer: a preflight for OPTIONS on a known path, the route's reply, or 404 / 405.
asio::awaitable<response> answer_route(request& req, const route_table::result& found,
                                       const std::string& path, const std::string& query,
                                       const std::string& remote, executor_t ex) {
    if (found.status != route_table::result::not_found && req.method() == http::verb::options)
        co_return preflight(req, "Authorization, Content-Type");
    if (found.status == route_table::result::wrong_method) {
        auto allow = allow_header(found.allowed);
        auto res = make_response(req, http::status::method_not_allowed,
                                 R"({"success":false,"error":"Method not allowed: use )" + allow + "\"}",
                                 "application/json");
        res.set(http::field::allow, allow);
        co_return res;
    }
    if (!found.target)
        co_return make_response(req, http::status::not_found, R"({"success":false,"error":"Not found"})",
                                "application/json");
    http_reply reply;
    if (found.target->type == route_target::kind::deferred) {
        http_request copy{std::string(req.method_string()),
                          std::string(req.target()),
                          path,
                          query,
                          std::move(req.body()),
                          remote,
                          lower_headers(req)};
        reply = co_await answer_later(found.target->deferred, std::move(copy), ex);
    } else {
        auto headers = lower_headers(req);
        http_request_view view{req.method_string(), req.target(), path, query, req.body(), remote, &headers};
        try {
            reply = found.target->sync(view);
        } catch (const std::exception& e) {
            log::error("route handler threw", {{"path", path}, {"what", e.what()}});
            reply = {500, "application/json", R"({"success":false,"error":"Internal error"})"};
        }
    }
    co_return from_reply(req, std::move(reply));
}

// Counts an HTTP request from its last byte read to its answer written.
struct in_flight {
    explicit in_flight(std::atomic<std::size_t>& c) : n(c) { n.fetch_add(1, std::memory_order_relaxed); }
    ~in_flight() { n.fetch_sub(1, std::memory_order_relaxed); }
    in_flight(const in_flight&) = delete;
    in_flight& operator=(const in_flight&) = delete;
    std::atomic<std::size_t>& n;
};

// Serves one connection's requests (Stream: beast::tcp_stream, or tls_http_stream after its handshake).
template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<server::impl> srv, Stream& stream, executor_t ex,
                            std::string remote, detail::conn_slot slot) {
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
        beast::get_lowest_layer(stream).expires_never();
        in_flight counted(srv->requests_in_flight);  // a drain waits for the answer
        request req = parser.release();
        std::string target(req.target());
        auto qpos = target.find('?');
        std::string path = target.substr(0, qpos);
        std::string query = qpos == std::string::npos ? std::string{} : target.substr(qpos + 1);
        auto found = srv->router.find(req.method_string(), path);
        const route_target* to = found.target;
        bool is_engine =
            to && (to->type == route_target::kind::engine || to->type == route_target::kind::raw_echo);
        bool raw = is_engine && to->type == route_target::kind::raw_echo;

        if (is_engine && websocket::is_upgrade(req)) {
            // Bytes read past the request belong to the WebSocket (a client that did not wait for 101).
            std::string early(static_cast<const char*>(buf.data().data()), buf.size());
            co_await handle_websocket(srv, stream, req, query, raw, remote, ex, slot, std::move(early));
            co_return;
        }
        bool is_ws_route = to && to->type == route_target::kind::websocket;
        if (is_ws_route && websocket::is_upgrade(req)) {
            std::string early(static_cast<const char*>(buf.data().data()), buf.size());
            co_await upgrade_ws_route(srv, stream, req, to->websocket, path, query, remote, ex, slot,
                                      std::move(early));
            co_return;
        }
        response res;
        if (is_engine) {
            bool gone = false;
            res = co_await handle_polling(srv, stream, req, query, raw, remote, ex, gone);
            if (gone) break;
        } else if (is_ws_route) {
            res = make_response(req, http::status::upgrade_required,
                                R"({"success":false,"error":"Upgrade required: a WebSocket endpoint"})",
                                "application/json");
            res.set(http::field::upgrade, "websocket");
        } else {
            res = co_await answer_route(req, found, path, query, remote, ex);
        }
        apply_cors(res, req[http::field::origin], opts,
                   is_engine                            ? cors_kind::engine
                   : srv->no_cors && srv->no_cors(path) ? cors_kind::none
                                                        : cors_kind::route);
        if (srv->stopping.load(std::memory_order_relaxed)) res.keep_alive(false);  // draining
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
        auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
        if (wec || !res.keep_alive()) break;
    }
    error_code ignored;
    auto& tcp_stream = beast::get_lowest_layer(stream);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_stream.close();
}

}  // namespace

asio::awaitable<void> detail::run_http(std::shared_ptr<server::impl> srv, tcp::socket sock, executor_t ex,
                                       std::string remote, detail::conn_slot slot) {
    beast::tcp_stream stream(std::move(sock));
    co_await serve(std::move(srv), stream, ex, std::move(remote), std::move(slot));
}

asio::awaitable<void> detail::run_https(std::shared_ptr<server::impl> srv, tcp::socket sock, executor_t ex,
                                        std::string remote, detail::conn_slot slot,
                                        std::shared_ptr<const detail::tls_context> tls) {
    detail::tls_http_stream stream(beast::tcp_stream(std::move(sock)), detail::tls_engine(*tls));
    tls.reset();  // the connection's engine holds what it needs of the context
    // The handshake within the header timeout: a client that opens a connection and says nothing
    // (or speaks plain HTTP) is let go like one that sends no request.
    stream.next_layer().expires_after(srv->opts.http_header_timeout);
    auto [ec] = co_await stream.async_handshake(as_tuple(use_awaitable));
    if (ec) {
        srv->tls_failures->inc();
        log::debug("TLS handshake failed", {{"remote", remote}, {"error", ec.message()}});
        error_code ignored;
        stream.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.next_layer().close();
        co_return;
    }
    co_await serve(std::move(srv), stream, ex, std::move(remote), std::move(slot));
}

}  // namespace switchboard::server
