#pragma once
// Structured logs on stderr, one line per record: a JSON object (LOG_FORMAT=json, the default) or
// logfmt (key=value, quoted when needed); peer text is always escaped.
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

enum class format { json, logfmt };
void set_format(format f) noexcept;
bool parse_format(std::string_view s, format& out) noexcept;

using fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void write(level l, std::string_view msg, fields f = {});
// One record as `write` prints it (with its newline), at `time` (ISO 8601).
std::string format_line(format fmt, std::string_view time, level l, std::string_view msg, fields f);

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
