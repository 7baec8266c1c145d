// redis::client against a real Redis (scripts/redis-temp on loopback).
#include "redis_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <atomic>
#include <mutex>
#include <vector>

using namespace sb_test;
using redis::errc;

TEST_CASE("redis client: 1000 pipelined calls complete in order", "[redis]") {
    redis_server srv;
    io_thread io;
    auto c = started(io, options_for(srv.url()));
    std::vector<long long> seen;  // written on the client's strand only
    std::vector<std::future<reply>> last;
    for (int i = 0; i < 1000; ++i)
        c->exec({"INCR", "counter"}, [&seen](boost::system::error_code ec, redis::value v) {
            seen.push_back(ec ? -1 : v.as_int().value_or(-2));
        });
    auto done = call(*c, {"GET", "counter"});
    auto r = get(done);
    CHECK(!r.ec);
    CHECK(r.v.as_int() == 1000);
    REQUIRE(seen.size() == 1000);
    for (int i = 0; i < 1000; ++i)
        REQUIRE(seen[i] == i + 1);
    CHECK(c->stats().calls == 1001);
    CHECK(c->stats().failures == 0);
}

TEST_CASE("redis client: server errors, binary values, RESP shapes", "[redis]") {
    redis_server srv;
    io_thread io;
    auto c = started(io, options_for(srv.url()));
    auto e = call_sync(*c, {"INCR", "a", "b"});
    CHECK(e.ec == errc::server_error);
    CHECK(e.v.is_error());
    CHECK(e.v.as_string().find("ERR") == 0);
    std::string bin("a\0b\r\nc", 6);
    CHECK(!call_sync(*c, {"SET", "bin", bin}).ec);
    CHECK(call_sync(*c, {"GET", "bin"}).v.as_string() == bin);
    CHECK(call_sync(*c, {"GET", "missing"}).v.is_null());
    CHECK(!call_sync(*c, {"RPUSH", "l", "x", "y"}).ec);
    auto l = call_sync(*c, {"LRANGE", "l", "0", "-1"});
    REQUIRE(l.v.size() == 2);
    CHECK(l.v.at(1).as_string() == "y");
    // The pipeline stays usable after a server error.
    CHECK(call_sync(*c, {"PING"}).v.as_string() == "PONG");
    CHECK(call_sync(*c, {}).ec == boost::asio::error::invalid_argument);
}

namespace {
// SET, GET, then a call that times out; the outcome of each as text.
boost::asio::awaitable<void> three_calls(redis::client& c, std::promise<std::vector<std::string>>& done) {
    std::vector<std::string> seen;
    std::vector<std::string> set_cmd{"SET", "k", "v"}, get_cmd{"GET", "k"}, block_cmd{"BLPOP", "none", "5"};
    auto r1 = co_await c.async_exec(std::move(set_cmd));
    seen.emplace_back(r1.first ? r1.first.message() : r1.second.as_string());
    auto r2 = co_await c.async_exec(std::move(get_cmd));
    seen.emplace_back(r2.first ? r2.first.message() : r2.second.as_string());
    auto r3 = co_await c.async_exec(std::move(block_cmd), std::chrono::milliseconds(50));
    seen.emplace_back(r3.first.message());
    done.set_value(std::move(seen));
}
}  // namespace

TEST_CASE("redis client: async_exec from a coroutine on another executor", "[redis]") {
    redis_server srv;
    io_thread io;
    io_thread other;
    auto c = started(io, options_for(srv.url()));
    std::promise<std::vector<std::string>> p;
    auto f = p.get_future();
    boost::asio::co_spawn(other.executor(), three_calls(*c, p), boost::asio::detached);
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    auto timeout_text = boost::system::error_code(errc::timeout).message();
    CHECK(f.get() == std::vector<std::string>{"OK", "v", timeout_text});
}

TEST_CASE("redis client: AUTH with the password, and a wrong one", "[redis]") {
    redis_server srv("s3cret");
    io_thread io;
    auto ok = started(io, options_for(srv.url()));
    CHECK(!call_sync(*ok, {"SET", "k", "v"}).ec);
    CHECK(call_sync(*ok, {"GET", "k"}).v.as_string() == "v");

    auto opts = options_for(srv.url());
    opts.server.password = "wrong";
    auto bad = redis::client::create(io.executor(), opts);
    bad->start();
    REQUIRE(wait_until([&] { return bad->last_error() == errc::auth_failed; }));
    CHECK(!bad->connected());
    CHECK(call_sync(*bad, {"PING"}).ec == errc::not_connected);
    CHECK(bad->last_error().message().find("wrong") == std::string::npos);

    opts.server.password.clear();  // no AUTH at all: the setup's PING gets NOAUTH
    auto none = redis::client::create(io.executor(), opts);
    none->start();
    REQUIRE(wait_until([&] { return none->last_error() == errc::auth_failed; }));
    CHECK(!none->connected());
}

TEST_CASE("redis client: SELECT keeps databases apart", "[redis]") {
    redis_server srv;
    io_thread io;
    auto o1 = options_for(srv.url());
    o1.server.db = 1;
    o1.client_name = "sb-test-db1";
    auto o2 = options_for(srv.url());
    o2.server.db = 2;
    auto c1 = started(io, o1);
    auto c2 = started(io, o2);
    CHECK(!call_sync(*c1, {"SET", "k", "one"}).ec);
    CHECK(call_sync(*c2, {"GET", "k"}).v.is_null());
    CHECK(call_sync(*c1, {"GET", "k"}).v.as_string() == "one");
    CHECK(call_sync(*c1, {"CLIENT", "GETNAME"}).v.as_string() == "sb-test-db1");
}

TEST_CASE("redis client: a passed deadline times out and the connection is re-established", "[redis]") {
    redis_server srv;
    io_thread io;
    std::atomic<int> ups{0};
    auto c = redis::client::create(io.executor(), options_for(srv.url()));
    c->on_connect([&] { ++ups; });
    c->start();
    REQUIRE(wait_until([&] { return c->connected(); }));
    auto blocked = call(*c, {"BLPOP", "nothing", "5"}, 100ms);
    auto behind = call(*c, {"PING"}, 10000ms);
    CHECK(get(blocked).ec == errc::timeout);
    CHECK(get(behind).ec == errc::connection_lost);
    REQUIRE(wait_until([&] { return ups.load() >= 2 && c->connected(); }));
    CHECK(call_sync(*c, {"PING"}).v.as_string() == "PONG");
    CHECK(c->stats().reconnects >= 1);
}

TEST_CASE("redis client: Redis killed mid-traffic, then resumed", "[redis]") {
    redis_server srv;
    io_thread io;
    std::mutex mu;
    std::vector<bool> states;
    auto c = redis::client::create(io.executor(), options_for(srv.url()));
    c->on_state([&](bool up) {
        std::lock_guard lock(mu);
        states.push_back(up);
    });
    c->start();
    REQUIRE(wait_until([&] { return c->connected(); }));
    auto observer = started(io, options_for(srv.url()));
    auto blocked = call(*c, {"BLPOP", "never", "0"}, 30000ms);
    std::vector<std::future<reply>> traffic;
    for (int i = 0; i < 200; ++i)
        traffic.push_back(call(*c, {"INCR", "n"}, 30000ms));
    REQUIRE(wait_until([&] {  // the BLPOP is surely in flight at the kill
        auto info = call_sync(*observer, {"INFO", "clients"});
        return info.v.as_string().find("blocked_clients:1") != std::string::npos;
    }));
    srv.kill();
    CHECK(get(blocked).ec == errc::connection_lost);
    for (auto& f : traffic) {
        auto r = get(f);
        CHECK((!r.ec || r.ec == errc::connection_lost));
    }
    REQUIRE(wait_until([&] { return !c->connected(); }));
    CHECK(call_sync(*c, {"PING"}).ec == errc::not_connected);  // never queued
    srv.resume();
    REQUIRE(wait_until([&] { return c->connected(); }));
    CHECK(call_sync(*c, {"PING"}).v.as_string() == "PONG");
    CHECK(c->stats().reconnects >= 1);
    std::lock_guard lock(mu);
    REQUIRE(states.size() >= 3);
    CHECK(states[0]);
    CHECK(!states[1]);
    CHECK(states.back());
}

TEST_CASE("redis client: subscriber receives messages and re-subscribes after a restart", "[redis]") {
    redis_server srv;
    io_thread io;
    auto pub = started(io, options_for(srv.url()));
    auto sub_opts = options_for(srv.url());
    sub_opts.ping_interval = 200ms;  // the health check runs while subscribed
    auto sub = redis::client::create(io.executor(), sub_opts);
    std::mutex mu;
    std::vector<std::pair<std::string, std::string>> got;
    sub->on_message([&](std::string_view ch, std::string_view payload) {
        std::lock_guard lock(mu);
        got.emplace_back(ch, payload);
    });
    sub->subscribe({"news", "other"});
    sub->psubscribe({"room:*"});
    sub->start();
    auto delivered = [&](const std::string& ch, const std::string& payload) {
        return wait_until([&] {
            auto r = call_sync(*pub, {"PUBLISH", ch, payload});
            if (r.v.as_int().value_or(0) < 1) return false;
            std::lock_guard lock(mu);
            for (const auto& m : got)
                if (m.first == ch && m.second == payload) return true;
            return false;
        });
    };
    CHECK(delivered("news", "hello"));
    CHECK(delivered("room:7", "pattern"));
    sub->unsubscribe({"other"});
    CHECK(wait_until([&] { return call_sync(*pub, {"PUBLISH", "other", "x"}).v.as_int() == 0; }));

    srv.kill();
    REQUIRE(wait_until([&] { return !sub->connected() && !pub->connected(); }));
    srv.resume();
    REQUIRE(wait_until([&] { return sub->connected() && pub->connected(); }));
    CHECK(delivered("news", "after restart"));
    CHECK(sub->stats().messages >= 3);
}

TEST_CASE("redis client: XREAD BLOCK on its own client while another keeps working", "[redis]") {
    redis_server srv;
    io_thread io;
    auto worker = started(io, options_for(srv.url()));
    auto block_opts = options_for(srv.url());
    block_opts.ping_interval = 100ms;  // must not interfere with the in-flight blocking call
    auto blocking = started(io, block_opts);
    auto empty = call(*blocking, {"XREAD", "BLOCK", "600", "STREAMS", "s", "$"}, 5000ms);
    for (int i = 0; i < 100; ++i)
        REQUIRE(call_sync(*worker, {"PING"}).v.as_string() == "PONG");
    auto r = get(empty);
    CHECK(!r.ec);
    CHECK(r.v.is_null());

    auto next = call(*blocking, {"XREAD", "BLOCK", "10000", "STREAMS", "s", "$"}, 15000ms);
    REQUIRE(wait_until([&] {
        // The XREAD is registered once Redis lists the client as blocked.
        auto info = call_sync(*worker, {"INFO", "clients"});
        return info.v.as_string().find("blocked_clients:1") != std::string::npos;
    }));
    CHECK(!call_sync(*worker, {"XADD", "s", "*", "f", "v"}).ec);
    auto got = get(next);
    REQUIRE(!got.ec);
    REQUIRE(got.v.size() == 1);
    CHECK(got.v.at(0).at(0).as_string() == "s");
    CHECK(blocking->stats().reconnects == 0);
}

TEST_CASE("redis client: stop() with calls in flight", "[redis]") {
    redis_server srv;
    io_thread io;
    auto c = started(io, options_for(srv.url()));
    auto blocked = call(*c, {"BLPOP", "never", "0"}, 30000ms);
    std::vector<std::future<reply>> more;
    for (int i = 0; i < 10; ++i)
        more.push_back(call(*c, {"BLPOP", "never", "0"}, 30000ms));
    c->stop();
    c->stop();  // idempotent
    CHECK(get(blocked).ec == boost::asio::error::operation_aborted);
    for (auto& f : more)
        CHECK(get(f).ec == boost::asio::error::operation_aborted);
    CHECK(call_sync(*c, {"PING"}).ec == boost::asio::error::operation_aborted);
    REQUIRE(wait_until([&] { return !c->connected(); }));
}

TEST_CASE("redis client: nothing listening, calls fail with not_connected", "[redis]") {
    io_thread io;
    auto opts = options_for("redis://127.0.0.1:1");
    auto c = redis::client::create(io.executor(), opts);
    c->start();
    REQUIRE(wait_until([&] { return static_cast<bool>(c->last_error()); }));
    CHECK(!c->connected());
    CHECK(call_sync(*c, {"PING"}).ec == errc::not_connected);
    c->stop();
}
