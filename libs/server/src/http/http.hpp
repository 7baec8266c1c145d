#pragma once
// The HTTP side of the shell: the listener, one connection's request loop, the request reader,
// and what the router's routes lead to.
#include "../runtime/context.hpp"
#include "../transport/conn_slot.hpp"
#include "router.hpp"

#include <switchboard/server/server.hpp>
#include <switchboard/server/websocket_route.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace switchboard::server::detail {

namespace beast = boost::beast;

// Where a route leads: the Engine.IO endpoint (Socket.IO, or the raw echo of the tests), or a
// route of the server's API.
struct route_target {
    enum class kind : std::uint8_t { engine, raw_echo, sync, deferred, websocket } type = kind::sync;
    http_route sync;
    async_http_route deferred;
    websocket_handler websocket;  // a plain WebSocket route (websocket_route.hpp)
};
using route_table = basic_router<route_target>;

// HTTP/1.1 connections (http_conn.cpp): serves requests until the connection ends or becomes a
// WebSocket (which then takes `slot`).
asio::awaitable<void> run_http(std::shared_ptr<server::impl> srv, tcp::socket sock, executor_t ex,
                               std::string remote, conn_slot slot);
class tls_context;
// The same over TLS (TLS_CERT_FILE): the handshake with `tls` first, within the header timeout.
asio::awaitable<void> run_https(std::shared_ptr<server::impl> srv, tcp::socket sock, executor_t ex,
                                std::string remote, conn_slot slot, std::shared_ptr<const tls_context> tls);
// The listener (listener.cpp): accepts within MAX_CONNECTIONS, survives the descriptor limit.
asio::awaitable<void> accept_loop(std::shared_ptr<server::impl> srv, tcp::acceptor& acc);

// Reads one request (http_read.cpp): the first byte of a keep-alive request within the idle
// timeout (`first`: the connection's first request, which gets the header timeout from accept),
// the header within the header timeout, the body at the minimum rate after that grace.
// Stream: beast::tcp_stream, or tls_http_stream over one.
template <class Stream>
asio::awaitable<error_code> read_request(Stream& stream, beast::flat_buffer& buf,
                                         beast::http::request_parser<beast::http::string_body>& parser,
                                         const server_options& opts, bool first);
}  // namespace switchboard::server::detail
