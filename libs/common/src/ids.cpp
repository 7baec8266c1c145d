#include <switchboard/common/ids.hpp>

#include <sys/random.h>

#include <stdexcept>

namespace switchboard::common {

namespace {
// Fills `out` from the OS's source (getrandom blocks only before the pool is first seeded).
void os_random(unsigned char* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r > 0) got += static_cast<std::size_t>(r);
    }
}
}  // namespace

std::string random_id() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // A per-thread pool of OS randomness, refilled in one call.
    thread_local unsigned char pool[4096];
    thread_local std::size_t used = sizeof pool;
    if (used + 15 > sizeof pool) {
        os_random(pool, sizeof pool);
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

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0'), out;
    os_random(reinterpret_cast<unsigned char*>(raw.data()), bytes);
    static constexpr char digits[] = "0123456789abcdef";
    out.reserve(2 * bytes);
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

}  // namespace switchboard::common
