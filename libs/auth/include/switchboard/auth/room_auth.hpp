#pragma once
// The backend room check (the `backend` rule, ROOM_AUTH_URL), the way Centrifugo's subscribe proxy
// works: the server asks "may user U join room R", the backend answers, the answer is cached for a
// while. Pure: the request body, the reading of the answer and the cache (time is an argument);
// the HTTP call is the app's.
//
// Request:  POST ROOM_AUTH_URL, Content-Type: application/json,
//           {"userId": "42", "room": "project:5", "prefix": "project", "id": "5",
//            "role": "staff", "collegeId": "7", "companyId": "c1", "shopIds": ["s1"],
//            "isSuperAdmin": false}   (empty claims left out)
// Answer:   200 with {"allowed": true} allows; anything else (another status, another body,
//           no answer within ROOM_AUTH_TIMEOUT) denies. Both answers of a 200 are cached.
#include <switchboard/auth/identity.hpp>

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace switchboard::auth {

// The JSON body asking whether `p` may join `room`.
std::string room_auth_request(const principal& p, std::string_view room);

// What a backend answer means: allowed only for status 200 and a body {"allowed": true}.
// nullopt when the answer is not a decision (not 200, or no boolean `allowed`): deny, uncached.
std::optional<bool> room_auth_decision(unsigned status, std::string_view body);

// (user, room) → allowed, for `ttl_ms`; at most `max_entries` (the oldest go first).
class room_auth_cache {
public:
    room_auth_cache(std::int64_t ttl_ms, std::size_t max_entries) : ttl_(ttl_ms), max_(max_entries) {}
    std::optional<bool> find(const std::string& user, const std::string& room, std::int64_t now_ms);
    void put(const std::string& user, const std::string& room, bool allowed, std::int64_t now_ms);
    std::size_t size() const noexcept { return map_.size(); }

private:
    struct entry {
        bool allowed;
        std::int64_t expires;
        std::list<std::string>::iterator order;
    };
    static std::string key(const std::string& user, const std::string& room);
    void erase(std::unordered_map<std::string, entry>::iterator it);

    std::int64_t ttl_;
    std::size_t max_;
    std::list<std::string> order_;  // oldest first
    std::unordered_map<std::string, entry> map_;
};

}  // namespace switchboard::auth
