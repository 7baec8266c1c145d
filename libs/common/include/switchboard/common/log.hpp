#pragma once
// Structured logs on stderr, one line per record: a JSON object (LOG_FORMAT=json, the default) or
// logfmt (key=value, quoted when needed); peer text is always escaped.
#include <cstdint>
#include <initializer_list>
#include <optional>
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

// Records go to stderr, or with LOG_FILE to a file that is rotated by size: past `max_bytes` it
// becomes <path>.1 (the older ones shift up to <path>.<keep>, the oldest dropped) and a new file is
// started. An error message when the file cannot be opened (the sink is then unchanged). An empty
// path: back to stderr.
std::optional<std::string> set_file(const std::string& path, std::uint64_t max_bytes, unsigned keep);
// Opens the file again (SIGHUP, after an outside tool moved it); nothing without a file.
void reopen();

// The connection a thread is working for: every record written in the scope carries conn=<id>
// (first among the fields), so all lines of one connection can be found. `id` must outlive it.
class connection_scope {
public:
    explicit connection_scope(std::string_view id) noexcept;
    ~connection_scope();
    connection_scope(const connection_scope&) = delete;
    connection_scope& operator=(const connection_scope&) = delete;

private:
    std::string_view previous_;
};

using fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void write(level l, std::string_view msg, fields f = {});
// One record as `write` prints it (with its newline), at `time` (ISO 8601); `conn` non-empty: the
// connection's id, first among the fields.
std::string format_line(format fmt, std::string_view time, level l, std::string_view msg, fields f,
                        std::string_view conn = {});

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
