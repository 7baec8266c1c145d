#include <switchboard/common/metrics.hpp>

#include <catch2/catch.hpp>

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
