// The backend events consumer against a real Redis (scripts/redis-temp): entries XADDed by
// redis-cli (as a backend would) are handled once across consumers, acknowledged after dispatch,
// deduplicated by id, dead-lettered when they cannot succeed or keep failing, and claimed from a
// consumer that stopped with entries pending.
#include "redis_temp.hpp"

#include <switchboard/redis/events_consumer.hpp>
#include <switchboard/redis/url.hpp>

#include <switchboard/asio/io_thread.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace switchboard;
using namespace std::chrono_literals;
using sbtest::eventually;

namespace {

struct consumer {
    asio_util::io_thread io;
    std::unique_ptr<redis::events_consumer> c;
    std::mutex mu;
    std::vector<redis::backend_event> seen;

    consumer(const std::string& url, redis::events_options opts,
             std::function<redis::event_result(const redis::backend_event&)> decide = {}) {
        std::string error;
        auto ep = redis::parse_url(url, &error);
        REQUIRE(ep.has_value());
        redis::client_options copts;
        copts.server = *ep;
        opts.block = 300ms;
        c = std::make_unique<redis::events_consumer>(
            io.executor(), copts, opts, [this, decide](const redis::backend_event& ev, std::string& reason) {
                {
                    std::lock_guard lock(mu);
                    seen.push_back(ev);
                }
                auto r = decide ? decide(ev) : redis::event_result::done;
                if (r != redis::event_result::done) reason = "test says so";
                return r;
            });
        c->start();
        io.start();
    }
    ~consumer() { stop(); }
    void stop() {
        if (!io.running()) return;
        c->stop();
        io.join();
    }
    std::size_t count() {
        std::lock_guard lock(mu);
        return seen.size();
    }
    std::vector<std::string> events() {
        std::lock_guard lock(mu);
        std::vector<std::string> out;
        for (const auto& e : seen)
            out.push_back(e.event);
        return out;
    }
};

std::string xadd(sbtest::redis_server& r, const std::string& fields) {
    return r.cli("XADD switchboard:events '*' " + fields);
}

}  // namespace

TEST_CASE("events: each entry is handled once by one of two instances, and acknowledged", "[events]") {
    sbtest::redis_server redis;
    consumer a(redis.url, {}), b(redis.url, {});
    REQUIRE(eventually([&] { return a.c->healthy() && b.c->healthy(); }));
    std::string cmds;
    for (int i = 0; i < 200; ++i)
        cmds += "XADD switchboard:events * target global event e" + std::to_string(i) +
                " data '{\"n\":" + std::to_string(i) + "}'\n";
    redis.cli_batch(cmds);
    REQUIRE(eventually([&] { return a.count() + b.count() >= 200; }));
    std::this_thread::sleep_for(500ms);
    std::set<std::string> all;
    for (auto& e : a.events())
        all.insert(e);
    for (auto& e : b.events())
        all.insert(e);
    CHECK(a.count() + b.count() == 200);  // no entry twice
    CHECK(all.size() == 200);
    CHECK(
        eventually([&] { return redis.cli("XPENDING switchboard:events switchboard").rfind("0", 0) == 0; }));
}

TEST_CASE("events: an entry with an id is dispatched once within the window", "[events]") {
    sbtest::redis_server redis;
    consumer a(redis.url, {});
    REQUIRE(eventually([&] { return a.c->healthy(); }));
    xadd(redis, "target user:7 event order id order-1");
    xadd(redis, "target user:7 event order id order-1");
    xadd(redis, "target user:7 event other id order-2");
    REQUIRE(eventually([&] { return a.count() >= 2; }));
    std::this_thread::sleep_for(500ms);
    CHECK(a.events() == std::vector<std::string>{"order", "other"});
    CHECK(redis.cli("XPENDING switchboard:events switchboard").rfind("0", 0) == 0);
}

TEST_CASE(
    "events: an entry that cannot succeed goes to the dead stream at once, one that keeps failing "
    "after the retries",
    "[events]") {
    sbtest::redis_server redis;
    redis::events_options opts;
    opts.claim_idle = 200ms;
    opts.max_retries = 2;
    consumer a(redis.url, opts, [](const redis::backend_event& ev) {
        if (ev.event == "bad") return redis::event_result::invalid;
        if (ev.event == "flaky") return redis::event_result::retry;
        return redis::event_result::done;
    });
    REQUIRE(eventually([&] { return a.c->healthy(); }));
    xadd(redis, "target global event bad");
    xadd(redis, "target global event flaky");
    xadd(redis, "target global event fine");
    REQUIRE(eventually([&] { return redis.cli("XLEN switchboard:events:dead") == "2"; }, 15s));
    CHECK(
        eventually([&] { return redis.cli("XPENDING switchboard:events switchboard").rfind("0", 0) == 0; }));
    auto dead = redis.cli("XRANGE switchboard:events:dead - +");
    CHECK(dead.find("flaky") != std::string::npos);
    CHECK(dead.find("bad") != std::string::npos);
    CHECK(dead.find("failed 2 times") != std::string::npos);
    auto ev = a.events();
    CHECK(std::count(ev.begin(), ev.end(), "fine") == 1);
    CHECK(std::count(ev.begin(), ev.end(), "bad") == 1);
    CHECK(std::count(ev.begin(), ev.end(), "flaky") >= 2);
}

TEST_CASE("events: entries left pending by an instance that stopped are claimed by another", "[events]") {
    sbtest::redis_server redis;
    redis::events_options opts;
    opts.claim_idle = 300ms;
    auto a = std::make_unique<consumer>(
        redis.url, opts, [](const redis::backend_event&) { return redis::event_result::retry; });
    REQUIRE(eventually([&] { return a->c->healthy(); }));
    xadd(redis, "target global event one");
    xadd(redis, "target global event two");
    REQUIRE(eventually([&] { return a->count() >= 2; }));
    a.reset();  // it dies with both pending
    consumer b(redis.url, opts);
    REQUIRE(eventually([&] { return b.count() >= 2; }, 15s));
    auto ev = b.events();
    CHECK(std::count(ev.begin(), ev.end(), "one") == 1);
    CHECK(std::count(ev.begin(), ev.end(), "two") == 1);
    CHECK(
        eventually([&] { return redis.cli("XPENDING switchboard:events switchboard").rfind("0", 0) == 0; }));
}
