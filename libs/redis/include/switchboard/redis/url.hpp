#pragma once
// Redis endpoint URLs (pure): redis://[user[:password]@]host[:port][/db] and rediss:// (TLS).
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::redis {

struct endpoint {
    std::string host;  // a name or an address; IPv6 without its brackets
    std::uint16_t port = 6379;
    std::string user;      // empty: AUTH with the password only (the "default" user)
    std::string password;  // empty: no AUTH
    int db = 0;
    bool tls = false;

    // "redis://host:port/db" without the credentials: safe to log.
    std::string to_log_string() const;
};

// Parses a URL. On failure returns errc::bad_url and, when `why` is given, a reason that never
// contains the password.
boost::system::result<endpoint> parse_url(std::string_view url, std::string* why = nullptr);

}  // namespace switchboard::redis
