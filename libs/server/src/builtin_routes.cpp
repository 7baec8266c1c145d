// The server's own routes: /ready, /metrics and /health, and what HEALTH_STATUS, HEALTH_FIELDS,
// METRICS_FORMAT and METRICS_ROOM_NAMES make of them (server_options).
#include "server_impl.hpp"

#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>

namespace switchboard::server {

namespace {

bool same_key(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

// /metrics needs the key (X-API-Key, or Authorization: Bearer) unless metrics_public.
std::optional<http_reply> metrics_refusal(const server_options& o, const http_request_view& req) {
    if (o.metrics_public) return std::nullopt;
    if (o.metrics_key.empty())
        return http_reply{403, "application/json", R"({"success":false,"error":"Forbidden"})"};
    std::string_view key = req.header("x-api-key");
    if (key.empty()) {
        std::string_view a = req.header("authorization");
        if (a.size() > 7 && (a.substr(0, 7) == "Bearer " || a.substr(0, 7) == "bearer ")) key = a.substr(7);
    }
    if (!key.empty() && same_key(key, o.metrics_key)) return std::nullopt;
    http_reply r{401, "application/json",
                 R"({"success":false,"error":"Unauthorized: a metrics key is required"})"};
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

}  // namespace

const std::vector<std::string>& health_field_sources() {
    static const std::vector<std::string> names{"checks",  "status", "service",     "timestamp",
                                                "version", "uptime", "connections", "redis"};
    return names;
}

void server::add_health_field(std::string name, std::function<boost::json::value()> value) {
    impl_->health_fields.emplace_back(std::move(name), std::move(value));
}

// /ready, /metrics and /health.
void server::add_builtin_routes() {
    route("/ready", [this](const http_request_view&) {
        bool ok = ready();
        const char* status = ok                                                 ? "ready"
                             : impl_->stopping.load()                           ? "draining"
                             : !impl_->dependencies_up() && impl_->ready.load() ? "degraded"
                                                                                : "starting";
        boost::json::object o{{"ready", ok}, {"service", impl_->opts.service_name}, {"status", status}};
        return http_reply{ok ? 200u : 503u, "application/json", common::json_write(o)};
    });
    if (impl_->opts.metrics_public)
        log::warn("METRICS_PUBLIC=true: /metrics answers without a key");
    else if (impl_->opts.metrics_key.empty())
        log::warn("/metrics has no key: it refuses every request (set METRICS_KEY or SERVICE_API_KEY)");
    route("/metrics", [this](const http_request_view& req) {
        if (auto refusal = metrics_refusal(impl_->opts, req)) return *refusal;
        if (impl_->opts.metrics_format == "json" ||
            req.header("accept").find("application/json") != std::string_view::npos) {
            // The JSON the travel gateway's monitors read: counts, and room names only with
            // METRICS_ROOM_NAMES.
            auto& root = of("/");
            auto sizes = root.room_sizes();
            boost::json::object o{{"connectedSockets", root.socket_count()}};
            if (impl_->opts.metrics_room_names) {
                boost::json::array names;
                for (const auto& [name, n] : sizes)
                    names.emplace_back(name);
                o["rooms"] = std::move(names);
            }
            o["totalRooms"] = sizes.size();
            return http_reply{200, "application/json", common::json_write(o)};
        }
        return http_reply{200, "text/plain; version=0.0.4; charset=utf-8", impl_->metrics.render()};
    });
    route("/health", [this](const http_request_view&) {
        bool up = true;
        boost::json::object checks;
        for (const auto& [name, check] : impl_->health_checks) {
            bool ok = check();
            checks[name] = ok ? "up" : "down";
            up = up && ok;
        }
        auto value = [&](std::string_view source) -> std::optional<boost::json::value> {
            for (const auto& [name, get] : impl_->health_fields)
                if (name == source) return get();
            if (source == "checks") {
                if (checks.empty()) return std::nullopt;
                return checks;
            }
            if (source == "status") return boost::json::value(up ? impl_->opts.health_status : "degraded");
            if (source == "service") return boost::json::value(impl_->opts.service_name);
            if (source == "timestamp") return boost::json::value(detail::iso_time(detail::wall_ms()));
            if (source == "version") return boost::json::value(SWITCHBOARD_VERSION);
            if (source == "uptime")
                return boost::json::value(static_cast<double>(detail::now_ms() - impl_->started_ms) / 1000.0);
            if (source == "connections") return boost::json::value(connection_count());
            if (source == "redis") {
                if (auto it = checks.find("redis"); it != checks.end())
                    return boost::json::value(it->value().as_string() == "up" ? "connected" : "disconnected");
                return boost::json::value("not configured");
            }
            return std::nullopt;
        };
        static const std::vector<std::string> defaults{"checks",  "status", "service",    "timestamp",
                                                       "version", "uptime", "connections"};
        const auto& fields = impl_->opts.health_fields.empty() ? defaults : impl_->opts.health_fields;
        boost::json::object o;
        for (const auto& f : fields) {
            auto eq = f.find('=');
            std::string key = f.substr(0, eq);
            std::string source = eq == std::string::npos ? key : f.substr(eq + 1);
            if (auto v = value(source)) o[key] = std::move(*v);
        }
        return http_reply{up ? 200u : 503u, "application/json", common::json_write(o)};
    });
}

}  // namespace switchboard::server
