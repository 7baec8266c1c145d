#pragma once
// Clocks in milliseconds: monotonic (deadlines, windows, caches) and wall (timestamps on the wire).
#include <cstdint>
#include <string>

namespace switchboard::common {

std::int64_t steady_ms() noexcept;
std::int64_t wall_ms() noexcept;
inline std::int64_t wall_s() noexcept {
    return wall_ms() / 1000;
}
// The wall time as ISO 8601 UTC with milliseconds.
std::string now_iso();

}  // namespace switchboard::common
