#pragma once
// The WebSocket upgrade's HTTP side, shared by the Engine.IO endpoint and the plain WebSocket
// routes: refusals, permessage-deflate, the 101 answer, the connection over what HTTP leaves; and
// the plain route's upgrade itself.
#include "../server_impl.hpp"
#include "response.hpp"
#include "tls_http_stream.hpp"
#include "ws_route.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

namespace switchboard::server::detail {

// A WebSocket upgrade request we cannot take (is_upgrade already checked the method, Upgrade and
// Connection): the HTTP answer to give instead.
inline std::optional<response> ws_refusal(const request& req) {
    if (req[beast::http::field::sec_websocket_version] != "13") {
        auto res = make_response(req, beast::http::status::upgrade_required, "Unsupported WebSocket version",
                                 "text/plain");
        res.set(beast::http::field::sec_websocket_version, "13");
        res.keep_alive(false);
        return res;
    }
    if (!protocol::ws::valid_client_key(req[beast::http::field::sec_websocket_key])) {
        auto res =
            make_response(req, beast::http::status::bad_request, "Invalid Sec-WebSocket-Key", "text/plain");
        res.keep_alive(false);
        return res;
    }
    return std::nullopt;
}

// permessage-deflate, when the server has it on and the client offers it in a form we can honour
// (every Sec-WebSocket-Extensions line, joined).
inline std::optional<protocol::ws::deflate_agreement> ws_deflate(const server_options& o,
                                                                 const request& req) {
    if (!o.per_message_deflate) return std::nullopt;
    std::string offers;
    for (auto [it, end] = req.equal_range(beast::http::field::sec_websocket_extensions); it != end; ++it) {
        if (!offers.empty()) offers += ", ";
        offers.append(it->value());
    }
    return protocol::ws::negotiate_deflate(offers);
}

// The 101 answer, written together with the first frames.
inline std::shared_ptr<const std::string> ws_accept(
    const request& req, const std::optional<protocol::ws::deflate_agreement>& deflate) {
    std::string extensions;
    if (deflate) extensions = "\r\nSec-WebSocket-Extensions: " + deflate->response();
    return std::make_shared<const std::string>(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
        "Upgrade\r\nSec-WebSocket-Accept: " +
        protocol::ws::accept_key(req[beast::http::field::sec_websocket_key]) + extensions +
        "\r\nServer: switchboard\r\n\r\n");
}

// The WebSocket connection over what the HTTP phase leaves: the socket (plain), or the socket and
// the TLS engine with what it has read. `sock` may be on another thread's context than `stream`.
inline std::shared_ptr<detail::ws_connection> make_ws(beast::tcp_stream&, tcp::socket sock,
                                                      std::size_t max_payload,
                                                      const detail::ws_stats& stats) {
    return std::make_shared<detail::ws_connection>(detail::tcp_stream_t(std::move(sock)), max_payload, stats);
}
inline std::shared_ptr<detail::tls_ws_connection> make_ws(detail::tls_http_stream& stream, tcp::socket sock,
                                                          std::size_t max_payload,
                                                          const detail::ws_stats& stats) {
    return std::make_shared<detail::tls_ws_connection>(
        detail::tls_stream(std::move(sock), stream.release_engine()), max_payload, stats);
}

// A plain WebSocket route's upgrade (the origin and the request checked, the 101 queued): the
// connection goes to the route's handler; the HTTP phase ends either way.
template <class Stream>
boost::asio::awaitable<void> upgrade_ws_route(std::shared_ptr<server::impl> srv, Stream& stream, request& req,
                                              const websocket_handler& handler, std::string path,
                                              std::string query, const std::string& remote, executor_t ex,
                                              conn_slot& slot, std::string early) {
    using boost::asio::as_tuple;
    using boost::asio::use_awaitable;
    const auto& opts = srv->opts;
    std::optional<response> refused;
    if (!origin_allowed(opts, req[beast::http::field::origin])) {
        refused = make_response(req, beast::http::status::forbidden,
                                R"({"success":false,"error":"Forbidden"})", "application/json");
        refused->keep_alive(false);
    } else {
        refused = ws_refusal(req);
    }
    if (refused) {
        co_await beast::http::async_write(stream, *refused, as_tuple(use_awaitable));
        co_return;
    }
    http_request copy{std::string(req.method_string()),
                      std::string(req.target()),
                      std::move(path),
                      std::move(query),
                      {},
                      remote,
                      lower_headers(req)};
    auto conn =
        make_ws(stream, beast::get_lowest_layer(stream).release_socket(), opts.engine.max_payload, srv->ws);
    conn->set_slot(std::move(slot));
    auto deflate = ws_deflate(opts, req);
    if (deflate) conn->enable_deflate(*deflate, opts.deflate_threshold);
    conn->write_raw(ws_accept(req, deflate));
    start_ws_route(std::move(srv), ws_link(std::move(conn)), std::move(ex), std::move(copy), handler,
                   std::move(early));
}

}  // namespace switchboard::server::detail
