// sb-tlsbench: what TLS costs the server, per handshake and per message (scripts/bench-tls runs it
// against sb-bench-server with and without TLS_CERT_FILE).
//
//   sb-tlsbench --port P [--tls] --scenario handshake --conns C --duration S --server-pid PID
//   sb-tlsbench --port P [--tls] --scenario echo --conns C --duration S --payload B --server-pid PID
//
// handshake: C workers each open a Socket.IO connection (TCP, the TLS handshake with --tls: a full
// one, no session resumption, then the WebSocket upgrade, Engine.IO open, Socket.IO CONNECT) and
// close it, again and again; echo: C connections, each emitting "echo" with a B-byte string and
// waiting for its ack (closed loop). Prints one JSON object: operations per second, latency
// percentiles, and the server's CPU per operation over the measured window (schedstat).
#include "loadgen_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace sbload;
using asio::as_tuple;
using asio::use_awaitable;
namespace ssl = asio::ssl;

namespace {

struct bench_options {
    options base;
    bool tls = false;
};

struct counters {
    std::uint64_t ops = 0, failures = 0;
    std::vector<std::uint32_t> latencies_us;
};

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

template <class Ws>
std::unique_ptr<Ws> make_ws(asio::any_io_executor ex, ssl::context* ctx);
template <>
std::unique_ptr<plain_ws> make_ws<plain_ws>(asio::any_io_executor ex, ssl::context*) {
    return std::make_unique<plain_ws>(ex);
}
template <>
std::unique_ptr<tls_ws> make_ws<tls_ws>(asio::any_io_executor ex, ssl::context* ctx) {
    return std::make_unique<tls_ws>(ex, *ctx);
}

asio::awaitable<bool> tls_handshake(plain_ws&) {
    co_return true;
}
asio::awaitable<bool> tls_handshake(tls_ws& ws) {
    auto [ec] = co_await ws.next_layer().async_handshake(ssl::stream_base::client, as_tuple(use_awaitable));
    co_return !ec;
}

// TCP, TLS (when Ws is over TLS), WebSocket, Engine.IO open, Socket.IO CONNECT; null on failure.
template <class Ws>
asio::awaitable<std::unique_ptr<Ws>> open(const options& o, ssl::context* ctx) {
    auto ws = make_ws<Ws>(co_await asio::this_coro::executor, ctx);
    auto& layer = beast::get_lowest_layer(*ws);
    layer.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await layer.async_connect(tcp::endpoint(asio::ip::make_address(o.host), o.port),
                                             as_tuple(use_awaitable));
    if (ec) co_return nullptr;
    layer.socket().set_option(tcp::no_delay(true), ec);  // as the server: no Nagle delay on a 4 KiB echo
    if (!co_await tls_handshake(*ws)) co_return nullptr;
    layer.expires_never();
    ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    std::tie(ec) = co_await ws->async_handshake(o.host, "/socket.io/?EIO=4&transport=websocket",
                                                as_tuple(use_awaitable));
    if (ec) co_return nullptr;
    beast::flat_buffer buf;
    auto [rec, n] = co_await ws->async_read(buf, as_tuple(use_awaitable));
    if (rec || frame_of(buf).substr(0, 1) != "0") co_return nullptr;
    buf.consume(buf.size());
    ws->text(true);
    std::tie(ec, n) = co_await ws->async_write(asio::buffer(std::string_view("40")), as_tuple(use_awaitable));
    std::tie(rec, n) = co_await ws->async_read(buf, as_tuple(use_awaitable));
    if (ec || rec || frame_of(buf).substr(0, 2) != "40") co_return nullptr;
    co_return ws;
}

template <class Ws>
asio::awaitable<void> handshake_worker(const options& o, ssl::context* ctx, counters& c,
                                       clock_type::time_point go, clock_type::time_point end) {
    co_await pause_until(go);
    while (clock_type::now() < end) {
        auto t0 = now_us();
        auto ws = co_await open<Ws>(o, ctx);
        if (!ws) {
            ++c.failures;
            continue;
        }
        c.latencies_us.push_back(static_cast<std::uint32_t>(now_us() - t0));
        ++c.ops;
        // The client closes the TCP connection (as a browser tab that goes): no close handshake.
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(*ws).close();
    }
}

template <class Ws>
asio::awaitable<void> echo_worker(const options& o, ssl::context* ctx, counters& c, int& ready,
                                  clock_type::time_point go, clock_type::time_point end) {
    auto ws = co_await open<Ws>(o, ctx);
    if (!ws) {
        ++c.failures;
        co_return;
    }
    ++ready;
    co_await pause_until(go);
    std::string arg(static_cast<std::size_t>(o.payload), 'x');
    beast::flat_buffer buf;
    for (std::uint64_t id = 1; clock_type::now() < end; ++id) {
        auto msg = "42" + std::to_string(id) + "[\"echo\",\"" + arg + "\"]";
        auto t0 = now_us();
        auto [wec, wn] = co_await ws->async_write(asio::buffer(msg), as_tuple(use_awaitable));
        if (wec) break;
        auto want = "43" + std::to_string(id);
        for (;;) {
            buf.consume(buf.size());
            auto [rec, rn] = co_await ws->async_read(buf, as_tuple(use_awaitable));
            if (rec) co_return;
            auto f = frame_of(buf);
            if (f == "2") {
                co_await ws->async_write(asio::buffer(std::string_view("3")), as_tuple(use_awaitable));
                continue;
            }
            if (f.substr(0, want.size()) == want) break;
        }
        c.latencies_us.push_back(static_cast<std::uint32_t>(now_us() - t0));
        ++c.ops;
    }
    beast::error_code ignored;
    beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
}

template <class Ws>
int run(const bench_options& bo, ssl::context* ctx) {
    const auto& o = bo.base;
    asio::io_context ioc;
    counters c;
    int ready = 0;
    auto now = clock_type::now();
    auto warmup = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.hold));
    auto length = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.duration));
    // echo: connections open first (within the warm-up), then the measured window.
    auto go = now + warmup, end = go + length;
    for (int i = 0; i < o.conns; ++i) {
        if (o.scenario == "handshake")
            asio::co_spawn(ioc, handshake_worker<Ws>(o, ctx, c, go, end), asio::detached);
        else
            asio::co_spawn(ioc, echo_worker<Ws>(o, ctx, c, ready, go, end), asio::detached);
    }
    double s0 = -1, s1 = -1, me0 = 0;
    std::uint64_t ops0 = 0;
    asio::steady_timer mark(ioc, go);
    mark.async_wait([&](beast::error_code) {
        s0 = sched_cpu_seconds(o.server_pid);
        me0 = cpu_seconds();
        ops0 = c.ops;
        c.latencies_us.clear();
    });
    asio::steady_timer stop(ioc, end);
    stop.async_wait([&](beast::error_code) {
        s1 = sched_cpu_seconds(o.server_pid);
        ioc.stop();
    });
    ioc.run();
    auto ops = c.ops - ops0;
    double secs = o.duration;
    double server_s = s0 >= 0 && s1 >= 0 ? s1 - s0 : -1;
    std::sort(c.latencies_us.begin(), c.latencies_us.end());
    std::printf(
        "{\"scenario\":\"%s\",\"tls\":%s,\"conns\":%d,\"payload\":%d,\"ready\":%d,\"ops\":%llu,\"failures\":%"
        "llu,"
        "\"ops_per_s\":%.0f,\"p50_us\":%u,\"p99_us\":%u,\"server_cpu_s\":%.3f,\"server_cpu_us_per_op\":%.1f,"
        "\"server_cpu_share\":%.2f,\"loadgen_cpu_s\":%.3f}\n",
        o.scenario.c_str(), bo.tls ? "true" : "false", o.conns, o.payload, ready,
        static_cast<unsigned long long>(ops), static_cast<unsigned long long>(c.failures), ops / secs,
        pct(c.latencies_us, 50), pct(c.latencies_us, 99), server_s,
        ops && server_s >= 0 ? server_s * 1e6 / ops : -1, server_s / secs, cpu_seconds() - me0);
    return ops > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    bench_options bo;
    auto& o = bo.base;
    o.conns = 50;
    o.hold = 1;  // warm-up, s
    o.duration = 5;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--tls") {
            bo.tls = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "sb-tlsbench: " << a << " needs a value\n";
            return 2;
        }
        std::string v = argv[++i];
        if (a == "--port")
            o.port = static_cast<std::uint16_t>(std::stoi(v));
        else if (a == "--scenario")
            o.scenario = v;
        else if (a == "--conns")
            o.conns = std::stoi(v);
        else if (a == "--duration")
            o.duration = std::stod(v);
        else if (a == "--warmup")
            o.hold = std::stod(v);
        else if (a == "--payload")
            o.payload = std::stoi(v);
        else if (a == "--server-pid")
            o.server_pid = std::stoi(v);
        else {
            std::cerr
                << "usage: sb-tlsbench --port P [--tls] --scenario handshake|echo [--conns C] [--duration S]"
                   " [--warmup S] [--payload B] [--server-pid PID]\n";
            return 2;
        }
    }
    if (o.scenario != "handshake" && o.scenario != "echo") {
        std::cerr << "sb-tlsbench: unknown scenario " << o.scenario << "\n";
        return 2;
    }
    if (!bo.tls) return run<plain_ws>(bo, nullptr);
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_none);  // the bench's own self-signed certificate
    return run<tls_ws>(bo, &ctx);
}
