#pragma once
// Errors of the RESP codec, the URL parser and the Redis client.
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace switchboard::redis {

enum class errc {
    protocol_error = 1,  // bytes that are not RESP
    too_deep,            // aggregate nesting past the parser's limit
    too_large,           // a bulk, an aggregate or the buffered input past its limit
    bad_url,             // an unusable redis:// URL
    not_connected,       // a call made while the connection is down (never queued)
    timeout,             // a call's deadline passed (the connection is then re-established)
    connection_lost,     // the connection dropped with the call in flight
    server_error,        // the server answered with an error reply (the value holds its text)
    auth_failed,         // AUTH or SELECT refused during the connection setup
    connect_timeout,     // TCP/TLS connect or the setup exchange took too long
    health_check_failed  // no reply to the idle PING in time
};

const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

}  // namespace switchboard::redis

template <>
struct boost::system::is_error_code_enum<switchboard::redis::errc> : std::true_type {};
