#pragma once
// A fixed-window rate limit per key (a user id), for the REST API: the same window and budget as a
// socket's (RATE_LIMIT_WINDOW, RATE_LIMIT_MAX_MESSAGES). Bounded: windows that ended are swept,
// and past `max_keys` live keys a new key is refused until a window ends. Time is an argument.
#include <cstdint>
#include <string>
#include <unordered_map>

namespace switchboard::auth {

class user_rates {
public:
    user_rates(std::int64_t window_ms, std::uint32_t max, std::size_t max_keys = 100000)
        : window_ms_(window_ms), max_(max), max_keys_(max_keys) {}

    // 0 when the request passes; else the milliseconds until the key's window ends (≥ 1).
    std::int64_t hit(const std::string& key, std::int64_t now_ms);
    std::size_t size() const noexcept { return windows_.size(); }

private:
    struct window {
        std::int64_t start;
        std::uint32_t count;
    };
    void sweep(std::int64_t now_ms);

    std::int64_t window_ms_;
    std::uint32_t max_;
    std::size_t max_keys_;
    std::int64_t next_sweep_ = 0;
    std::unordered_map<std::string, window> windows_;
};

}  // namespace switchboard::auth
