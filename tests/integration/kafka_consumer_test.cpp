// The Kafka consumer against librdkafka's mock cluster: each topic's message → its event; offsets
// committed only after dispatch; a failed dispatch read again; poison skipped or dead-lettered
// (headers: reason, topic, partition, offset); the broker down and up mid-traffic with nothing
// lost; two members of one group share the partitions.
#include "kafka_mock.hpp"

#include <switchboard/kafka/consumer.hpp>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <mutex>
#include <set>

using namespace switchboard;
using namespace std::chrono_literals;
using sbtest::eventually;

namespace {

std::atomic<int> groups{0};

kafka::consumer_options options(const std::string& brokers) {
    kafka::consumer_options o;
    o.brokers = brokers;
    o.group_id = "sbtest-" + std::to_string(::getpid()) + "-" + std::to_string(++groups);
    o.retry_pause = 50ms;
    o.commit_interval = 50ms;
    o.properties = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    return o;
}

// What the consumer dispatched, in order.
struct recorder {
    std::mutex mu;
    std::vector<kafka::decision> got;
    std::size_t size() {
        std::lock_guard lock(mu);
        return got.size();
    }
    kafka::dispatch_result add(const kafka::decision& d) {
        std::lock_guard lock(mu);
        got.push_back(d);
        return kafka::dispatch_result::done;
    }
};

void seed_topics(sbtest::mock_cluster& mc, int partitions) {
    kafka::topic_names t;
    for (const auto& name : t.all())
        mc.topic(name, partitions);
}

}  // namespace

TEST_CASE("kafka consumer: each topic's message becomes its event, committed only after dispatch") {
    sbtest::mock_cluster mc;
    seed_topics(mc, 1);
    auto o = options(mc.bootstraps);
    recorder rec;
    std::mutex gate;
    std::unique_lock hold(gate);  // the held message waits for it
    kafka::consumer c(o, [&](const kafka::decision& d, std::string&) {
        if (d.payload.contains("response") && d.payload.at("response").as_object().contains("hold"))
            std::lock_guard wait(gate);
        return rec.add(d);
    });
    REQUIRE_FALSE(c.start());
    sbtest::producer p(mc.bootstraps);
    p.send("survey.responses", R"({"surveyId":"s1","responseId":"r1","metadata":{"projectId":"p1"}})");
    p.send("survey.analytics", R"({"surveyId":"s1","analytics":{"n":1},"type":"realtime"})");
    p.send("surveyor.locations", R"({"surveyorId":"v1","projectId":"p1","location":{"accuracy":10}})");
    p.send("system.notifications", R"({"userId":"u1","title":"t","message":"m"})");
    p.send("system.notifications", R"({"title":"to all","message":"m"})");
    p.flush();
    REQUIRE(eventually([&] { return rec.size() == 5; }));
    {
        std::lock_guard lock(rec.mu);
        std::map<std::string, std::vector<std::vector<std::string>>> by_event;
        for (const auto& d : rec.got)
            by_event[d.event].push_back(d.rooms);
        using rooms = std::vector<std::string>;
        CHECK(by_event["response.new"] == std::vector<rooms>{{"survey:s1", "project:p1"}});
        CHECK(by_event["analytics.update"] == std::vector<rooms>{{"survey:s1"}});
        CHECK(by_event["surveyor.location"] == std::vector<rooms>{{"project:p1"}});
        CHECK(by_event["notification"] == std::vector<rooms>{{"user:u1"}, {"global"}});
    }
    CHECK(eventually(
        [&] { return sbtest::committed(mc.bootstraps, o.group_id, "system.notifications", 0) == 2; }));
    CHECK(eventually([&] { return c.healthy(); }));

    // A message held in dispatch: its offset is not committed until the dispatch returns.
    p.send("survey.responses", R"({"surveyId":"s1","response":{"hold":true}})");
    p.flush();
    std::this_thread::sleep_for(500ms);
    CHECK(rec.size() == 5);
    CHECK(sbtest::committed(mc.bootstraps, o.group_id, "survey.responses", 0) == 1);
    hold.unlock();
    REQUIRE(eventually([&] { return rec.size() == 6; }));
    CHECK(
        eventually([&] { return sbtest::committed(mc.bootstraps, o.group_id, "survey.responses", 0) == 2; }));
    CHECK(c.count_of("dispatched") == 6);
}

TEST_CASE("kafka consumer: a failed dispatch is read again (rewound), in order, then committed") {
    sbtest::mock_cluster mc;
    seed_topics(mc, 1);
    auto o = options(mc.bootstraps);
    std::mutex mu;
    std::vector<std::string> calls;
    int failures = 0;
    kafka::consumer c(o, [&](const kafka::decision& d, std::string& reason) {
        std::lock_guard lock(mu);
        auto id = std::string(d.payload.at("responseId").as_string());
        calls.push_back(id);
        if (id == "r2" && failures < 2) {
            ++failures;
            reason = "test failure";
            return kafka::dispatch_result::failed;
        }
        return kafka::dispatch_result::done;
    });
    REQUIRE_FALSE(c.start());
    sbtest::producer p(mc.bootstraps);
    for (auto id : {"r1", "r2", "r3"})
        p.send("survey.responses", std::string(R"({"surveyId":"s","responseId":")") + id + "\"}");
    p.flush();
    REQUIRE(eventually([&] {
        std::lock_guard lock(mu);
        return calls.size() >= 5;
    }));
    {
        std::lock_guard lock(mu);
        CHECK(calls == std::vector<std::string>{"r1", "r2", "r2", "r2", "r3"});
    }
    CHECK(c.count_of("rewound") == 2);
    CHECK(
        eventually([&] { return sbtest::committed(mc.bootstraps, o.group_id, "survey.responses", 0) == 3; }));
}

TEST_CASE("kafka consumer: poison is dead-lettered with its reason and origin, or skipped") {
    sbtest::mock_cluster mc;
    seed_topics(mc, 1);
    mc.topic("websocket.dead-letters", 1);
    sbtest::producer p(mc.bootstraps);
    p.send("survey.responses", "{not json");
    p.send("surveyor.locations", R"({"surveyorId":"v","location":{}})");  // no room
    p.send("survey.responses", R"({"surveyId":"s","responseId":"refused"})");
    p.send("survey.responses", R"({"surveyId":"s","responseId":"good"})");
    p.flush();

    SECTION("to the dead-letter topic") {
        auto o = options(mc.bootstraps);
        o.dead_letter_topic = "websocket.dead-letters";
        recorder rec;
        kafka::consumer c(o, [&](const kafka::decision& d, std::string& reason) {
            if (d.payload.at("responseId") == "refused") {
                reason = "refused by the push API";
                return kafka::dispatch_result::refused;
            }
            return rec.add(d);
        });
        REQUIRE_FALSE(c.start());
        REQUIRE(eventually([&] { return rec.size() == 1 && c.count_of("dead_lettered") == 3; }));
        auto dead = sbtest::read_all(mc.bootstraps, "websocket.dead-letters", 3);
        REQUIRE(dead.size() == 3);
        std::map<std::string, sbtest::read_message> by_value;
        for (auto& m : dead)
            by_value[m.value] = m;
        auto& bad = by_value.at("{not json");
        CHECK(bad.headers.at(kafka::header_topic) == "survey.responses");
        CHECK(bad.headers.at(kafka::header_partition) == "0");
        CHECK(bad.headers.at(kafka::header_offset) == "0");
        CHECK(bad.headers.at(kafka::header_reason) == "message is not JSON (or nested too deeply)");
        auto& loc = by_value.at(R"({"surveyorId":"v","location":{}})");
        CHECK(loc.headers.at(kafka::header_topic) == "surveyor.locations");
        CHECK(loc.headers.at(kafka::header_reason) == "the message names no room (surveyId)");
        auto& refused = by_value.at(R"({"surveyId":"s","responseId":"refused"})");
        CHECK(refused.headers.at(kafka::header_offset) == "1");
        CHECK(refused.headers.at(kafka::header_reason) == "refused by the push API");
        CHECK(eventually(
            [&] { return sbtest::committed(mc.bootstraps, o.group_id, "survey.responses", 0) == 3; }));
    }
    SECTION("skipped without a dead-letter topic") {
        auto o = options(mc.bootstraps);
        recorder rec;
        kafka::consumer c(o, [&](const kafka::decision& d, std::string&) { return rec.add(d); });
        REQUIRE_FALSE(c.start());
        REQUIRE(eventually([&] { return rec.size() == 2 && c.count_of("skipped") == 2; }));
        CHECK(eventually(
            [&] { return sbtest::committed(mc.bootstraps, o.group_id, "survey.responses", 0) == 3; }));
        CHECK(c.count_of("dead_lettered") == 0);
    }
}

TEST_CASE("kafka consumer: the broker down and up mid-traffic, nothing lost") {
    sbtest::mock_cluster mc;
    seed_topics(mc, 3);
    auto o = options(mc.bootstraps);
    std::mutex mu;
    std::map<int, int> seen;  // seq → deliveries
    kafka::consumer c(o, [&](const kafka::decision& d, std::string&) {
        std::lock_guard lock(mu);
        ++seen[static_cast<int>(d.payload.at("response").at("seq").as_int64())];
        return kafka::dispatch_result::done;
    });
    REQUIRE_FALSE(c.start());
    REQUIRE(eventually([&] { return c.healthy(); }));
    auto distinct = [&] {
        std::lock_guard lock(mu);
        return seen.size();
    };
    sbtest::producer p(mc.bootstraps);
    const int N = 600;
    bool was_down = false;
    for (int seq = 0; seq < N; ++seq) {
        p.send("survey.responses", R"({"surveyId":"s","response":{"seq":)" + std::to_string(seq) + "}}");
        if (seq == 200) {
            p.flush();
            REQUIRE(eventually([&] { return distinct() >= 150; }));
            mc.down();
            was_down = eventually([&] { return !c.healthy(); }, 15s);
        }
        if (seq == 400) {
            std::this_thread::sleep_for(1s);
            mc.up();
        }
        std::this_thread::sleep_for(1ms);
    }
    p.flush();
    CHECK(was_down);
    REQUIRE(eventually([&] { return distinct() == N; }, 60s));
    std::this_thread::sleep_for(300ms);
    std::size_t deliveries = 0;
    {
        std::lock_guard lock(mu);
        for (const auto& [seq, n] : seen)
            deliveries += n;
    }
    WARN("kafka restart: " << N << " produced, " << distinct() << " distinct, " << deliveries
                           << " deliveries");
    CHECK(distinct() == N);
    CHECK(eventually([&] { return c.healthy(); }));
}

TEST_CASE("kafka consumer: two members of one group share the partitions") {
    sbtest::mock_cluster mc;
    seed_topics(mc, 4);
    auto o = options(mc.bootstraps);
    std::mutex mu;
    std::map<int, int> seen;
    int by[2] = {0, 0};
    auto make = [&](int who) {
        return [&, who](const kafka::decision& d, std::string&) {
            std::lock_guard lock(mu);
            ++seen[static_cast<int>(d.payload.at("response").at("seq").as_int64())];
            ++by[who];
            return kafka::dispatch_result::done;
        };
    };
    kafka::consumer a(o, make(0)), b(o, make(1));
    REQUIRE_FALSE(a.start());
    REQUIRE_FALSE(b.start());
    sbtest::producer p(mc.bootstraps);
    int seq = 0;
    auto both = [&] {
        std::lock_guard lock(mu);
        return by[0] > 0 && by[1] > 0;
    };
    auto end = std::chrono::steady_clock::now() + 30s;
    while (!both() && std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 20; ++i, ++seq)
            p.send("survey.responses", R"({"surveyId":"s","response":{"seq":)" + std::to_string(seq) + "}}");
        p.flush();
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE(both());
    REQUIRE(eventually([&] {
        std::lock_guard lock(mu);
        return static_cast<int>(seen.size()) == seq;
    }));
    std::lock_guard lock(mu);
    WARN("kafka group: " << seq << " produced; member a " << by[0] << ", member b " << by[1]);
}
