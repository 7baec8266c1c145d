#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
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
}  // namespace

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

std::string format_line(format fmt, std::string_view ts, level l, std::string_view msg, fields f) {
    if (fmt == format::logfmt) {
        std::string line = "time=";
        line += ts;
        line += " level=";
        line += names[static_cast<int>(l)];
        line += " msg=";
        append_logfmt(line, msg);
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
    auto line = format_line(current_format.load(std::memory_order_relaxed), ts, l, msg, f);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace switchboard::log
