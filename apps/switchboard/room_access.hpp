#pragma once
// Requested room joins: the rules (libs/auth access.hpp), and for prefixes with the `backend` rule
// a question to the backend (ROOM_AUTH_URL, see auth/room_auth.hpp for the exchange) whose answer
// is cached for ROOM_AUTH_CACHE_TTL.
#include <switchboard/auth/access.hpp>
#include <switchboard/auth/room_auth.hpp>
#include <switchboard/common/config.hpp>
#include <switchboard/server/http_client.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::app {

struct room_auth_settings {
    std::string url;  // empty: no backend; a `backend` rule then refuses every join
    std::int64_t cache_ttl_ms = 60000;
    std::int64_t timeout_ms = 2000;
};

// Reads ROOM_AUTH_URL, ROOM_AUTH_CACHE_TTL, ROOM_AUTH_TIMEOUT (settings.cpp); an error for a URL that is not
// http://host[:port]/path, or for rules that use the backend rule without a URL. Logs a warning for each rule
// that opens rooms to every user.
std::optional<std::string> load_room_access(const common::config& c, const auth::room_rules& rules,
                                            room_auth_settings& out);

class room_access {
public:
    room_access(std::shared_ptr<const auth::room_rules> rules, room_auth_settings s);
    ~room_access();

    // May `who` join `room` by request? `done` gets allowed, or the refusal; at once, or later on
    // another thread when the backend is asked. A backend that does not answer 200 {allowed: bool}
    // in time denies (uncached).
    void decide(const auth::principal& who, const std::string& room, std::size_t rooms_now,
                std::function<void(auth::join_verdict)> done);
    // The same, without waiting: a backend-decided room is allowed only on a cached allow.
    auth::join_verdict decide_now(const auth::principal& who, const std::string& room);
    // New rules (SIGHUP) for the next decisions; the backend's cached answers stay.
    void set_rules(std::shared_ptr<const auth::room_rules> rules);

private:
    std::shared_ptr<const auth::room_rules> rules() {
        std::lock_guard lock(mu_);
        return rules_;
    }
    std::shared_ptr<const auth::room_rules> rules_;  // guarded by mu_
    room_auth_settings settings_;
    std::optional<server::http_url> url_;
    std::mutex mu_;  // guards rules_ and cache_
    auth::room_auth_cache cache_;
    std::unique_ptr<server::http_client> http_;
};

}  // namespace switchboard::app
