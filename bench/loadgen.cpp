// sb-loadgen: an Engine.IO v4 / Socket.IO v5 WebSocket load generator (Asio/Beast coroutines,
// one io_context per thread, loopback targets only, bounded in time).
//
//   sb-loadgen --port P --scenario connect --conns N --rate R [--hold S]
//   sb-loadgen --port P --scenario echo    --conns N --rate R --duration S [--open-rate X]
//   sb-loadgen --port P --scenario fanout  --conns N --rate R --duration S --pubs X
//   sb-loadgen --port P --scenario chat    --conns N --rate R --duration S --jwt-secret K [--open-rate X]
//
// connect: opens N connections at R/s and holds them; echo: each connection emits "echo" with an
// ack, closed loop, or open loop at X acks/s in total (latency from the intended send time, so
// queueing is not hidden); fanout: N subscribers join one room, a publisher asks the server to
// broadcast X times a second; chat: see loadgen_chat.cpp. Prints one JSON object with the results and
// its own CPU time (and, with --server-pid, the server's over the measured window).
#include "loadgen_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace sbload;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

asio::awaitable<void> run_connect(const options& o, stats& st, clock_type::time_point start_at,
                                  clock_type::time_point end) {
    co_await pause_until(start_at);
    auto ws = co_await open_socket(o, st);
    if (!ws) co_return;
    st.last_connect_us = std::max(st.last_connect_us, now_us());
    ++st.ready;
    beast::flat_buffer buf;
    // Hold the connection, answering pings, until the end.
    while (clock_type::now() < end) {
        beast::get_lowest_layer(*ws).expires_at(end);
        auto [ec, n] = co_await ws->async_read(buf, as_tuple(use_awaitable));
        if (ec) break;
        if (frame_of(buf) == "2")
            co_await ws->async_write(asio::buffer(std::string_view("3")), as_tuple(use_awaitable));
        buf.consume(buf.size());
    }
}

asio::awaitable<void> run_echo(const options& o, stats& st, int index, clock_type::time_point start_at,
                               clock_type::time_point go, clock_type::time_point end) {
    co_await pause_until(start_at);
    auto ws = co_await open_socket(o, st);
    if (!ws) co_return;
    ++st.ready;
    co_await pause_until(go);
    std::string arg(static_cast<std::size_t>(o.payload), 'x');
    beast::flat_buffer buf;
    std::vector<std::uint32_t> local;
    std::uint64_t id = 0;
    // Open loop: this connection's share of the total rate, evenly phased.
    double per_conn = o.open_rate > 0 ? o.open_rate / o.conns : 0;
    auto interval =
        per_conn > 0
            ? std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / per_conn))
            : clock_type::duration::zero();
    auto intended = go + (per_conn > 0 ? interval * index / o.conns : clock_type::duration::zero());
    while (true) {
        if (per_conn > 0) {
            if (intended >= end) break;
            co_await pause_until(intended);
        } else if (clock_type::now() >= end) {
            break;
        }
        auto sent_at = per_conn > 0 ? intended : clock_type::now();
        std::string msg = "42" + std::to_string(id) + "[\"echo\",\"" + arg + "\"]";
        auto [ec, n] = co_await ws->async_write(asio::buffer(msg), as_tuple(use_awaitable));
        if (ec) {
            ++st.errors;
            break;
        }
        std::string want = "43" + std::to_string(id);
        bool got = false;
        while (!got) {
            auto [rec, rn] = co_await ws->async_read(buf, as_tuple(use_awaitable));
            if (rec) {
                ++st.errors;
                co_return;
            }
            auto f = frame_of(buf);
            if (f == "2")
                co_await ws->async_write(asio::buffer(std::string_view("3")), as_tuple(use_awaitable));
            else if (f.substr(0, want.size()) == want && f.size() > want.size() && f[want.size()] == '[')
                got = true;
            buf.consume(buf.size());
        }
        auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - sent_at).count();
        local.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(rtt, UINT32_MAX)));
        ++st.acks;
        ++id;
        intended += interval;
    }
    std::lock_guard lock(st.mu);
    st.latencies_us.insert(st.latencies_us.end(), local.begin(), local.end());
}

asio::awaitable<void> run_subscriber(const options& o, stats& st, int index, clock_type::time_point start_at,
                                     clock_type::time_point end) {
    co_await pause_until(start_at);
    auto ws = co_await open_socket(o, st);
    if (!ws) co_return;
    beast::flat_buffer buf;
    co_await ws->async_write(asio::buffer(std::string_view(R"(420["join_room",{"room":"bench"}])")),
                             as_tuple(use_awaitable));
    std::vector<std::uint32_t> local;
    bool joined = false;
    while (true) {
        beast::get_lowest_layer(*ws).expires_at(end + std::chrono::seconds(2));
        auto [ec, n] = co_await ws->async_read(buf, as_tuple(use_awaitable));
        if (ec) break;
        auto f = frame_of(buf);
        if (f == "2") {
            co_await ws->async_write(asio::buffer(std::string_view("3")), as_tuple(use_awaitable));
        } else if (!joined && f.substr(0, 3) == "430") {
            joined = true;
            ++st.ready;
        } else if (f.substr(0, 12) == "42[\"message\"") {
            auto t = field(f, "\"t\":");
            auto seq = field(f, "\"seq\":");
            if (t >= 0) local.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, now_us() - t)));
            ++st.deliveries;
            if (seq >= 0 && static_cast<std::size_t>(seq) < st.seen[index].size()) {
                if (st.seen[index][seq]++) ++st.duplicates;
            }
        }
        buf.consume(buf.size());
    }
    std::lock_guard lock(st.mu);
    st.latencies_us.insert(st.latencies_us.end(), local.begin(), local.end());
}

asio::awaitable<void> run_publisher(const options& o, stats& st, clock_type::time_point go,
                                    clock_type::time_point end, std::atomic<std::uint64_t>& published) {
    auto ws = co_await open_socket(o, st);
    if (!ws) co_return;
    while (st.ready.load() < o.conns && clock_type::now() < go + std::chrono::seconds(60)) {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
        co_await t.async_wait(as_tuple(use_awaitable));
    }
    auto interval =
        std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / o.pubs));
    auto next = clock_type::now();
    auto stop = next + (end - go);
    std::string pad(static_cast<std::size_t>(o.payload), 'x');
    beast::flat_buffer buf;
    for (std::uint64_t seq = 0; next < stop && seq < st.seen.front().size(); ++seq) {
        co_await pause_until(next);
        std::string msg = R"(42["publish",{"room":"bench","payload":{"t":)" + std::to_string(now_us()) +
                          ",\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + pad + "\"}}]";
        auto [ec, n] = co_await ws->async_write(asio::buffer(msg), as_tuple(use_awaitable));
        if (ec) break;
        ++published;
        next += interval;
    }
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(2));
    co_await t.async_wait(as_tuple(use_awaitable));
}

// Reads the flags into `o`; false (with a message) on an unknown flag or a target out of bounds.
bool parse(int argc, char** argv, options& o) {
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--host")
            o.host = v;
        else if (a == "--port")
            o.port = static_cast<std::uint16_t>(std::stoi(v));
        else if (a == "--scenario")
            o.scenario = v;
        else if (a == "--conns")
            o.conns = std::stoi(v);
        else if (a == "--rate")
            o.rate = std::stod(v);
        else if (a == "--duration")
            o.duration = std::stod(v);
        else if (a == "--hold")
            o.hold = std::stod(v);
        else if (a == "--open-rate")
            o.open_rate = std::stod(v);
        else if (a == "--pubs")
            o.pubs = std::stod(v);
        else if (a == "--threads")
            o.threads = std::stoi(v);
        else if (a == "--server-pid")
            o.server_pid = std::stoi(v);
        else if (a == "--db-pid")
            o.db_pid = std::stoi(v);
        else if (a == "--payload")
            o.payload = std::stoi(v);
        else if (a == "--jwt-secret")
            o.jwt_secret = v;
        else {
            std::cerr << "sb-loadgen: unknown option " << a << "\n";
            return false;
        }
    }
    if (!asio::ip::make_address(o.host).is_loopback()) {
        std::cerr << "sb-loadgen: only loopback targets are allowed\n";
        return false;
    }
    if (o.duration > 120 || o.hold > 120) {
        std::cerr << "sb-loadgen: runs are bounded to 120 s\n";
        return false;
    }
    return true;
}

// connect, echo and fanout.
int run_scenario(const options& o) {
    stats st;
    std::atomic<std::uint64_t> published{0};
    std::vector<std::unique_ptr<asio::io_context>> ctxs;
    for (int t = 0; t < o.threads; ++t)
        ctxs.push_back(std::make_unique<asio::io_context>(1));
    auto t0 = clock_type::now() + std::chrono::milliseconds(50);
    auto ramp =
        std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.conns / o.rate));
    auto go = t0 + ramp + std::chrono::milliseconds(500);
    auto end = go + std::chrono::duration_cast<clock_type::duration>(
                        std::chrono::duration<double>(o.scenario == "connect" ? o.hold : o.duration));
    if (o.scenario == "fanout") {
        auto max_pubs = static_cast<std::size_t>(o.pubs * o.duration) + 1;
        st.seen.assign(static_cast<std::size_t>(o.conns), std::vector<std::uint8_t>(max_pubs, 0));
    }
    for (int i = 0; i < o.conns; ++i) {
        auto& ctx = *ctxs[static_cast<std::size_t>(i % o.threads)];
        auto start_at = t0 + ramp * i / std::max(1, o.conns);
        if (o.scenario == "connect")
            asio::co_spawn(ctx, run_connect(o, st, start_at, end), asio::detached);
        else if (o.scenario == "echo")
            asio::co_spawn(ctx, run_echo(o, st, i, start_at, go, end), asio::detached);
        else if (o.scenario == "fanout")
            asio::co_spawn(ctx, run_subscriber(o, st, i, start_at, end), asio::detached);
    }
    if (o.scenario == "fanout")
        asio::co_spawn(*ctxs[0], run_publisher(o, st, go, end, published), asio::detached);
    auto cpu0 = cpu_seconds();
    // The server's CPU between `go` and `end` only (no handshakes, no ramp), from /proc.
    cpu_window server(o, go, end);
    std::vector<std::thread> threads;
    for (auto& c : ctxs)
        threads.emplace_back([&c] { c->run_for(std::chrono::seconds(150)); });
    for (auto& t : threads)
        t.join();
    server.join();
    double cpu = cpu_seconds() - cpu0;
    double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::sort(st.latencies_us.begin(), st.latencies_us.end());
    double measured = std::chrono::duration<double>(end - go).count();
    std::uint64_t missing = 0;
    if (o.scenario == "fanout")
        for (auto& per : st.seen)
            for (std::size_t k = 0; k < published.load() && k < per.size(); ++k)
                if (!per[k]) ++missing;
    std::printf(
        "{\"scenario\":\"%s\",\"conns\":%d,\"connected\":%llu,\"failed\":{\"tcp\":%llu,\"ws\":%llu,\"open\":%"
        "llu,"
        "\"connect\":%llu},\"acks\":%llu,\"acks_per_s\":%.1f,\"published\":%llu,\"deliveries\":%llu,"
        "\"deliveries_per_s\":%.1f,\"missing\":%llu,\"duplicates\":%llu,\"errors\":%llu,"
        "\"latency_us\":{\"n\":%zu,\"p50\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u},"
        "\"loadgen_cpu_s\":%.3f,\"wall_s\":%.3f,\"measured_s\":%.3f,\"server_cpu_measured_s\":%.3f}\n",
        o.scenario.c_str(), o.conns, (unsigned long long)st.ok_connects.load(),
        (unsigned long long)st.failed_tcp.load(), (unsigned long long)st.failed_ws.load(),
        (unsigned long long)st.failed_open.load(), (unsigned long long)st.failed_connect.load(),
        (unsigned long long)st.acks.load(), static_cast<double>(st.acks.load()) / measured,
        (unsigned long long)published.load(), (unsigned long long)st.deliveries.load(),
        static_cast<double>(st.deliveries.load()) / measured, (unsigned long long)missing,
        (unsigned long long)st.duplicates.load(), (unsigned long long)st.errors.load(),
        st.latencies_us.size(), pct(st.latencies_us, 50), pct(st.latencies_us, 99),
        pct(st.latencies_us, 99.9), st.latencies_us.empty() ? 0u : st.latencies_us.back(), cpu, wall,
        measured, server.server_s);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse(argc, argv, o)) return 2;
    if (o.scenario == "chat") return run_chat(o);
    return run_scenario(o);
}
