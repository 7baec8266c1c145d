// sb-loadgen's chat scenario: N users u0..u{N-1} in pairs (u0↔u1, u2↔u3, …), each connected with
// its own HS256 JWT (claim userId) in the CONNECT auth {token}, as socket.io-client sends it. Every
// user sends `chat:send` {receiverId, message, clientMessageId} with an ack to its partner, who is
// online: closed loop (--open-rate 0, one send in flight per user) or a fixed total rate
// (--open-rate X sends/s, spread evenly over the users, latency from the intended send time so
// queueing is not hidden). clientMessageId is "u<i>:<seq>:<send time µs>": unique per send, and it
// carries the send time to the partner, whose `chat:message` gives the delivery latency.
#include "loadgen_common.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>

namespace sbload {

namespace {

using asio::as_tuple;
using asio::use_awaitable;

std::string b64url(std::string_view in) {
    static constexpr char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : in) {
        acc = (acc << 8) | c;
        bits += 8;
        for (; bits >= 6; bits -= 6)
            out += abc[(acc >> (bits - 6)) & 63];
    }
    if (bits > 0) out += abc[(acc << (6 - bits)) & 63];
    return out;  // unpadded, as JWS wants
}

// An HS256 JWT {userId, iat, exp: in an hour}, signed with OpenSSL's HMAC.
std::string mint_jwt(const std::string& secret, const std::string& user) {
    auto now = static_cast<long long>(std::time(nullptr));
    std::string input = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                        b64url(R"({"userId":")" + user + R"(","iat":)" + std::to_string(now) + R"(,"exp":)" +
                               std::to_string(now + 3600) + "}");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + b64url({reinterpret_cast<const char*>(mac), len});
}

struct chat_stats {
    std::atomic<std::uint64_t> sent{0}, ok{0}, failed{0}, delivered{0}, delivered_events{0}, errors{0};
    std::atomic<int> finished{0};  // users done sending (or never connected)
    std::atomic<bool> told_failure{false};
    std::mutex mu;
    std::vector<std::uint32_t> ack_us, delivery_us;
};

// One user's socket: a write queue (one async_write at a time, next to the reader's one read), the
// send time of each ack id, and a timer the reader cancels to wake the sender.
struct chat_user {
    explicit chat_user(std::unique_ptr<ws_t> w) : ws(std::move(w)), wake(ws->get_executor()) {}
    std::unique_ptr<ws_t> ws;
    std::deque<std::string> out;
    bool writing = false, closed = false, done = false;
    asio::steady_timer wake;
    std::vector<std::int64_t> sent_at;  // by ack id, µs; -1 once answered
    std::uint64_t in_flight = 0;
    std::vector<std::uint32_t> ack_us, delivery_us;
};
using user_ptr = std::shared_ptr<chat_user>;

void lost(const user_ptr& u, chat_stats& cs) {
    if (!u->closed && !u->done) ++cs.errors;
    u->closed = true;
    u->wake.cancel();
}

void write_next(const user_ptr& u, chat_stats& cs) {
    if (u->out.empty() || u->closed) {
        u->writing = false;
        return;
    }
    u->writing = true;
    u->ws->async_write(asio::buffer(u->out.front()), [u, &cs](beast::error_code ec, std::size_t) {
        u->out.pop_front();
        if (ec) return lost(u, cs);
        write_next(u, cs);
    });
}

void push(const user_ptr& u, chat_stats& cs, std::string frame) {
    u->out.push_back(std::move(frame));  // deque: the frame being written stays where it is
    if (!u->writing) write_next(u, cs);
}

std::uint32_t since(std::int64_t t_us) {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(now_us() - t_us, 0, UINT32_MAX));
}

void on_ack(const user_ptr& u, chat_stats& cs, std::string_view f) {
    std::uint64_t id = 0;
    auto [p, err] = std::from_chars(f.data() + 2, f.data() + f.size(), id);
    if (err != std::errc{} || p == f.data() + f.size() || *p != '[') return;
    if (id >= u->sent_at.size() || u->sent_at[id] < 0) return;
    auto latency = since(u->sent_at[id]);
    u->sent_at[id] = -1;
    --u->in_flight;
    if (f.find(R"("success":true)") != std::string_view::npos) {
        ++cs.ok;
        u->ack_us.push_back(latency);
    } else {
        ++cs.failed;
        if (!cs.told_failure.exchange(true))
            std::cerr << "sb-loadgen: chat:send failed: " << f.substr(0, 300) << "\n";
    }
    u->wake.cancel();
}

void on_message(const user_ptr& u, chat_stats& cs, std::string_view f) {
    ++cs.delivered;
    constexpr std::string_view key = R"("clientMessageId":")";
    auto k = f.find(key);
    if (k == std::string_view::npos) return;
    auto close = f.find('"', k + key.size());
    auto colon = f.rfind(':', close);
    std::int64_t t = -1;
    if (close != std::string_view::npos && colon != std::string_view::npos && colon > k + key.size())
        std::from_chars(f.data() + colon + 1, f.data() + close, t);
    if (t > 0) u->delivery_us.push_back(since(t));
}

asio::awaitable<void> read_loop(user_ptr u, chat_stats& cs) {
    beast::flat_buffer buf;
    for (;;) {
        auto [ec, n] = co_await u->ws->async_read(buf, as_tuple(use_awaitable));
        if (ec) break;
        auto f = frame_of(buf);
        if (f == "2")
            push(u, cs, "3");
        else if (f.starts_with("43"))
            on_ack(u, cs, f);
        else if (f.starts_with(R"(42["chat:message",)"))
            on_message(u, cs, f);
        else if (f.starts_with(R"(42["chat:delivered",)"))
            ++cs.delivered_events;
        buf.consume(buf.size());
    }
    lost(u, cs);
}

void send_one(const user_ptr& u, chat_stats& cs, const std::string& me, const std::string& partner,
              const std::string& body, std::int64_t t_us) {
    auto id = std::to_string(u->sent_at.size());
    u->sent_at.push_back(t_us);
    ++u->in_flight;
    ++cs.sent;
    push(u, cs,
         "42" + id + R"(["chat:send",{"receiverId":")" + partner + R"(","message":")" + body +
             R"(","clientMessageId":")" + me + ":" + id + ":" + std::to_string(t_us) + "\"}]");
}

// Waits until the reader wakes us (an ack, or the socket closed) or `until`; false on the deadline.
asio::awaitable<bool> woken(const user_ptr& u, clock_type::time_point until) {
    u->wake.expires_at(until);
    auto [ec] = co_await u->wake.async_wait(as_tuple(use_awaitable));
    co_return ec == asio::error::operation_aborted;
}

std::int64_t us_of(clock_type::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

asio::awaitable<void> run_user(const options& o, stats& st, chat_stats& cs, int index,
                               clock_type::time_point start_at, clock_type::time_point go,
                               clock_type::time_point end) {
    co_await pause_until(start_at);
    std::string me = "u" + std::to_string(index), partner = "u" + std::to_string(index ^ 1);
    auto ws = co_await open_socket(o, st, R"({"token":")" + mint_jwt(o.jwt_secret, me) + "\"}");
    if (!ws) {
        ++cs.finished;
        co_return;
    }
    auto u = std::make_shared<chat_user>(std::move(ws));
    ++st.ready;
    asio::co_spawn(co_await asio::this_coro::executor, read_loop(u, cs), asio::detached);
    auto grace = end + std::chrono::seconds(3);
    std::string body = "hello " + partner + " " + std::string(static_cast<std::size_t>(o.payload), 'x');
    co_await pause_until(go);
    if (o.open_rate > 0) {
        auto interval = std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(o.conns / o.open_rate));
        for (auto at = go + interval * index / o.conns; at < end && !u->closed; at += interval) {
            co_await pause_until(at);
            send_one(u, cs, me, partner, body, us_of(at));
        }
    } else {
        while (clock_type::now() < end && !u->closed) {
            send_one(u, cs, me, partner, body, now_us());
            while (u->in_flight > 0 && !u->closed)
                if (!co_await woken(u, grace)) break;
        }
    }
    while (u->in_flight > 0 && !u->closed)
        if (!co_await woken(u, grace)) break;
    ++cs.finished;
    // The partners' last messages: until every user is done and every acked send was delivered
    // (both servers emit chat:message before the ack), or the grace period ends.
    while ((cs.finished.load() < o.conns || cs.delivered.load() < cs.ok.load()) && clock_type::now() < grace)
        co_await pause_until(clock_type::now() + std::chrono::milliseconds(20));
    u->done = true;
    beast::get_lowest_layer(*u->ws).close();
    std::lock_guard lock(cs.mu);
    cs.ack_us.insert(cs.ack_us.end(), u->ack_us.begin(), u->ack_us.end());
    cs.delivery_us.insert(cs.delivery_us.end(), u->delivery_us.begin(), u->delivery_us.end());
}

std::string percentiles(std::vector<std::uint32_t>& v) {
    std::sort(v.begin(), v.end());
    char b[160];
    std::snprintf(b, sizeof b, R"({"n":%zu,"p50":%u,"p99":%u,"p999":%u,"max":%u})", v.size(), pct(v, 50),
                  pct(v, 99), pct(v, 99.9), v.empty() ? 0u : v.back());
    return b;
}

void print(const options& o, stats& st, chat_stats& cs, cpu_window& w, double loadgen_cpu, double wall,
           double measured) {
    auto ok = cs.ok.load(), delivered = cs.delivered.load();
    std::string threads = "[";
    for (auto& [tid, cpu] : w.threads)
        threads += (threads.size() > 1 ? "," : "") + std::string(R"({"tid":)") + std::to_string(tid) +
                   R"(,"cpu_s":)" + std::to_string(cpu) + "}";
    threads += "]";
    std::printf(
        R"({"scenario":"chat","mode":"%s","open_rate":%.0f,"conns":%d,"connected":%llu,)"
        R"("failed":{"tcp":%llu,"ws":%llu,"open":%llu,"connect":%llu},"sent":%llu,"acks":%llu,)"
        R"("ack_failures":%llu,"acks_per_s":%.1f,"published":%llu,"deliveries":%llu,"deliveries_per_s":%.1f,)"
        R"("missing":%llu,"duplicates":0,"errors":%llu,"delivered_events":%llu,"latency_us":%s,)"
        R"("delivery_latency_us":%s,"loadgen_cpu_s":%.3f,"wall_s":%.3f,"measured_s":%.3f,)"
        R"("server_cpu_measured_s":%.3f,"db_cpu_measured_s":%.3f,"server_threads":%s})"
        "\n",
        o.open_rate > 0 ? "rate" : "closed", o.open_rate, o.conns, (unsigned long long)st.ok_connects.load(),
        (unsigned long long)st.failed_tcp.load(), (unsigned long long)st.failed_ws.load(),
        (unsigned long long)st.failed_open.load(), (unsigned long long)st.failed_connect.load(),
        (unsigned long long)cs.sent.load(), (unsigned long long)ok, (unsigned long long)cs.failed.load(),
        static_cast<double>(ok) / measured, (unsigned long long)cs.sent.load(), (unsigned long long)delivered,
        static_cast<double>(delivered) / measured, (unsigned long long)(ok > delivered ? ok - delivered : 0),
        (unsigned long long)cs.errors.load(), (unsigned long long)cs.delivered_events.load(),
        percentiles(cs.ack_us).c_str(), percentiles(cs.delivery_us).c_str(), loadgen_cpu, wall, measured,
        w.server_s, w.db_s, threads.c_str());
}

}  // namespace

int run_chat(const options& o) {
    if (o.jwt_secret.empty() || o.conns < 2 || o.conns % 2) {
        std::cerr << "sb-loadgen: chat needs --jwt-secret and an even --conns of at least 2\n";
        return 2;
    }
    stats st;
    chat_stats cs;
    std::vector<std::unique_ptr<asio::io_context>> ctxs;
    for (int t = 0; t < o.threads; ++t)
        ctxs.push_back(std::make_unique<asio::io_context>(1));
    auto t0 = clock_type::now() + std::chrono::milliseconds(50);
    auto ramp =
        std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.conns / o.rate));
    auto go = t0 + ramp + std::chrono::milliseconds(500);
    auto end =
        go + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.duration));
    // Partners on the same thread: a pair's sockets then share one loop, like their counters.
    for (int i = 0; i < o.conns; ++i)
        asio::co_spawn(*ctxs[static_cast<std::size_t>(i / 2 % o.threads)],
                       run_user(o, st, cs, i, t0 + ramp * i / o.conns, go, end), asio::detached);
    auto cpu0 = cpu_seconds();
    cpu_window window(o, go, end);
    std::vector<std::thread> threads;
    for (auto& c : ctxs)
        threads.emplace_back([&c] { c->run_for(std::chrono::seconds(150)); });
    for (auto& t : threads)
        t.join();
    window.join();
    double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
    print(o, st, cs, window, cpu_seconds() - cpu0, wall, std::chrono::duration<double>(end - go).count());
    return 0;
}

}  // namespace sbload
