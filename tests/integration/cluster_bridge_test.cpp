// Two nodes bridged by a real Redis (scripts/redis-temp): each node is a streams_bridge on its own
// thread with a local half that records what it was asked (no sockets). What one node does must
// reach the other exactly once, in order, with the stream's ids as offsets, and survive a Redis
// crash and restart.
#include "redis_temp.hpp"

#include <switchboard/redis/streams_bridge.hpp>
#include <switchboard/redis/url.hpp>
#include <switchboard/rooms/recovery.hpp>
#include <switchboard/rooms/room_index.hpp>

#include <boost/asio/io_context.hpp>
#include <switchboard/asio/io_thread.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

using namespace switchboard;
using namespace std::chrono_literals;
using sbtest::eventually;
using redis_server = sbtest::redis_server;

namespace {

// This node's sockets as ids in a room index; what each received (event, offset).
class fake_local final : public rooms::local_sockets {
public:
    explicit fake_local(rooms::session_store* store) : store_(store) {}
    const std::string& nsp() const noexcept override { return nsp_; }
    std::size_t broadcast(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts,
                          std::string_view offset) override {
        std::lock_guard lock(mu);
        auto pkt = rooms::encoded_packet{std::make_shared<const std::string>(p.event), {}};
        if (!offset.empty() && store_) store_->record(offset, opts, pkt, 1);
        std::size_t n = 0;
        index.for_each_target(opts, [&](const std::string& id) {
            received[id].push_back({p.event, std::string(offset)});
            ++n;
        });
        all.push_back({p.event, std::string(offset)});
        return n;
    }
    void broadcast_with_ack(const rooms::broadcast_packet&, const rooms::broadcast_options& opts,
                            count_callback on_count, ack_callback on_ack) override {
        std::vector<std::string> ids;
        {
            std::lock_guard lock(mu);
            index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        }
        on_count(ids.size());
        for (const auto& id : ids)
            on_ack(boost::json::array{boost::json::string(id)}, {});
    }
    void add_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) override {
        std::lock_guard lock(mu);
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        for (const auto& id : ids)
            for (const auto& r : rooms)
                index.join(id, r);
    }
    void del_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) override {
        std::lock_guard lock(mu);
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        for (const auto& id : ids)
            for (const auto& r : rooms)
                index.leave(id, r);
    }
    void disconnect_sockets(const rooms::broadcast_options& opts, bool) override {
        std::lock_guard lock(mu);
        std::vector<std::string> ids;
        index.for_each_target(opts, [&](const std::string& id) { ids.push_back(id); });
        for (const auto& id : ids)
            index.remove(id);
    }
    void fetch_sockets(const rooms::broadcast_options& opts, fetch_callback done) override {
        std::vector<rooms::socket_info> out;
        {
            std::lock_guard lock(mu);
            index.for_each_target(opts, [&](const std::string& id) {
                auto rooms = index.rooms_of(id);
                rooms.insert(rooms.begin(), id);
                out.push_back({id, rooms, {}, {}});
            });
        }
        done(std::move(out));
    }
    void server_side_emit(const std::string& event, boost::json::array args, emit_reply) override {
        std::lock_guard lock(mu);
        server_side.push_back(event + ":" + std::to_string(args.size()));
    }

    void add(const std::string& id, const std::vector<std::string>& rooms = {}) {
        std::lock_guard lock(mu);
        index.add(id);
        for (const auto& r : rooms)
            index.join(id, r);
    }
    std::vector<std::string> events_of(const std::string& id) {
        std::lock_guard lock(mu);
        std::vector<std::string> out;
        for (const auto& [e, o] : received[id])
            out.push_back(e);
        return out;
    }
    std::size_t count_of(const std::string& id) {
        std::lock_guard lock(mu);
        return received[id].size();
    }
    bool in_room(const std::string& id, const std::string& room) {
        std::lock_guard lock(mu);
        return index.in_room(id, room);
    }

    std::mutex mu;
    rooms::room_index index;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> received;
    std::vector<std::pair<std::string, std::string>> all;
    std::vector<std::string> server_side;

private:
    std::string nsp_ = "/";
    rooms::session_store* store_;
};

// One node: its bridge on its own thread, the namespace "/" with recovery on.
struct node {
    asio_util::io_thread io;
    rooms::recovery_log log{60000, "n-"};
    fake_local local{&log};
    std::unique_ptr<redis::streams_bridge> bridge;
    std::shared_ptr<rooms::adapter> adapter;

    explicit node(const std::string& url, redis::bridge_options opts = {}) {
        std::string error;
        auto ep = redis::parse_url(url, &error);
        REQUIRE(ep.has_value());
        redis::client_options copts;
        copts.server = *ep;
        opts.block = 500ms;
        opts.probe_interval = 200ms;
        opts.request_timeout = 2000ms;
        bridge = std::make_unique<redis::streams_bridge>(io.executor(), copts, opts);
        adapter = bridge->make_adapter(local, &log);
        bridge->start();
        io.start();
    }
    ~node() {
        bridge->stop();
        io.join();
    }
    void broadcast(const std::string& event, rooms::broadcast_options opts = {}) {
        rooms::broadcast_packet p;
        p.event = event;
        p.args.emplace_back(event);
        adapter->broadcast(p, opts);
    }
};

std::vector<std::string> numbered(const std::string& prefix, int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i)
        out.push_back(prefix + std::to_string(i));
    return out;
}

}  // namespace

TEST_CASE("cluster: a broadcast reaches the other node exactly once, in order, with the stream id as offset",
          "[cluster]") {
    redis_server redis;
    node a(redis.url), b(redis.url);
    a.local.add("a1");
    b.local.add("b1");
    REQUIRE(eventually([&] { return a.bridge->healthy() && b.bridge->healthy(); }));
    for (int i = 0; i < 200; ++i)
        a.broadcast("e" + std::to_string(i));
    REQUIRE(eventually([&] { return b.local.count_of("b1") >= 200 && a.local.count_of("a1") >= 200; }));
    std::this_thread::sleep_for(300ms);  // nothing more may arrive
    CHECK(b.local.events_of("b1") == numbered("e", 0, 200));
    CHECK(a.local.events_of("a1") == numbered("e", 0, 200));
    std::lock_guard la(a.local.mu), lb(b.local.mu);
    // Both nodes delivered each packet with the same offset: the stream's id.
    const std::regex stream_id("[0-9]+-[0-9]+");
    for (std::size_t i = 0; i < 200; ++i) {
        CHECK(std::regex_match(a.local.received["a1"][i].second, stream_id));
        CHECK(a.local.received["a1"][i].second == b.local.received["b1"][i].second);
    }
}

TEST_CASE("cluster: rooms, except and local are respected across nodes", "[cluster]") {
    redis_server redis;
    node a(redis.url), b(redis.url);
    b.local.add("s1", {"r"});
    b.local.add("s2", {"r", "x"});
    b.local.add("s3");
    REQUIRE(eventually([&] { return a.bridge->healthy() && b.bridge->healthy(); }));
    rooms::broadcast_options to_r;
    to_r.rooms = {"r"};
    to_r.except = {"x"};
    a.broadcast("to-r", to_r);
    rooms::broadcast_options local_only;
    local_only.local = true;
    a.broadcast("local", local_only);
    a.broadcast("all");
    REQUIRE(eventually([&] { return b.local.count_of("s3") >= 1; }));
    std::this_thread::sleep_for(300ms);
    CHECK(b.local.events_of("s1") == std::vector<std::string>{"to-r", "all"});
    CHECK(b.local.events_of("s2") == std::vector<std::string>{"all"});
    CHECK(b.local.events_of("s3") == std::vector<std::string>{"all"});
}

TEST_CASE("cluster: joins, leaves, disconnects, fetches and server-side emits act on the other node",
          "[cluster]") {
    redis_server redis;
    node a(redis.url), b(redis.url);
    a.local.add("a1", {"r"});
    b.local.add("b1", {"r"});
    b.local.add("b2");
    REQUIRE(eventually([&] { return a.bridge->healthy() && b.bridge->healthy(); }));

    rooms::broadcast_options in_r;
    in_r.rooms = {"r"};
    a.adapter->add_sockets(in_r, {"y"});
    REQUIRE(eventually([&] { return b.local.in_room("b1", "y"); }));
    CHECK(a.local.in_room("a1", "y"));
    CHECK_FALSE(b.local.in_room("b2", "y"));
    a.adapter->del_sockets(in_r, {"y"});
    REQUIRE(eventually([&] { return !b.local.in_room("b1", "y"); }));

    // fetch_sockets: this node's and the other's, with their rooms.
    std::promise<std::vector<rooms::socket_info>> fetched;
    a.adapter->fetch_sockets({}, [&](std::vector<rooms::socket_info> v) { fetched.set_value(std::move(v)); });
    auto f = fetched.get_future();
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    std::map<std::string, std::vector<std::string>> by_id;
    for (auto& s : f.get())
        by_id[s.id] = s.rooms;
    CHECK(by_id.size() == 3);
    CHECK(by_id["b1"] == std::vector<std::string>{"b1", "r"});
    CHECK(by_id["a1"] == std::vector<std::string>{"a1", "r"});

    a.adapter->server_side_emit("hello", boost::json::array{1, 2});
    REQUIRE(eventually([&] {
        std::lock_guard lock(b.local.mu);
        return !b.local.server_side.empty();
    }));
    {
        std::lock_guard lock(b.local.mu);
        CHECK(b.local.server_side == std::vector<std::string>{"hello:2"});
    }
    {
        std::lock_guard lock(a.local.mu);
        CHECK(a.local.server_side.empty());  // never this node's own handlers
    }

    rooms::broadcast_options only_b2;
    only_b2.rooms = {"b2"};
    a.adapter->disconnect_sockets(only_b2, true);
    REQUIRE(eventually([&] {
        std::lock_guard lock(b.local.mu);
        return !b.local.index.in_room("b2", "b2") && b.local.index.room_sizes().size() <= 2;
    }));
}

TEST_CASE(
    "cluster: Redis killed and restarted mid-traffic: the reader resumes from its last id, nothing lost",
    "[cluster]") {
    redis_server redis;
    node a(redis.url), b(redis.url);
    b.local.add("b1");
    REQUIRE(eventually([&] { return a.bridge->healthy() && b.bridge->healthy(); }));
    for (int i = 0; i < 100; ++i)
        a.broadcast("m" + std::to_string(i));
    REQUIRE(eventually([&] { return b.local.count_of("b1") >= 100; }));
    redis.kill();
    REQUIRE(eventually([&] { return !a.bridge->healthy() && !b.bridge->healthy(); }));
    // Made while Redis is down: delivered on this node at once, appended when Redis is back.
    for (int i = 100; i < 150; ++i)
        a.broadcast("m" + std::to_string(i));
    redis.resume();
    REQUIRE(eventually([&] { return a.bridge->healthy() && b.bridge->healthy(); }, 20s));
    for (int i = 150; i < 200; ++i)
        a.broadcast("m" + std::to_string(i));
    REQUIRE(eventually([&] { return b.local.count_of("b1") >= 200; }, 20s));
    std::this_thread::sleep_for(300ms);
    CHECK(b.local.events_of("b1") == numbered("m", 0, 200));
}
