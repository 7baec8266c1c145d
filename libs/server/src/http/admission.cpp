#include <switchboard/server/admission.hpp>

#include <algorithm>
#include <utility>

namespace switchboard::server {

bool address_counts::try_add(const std::string& address) {
    auto& n = counts_[address];
    if (limit_ && n >= limit_) {
        if (n == 0) counts_.erase(address);
        return false;
    }
    ++n;
    return true;
}

void address_counts::remove(const std::string& address) {
    auto it = counts_.find(address);
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
}

std::size_t address_counts::count(const std::string& address) const {
    auto it = counts_.find(address);
    return it == counts_.end() ? 0 : it->second;
}

std::size_t effective_max_connections(std::size_t configured, std::uint64_t fd_limit) noexcept {
    if (configured) return configured;
    constexpr std::uint64_t reserve = 64;
    return static_cast<std::size_t>(std::max<std::uint64_t>(16, fd_limit > reserve ? fd_limit - reserve : 0));
}

std::optional<std::size_t> log_throttle::hit(std::int64_t now_ms) {
    ++pending_;
    if (logged_ && now_ms - last_ < period_) return std::nullopt;
    logged_ = true;
    last_ = now_ms;
    return std::exchange(pending_, 0);
}

}  // namespace switchboard::server
