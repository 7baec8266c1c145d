#include <switchboard/common/config.hpp>
#include <switchboard/server/admission.hpp>
#include <switchboard/server/engine_settings.hpp>
#include <switchboard/server/server.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace switchboard::server;
using namespace switchboard::common;

TEST_CASE("audit #11: sessions are counted per client address up to MAX_CONNECTIONS_PER_IP", "[audit-11]") {
    address_counts c(2);
    CHECK(c.try_add("203.0.113.1"));
    CHECK(c.try_add("203.0.113.1"));
    CHECK_FALSE(c.try_add("203.0.113.1"));
    CHECK(c.count("203.0.113.1") == 2);
    CHECK(c.try_add("203.0.113.2"));
    c.remove("203.0.113.1");
    CHECK(c.try_add("203.0.113.1"));
    c.remove("203.0.113.1");
    c.remove("203.0.113.1");
    c.remove("203.0.113.2");
    c.remove("203.0.113.9");    // unknown: ignored
    CHECK(c.addresses() == 0);  // no memory kept for addresses that left
    address_counts unlimited(0);
    for (int i = 0; i < 5000; ++i)
        CHECK(unlimited.try_add("a"));
    // A refused address holds no entry either.
    address_counts one(1);
    CHECK(one.try_add("x"));
    CHECK_FALSE(one.try_add("x"));
    CHECK(one.addresses() == 1);
}

TEST_CASE("audit #11: the settings limit sessions per address and in all, and time out idle sessions early",
          "[audit-11]") {
    config c(engine_settings());
    const char* argv[] = {"sb"};
    REQUIRE_FALSE(c.load(1, argv, [](const std::string&) -> std::optional<std::string> { return {}; }));
    auto o = engine_options_from(c);
    CHECK(o.max_connections_per_ip == 1000);
    CHECK(o.max_connections == 0);
    CHECK(o.engine.connect_timeout_ms == 10000);
    CHECK(effective_max_connections(0, 1024) == 960);
    CHECK(effective_max_connections(0, 10) == 16);
    CHECK(effective_max_connections(500, 1024) == 500);
}

TEST_CASE("audit #14: accept failures are logged once a second with their count", "[audit-14]") {
    log_throttle t(1000);
    CHECK(t.hit(5000) == std::optional<std::size_t>(1));  // the first at once
    std::size_t lines = 0;
    for (std::int64_t now = 5050; now < 6000; now += 50)  // 20 a second, as the old loop did
        if (t.hit(now)) ++lines;
    CHECK(lines == 0);
    CHECK(t.hit(6000) == std::optional<std::size_t>(20));  // the 19 held back and this one
    CHECK_FALSE(t.hit(6001));
    CHECK(t.hit(9000) == std::optional<std::size_t>(2));
}

TEST_CASE("audit #15: HTTP has a header timeout, an idle keep-alive timeout and a minimum body rate",
          "[audit-15]") {
    config c(engine_settings());
    const char* argv[] = {"sb", "--http-idle-timeout", "5000"};
    REQUIRE_FALSE(c.load(3, argv, [](const std::string& k) -> std::optional<std::string> {
        if (k == "HTTP_MIN_BODY_RATE") return "2048";
        return {};
    }));
    auto o = engine_options_from(c);
    CHECK(o.http_header_timeout == std::chrono::milliseconds(10000));
    CHECK(o.http_idle_timeout == std::chrono::milliseconds(5000));
    CHECK(o.http_min_body_rate == 2048);
}

TEST_CASE("audit #18: RECOVERY_MAX_BYTES bounds the recovery log", "[audit-18]") {
    config c(engine_settings());
    const char* argv[] = {"sb", "--recovery-max-bytes", "1048576"};
    REQUIRE_FALSE(c.load(3, argv, [](const std::string&) -> std::optional<std::string> { return {}; }));
    CHECK(engine_options_from(c).recovery_max_bytes == 1048576);
    config d(engine_settings());
    REQUIRE_FALSE(d.load(1, argv, [](const std::string&) -> std::optional<std::string> { return {}; }));
    CHECK(engine_options_from(d).recovery_max_bytes == 64u << 20);
}

TEST_CASE("audit #11: start-up names the settings that keep the old, weaker behaviour", "[audit-11]") {
    auto warnings = [](std::map<std::string, std::string> env) {
        config c(engine_settings());
        const char* argv[] = {"sb"};
        REQUIRE_FALSE(c.load(1, argv, [&](const std::string& k) -> std::optional<std::string> {
            auto it = env.find(k);
            if (it == env.end()) return std::nullopt;
            return it->second;
        }));
        return weaker_settings(c);
    };
    CHECK(warnings({}).empty());
    auto w = warnings({{"CONNECT_TIMEOUT", "45000"}, {"MAX_CONNECTIONS_PER_IP", "0"}});
    REQUIRE(w.size() == 2);
    CHECK(w[0].rfind("CONNECT_TIMEOUT=45000", 0) == 0);
    CHECK(w[1].rfind("MAX_CONNECTIONS_PER_IP=0", 0) == 0);
    CHECK(warnings({{"CONNECTION_STATE_RECOVERY", "true"}, {"RECOVERY_MAX_BYTES", "0"}}).size() == 1);
}
