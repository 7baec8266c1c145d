#pragma once
// Structured logs: one JSON object per line on stderr; peer text is always escaped.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard::log {

enum class level { debug = 0, info, warn, error, off };

void set_level(level l) noexcept;
level get_level() noexcept;
bool parse_level(std::string_view s, level& out) noexcept;

// ISO 8601 UTC with milliseconds ("2025-01-31T12:34:56.789Z") of a Unix time in ms.
std::string iso_time(long long epoch_ms);

using fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void write(level l, std::string_view msg, fields f = {});

inline void debug(std::string_view m, fields f = {}) {
    if (get_level() <= level::debug) write(level::debug, m, f);
}
inline void info(std::string_view m, fields f = {}) {
    if (get_level() <= level::info) write(level::info, m, f);
}
inline void warn(std::string_view m, fields f = {}) {
    if (get_level() <= level::warn) write(level::warn, m, f);
}
inline void error(std::string_view m, fields f = {}) {
    if (get_level() <= level::error) write(level::error, m, f);
}

}  // namespace switchboard::log
