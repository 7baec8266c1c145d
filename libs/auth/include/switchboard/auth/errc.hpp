#pragma once
// Why a credential or a request was refused. Clients never see these texts: the gateway maps them
// to its fixed messages ("Authentication required", "Invalid or expired token").
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace switchboard::auth {

enum class errc {
    missing_token = 1,
    malformed_token,        // not three base64url segments of JSON objects
    unsupported_algorithm,  // alg none, or one no configured key accepts
    unknown_key,            // kid names no configured key
    bad_signature,
    expired,
    not_yet_valid,
    bad_issuer,
    bad_audience,
    no_user_id,     // verified, but no userId / user_id / sub claim
    bad_key,        // key material that cannot be loaded (startup)
    bad_rules,      // access rules file that cannot be used (startup)
    user_mismatch,  // a refreshed token for another user
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// A short stable name for metrics labels ("expired", "bad_signature").
const char* reason_label(errc e) noexcept;

}  // namespace switchboard::auth

template <>
struct boost::system::is_error_code_enum<switchboard::auth::errc> : std::true_type {};
