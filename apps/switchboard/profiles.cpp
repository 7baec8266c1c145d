// Per-service profiles (see profiles.hpp); README has one table per service.
#include "profiles.hpp"

#include <switchboard/server/server.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace switchboard::app {

const std::vector<profile>& profiles() {
    static const std::vector<profile> all{
        {"kumss",
         "KUMSS ERP websocket-service (seed 000, Node Socket.IO; seed 001's Django API)",
         {{"SERVICE_NAME", "websocket-service"},
          {"HEALTH_STATUS", "ok"},
          {"HEALTH_FIELDS", "status,service,timestamp"},
          {"DRF_TOKEN_AUTH", "true"},
          {"API_LOOPBACK_ONLY", "true"}}},
        {"survey",
         "survey platform websocket-service (seed 002, Node + Kafka)",
         {{"PORT", "3002"},
          {"SERVICE_NAME", "websocket-service"},
          {"HEALTH_STATUS", "healthy"},
          {"HEALTH_FIELDS", "status,service,timestamp,uptime,connections=connectionStats"},
          {"ALLOW_ANONYMOUS", "true"},
          {"ROOMS_OPEN", "survey,project"},
          {"API_LOOPBACK_ONLY", "true"}}},
        {"ecommerce",
         "e-commerce websocket-service (seed 003, Node + RabbitMQ)",
         {{"PORT", "8009"},
          {"SERVICE_NAME", "websocket-service"},
          {"HEALTH_STATUS", "OK"},
          {"HEALTH_FIELDS", "status,service,timestamp"},
          {"PING_TIMEOUT", "60000"},
          {"EVENT_ROUTES", "builtin:ecommerce"},
          {"ROOMS_OPEN", "order,product"},
          {"API_LOOPBACK_ONLY", "true"}}},
        {"hometrip",
         "HomeTrip websocket-gateway (seed 004, Node + RabbitMQ)",
         {{"PORT", "3002"},
          {"SERVICE_NAME", "websocket-gateway"},
          {"HEALTH_STATUS", "healthy"},
          {"HEALTH_FIELDS", "status,service,version,redis,eventBus"},
          {"METRICS_FORMAT", "json"},
          {"METRICS_PUBLIC", "true"},  // counts only: METRICS_ROOM_NAMES stays off (it names users)
          {"EVENT_ROUTES", "builtin:hometrip"},
          {"ROOMS_OPEN", "conversation,notification"}}},
    };
    return all;
}

const profile* find_profile(std::string_view name) {
    for (const auto& p : profiles())
        if (p.name == name) return &p;
    return nullptr;
}

std::vector<common::setting> profile_settings_table() {
    return {
        {"PROFILE",
         {},
         "profile",
         "",
         "defaults of one of the services we replace: kumss, survey, ecommerce, hometrip (README: "
         "\"Coming from\"); explicit settings still win"},
        {"ROOMS_OPEN",
         {},
         "rooms-open",
         "",
         "comma-separated room prefixes any authenticated user may join (prefix:{id}), as a rules file's "
         "\"open\" (warned at start-up); a prefix ROOM_RULES_FILE names keeps the file's rule"},
    };
}

std::optional<std::string> apply_profile(std::vector<common::setting>& table, std::string_view name) {
    if (name.empty()) return std::nullopt;
    const auto* p = find_profile(name);
    if (!p) return "PROFILE: '" + std::string(name) + "' is not kumss, survey, ecommerce or hometrip";
    for (const auto& [env, value] : p->defaults) {
        auto it = std::find_if(table.begin(), table.end(), [&](const auto& s) { return s.env == env; });
        if (it == table.end())
            return "PROFILE: " + std::string(name) + " sets unknown setting " + std::string(env);
        it->default_value = std::string(value);
    }
    return std::nullopt;
}

namespace {
bool prefix_ok(std::string_view p) {
    if (p.empty() || p.size() > 64) return false;
    return std::all_of(p.begin(), p.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '.' || ch == '_' || ch == '-';
    });
}
}  // namespace

std::optional<std::string> open_room_prefixes(const std::vector<std::string>& prefixes,
                                              const std::set<std::string, std::less<>>& from_file,
                                              auth::room_rules& rules) {
    for (const auto& name : prefixes) {
        if (!prefix_ok(name))
            return "ROOMS_OPEN: '" + name + "' is not a room prefix (1-64 of A-Z a-z 0-9 . _ -)";
        if (name == "user" || name == "super_admin")
            return "ROOMS_OPEN: " + name + " rooms are private; use ROOM_RULES_FILE to change their rule";
        if (from_file.count(name)) continue;
        auto it = std::find_if(rules.prefixes.begin(), rules.prefixes.end(),
                               [&](const auto& kv) { return kv.first == name; });
        if (it != rules.prefixes.end())
            it->second = auth::prefix_rule(auth::room_rule::open);
        else
            rules.prefixes.emplace_back(name, auth::prefix_rule(auth::room_rule::open));
    }
    return std::nullopt;
}

std::set<std::string, std::less<>> rules_file_prefixes(std::string_view json) {
    std::set<std::string, std::less<>> out;
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) return out;
    if (const auto* p = v.as_object().if_contains("prefixes"); p && p->is_object())
        for (const auto& kv : p->as_object())
            out.emplace(kv.key());
    return out;
}

std::optional<std::string> check_output_settings(const common::config& c) {
    const auto& known = server::health_field_sources();
    for (const auto& f : c.list("HEALTH_FIELDS")) {
        auto eq = f.find('=');
        auto key = f.substr(0, eq);
        auto source = eq == std::string::npos ? key : f.substr(eq + 1);
        bool ok = std::find(known.begin(), known.end(), source) != known.end() ||
                  source == "connectionStats" || source == "eventBus";
        if (key.empty() || !ok)
            return "HEALTH_FIELDS: '" + f + "': expected name or key=name, a name of " +
                   "checks, status, service, timestamp, version, uptime, connections, redis, "
                   "connectionStats, "
                   "eventBus";
    }
    const auto& m = c.str("METRICS_FORMAT");
    if (m != "prometheus" && m != "json") return "METRICS_FORMAT: '" + m + "' is not prometheus or json";
    if (c.str("HEALTH_STATUS").empty()) return "HEALTH_STATUS: empty";
    return std::nullopt;
}

std::vector<std::string> profile_warnings(const common::config& c) {
    std::vector<std::string> out;
    if (c.boolean("ALLOW_ANONYMOUS"))
        out.push_back("ALLOW_ANONYMOUS=true: connections without a token are admitted (room global only)");
    return out;
}

}  // namespace switchboard::app
