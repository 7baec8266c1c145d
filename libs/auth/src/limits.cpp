#include <switchboard/auth/limits.hpp>

#include "text.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace switchboard::auth {

rate_window::verdict rate_window::hit(std::int64_t now) {
    if (start_ < 0 || now >= start_ + window_ms_ || now < start_) {
        start_ = now;
        count_ = 0;
        dropped_ = 0;
    }
    if (count_ < max_) {
        ++count_;
        return verdict::pass;
    }
    ++dropped_;
    if (dropped_ > disconnect_after_) return verdict::disconnect;
    return dropped_ == 1 ? verdict::drop_and_warn : verdict::drop;
}

std::int64_t rate_window::retry_after(std::int64_t now) const {
    if (start_ < 0) return 0;
    auto left = start_ + window_ms_ - now;
    return left > 0 ? left : 0;
}

namespace {

// Parses an address into the 16-byte form (IPv4 as ::ffff:a.b.c.d); `v4` tells which it was.
bool to_bytes(std::string_view text, unsigned char out[16], bool& v4) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
    char buf[INET6_ADDRSTRLEN];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = 0;
    unsigned char a4[4];
    if (inet_pton(AF_INET, buf, a4) == 1) {
        std::memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        std::memcpy(out + 12, a4, 4);
        v4 = true;
        return true;
    }
    v4 = false;
    return inet_pton(AF_INET6, buf, out) == 1;
}

bool prefix_match(const unsigned char* a, const unsigned char* b, unsigned bits) {
    unsigned full = bits / 8, rest = bits % 8;
    if (std::memcmp(a, b, full) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

bool address_set::parse(const std::vector<std::string>& entries, std::string* bad) {
    nets_.clear();
    for (const auto& raw : entries) {
        std::string_view e = detail::trim(raw);
        if (e.empty()) continue;
        if (e == "loopback") {
            std::vector<std::string> lo{"127.0.0.0/8", "::1"};
            address_set tmp;
            tmp.parse(lo);
            nets_.insert(nets_.end(), tmp.nets_.begin(), tmp.nets_.end());
            continue;
        }
        auto slash = e.find('/');
        net n{};
        bool v4 = false;
        if (!to_bytes(e.substr(0, slash), n.bytes, v4)) {
            if (bad) *bad = std::string(e);
            return false;
        }
        unsigned max = v4 ? 32 : 128;
        unsigned bits = max;
        if (slash != std::string_view::npos) {
            auto p = e.substr(slash + 1);
            if (p.empty() || p.size() > 3) {
                if (bad) *bad = std::string(e);
                return false;
            }
            bits = 0;
            for (char c : p) {
                if (c < '0' || c > '9') {
                    if (bad) *bad = std::string(e);
                    return false;
                }
                bits = bits * 10 + static_cast<unsigned>(c - '0');
            }
            if (bits > max) {
                if (bad) *bad = std::string(e);
                return false;
            }
        }
        n.prefix = v4 ? bits + 96 : bits;
        nets_.push_back(n);
    }
    return true;
}

bool address_set::contains(std::string_view address) const {
    unsigned char b[16];
    bool v4 = false;
    if (!to_bytes(detail::trim(address), b, v4)) return false;
    for (const auto& n : nets_)
        if (prefix_match(b, n.bytes, n.prefix)) return true;
    return false;
}

std::string address_key(std::string_view address) {
    unsigned char b[16];
    bool v4 = false;
    if (!to_bytes(address, b, v4) || v4) return std::string(address);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0) return std::string(address);  // an IPv4 client
    std::memset(b + 8, 0, 8);
    char text[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, b, text, sizeof text)) return std::string(address);
    return std::string(text) + "/64";
}

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const address_set& trusted) {
    if (trusted.empty() || forwarded_for.empty() || !trusted.contains(peer)) return std::string(peer);
    // Walk X-Forwarded-For right to left: each hop was added by the proxy before it.
    std::string_view rest = forwarded_for;
    for (;;) {
        auto comma = rest.rfind(',');
        std::string_view hop = detail::trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        unsigned char b[16];
        bool v4 = false;
        if (!to_bytes(hop, b, v4)) return std::string(peer);  // garbage: trust nothing from it
        if (!trusted.contains(hop) || comma == std::string_view::npos) return std::string(hop);
        rest = rest.substr(0, comma);
    }
}

}  // namespace switchboard::auth
