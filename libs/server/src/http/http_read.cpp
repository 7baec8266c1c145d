// Reading one HTTP request with deadlines for each phase: the wait for a keep-alive connection's
// next request, the header, and the body (a minimum rate after a grace), instead of one deadline
// for all three.
#include "../server_impl.hpp"
#include "tls_http_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>

namespace switchboard::server::detail {

namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;

template <class Stream>
asio::awaitable<error_code> read_request(Stream& stream, beast::flat_buffer& buf,
                                         http::request_parser<http::string_body>& parser,
                                         const server_options& opts, bool first) {
    auto& timed = beast::get_lowest_layer(stream);  // where the deadlines are
    if (!first && buf.size() == 0) {
        // Idle keep-alive: the next request's first bytes.
        timed.expires_after(opts.http_idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buf.prepare(1024), as_tuple(use_awaitable));
        if (ec) co_return ec;
        buf.commit(n);
    }
    timed.expires_after(opts.http_header_timeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buf, parser, as_tuple(use_awaitable));
    if (hec || parser.is_done()) co_return hec;
    // The body: after a grace of the header timeout, at least http_min_body_rate bytes a second
    // on average since the header (with no rate, each read within the header timeout).
    auto start = std::chrono::steady_clock::now();
    std::size_t got = 0;
    while (!parser.is_done()) {
        if (opts.http_min_body_rate)
            timed.expires_at(start + opts.http_header_timeout +
                             std::chrono::milliseconds(got * 1000 / opts.http_min_body_rate));
        else
            timed.expires_after(opts.http_header_timeout);
        auto [ec, n] = co_await http::async_read_some(stream, buf, parser, as_tuple(use_awaitable));
        if (ec) co_return ec;
        got += n;
    }
    co_return error_code{};
}

template asio::awaitable<error_code> read_request(beast::tcp_stream&, beast::flat_buffer&,
                                                  http::request_parser<http::string_body>&,
                                                  const server_options&, bool);
template asio::awaitable<error_code> read_request(tls_http_stream&, beast::flat_buffer&,
                                                  http::request_parser<http::string_body>&,
                                                  const server_options&, bool);

}  // namespace switchboard::server::detail
