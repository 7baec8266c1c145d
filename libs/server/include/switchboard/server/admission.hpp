#pragma once
// Admission bookkeeping, free of I/O (the shell guards it and supplies the clock): Engine.IO
// sessions per client address (MAX_CONNECTIONS_PER_IP), the descriptor budget (MAX_CONNECTIONS),
// and a throttle that turns a burst of accept failures into one log line per second.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace switchboard::server {

// Sessions per client address. Not thread-safe: the owner holds its lock around each call.
class address_counts {
public:
    explicit address_counts(std::size_t limit) : limit_(limit) {}
    // Counts one more session for `address`; false (nothing counted) when it holds `limit` already.
    bool try_add(const std::string& address);
    void remove(const std::string& address);
    std::size_t count(const std::string& address) const;
    std::size_t addresses() const noexcept { return counts_.size(); }

private:
    std::size_t limit_;  // 0: no limit
    std::unordered_map<std::string, std::size_t> counts_;
};

// MAX_CONNECTIONS as configured, or (0) the descriptor limit less a reserve for the store,
// logs and the accept reserve.
std::size_t effective_max_connections(std::size_t configured, std::uint64_t fd_limit) noexcept;

// One log line per `period_ms` for a repeated event: hit() says when to log, with how many
// events it stands for (this one included).
class log_throttle {
public:
    explicit log_throttle(std::int64_t period_ms = 1000) : period_(period_ms) {}
    std::optional<std::size_t> hit(std::int64_t now_ms);

private:
    std::int64_t period_;
    std::int64_t last_ = 0;
    bool logged_ = false;
    std::size_t pending_ = 0;
};

}  // namespace switchboard::server
