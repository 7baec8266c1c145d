#include <switchboard/common/clock.hpp>
#include <switchboard/common/log.hpp>

#include <chrono>

namespace switchboard::common {

std::int64_t steady_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t wall_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string now_iso() {
    return log::iso_time(wall_ms());
}

}  // namespace switchboard::common
