// The connection's loops: run (connect → setup → reader || writer || supervisor → backoff),
// all on the client's strand.
#include "client_impl.hpp"

#include <switchboard/common/log.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>

namespace switchboard::redis {

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
}

void client::impl::close_socket() {
    error_code ignored;
    if (tls) tls->lowest_layer().close(ignored);
    if (socket) socket->close(ignored);
}

asio::awaitable<std::pair<error_code, std::size_t>> client::impl::read_some() {
    auto buf = asio::buffer(read_buf);
    if (tls) {
        auto [ec, n] = co_await tls->async_read_some(buf, tuple_awaitable);
        co_return std::pair{ec, n};
    }
    auto [ec, n] = co_await socket->async_read_some(buf, tuple_awaitable);
    co_return std::pair{ec, n};
}

asio::awaitable<error_code> client::impl::write_all(const std::string& bytes) {
    if (tls) {
        auto [ec, n] = co_await asio::async_write(*tls, asio::buffer(bytes), tuple_awaitable);
        co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(*socket, asio::buffer(bytes), tuple_awaitable);
    co_return ec;
}

// Resolve, TCP connect, TLS handshake. The watchdog armed by run() closes the socket on timeout.
asio::awaitable<error_code> client::impl::connect() {
    tls.reset();
    socket.reset();
    auto [rec, results] =
        co_await resolver.async_resolve(opts.server.host, std::to_string(opts.server.port), tuple_awaitable);
    if (rec) co_return rec;
    if (stopped || connect_timed_out) co_return asio::error::operation_aborted;
    socket = std::make_unique<tcp::socket>(strand);
    auto [cec, ep] = co_await asio::async_connect(*socket, results, tuple_awaitable);
    if (cec) co_return cec;
    error_code ignored;
    socket->set_option(tcp::no_delay(true), ignored);
    if (!opts.server.tls) co_return error_code{};
    tls = std::make_unique<tls_stream>(std::move(*socket), *tls_ctx);
    if (!SSL_set_tlsext_host_name(tls->native_handle(), opts.server.host.c_str()))
        co_return error_code(asio::error::invalid_argument);
    if (!opts.tls_insecure) tls->set_verify_callback(asio::ssl::host_name_verification(opts.server.host));
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    co_return hec;
}

// AUTH, SELECT, CLIENT SETNAME and a PING, pipelined; any error reply fails the setup.
asio::awaitable<error_code> client::impl::setup() {
    std::vector<std::vector<std::string>> cmds;
    const auto& ep = opts.server;
    if (!ep.password.empty()) {
        if (ep.user.empty()) {
            cmds.push_back({"AUTH", ep.password});
        } else {
            cmds.push_back({"AUTH", ep.user, ep.password});
        }
    }
    if (ep.db != 0) cmds.push_back({"SELECT", std::to_string(ep.db)});
    if (!opts.client_name.empty()) cmds.push_back({"CLIENT", "SETNAME", opts.client_name});
    cmds.push_back({"PING"});
    std::string bytes;
    for (const auto& c : cmds)
        append_command(bytes, c);
    if (auto ec = co_await write_all(bytes)) co_return ec;
    replies.reset();
    for (const auto& c : cmds) {
        std::optional<value> reply;
        while (!reply) {
            auto r = replies.next();
            if (!r) co_return r.error();
            if (*r) {
                reply = std::move(**r);
                break;
            }
            auto [ec, n] = co_await read_some();
            if (ec) co_return ec;
            replies.feed(std::string_view(read_buf.data(), n));
        }
        if (reply->is_error()) {
            // The server's text (e.g. "WRONGPASS invalid username-password pair") never holds the password.
            log::warn("redis setup refused", {{"name", opts.log_name},
                                              {"endpoint", endpoint_log},
                                              {"command", c[0]},
                                              {"reply", reply->as_string()}});
            co_return errc::auth_failed;
        }
    }
    co_return error_code{};
}

asio::awaitable<error_code> client::impl::reader() {
    for (;;) {
        // Replies already buffered (read along with the setup's) first.
        for (;;) {
            auto r = replies.next();
            if (!r) co_return r.error();
            if (!*r) break;
            if (auto ec = handle_reply(std::move(**r))) co_return ec;
        }
        auto [ec, n] = co_await read_some();
        if (ec) co_return ec;
        if (stopped) co_return asio::error::operation_aborted;
        last_io = clock::now();
        replies.feed(std::string_view(read_buf.data(), n));
    }
}

asio::awaitable<error_code> client::impl::writer() {
    for (;;) {
        if (stopped) co_return asio::error::operation_aborted;
        if (out.empty()) {
            write_wake.expires_at(clock::time_point::max());
            co_await write_wake.async_wait(tuple_awaitable);
            continue;
        }
        std::string writing;
        writing.swap(out);
        if (auto ec = co_await write_all(writing)) co_return ec;
        last_io = clock::now();
    }
}

// Call deadlines and the idle health check (a PING when nothing is in flight for ping_interval;
// its deadline is twice that).
asio::awaitable<error_code> client::impl::supervisor() {
    for (;;) {
        if (stopped) co_return asio::error::operation_aborted;
        auto now = clock::now();
        auto earliest = clock::time_point::max();
        for (const auto& p : in_flight)
            earliest = std::min(earliest, p.deadline);
        if (earliest <= now) {
            // The reply order is lost: expired calls time out, the others lose the connection.
            bool health = false;
            auto calls = std::move(in_flight);
            in_flight.clear();
            for (auto& p : calls) {
                health = health || (p.health_check && p.deadline <= now);
                complete(p.done,
                         p.deadline <= now ? error_code(errc::timeout) : error_code(errc::connection_lost),
                         value{});
            }
            co_return health ? errc::health_check_failed : errc::timeout;
        }
        const bool pinging = opts.ping_interval.count() > 0;
        if (pinging && in_flight.empty() && now - last_io >= opts.ping_interval) {
            append_command(out, std::vector<std::string>{"PING"});
            in_flight.push_back(pending{nullptr, now + 2 * opts.ping_interval, true});
            write_wake.cancel();
            continue;
        }
        supervisor_at = !in_flight.empty() ? earliest
                        : pinging          ? last_io + opts.ping_interval
                                           : clock::time_point::max();
        supervisor_wake.expires_at(supervisor_at);
        co_await supervisor_wake.async_wait(tuple_awaitable);
        supervisor_at = clock::time_point::max();
    }
}

asio::awaitable<void> client::impl::run() {
    auto self = shared_from_this();
    auto backoff = opts.backoff_min;
    while (!stopped) {
        ++attempt;
        connect_timed_out = false;
        connect_watchdog.expires_after(opts.connect_timeout);
        connect_watchdog.async_wait([self, gen = attempt](error_code ec) {
            if (ec || gen != self->attempt || self->stopped) return;
            self->connect_timed_out = true;
            self->resolver.cancel();
            self->close_socket();
        });
        error_code ec = co_await connect();
        if (!ec && !stopped) ec = co_await setup();
        connect_watchdog.cancel();
        if (connect_timed_out && !stopped) ec = errc::connect_timeout;
        if (stopped) break;
        if (ec) {
            set_last_error(ec);
            close_socket();
            log::warn("redis connect failed",
                      {{"name", opts.log_name}, {"endpoint", endpoint_log}, {"error", ec.message()}});
        } else {
            backoff = opts.backoff_min;
            set_last_error({});
            link_up = true;
            last_io = clock::now();
            n_connects.fetch_add(1, std::memory_order_relaxed);
            connected.store(true, std::memory_order_release);
            log::info("redis connected", {{"name", opts.log_name}, {"endpoint", endpoint_log}});
            if (!channels.empty())
                enqueue_raw([&] {
                    std::vector<std::string> a{"SUBSCRIBE"};
                    a.insert(a.end(), channels.begin(), channels.end());
                    return a;
                }());
            if (!patterns.empty())
                enqueue_raw([&] {
                    std::vector<std::string> a{"PSUBSCRIBE"};
                    a.insert(a.end(), patterns.begin(), patterns.end());
                    return a;
                }());
            if (on_connect) on_connect();
            notify_state(true);
            using namespace asio::experimental::awaitable_operators;
            auto r = co_await (reader() || writer() || supervisor());
            ec = std::visit([](error_code e) { return e; }, r);
            link_up = false;
            connected.store(false, std::memory_order_release);
            close_socket();
            out.clear();
            fail_all(stopped ? error_code(asio::error::operation_aborted)
                             : error_code(errc::connection_lost));
            if (stopped) {
                log::info("redis client stopped", {{"name", opts.log_name}, {"endpoint", endpoint_log}});
            } else {
                set_last_error(ec);
                log::warn("redis connection lost",
                          {{"name", opts.log_name}, {"endpoint", endpoint_log}, {"error", ec.message()}});
            }
            notify_state(false);
        }
        if (stopped) break;
        // Capped exponential backoff with full jitter in [backoff/2, backoff].
        auto half = backoff.count() / 2;
        std::uniform_int_distribution<long long> jitter(half, std::max<long long>(half, backoff.count()));
        backoff_timer.expires_after(std::chrono::milliseconds(jitter(rng)));
        backoff = std::min(backoff * 2, opts.backoff_max);
        co_await backoff_timer.async_wait(tuple_awaitable);
    }
    connected.store(false, std::memory_order_release);
}

}  // namespace switchboard::redis
