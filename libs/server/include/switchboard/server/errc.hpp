#pragma once
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace switchboard::server {

enum class errc { ack_timeout = 1, socket_disconnected, server_stopped };

const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

}  // namespace switchboard::server

template <>
struct boost::system::is_error_code_enum<switchboard::server::errc> : std::true_type {};
