#include "internal.hpp"
#include "log.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace switchboard::server {

const boost::system::error_category& category() noexcept {
    struct cat final : boost::system::error_category {
        const char* name() const noexcept override { return "switchboard.server"; }
        std::string message(int ev) const override {
            switch (static_cast<errc>(ev)) {
                case errc::ack_timeout:
                    return "ack timeout";
                case errc::socket_disconnected:
                    return "socket disconnected";
                case errc::server_stopped:
                    return "server stopped";
            }
            return "unknown switchboard.server error";
        }
    };
    static const cat instance;
    return instance;
}

}  // namespace switchboard::server

namespace switchboard::server::detail {

protocol::millis now_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t wall_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string iso_time(std::int64_t ms) {
    return log::iso_time(ms);
}

std::string random_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // A per-thread pool of OS randomness, refilled in one call.
    thread_local unsigned char pool[4096];
    thread_local std::size_t used = sizeof pool;
    if (used + 15 > sizeof pool) {
        std::size_t got = 0;
        while (got < sizeof pool) {
            ssize_t r = getrandom(pool + got, sizeof pool - got, 0);
            if (r > 0) got += static_cast<std::size_t>(r);
        }
        used = 0;
    }
    std::string id(20, '\0');
    const unsigned char* p = pool + used;
    used += 15;
    for (int i = 0; i < 5; ++i) {
        std::uint32_t v = (p[3 * i] << 16) | (p[3 * i + 1] << 8) | p[3 * i + 2];
        id[4 * i] = alphabet[(v >> 18) & 63];
        id[4 * i + 1] = alphabet[(v >> 12) & 63];
        id[4 * i + 2] = alphabet[(v >> 6) & 63];
        id[4 * i + 3] = alphabet[v & 63];
    }
    return id;
}

}  // namespace switchboard::server::detail
