// The server's HTTP client (see http_client.hpp): a coroutine per request on the client's own
// io_context, raced against a deadline.
#include <switchboard/server/http_client.hpp>

#include <switchboard/common/log.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <thread>

namespace switchboard::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;

std::optional<http_url> parse_http_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    auto slash = url.find_first_of("/?");
    std::string_view authority = url.substr(0, slash);
    std::string_view target = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    http_url u;
    std::string_view host = authority, port = "80";
    if (authority.front() == '[') {  // [v6]:port
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
        }
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
    for (char c : port)
        if (c < '0' || c > '9') return std::nullopt;
    for (unsigned char c : target)
        if (c <= 0x20 || c >= 0x7f) return std::nullopt;
    u.host = std::string(host);
    u.port = std::string(port);
    u.target =
        target.empty() ? "/" : (target.front() == '?' ? "/" + std::string(target) : std::string(target));
    return u;
}

struct http_client::impl {
    asio::io_context ioc{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::thread thread;
    std::size_t max_in_flight;
    std::atomic<std::size_t> in_flight{0};
};

namespace {

asio::awaitable<http_client::response> exchange(http_url u, std::string body) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto results = co_await resolver.async_resolve(u.host, u.port, asio::use_awaitable);
    beast::tcp_stream stream(ex);
    co_await stream.async_connect(results, asio::use_awaitable);
    http::request<http::string_body> req{http::verb::post, u.target, 11};
    req.set(http::field::host, u.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json");
    req.set(http::field::user_agent, "switchboard");
    req.body() = std::move(body);
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    parser.header_limit(16 * 1024);
    co_await http::async_read(stream, buf, parser, asio::use_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return http_client::response{parser.get().result_int(), std::move(parser.get().body())};
}

asio::awaitable<http_client::response> with_deadline(http_url u, std::string body,
                                                     std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    auto r = co_await (exchange(std::move(u), std::move(body)) || timer.async_wait(asio::use_awaitable));
    if (r.index() == 0) co_return std::get<0>(std::move(r));
    co_return http_client::response{};  // the deadline
}

}  // namespace

http_client::http_client(std::size_t max_in_flight) : impl_(std::make_shared<impl>()) {
    impl_->max_in_flight = max_in_flight;
    impl_->thread = std::thread([i = impl_.get()] { i->ioc.run(); });
}

http_client::~http_client() {
    impl_->work.reset();
    impl_->ioc.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

void http_client::post_json(const http_url& url, std::string body, std::chrono::milliseconds timeout,
                            std::function<void(response)> done) {
    if (impl_->in_flight.fetch_add(1) >= impl_->max_in_flight) {
        impl_->in_flight.fetch_sub(1);
        return done({});
    }
    asio::co_spawn(impl_->ioc, with_deadline(url, std::move(body), timeout),
                   [i = impl_, done = std::move(done)](std::exception_ptr e, response r) {
                       i->in_flight.fetch_sub(1);
                       if (e) r = {};  // refused, reset, unresolvable, malformed: no answer
                       try {
                           done(std::move(r));
                       } catch (const std::exception& x) {
                           log::error("http client callback threw", {{"what", x.what()}});
                       }
                   });
}

}  // namespace switchboard::server
