// sb-loadgen: an Engine.IO v4 / Socket.IO v5 WebSocket load generator (Asio/Beast coroutines,
// one io_context per thread, loopback targets only, bounded in time).
//
//   sb-loadgen --port P --scenario connect --conns N --rate R [--hold S]
//   sb-loadgen --port P --scenario echo    --conns N --rate R --duration S [--open-rate X]
//   sb-loadgen --port P --scenario fanout  --conns N --rate R --duration S --pubs X
//       [--room NAME] [--port2 P2] [--pub-port P3 --pub-key K] [--other-pid PID]
//   sb-loadgen --port P --scenario chat    --conns N --rate R --duration S --jwt-secret K [--open-rate X]
//
// connect: opens N connections at R/s and holds them; echo: each connection emits "echo" with an
// ack, closed loop, or open loop at X acks/s in total (latency from the intended send time, so
// queueing is not hidden); fanout: N subscribers join one room, a publisher asks the server to
// broadcast X times a second (with --port2, odd-numbered subscribers connect to P2 and the results
// are also given per port; with --pub-key, the publisher POSTs /api/broadcast/room on --pub-port,
// and the CPU of --server-pid, --other-pid and --db-pid is measured over the publishing span);
// chat: see loadgen_chat.cpp. Prints one JSON object with the results and its own CPU time (and,
// with --server-pid, the server's over the measured window).
#include "loadgen_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
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

// `o` names the port this subscriber connects to: --port (side 0) or --port2 (side 1).
asio::awaitable<void> run_subscriber(const options& o, stats& st, int index, int side,
                                     clock_type::time_point start_at, clock_type::time_point end) {
    co_await pause_until(start_at);
    auto ws = co_await open_socket(o, st);
    if (!ws) co_return;
    beast::flat_buffer buf;
    std::string join = R"(420["join_room",{"room":")" + o.room + "\"}]";
    co_await ws->async_write(asio::buffer(join), as_tuple(use_awaitable));
    std::vector<std::uint32_t> local;
    bool joined = false;
    // With --pub-key the publisher starts once every subscriber has joined, possibly after `end`:
    // read until 2 s after its span, however late it starts.
    auto span = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.duration));
    auto deadline = [&] {
        if (o.pub_key.empty()) return end + std::chrono::seconds(2);
        auto ps = st.pub_start_us.load();
        if (!ps) return end + std::chrono::seconds(62);
        return clock_type::time_point(std::chrono::microseconds(ps)) + span + std::chrono::seconds(2);
    };
    while (true) {
        beast::get_lowest_layer(*ws).expires_at(deadline());
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
            if (t >= 0) {
                auto lat = static_cast<std::uint32_t>(
                    std::min<std::int64_t>(std::max<std::int64_t>(0, now_us() - t), UINT32_MAX - 1));
                local.push_back(lat);
                if (seq >= 0 && static_cast<std::size_t>(seq) < st.first_us[side].size()) {
                    auto& lo = st.first_us[side][static_cast<std::size_t>(seq)];
                    auto& hi = st.last_us[side][static_cast<std::size_t>(seq)];
                    for (auto v = lo.load(); lat < v && !lo.compare_exchange_weak(v, lat);) {
                    }
                    for (auto v = hi.load(); lat > v && !hi.compare_exchange_weak(v, lat);) {
                    }
                }
            }
            ++st.deliveries;
            ++st.side_deliveries[side];
            if (seq >= 0 && static_cast<std::size_t>(seq) < st.seen[index].size()) {
                if (st.seen[index][seq]++) ++st.duplicates;
            }
        }
        buf.consume(buf.size());
    }
    std::lock_guard lock(st.mu);
    st.latencies_us.insert(st.latencies_us.end(), local.begin(), local.end());
    st.side_latencies_us[side].insert(st.side_latencies_us[side].end(), local.begin(), local.end());
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
        std::string msg = R"(42["publish",{"room":")" + o.room + R"(","payload":{"t":)" +
                          std::to_string(now_us()) + ",\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + pad +
                          "\"}}]";
        auto [ec, n] = co_await ws->async_write(asio::buffer(msg), as_tuple(use_awaitable));
        if (ec) break;
        ++published;
        st.pub_ok[seq] = 1;
        next += interval;
    }
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(2));
    co_await t.async_wait(as_tuple(use_awaitable));
}

// The cluster publisher: POST /api/broadcast/room {room, event:"message", data:{t, seq, pad}} on
// --pub-port with --pub-key, one keep-alive connection, at --pubs per second for --duration from
// `go`, or from when every subscriber has joined if that is later. The publishing span, [first
// publish, one interval after the last), is what the CPU probe measures.
asio::awaitable<bool> connect_stream(beast::tcp_stream& stream, tcp::endpoint ep) {
    stream.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream.async_connect(ep, as_tuple(use_awaitable));
    co_return !ec;
}

// GCC 12 takes this coroutine frame's operator new for malloc and warns (-Wmismatched-new-delete)
// about Asio's recycling allocator freeing it: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<void> run_http_publisher(const options& o, stats& st, clock_type::time_point go,
                                         clock_type::time_point end, std::atomic<std::uint64_t>& published) {
    namespace http = beast::http;
    auto ex = co_await asio::this_coro::executor;
    auto port = static_cast<std::uint16_t>(o.pub_port ? o.pub_port : o.port);
    tcp::endpoint ep(asio::ip::make_address(o.host), port);
    // Every subscriber has joined, or failed to connect (those count as missing), and `go` is past.
    auto settled = [&] {
        auto failed =
            st.failed_tcp.load() + st.failed_ws.load() + st.failed_open.load() + st.failed_connect.load();
        return static_cast<std::uint64_t>(st.ready.load()) + failed >= static_cast<std::uint64_t>(o.conns);
    };
    while ((!settled() || clock_type::now() < go) && clock_type::now() < go + std::chrono::seconds(60)) {
        asio::steady_timer t(ex, std::chrono::milliseconds(5));
        co_await t.async_wait(as_tuple(use_awaitable));
    }
    // Connected only now: a connection idle through the ramp would meet the server's header timeout.
    beast::tcp_stream stream(ex);
    if (!co_await connect_stream(stream, ep)) {
        ++st.pub_failures;
        co_return;
    }
    auto interval =
        std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / o.pubs));
    auto next = clock_type::now();
    auto stop = next + (end - go);
    std::string pad(static_cast<std::size_t>(o.payload), 'x');
    std::string host = o.host + ":" + std::to_string(port);
    beast::flat_buffer buf;
    st.pub_start_us = now_us();
    for (std::uint64_t seq = 0; next < stop && seq < st.seen.front().size(); ++seq) {
        co_await pause_until(next);
        http::request<http::string_body> req{http::verb::post, "/api/broadcast/room", 11};
        req.set(http::field::host, host);
        req.set(http::field::authorization, "Bearer " + o.pub_key);
        req.set(http::field::content_type, "application/json");
        req.keep_alive(true);
        req.body() = R"({"room":")" + o.room + R"(","event":"message","data":{"t":)" +
                     std::to_string(now_us()) + ",\"seq\":" + std::to_string(seq) + ",\"pad\":\"" + pad +
                     "\"}}";
        req.prepare_payload();
        stream.expires_after(std::chrono::seconds(10));
        auto [wec, wn] = co_await http::async_write(stream, req, as_tuple(use_awaitable));
        http::response<http::string_body> res;
        beast::error_code rec = wec;
        if (!wec) std::tie(rec, wn) = co_await http::async_read(stream, buf, res, as_tuple(use_awaitable));
        if (rec || res.result_int() != 200) {
            ++st.pub_failures;
            if (st.pub_failures.load() <= 3)
                std::cerr << "sb-loadgen: publish " << seq << ": "
                          << (rec ? rec.message() : std::to_string(res.result_int()) + " " + res.body())
                          << "\n";
            if (rec) {  // a new connection for the next one
                beast::error_code ignored;
                stream.socket().close(ignored);
                buf.consume(buf.size());
                if (!co_await connect_stream(stream, ep)) break;
            }
        } else {
            ++published;
            st.pub_ok[seq] = 1;
        }
        next += interval;
    }
    co_await pause_until(next);
    st.pub_end_us = now_us();
    asio::steady_timer t(ex, std::chrono::seconds(2));
    co_await t.async_wait(as_tuple(use_awaitable));
}
#pragma GCC diagnostic pop

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
        else if (a == "--room")
            o.room = v;
        else if (a == "--port2")
            o.port2 = std::stoi(v);
        else if (a == "--pub-port")
            o.pub_port = std::stoi(v);
        else if (a == "--pub-key")
            o.pub_key = v;
        else if (a == "--other-pid")
            o.other_pid = std::stoi(v);
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
    // fanout across two instances: subscribers alternate between --port and --port2.
    bool cluster = o.scenario == "fanout" && (o.port2 > 0 || !o.pub_key.empty());
    options side_o[2] = {o, o}, pub_o = o;
    if (o.port2 > 0) side_o[1].port = static_cast<std::uint16_t>(o.port2);
    if (o.pub_port > 0) pub_o.port = static_cast<std::uint16_t>(o.pub_port);
    if (o.scenario == "fanout") {
        auto max_pubs = static_cast<std::size_t>(o.pubs * o.duration) + 1;
        st.seen.assign(static_cast<std::size_t>(o.conns), std::vector<std::uint8_t>(max_pubs, 0));
        st.pub_ok.assign(max_pubs, 0);
        for (int k = 0; k < 2; ++k) {
            st.first_us[k] = std::vector<std::atomic<std::uint32_t>>(max_pubs);
            st.last_us[k] = std::vector<std::atomic<std::uint32_t>>(max_pubs);
            for (auto& v : st.first_us[k])
                v = UINT32_MAX;
            for (auto& v : st.last_us[k])
                v = 0;
        }
    }
    for (int i = 0; i < o.conns; ++i) {
        auto& ctx = *ctxs[static_cast<std::size_t>(i % o.threads)];
        auto start_at = t0 + ramp * i / std::max(1, o.conns);
        if (o.scenario == "connect")
            asio::co_spawn(ctx, run_connect(o, st, start_at, end), asio::detached);
        else if (o.scenario == "echo")
            asio::co_spawn(ctx, run_echo(o, st, i, start_at, go, end), asio::detached);
        else if (o.scenario == "fanout")
            asio::co_spawn(ctx,
                           run_subscriber(side_o[o.port2 > 0 && i % 2 ? 1 : 0], st, i,
                                          o.port2 > 0 && i % 2 ? 1 : 0, start_at, end),
                           asio::detached);
    }
    if (o.scenario == "fanout" && !o.pub_key.empty())
        asio::co_spawn(*ctxs[0], run_http_publisher(o, st, go, end, published), asio::detached);
    else if (o.scenario == "fanout")
        asio::co_spawn(*ctxs[0], run_publisher(pub_o, st, go, end, published), asio::detached);
    auto cpu0 = cpu_seconds();
    // The server's CPU between `go` and `end` only (no handshakes, no ramp), from /proc. In the
    // cluster mode the probe below measures the publishing span instead.
    options window_o = o;
    if (cluster) window_o.server_pid = 0;
    cpu_window server(window_o, go, end);
    // Cluster mode: the CPU of the receiving instance (--server-pid), the other one (--other-pid)
    // and Redis (--db-pid, with its children) over the publishing span.
    double span_cpu[4] = {-1, -1, -1, -1};
    std::thread span_probe;
    if (cluster)
        span_probe = std::thread([&] {
            auto read = [&](double* v) {
                v[0] = o.server_pid > 0 ? proc_cpu_seconds(o.server_pid) : -1;
                v[1] = o.other_pid > 0 ? proc_cpu_seconds(o.other_pid) : -1;
                v[2] = o.db_pid > 0 ? tree_cpu_seconds(o.db_pid) : -1;
                v[3] = o.db_pid > 0 ? sched_cpu_seconds(o.db_pid) : -1;
            };
            auto deadline = end + std::chrono::seconds(70);
            while (st.pub_start_us.load() == 0 && clock_type::now() < deadline)
                std::this_thread::sleep_for(std::chrono::microseconds(500));
            double a[4], b[4];
            read(a);
            while (st.pub_end_us.load() == 0 && clock_type::now() < deadline)
                std::this_thread::sleep_for(std::chrono::microseconds(500));
            read(b);
            if (st.pub_end_us.load() == 0) return;
            for (int k = 0; k < 4; ++k)
                if (a[k] >= 0 && b[k] >= 0) span_cpu[k] = b[k] - a[k];
        });
    std::vector<std::thread> threads;
    for (auto& c : ctxs)
        threads.emplace_back([&c] { c->run_for(std::chrono::seconds(150)); });
    for (auto& t : threads)
        t.join();
    server.join();
    if (span_probe.joinable()) span_probe.join();
    double cpu = cpu_seconds() - cpu0;
    double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::sort(st.latencies_us.begin(), st.latencies_us.end());
    double measured = std::chrono::duration<double>(end - go).count();
    std::uint64_t missing = 0;
    if (o.scenario == "fanout")
        for (auto& per : st.seen)
            for (std::size_t k = 0; k < per.size(); ++k)
                if (st.pub_ok[k] && !per[k]) ++missing;
    std::string cluster_json;
    if (cluster) {
        char b[1024];
        auto span = [&](std::int64_t a, std::int64_t z) {
            return a && z ? static_cast<double>(z - a) / 1e6 : -1.0;
        };
        std::snprintf(
            b, sizeof b,
            ",\"cluster\":{\"room\":\"%s\",\"pub_failures\":%llu,\"pub_span_s\":%.3f,"
            "\"pub_lag_ms\":%.1f,\"server_cpu_s\":%.4f,\"other_cpu_s\":%.4f,\"redis_cpu_s\":%.4f,"
            "\"redis_sched_s\":%.6f,\"sides\":[",
            o.room.c_str(), (unsigned long long)st.pub_failures.load(),
            span(st.pub_start_us.load(), st.pub_end_us.load()),
            st.pub_start_us.load()
                ? static_cast<double>(
                      st.pub_start_us.load() -
                      std::chrono::duration_cast<std::chrono::microseconds>(go.time_since_epoch()).count()) /
                      1e3
                : -1.0,
            span_cpu[0], span_cpu[1], span_cpu[2], span_cpu[3]);
        cluster_json = b;
        for (int k = 0; k < 2; ++k) {
            // Over the publishes that reached this side: the first delivery (the path to the
            // instance, without its fan-out) and the last one (with all of it).
            std::vector<std::uint32_t> first, last;
            for (std::size_t q = 0; q < st.first_us[k].size(); ++q)
                if (st.first_us[k][q].load() != UINT32_MAX) {
                    first.push_back(st.first_us[k][q].load());
                    last.push_back(st.last_us[k][q].load());
                }
            std::sort(first.begin(), first.end());
            std::sort(last.begin(), last.end());
            auto& v = st.side_latencies_us[k];
            std::sort(v.begin(), v.end());
            std::snprintf(
                b, sizeof b,
                "%s{\"port\":%d,\"deliveries\":%llu,\"latency_us\":{\"n\":%zu,\"p50\":%u,\"p99\":%u,"
                "\"p999\":%u,\"max\":%u},\"first_us\":{\"n\":%zu,\"p50\":%u,\"p99\":%u,\"max\":%u},"
                "\"last_us\":{\"p50\":%u,\"p99\":%u,\"max\":%u}}",
                k ? "," : "", k ? side_o[1].port : side_o[0].port,
                (unsigned long long)st.side_deliveries[k].load(), v.size(), pct(v, 50), pct(v, 99),
                pct(v, 99.9), v.empty() ? 0u : v.back(), first.size(), pct(first, 50), pct(first, 99),
                first.empty() ? 0u : first.back(), pct(last, 50), pct(last, 99),
                last.empty() ? 0u : last.back());
            cluster_json += b;
        }
        cluster_json += "]}";
    }
    std::printf(
        "{\"scenario\":\"%s\",\"conns\":%d,\"connected\":%llu,\"failed\":{\"tcp\":%llu,\"ws\":%llu,\"open\":%"
        "llu,"
        "\"connect\":%llu},\"acks\":%llu,\"acks_per_s\":%.1f,\"published\":%llu,\"deliveries\":%llu,"
        "\"deliveries_per_s\":%.1f,\"missing\":%llu,\"duplicates\":%llu,\"errors\":%llu,"
        "\"latency_us\":{\"n\":%zu,\"p50\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u},"
        "\"loadgen_cpu_s\":%.3f,\"wall_s\":%.3f,\"measured_s\":%.3f,\"server_cpu_measured_s\":%.3f%s}\n",
        o.scenario.c_str(), o.conns, (unsigned long long)st.ok_connects.load(),
        (unsigned long long)st.failed_tcp.load(), (unsigned long long)st.failed_ws.load(),
        (unsigned long long)st.failed_open.load(), (unsigned long long)st.failed_connect.load(),
        (unsigned long long)st.acks.load(), static_cast<double>(st.acks.load()) / measured,
        (unsigned long long)published.load(), (unsigned long long)st.deliveries.load(),
        static_cast<double>(st.deliveries.load()) / measured, (unsigned long long)missing,
        (unsigned long long)st.duplicates.load(), (unsigned long long)st.errors.load(),
        st.latencies_us.size(), pct(st.latencies_us, 50), pct(st.latencies_us, 99),
        pct(st.latencies_us, 99.9), st.latencies_us.empty() ? 0u : st.latencies_us.back(), cpu, wall,
        measured, server.server_s, cluster_json.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse(argc, argv, o)) return 2;
    if (o.scenario == "chat") return run_chat(o);
    return run_scenario(o);
}
