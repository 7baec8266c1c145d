// Per-service profiles (apps/switchboard/profiles.cpp): a profile sets defaults only, explicit
// settings win; ROOMS_OPEN opens prefixes as a rules file would (and is reported for the start-up
// warning); HEALTH_FIELDS and METRICS_FORMAT are checked.
#include "../../../apps/switchboard/profiles.hpp"

#include <switchboard/server/engine_settings.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace switchboard;
using namespace switchboard::app;

namespace {

common::config::env_lookup env_of(std::map<std::string, std::string> m) {
    return [m](const std::string& k) -> std::optional<std::string> {
        auto it = m.find(k);
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}

// The engine's settings, the profiles' own, and stand-ins for the app's settings the profiles set
// (the real ones are in settings.cpp, data_settings.cpp and amqp_bridge.cpp; the end-to-end tests
// start the binary with each profile).
std::vector<common::setting> table() {
    using k = common::setting::kind;
    auto t = server::engine_settings();
    for (auto& s : profile_settings_table())
        t.push_back(std::move(s));
    t.push_back({"DRF_TOKEN_AUTH", {}, "drf-token-auth", "false", "", k::boolean});
    t.push_back({"API_LOOPBACK_ONLY", {}, "api-loopback-only", "false", "", k::boolean});
    t.push_back({"ALLOW_ANONYMOUS", {}, "allow-anonymous", "false", "", k::boolean});
    t.push_back({"EVENT_ROUTES", {}, "event-routes", "", ""});
    return t;
}

// Loads as load_settings does: once, then again with the profile's defaults.
std::optional<std::string> load(common::config& c, std::map<std::string, std::string> env,
                                std::vector<const char*> argv = {"sb"}) {
    auto lookup = env_of(env);
    if (auto e = c.load(static_cast<int>(argv.size()), argv.data(), lookup)) return e;
    auto t = c.table();
    if (auto e = apply_profile(t, c.str("PROFILE"))) return e;
    common::config again(std::move(t));
    if (auto e = again.load(static_cast<int>(argv.size()), argv.data(), lookup)) return e;
    c = std::move(again);
    return std::nullopt;
}

}  // namespace

TEST_CASE("profiles: the four services, each default a setting of the table", "[profiles]") {
    std::vector<std::string> names;
    for (const auto& p : profiles())
        names.emplace_back(p.name);
    CHECK(names == std::vector<std::string>{"kumss", "survey", "ecommerce", "hometrip"});
    for (const auto& p : profiles()) {
        auto t = table();
        INFO(p.name);
        CHECK_FALSE(apply_profile(t, p.name));
        common::config c(table());
        REQUIRE_FALSE(load(c, {{"PROFILE", std::string(p.name)}}));
        CHECK_FALSE(check_output_settings(c));  // its HEALTH_FIELDS and METRICS_FORMAT are valid
    }
}

TEST_CASE("profiles: no profile changes nothing; an unknown one is an error", "[profiles]") {
    common::config c(table());
    REQUIRE_FALSE(load(c, {}));
    CHECK(c.str("SERVICE_NAME") == "switchboard");
    CHECK(c.str("HEALTH_STATUS") == "ok");
    CHECK(c.str("HEALTH_FIELDS").empty());
    CHECK(c.str("METRICS_FORMAT") == "prometheus");
    CHECK(c.integer("PORT") == 3001);
    common::config bad(table());
    auto e = load(bad, {{"PROFILE", "django"}});
    REQUIRE(e);
    CHECK(e->find("PROFILE: 'django'") != std::string::npos);
    std::vector<common::setting> small = server::engine_settings();
    CHECK(apply_profile(small, "kumss")->find("unknown setting DRF_TOKEN_AUTH") != std::string::npos);
}

TEST_CASE("profiles: a profile sets defaults; the environment and flags still win", "[profiles]") {
    common::config c(table());
    REQUIRE_FALSE(load(c, {{"PROFILE", "hometrip"}, {"PORT", "4000"}}, {"sb", "--metrics-public=false"}));
    CHECK(c.str("SERVICE_NAME") == "websocket-gateway");
    CHECK(c.str("HEALTH_STATUS") == "healthy");
    CHECK(c.str("METRICS_FORMAT") == "json");
    CHECK(c.str("EVENT_ROUTES") == "builtin:hometrip");
    CHECK(c.integer("PORT") == 4000);          // environment
    CHECK_FALSE(c.boolean("METRICS_PUBLIC"));  // flag
    CHECK(c.list("ROOMS_OPEN") == std::vector<std::string>{"conversation", "notification"});

    common::config s(table());
    REQUIRE_FALSE(load(s, {{"PROFILE", "survey"}, {"HEALTH_STATUS", "up"}, {"ROOMS_OPEN", ""}}));
    CHECK(s.str("HEALTH_STATUS") == "up");
    CHECK(s.list("ROOMS_OPEN").empty());  // set empty on purpose: nothing opened
    CHECK(s.boolean("ALLOW_ANONYMOUS"));
    CHECK(s.integer("PORT") == 3002);
    CHECK_FALSE(profile_warnings(s).empty());  // anonymous connections are warned

    common::config k(table());
    REQUIRE_FALSE(load(k, {{"PROFILE", "kumss"}}));
    CHECK(k.str("HEALTH_FIELDS") == "status,service,timestamp");
    CHECK(k.str("SERVICE_NAME") == "websocket-service");
    CHECK(k.boolean("DRF_TOKEN_AUTH"));
    common::config e(table());
    REQUIRE_FALSE(load(e, {{"PROFILE", "ecommerce"}}));
    CHECK(e.str("HEALTH_STATUS") == "OK");
    CHECK(e.integer("PORT") == 8009);
    CHECK(e.str("EVENT_ROUTES") == "builtin:ecommerce");
}

TEST_CASE("profiles: ROOMS_OPEN opens prefixes as a rules file's \"open\" does", "[profiles]") {
    auth::room_rules rules;
    auth::principal ann;
    ann.user_id = "ann";
    ann.anonymous = false;
    CHECK(auth::check_join(rules, ann, "conversation:c1") == auth::join_verdict::forbidden);
    REQUIRE_FALSE(open_room_prefixes({"conversation", "college"}, {}, rules));
    CHECK(auth::check_join(rules, ann, "conversation:c1") == auth::join_verdict::allowed);
    CHECK(auth::check_join(rules, ann, "college:9") == auth::join_verdict::allowed);
    CHECK(auth::check_join(rules, ann, "user:bob") == auth::join_verdict::forbidden);
    // The same start-up warning as a rules file: each opened prefix is reported.
    auto open = auth::open_rules(rules);
    CHECK(std::count(open.begin(), open.end(), "prefix conversation open") == 1);
    CHECK(std::count(open.begin(), open.end(), "prefix college open") == 1);

    // A prefix the rules file names keeps the file's rule.
    std::string file = R"({"prefixes": {"order": "backend"}})";
    auto parsed = auth::parse_rules(file);
    REQUIRE(parsed.has_value());
    auto from_file = rules_file_prefixes(file);
    CHECK(from_file == std::set<std::string, std::less<>>{"order"});
    REQUIRE_FALSE(open_room_prefixes({"order", "product"}, from_file, *parsed));
    CHECK(auth::check_join(*parsed, ann, "order:1") == auth::join_verdict::ask_backend);
    CHECK(auth::check_join(*parsed, ann, "product:1") == auth::join_verdict::allowed);

    CHECK(open_room_prefixes({"user"}, {}, rules)->find("private") != std::string::npos);
    CHECK(open_room_prefixes({"super_admin"}, {}, rules));
    CHECK(open_room_prefixes({"a b"}, {}, rules));
    CHECK(open_room_prefixes({"a:b"}, {}, rules));
    CHECK(rules_file_prefixes("not json").empty());
}

TEST_CASE("profiles: HEALTH_FIELDS and METRICS_FORMAT are checked", "[profiles]") {
    auto check = [](std::map<std::string, std::string> env) {
        common::config c(table());
        REQUIRE_FALSE(load(c, std::move(env)));
        return check_output_settings(c);
    };
    CHECK_FALSE(check({}));
    CHECK_FALSE(check({{"HEALTH_FIELDS", "status, service,connections=connectionStats,bus=eventBus"}}));
    CHECK(check({{"HEALTH_FIELDS", "status,password"}})->find("HEALTH_FIELDS") != std::string::npos);
    CHECK(check({{"HEALTH_FIELDS", "=status"}}));
    CHECK(check({{"METRICS_FORMAT", "xml"}})->find("METRICS_FORMAT") != std::string::npos);
    CHECK(check({{"HEALTH_STATUS", ""}}));
}
