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

void write(level l, std::string_view msg, fields f) {
    using namespace std::chrono;
    std::string ts = iso_time(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
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
    std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace switchboard::log
