// The shared presence over a real Redis (scripts/redis-temp): instances, each a cluster_presence on
// its own thread. A user's transitions are reported once, by the instance that made them; an
// instance that dies without a word is swept by another within the TTL; an instance whose changes
// failed while Redis was down sends its table again once it is back.
#include "redis_temp.hpp"

#include <switchboard/asio/io_thread.hpp>
#include <switchboard/redis/cluster_presence.hpp>
#include <switchboard/redis/url.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <mutex>

using namespace switchboard;
using namespace std::chrono_literals;
using sbtest::eventually;
using redis_server = sbtest::redis_server;

namespace {

struct transition {
    std::string who;  // the instance that reported it
    std::string user;
    bool online;
    friend bool operator==(const transition&, const transition&) = default;
};

struct journal {
    std::mutex mu;
    std::vector<transition> all;
    std::size_t size() {
        std::lock_guard lock(mu);
        return all.size();
    }
    std::vector<transition> copy() {
        std::lock_guard lock(mu);
        return all;
    }
};

struct instance {
    asio_util::io_thread io;
    std::unique_ptr<redis::cluster_presence> p;
    std::string name;

    instance(const std::string& url, std::string n, journal& j, std::chrono::milliseconds ttl = 1500ms)
        : name(std::move(n)) {
        std::string error;
        auto ep = redis::parse_url(url, &error);
        REQUIRE(ep.has_value());
        redis::client_options copts;
        copts.server = *ep;
        redis::presence_options opts;
        opts.ttl = ttl;
        opts.instance = name;
        p = std::make_unique<redis::cluster_presence>(io.executor(), copts, opts);
        p->on_transition([&j, who = name](const std::string& user, bool online, std::int64_t) {
            std::lock_guard lock(j.mu);
            j.all.push_back({who, user, online});
        });
        p->sample_with([] { return presence::cluster_counts{3, 2, 1, 0, 0}; });
        p->start();
        io.start();
        REQUIRE(eventually([&] { return p->healthy(); }));
    }
    ~instance() { stop(); }
    void stop() {
        if (!io.running()) return;
        p->stop();
        io.join();
    }
    // A crash: the connection closes, nothing is said to Redis.
    void crash() {
        p.reset();
        io.join();
    }
    std::vector<std::int64_t> devices(std::vector<std::string> users) {
        std::promise<std::optional<std::vector<std::int64_t>>> got;
        p->devices(std::move(users), [&](auto v) { got.set_value(std::move(v)); });
        auto v = got.get_future().get();
        REQUIRE(v);
        return *v;
    }
    std::vector<std::pair<std::string, std::int64_t>> users() {
        std::promise<std::optional<std::vector<std::pair<std::string, std::int64_t>>>> got;
        p->online_users([&](auto v) { got.set_value(std::move(v)); });
        auto v = got.get_future().get();
        REQUIRE(v);
        return *v;
    }
    presence::user_status status(const std::string& user) {
        std::promise<std::optional<presence::user_status>> got;
        p->status(user, [&](auto v) { got.set_value(std::move(v)); });
        auto v = got.get_future().get();
        REQUIRE(v);
        return *v;
    }
};

using pairs = std::vector<std::pair<std::string, std::int64_t>>;

}  // namespace

TEST_CASE("presence: a user's transitions are reported once, by the instance that made them", "[cluster]") {
    redis_server redis;
    journal j;
    instance a(redis.url, "a", j), b(redis.url, "b", j);

    a.p->add("u1");
    REQUIRE(eventually([&] { return j.size() == 1; }));
    b.p->add("u1");  // a second device elsewhere: no transition
    b.p->add("u2");
    REQUIRE(eventually([&] { return j.size() == 2; }));
    CHECK(a.devices({"u1", "u2", "u3"}) == std::vector<std::int64_t>{2, 1, 0});
    CHECK(b.users() == pairs{{"u1", 2}, {"u2", 1}});

    a.p->remove("u1");
    a.p->remove("u1");  // not held by a any more: ignored
    std::this_thread::sleep_for(200ms);
    CHECK(j.size() == 2);
    CHECK(b.devices({"u1"}) == std::vector<std::int64_t>{1});
    b.p->remove("u1");
    REQUIRE(eventually([&] { return j.size() == 3; }));
    CHECK(j.copy() == std::vector<transition>{{"a", "u1", true}, {"b", "u2", true}, {"b", "u1", false}});
    auto st = a.status("u1");
    CHECK(st.devices == 0);
    CHECK(st.last_seen_ms > 0);
    CHECK(a.status("u2").devices == 1);
    CHECK(a.status("u2").last_seen_ms == 0);

    // Counts: both instances' samples, once both have beaten since u1 went (the counts are those of
    // a's last heartbeat: one taken before b's remove still counts u1).
    REQUIRE(eventually([&] {
        auto c = a.p->counts();
        return c && c->instances == 2 && c->connections == 6 && c->users == 1;
    }));
    CHECK(a.p->counts()->authenticated == 4);
    CHECK(a.p->counts()->anonymous == 2);

    // A graceful stop takes its users with it at once.
    b.stop();
    REQUIRE(eventually([&] { return j.size() == 4; }));
    CHECK(j.copy().back() == transition{"b", "u2", false});
    CHECK(a.users().empty());
}

TEST_CASE("presence: an instance that dies silently is swept by another within the TTL", "[cluster]") {
    redis_server redis;
    journal j;
    instance a(redis.url, "a", j), b(redis.url, "b", j);
    a.p->add("x");
    a.p->add("y");
    b.p->add("y");
    REQUIRE(eventually([&] { return j.size() == 2; }));
    auto t0 = std::chrono::steady_clock::now();
    a.crash();
    REQUIRE(eventually([&] { return j.size() == 3; }, 5s));
    auto took = std::chrono::steady_clock::now() - t0;
    INFO("swept after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    CHECK(j.copy().back() == transition{"b", "x", false});  // y still has b's device
    std::this_thread::sleep_for(500ms);
    CHECK(j.size() == 3);
    CHECK(b.users() == pairs{{"y", 1}});
    REQUIRE(eventually([&] { return b.p->counts() && b.p->counts()->instances == 1; }));
}

TEST_CASE("presence: changes made while Redis was down are sent whole once it is back", "[cluster]") {
    redis_server redis;
    journal j;
    instance a(redis.url, "a", j, 3000ms), b(redis.url, "b", j, 3000ms);
    a.p->add("k1");
    REQUIRE(eventually([&] { return j.size() == 1; }));
    redis.kill();
    a.p->add("k2");     // fails: Redis is down
    a.p->remove("k1");  // fails too
    std::this_thread::sleep_for(300ms);
    CHECK(j.size() == 1);
    redis.resume();
    // The resync tells what changed: k2 online, k1 offline (each once).
    REQUIRE(eventually([&] { return j.size() == 3; }, 10s));
    auto all = j.copy();
    CHECK(std::count(all.begin(), all.end(), transition{"a", "k2", true}) == 1);
    CHECK(std::count(all.begin(), all.end(), transition{"a", "k1", false}) == 1);
    REQUIRE(eventually([&] { return b.p->healthy(); }, 10s));  // b reconnects on its own schedule
    CHECK(b.users() == pairs{{"k2", 1}});
    std::this_thread::sleep_for(700ms);  // later beats change nothing
    CHECK(j.size() == 3);
}
