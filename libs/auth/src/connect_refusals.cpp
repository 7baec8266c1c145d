#include <switchboard/auth/connect_refusals.hpp>

#include <iterator>

namespace switchboard::auth {

bool connect_refusals::allowed(std::string_view address, std::int64_t now_ms) {
    if (limits_.per_address == 0) return true;
    auto it = addresses_.find(std::string(address));
    if (it == addresses_.end()) return true;
    if (now_ms - it->second.start >= limits_.window_ms) {
        addresses_.erase(it);
        return true;
    }
    return it->second.n < limits_.per_address;
}

bool connect_refusals::refused(std::string_view session, std::string_view address, std::int64_t now_ms,
                               bool count_address) {
    sweep(now_ms);
    if (limits_.per_address != 0 && count_address) {
        auto [it, added] = addresses_.try_emplace(std::string(address), counter{now_ms, 0});
        if (now_ms - it->second.start >= limits_.window_ms) it->second = {now_ms, 0};
        ++it->second.n;
        if (added && addresses_.size() > limits_.max_tracked) {
            auto victim = addresses_.begin();
            if (victim == it) ++victim;
            addresses_.erase(victim);
        }
    }
    if (limits_.per_session == 0 || session.empty()) return false;
    auto [it, added] = sessions_.try_emplace(std::string(session), counter{now_ms, 0});
    it->second.start = now_ms;
    bool close = ++it->second.n >= limits_.per_session;
    if (close) {
        sessions_.erase(it);
    } else if (added && sessions_.size() > limits_.max_tracked) {
        // Full: forget some other session (an attacker with that many sessions is cut per address).
        auto victim = sessions_.begin();
        if (victim == it) ++victim;
        sessions_.erase(victim);
    }
    return close;
}

void connect_refusals::connected(std::string_view session) {
    if (auto it = sessions_.find(std::string(session)); it != sessions_.end()) sessions_.erase(it);
}

void connect_refusals::sweep(std::int64_t now_ms) {
    // At most once a window: each sweep is linear in what is tracked.
    if (now_ms - last_sweep_ < limits_.window_ms) return;
    last_sweep_ = now_ms;
    for (auto* m : {&sessions_, &addresses_})
        for (auto it = m->begin(); it != m->end();)
            it = now_ms - it->second.start >= limits_.window_ms ? m->erase(it) : std::next(it);
}

}  // namespace switchboard::auth
