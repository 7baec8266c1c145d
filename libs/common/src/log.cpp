#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

namespace switchboard::log {
namespace {
std::atomic<level> current{level::info};
std::atomic<format> current_format{format::json};

// logfmt: bare when it is plain (no space, quote, '=', control or non-ASCII byte), else quoted
// with \" \\ \n \r \t, \u00XX for other controls and \xNN for bytes past ASCII.
void append_logfmt(std::string& out, std::string_view v) {
    bool plain = !v.empty();
    for (unsigned char c : v)
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) plain = false;
    if (plain) {
        out += v;
        return;
    }
    out += '"';
    for (unsigned char c : v) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else if (c >= 0x80) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);  // peer bytes never raw
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}
const char* names[] = {"debug", "info", "warn", "error", "off"};

thread_local std::string_view current_conn;

// LOG_FILE: the open file and its rotation, behind one lock.
struct file_sink {
    std::mutex mu;
    std::FILE* f = nullptr;
    std::string path;
    std::uint64_t max_bytes = 0;
    unsigned keep = 0;
    std::uint64_t size = 0;

    // Under mu.
    bool open_locked(std::string* err) {
        std::FILE* n = std::fopen(path.c_str(), "ae");
        if (!n) {
            if (err) *err = "LOG_FILE: cannot open " + path + ": " + std::strerror(errno);
            return false;
        }
        if (f) std::fclose(f);
        f = n;
        std::fseek(f, 0, SEEK_END);
        long at = std::ftell(f);
        size = at > 0 ? static_cast<std::uint64_t>(at) : 0;
        return true;
    }
    void rotate_locked() {
        std::fclose(f);
        f = nullptr;
        if (keep == 0) {
            std::remove(path.c_str());
        } else {
            for (unsigned i = keep; i > 1; --i)
                std::rename((path + "." + std::to_string(i - 1)).c_str(),
                            (path + "." + std::to_string(i)).c_str());
            std::rename(path.c_str(), (path + ".1").c_str());
        }
        open_locked(nullptr);
    }
    // true: written to the file; false: no file (stderr then).
    bool write(const std::string& line) {
        std::lock_guard lock(mu);
        if (!f) return false;
        if (max_bytes > 0 && size > 0 && size + line.size() > max_bytes) {
            rotate_locked();
            if (!f) return false;
        }
        std::fwrite(line.data(), 1, line.size(), f);
        std::fflush(f);
        size += line.size();
        return true;
    }
};
file_sink& sink() {
    static file_sink s;
    return s;
}
}  // namespace

connection_scope::connection_scope(std::string_view id) noexcept : previous_(current_conn) {
    current_conn = id;
}
connection_scope::~connection_scope() {
    current_conn = previous_;
}

std::optional<std::string> set_file(const std::string& path, std::uint64_t max_bytes, unsigned keep) {
    auto& s = sink();
    std::lock_guard lock(s.mu);
    if (path.empty()) {  // back to stderr
        if (s.f) std::fclose(s.f);
        s.f = nullptr;
        s.path.clear();
        return std::nullopt;
    }
    auto old_path = s.path;
    s.path = path;
    std::string err;
    if (!s.open_locked(&err)) {
        s.path = old_path;
        return err;
    }
    s.max_bytes = max_bytes;
    s.keep = keep;
    return std::nullopt;
}

void reopen() {
    auto& s = sink();
    std::lock_guard lock(s.mu);
    if (s.f) s.open_locked(nullptr);
}

void set_level(level l) noexcept {
    current.store(l, std::memory_order_relaxed);
}
level get_level() noexcept {
    return current.load(std::memory_order_relaxed);
}

bool parse_level(std::string_view s, level& out) noexcept {
    for (int i = 0; i < 5; ++i)
        if (s == names[i]) {
            out = static_cast<level>(i);
            return true;
        }
    if (s == "warning") return out = level::warn, true;
    return false;
}

std::string iso_time(long long ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

void set_format(format f) noexcept {
    current_format.store(f, std::memory_order_relaxed);
}

bool parse_format(std::string_view s, format& out) noexcept {
    if (s == "json") return out = format::json, true;
    if (s == "logfmt") return out = format::logfmt, true;
    return false;
}

std::string format_line(format fmt, std::string_view ts, level l, std::string_view msg, fields f,
                        std::string_view conn) {
    if (fmt == format::logfmt) {
        std::string line = "time=";
        line += ts;
        line += " level=";
        line += names[static_cast<int>(l)];
        line += " msg=";
        append_logfmt(line, msg);
        if (!conn.empty()) {
            line += " conn=";
            append_logfmt(line, conn);
        }
        for (const auto& [k, v] : f) {
            line += ' ';
            line += k;  // our own names
            line += '=';
            append_logfmt(line, v);
        }
        line += '\n';
        return line;
    }
    std::string line = "{\"time\":\"";
    line += ts;
    line += "\",\"level\":\"";
    line += names[static_cast<int>(l)];
    line += "\",\"msg\":";
    common::json_append_string(line, msg);
    if (!conn.empty()) {
        line += ",\"conn\":";
        common::json_append_string(line, conn);
    }
    for (const auto& [k, v] : f) {
        line += ',';
        common::json_append_string(line, k);
        line += ':';
        common::json_append_string(line, v);
    }
    line += "}\n";
    return line;
}

void write(level l, std::string_view msg, fields f) {
    using namespace std::chrono;
    std::string ts = iso_time(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
    std::string_view conn = current_conn;
    for (const auto& kv : f)
        if (kv.first == "conn") conn = {};  // named by the record itself
    auto line = format_line(current_format.load(std::memory_order_relaxed), ts, l, msg, f, conn);
    if (!sink().write(line)) std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace switchboard::log
