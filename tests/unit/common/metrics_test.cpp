#include <switchboard/common/metrics.hpp>

#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

using namespace switchboard::common;

TEST_CASE("metrics: text exposition of counters, families and gauges") {
    metrics_registry m;
    auto& c = m.add_counter("sb_things_total", "Things");
    auto& f = m.add_family("sb_events_total", "Events", "event", 2);
    m.add_gauge("sb_level", "Level", [] { return 2.5; });
    c.inc(3);
    f.inc("a");
    f.inc("b\"q", 2);
    f.inc("c");  // past the cap: folded into "other"
    f.inc("a");
    auto text = m.render();
    CHECK(text.find("# TYPE sb_things_total counter\nsb_things_total 3\n") != std::string::npos);
    CHECK(text.find("sb_events_total{event=\"a\"} 2\n") != std::string::npos);
    CHECK(text.find("sb_events_total{event=\"b\\\"q\"} 2\n") != std::string::npos);
    CHECK(text.find("sb_events_total{event=\"other\"} 1\n") != std::string::npos);
    CHECK(text.find("# TYPE sb_level gauge\nsb_level 2.5\n") != std::string::npos);
    CHECK(f.value("a") == 2);
}

TEST_CASE("metrics: a histogram renders cumulative buckets, +Inf, sum and count") {
    metrics_registry m;
    auto& h = m.add_histogram("sb_wait_seconds", "Wait", {0.01, 0.1, 1});
    h.observe(0.005);
    h.observe(0.01);  // le is inclusive
    h.observe(0.5);
    h.observe(3, 2);  // twice, past the last bound
    auto text = m.render();
    CHECK(text.find("# HELP sb_wait_seconds Wait\n# TYPE sb_wait_seconds histogram\n") != std::string::npos);
    CHECK(text.find("sb_wait_seconds_bucket{le=\"0.01\"} 2\n") != std::string::npos);
    CHECK(text.find("sb_wait_seconds_bucket{le=\"0.1\"} 2\n") != std::string::npos);
    CHECK(text.find("sb_wait_seconds_bucket{le=\"1\"} 3\n") != std::string::npos);
    CHECK(text.find("sb_wait_seconds_bucket{le=\"+Inf\"} 5\n") != std::string::npos);
    CHECK(text.find("sb_wait_seconds_count 5\n") != std::string::npos);
    CHECK(text.find("sb_wait_seconds_sum 6.515\n") != std::string::npos);
    auto t = h.collect();
    CHECK(t.count == 5);
    CHECK(t.cumulative == std::vector<std::uint64_t>{2, 2, 3, 5});
}

TEST_CASE("metrics: a histogram family folds labels past its cap into other") {
    metrics_registry m;
    auto& f = m.add_histogram_family("sb_call_seconds", "Calls", "op", {1}, 2);
    f.at("select").observe(0.5);
    f.at("insert").observe(2);
    f.at("update").observe(0.5);  // past the cap
    f.at("delete").observe(0.5);  // past the cap
    CHECK(&f.at("select") == &f.at("select"));
    auto text = m.render();
    CHECK(text.find("sb_call_seconds_bucket{op=\"select\",le=\"1\"} 1\n") != std::string::npos);
    CHECK(text.find("sb_call_seconds_bucket{op=\"insert\",le=\"+Inf\"} 1\n") != std::string::npos);
    CHECK(text.find("sb_call_seconds_count{op=\"other\"} 2\n") != std::string::npos);
    CHECK(text.find("update") == std::string::npos);
}

TEST_CASE("metrics: histogram bounds must ascend and fit") {
    CHECK_THROWS_AS(histogram({1, 0.5}), std::invalid_argument);
    CHECK_THROWS_AS(histogram({1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(histogram(buckets(histogram::max_buckets + 1, 1.0)), std::invalid_argument);
    CHECK_NOTHROW(histogram(latency_buckets()));
    CHECK_NOTHROW(histogram(depth_buckets()));
    metrics_registry m;
    CHECK_THROWS_AS(m.add_histogram_family("sb_x", "X", "op", {2, 1}), std::invalid_argument);
}

TEST_CASE("metrics: observations from several threads all count") {
    histogram h({1, 10});
    std::vector<std::thread> threads;
    for (int t = 0; t < 12; ++t)  // more threads than shards: some share one
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i)
                h.observe(i % 2 ? 0.5 : 5);
        });
    for (auto& t : threads)
        t.join();
    auto got = h.collect();
    CHECK(got.count == 120000);
    CHECK(got.cumulative[0] == 60000);
    CHECK(got.sum == Approx(60000 * 0.5 + 60000 * 5.0));
}

TEST_CASE("metrics: a counter outside any registry, and every sample line well formed") {
    counter alone;
    alone.inc(2);
    CHECK(alone.value() == 2);

    metrics_registry m;
    m.add_family("sb_empty_total", "Nothing yet", "event");
    m.add_gauge_family("sb_rooms", "Rooms \\ by \"kind\"", "kind", [] {
        return std::vector<std::pair<std::string, double>>{{"a\nb", 1}, {"c", 0.25}};
    });
    m.add_histogram("sb_depth", "Depth", depth_buckets()).observe(3);
    auto text = m.render();
    CHECK(text.find("sb_rooms{kind=\"a\\nb\"} 1\n") != std::string::npos);
    CHECK(text.find("sb_rooms{kind=\"c\"} 0.25\n") != std::string::npos);
    CHECK(text.find("sb_depth_bucket{le=\"4\"} 1\n") != std::string::npos);
    // name{labels} value — the whole format a scraper needs, one sample a line.
    std::regex sample(
        R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfa]+$)");
    std::istringstream in(text);
    std::string line;
    int samples = 0;
    while (std::getline(in, line)) {
        if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
        INFO(line);
        CHECK(std::regex_match(line, sample));
        ++samples;
    }
    CHECK(samples == 2 + 14 + 2);  // the gauges; 13 bounds and +Inf, sum, count
}
