#include "room_access.hpp"
#include "util.hpp"

#include <switchboard/common/log.hpp>

#include <chrono>

namespace switchboard::app {

std::optional<std::string> load_room_access(const common::config& c, const auth::room_rules& rules,
                                            room_auth_settings& out) {
    out.url = c.str("ROOM_AUTH_URL");
    out.cache_ttl_ms = c.integer("ROOM_AUTH_CACHE_TTL");
    out.timeout_ms = c.integer("ROOM_AUTH_TIMEOUT");
    if (!out.url.empty() && !server::parse_http_url(out.url))
        return "ROOM_AUTH_URL: expected http://host[:port]/path";
    if (out.url.empty() && auth::uses_backend(rules))
        return "ROOM_RULES_FILE: a prefix has the backend rule but ROOM_AUTH_URL is empty";
    for (const auto& what : auth::open_rules(rules))
        log::warn("room rules: " + what +
                  ": every authenticated user may join such rooms (the default is deny)");
    return std::nullopt;
}

room_access::room_access(std::shared_ptr<const auth::room_rules> rules, room_auth_settings s)
    : rules_(std::move(rules)),
      settings_(std::move(s)),
      url_(server::parse_http_url(settings_.url)),
      cache_(settings_.cache_ttl_ms, 100000) {
    if (url_) http_ = std::make_unique<server::http_client>();
}

room_access::~room_access() = default;

void room_access::set_rules(std::shared_ptr<const auth::room_rules> rules) {
    std::lock_guard lock(mu_);
    rules_ = std::move(rules);
}

auth::join_verdict room_access::decide_now(const auth::principal& who, const std::string& room) {
    auto v = auth::check_join(*rules(), who, room, 0);
    if (v != auth::join_verdict::ask_backend) return v;
    std::lock_guard lock(mu_);
    auto hit = cache_.find(who.user_id, room, steady_ms());
    return hit && *hit ? auth::join_verdict::allowed : auth::join_verdict::forbidden;
}

void room_access::decide(const auth::principal& who, const std::string& room, std::size_t rooms_now,
                         std::function<void(auth::join_verdict)> done) {
    auto v = auth::check_join(*rules(), who, room, rooms_now);
    if (v != auth::join_verdict::ask_backend) return done(v);
    if (!http_) return done(auth::join_verdict::forbidden);
    {
        std::lock_guard lock(mu_);
        if (auto hit = cache_.find(who.user_id, room, steady_ms()))
            return done(*hit ? auth::join_verdict::allowed : auth::join_verdict::forbidden);
    }
    http_->post_json(
        *url_, auth::room_auth_request(who, room), std::chrono::milliseconds(settings_.timeout_ms),
        [this, user = who.user_id, room, done = std::move(done)](server::http_client::response r) {
            auto allowed = auth::room_auth_decision(r.status, r.body);
            if (!allowed) {
                log::warn("room check: no decision from the backend", {{"status", std::to_string(r.status)}});
                return done(auth::join_verdict::forbidden);
            }
            {
                std::lock_guard lock(mu_);
                cache_.put(user, room, *allowed, steady_ms());
            }
            done(*allowed ? auth::join_verdict::allowed : auth::join_verdict::forbidden);
        });
}

}  // namespace switchboard::app
