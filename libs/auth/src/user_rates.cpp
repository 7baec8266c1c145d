#include <switchboard/auth/user_rates.hpp>

#include <algorithm>

namespace switchboard::auth {

void user_rates::sweep(std::int64_t now_ms) {
    std::erase_if(windows_, [&](const auto& kv) { return kv.second.start + window_ms_ <= now_ms; });
    next_sweep_ = now_ms + window_ms_;
}

std::int64_t user_rates::hit(const std::string& key, std::int64_t now_ms) {
    if (now_ms >= next_sweep_) sweep(now_ms);
    auto it = windows_.find(key);
    if (it != windows_.end() && it->second.start + window_ms_ <= now_ms) it->second = {now_ms, 0};
    if (it == windows_.end()) {
        if (windows_.size() >= max_keys_) {
            sweep(now_ms);
            if (windows_.size() >= max_keys_) return std::max<std::int64_t>(1, next_sweep_ - now_ms);
        }
        it = windows_.emplace(key, window{now_ms, 0}).first;
    }
    if (it->second.count >= max_) return std::max<std::int64_t>(1, it->second.start + window_ms_ - now_ms);
    ++it->second.count;
    return 0;
}

}  // namespace switchboard::auth
