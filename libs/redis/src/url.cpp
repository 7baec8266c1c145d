#include <switchboard/redis/errc.hpp>
#include <switchboard/redis/url.hpp>

#include <charconv>

namespace switchboard::redis {

namespace {

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size()) return false;
        int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

template <class T>
bool parse_number(std::string_view s, T& out) noexcept {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
}

boost::system::error_code bad(std::string* why, std::string_view reason) {
    if (why) *why = reason;
    return errc::bad_url;
}

}  // namespace

std::string endpoint::to_log_string() const {
    std::string out = tls ? "rediss://" : "redis://";
    if (host.find(':') != std::string::npos) {
        out += '[' + host + ']';
    } else {
        out += host;
    }
    out += ':' + std::to_string(port);
    if (db != 0) out += '/' + std::to_string(db);
    return out;
}

boost::system::result<endpoint> parse_url(std::string_view url, std::string* why) {
    endpoint ep;
    if (url.starts_with("redis://")) {
        url.remove_prefix(8);
    } else if (url.starts_with("rediss://")) {
        url.remove_prefix(9);
        ep.tls = true;
    } else {
        return bad(why, "the URL must start with redis:// or rediss://");
    }
    auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash + 1);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        auto colon = userinfo.find(':');
        if (!percent_decode(userinfo.substr(0, colon), ep.user))
            return bad(why, "bad percent-encoding in the user name");
        if (colon != std::string_view::npos && !percent_decode(userinfo.substr(colon + 1), ep.password))
            return bad(why, "bad percent-encoding in the password");
        if (colon == std::string_view::npos) {
            // redis://secret@host: a lone userinfo is the password (as redis-cli and most clients)
            ep.password = std::move(ep.user);
            ep.user.clear();
        }
    }
    std::string_view port;
    if (authority.starts_with('[')) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return bad(why, "unterminated [IPv6] host");
        ep.host.assign(authority.substr(1, close - 1));
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return bad(why, "unexpected text after the [IPv6] host");
            port = rest.substr(1);
            if (port.empty()) return bad(why, "empty port");
        }
    } else {
        auto colon = authority.find(':');
        ep.host.assign(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) return bad(why, "empty port");
        }
    }
    if (ep.host.empty()) return bad(why, "no host");
    for (char c : ep.host)
        if (c == '/' || c == '?' || c == '#' || c == ' ' || c == '@' || c == '[' || c == ']')
            return bad(why, "invalid character in the host");
    if (!port.empty()) {
        unsigned p = 0;
        if (!parse_number(port, p) || p == 0 || p > 65535) return bad(why, "the port must be 1-65535");
        ep.port = static_cast<std::uint16_t>(p);
    }
    if (auto q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
    if (!path.empty()) {
        if (!parse_number(path, ep.db) || ep.db < 0) return bad(why, "the database must be a number >= 0");
    }
    return ep;
}

}  // namespace switchboard::redis
