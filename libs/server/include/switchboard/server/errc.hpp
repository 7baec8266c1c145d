#pragma once
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace switchboard::server {

enum class errc {
    ack_timeout = 1,
    socket_disconnected,
    server_stopped,
    tls_not_configured,  // reload_tls on a server started without TLS
    tls_load_failed,     // reload_tls: a certificate or key file unreadable or invalid (logged)
};

const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

}  // namespace switchboard::server

template <>
struct boost::system::is_error_code_enum<switchboard::server::errc> : std::true_type {};
