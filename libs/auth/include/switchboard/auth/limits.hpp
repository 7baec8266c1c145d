#pragma once
// Limits against abuse: a per-socket event rate window, and the client address behind trusted
// proxies (for MAX_CONNECTIONS_PER_IP).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::auth {

// Fixed-window event counter. Up to `max` events per window pass; the first excess one asks the
// caller to warn the client (once per window), further ones are dropped silently, and more than
// `disconnect_after` dropped in one window means sustained abuse.
class rate_window {
public:
    enum class verdict { pass, drop_and_warn, drop, disconnect };
    rate_window(std::int64_t window_ms, std::uint32_t max, std::uint32_t disconnect_after)
        : window_ms_(window_ms), max_(max), disconnect_after_(disconnect_after) {}
    verdict hit(std::int64_t now_ms);
    // Milliseconds until the current window ends.
    std::int64_t retry_after(std::int64_t now_ms) const;

private:
    std::int64_t window_ms_;
    std::uint32_t max_;
    std::uint32_t disconnect_after_;
    std::int64_t start_ = -1;
    std::uint32_t count_ = 0;
    std::uint32_t dropped_ = 0;
};

// Addresses and networks ("10.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"; "loopback" = 127.0.0.0/8
// and ::1). IPv4-mapped IPv6 addresses match IPv4 entries.
class address_set {
public:
    // false (with `bad` set to the entry) when an entry cannot be parsed.
    bool parse(const std::vector<std::string>& entries, std::string* bad = nullptr);
    bool contains(std::string_view address) const;
    bool empty() const noexcept { return nets_.empty(); }

private:
    struct net {
        unsigned char bytes[16];
        unsigned prefix;  // in bits, of the 16-byte (IPv6 or mapped IPv4) form
    };
    std::vector<net> nets_;
};

// The client's address: the peer, or, when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself trusted.
std::string client_address(std::string_view peer, std::string_view forwarded_for, const address_set& trusted);

// The key a per-address limit counts under: an IPv4 address (or IPv4-mapped IPv6) as it is, an
// IPv6 address by its /64 (one host usually holds a whole /64, so counting single addresses would
// let it open 2^64 quotas); anything else as it is.
std::string address_key(std::string_view address);

}  // namespace switchboard::auth
