#pragma once
// Credentials → principal | refusal: the one decision the gateway makes at a Socket.IO CONNECT
// (and the REST API per request). A JWT is verified here with the configured keys; a Django key
// is resolved through a user_lookup. Refusals carry the fixed text the client is told, a metrics
// label and, for logs only, why. Pure: no I/O, no clock (time is an argument).
#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/jwt.hpp>
#include <switchboard/auth/user_lookup.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::auth {

// What clients are told (fixed: never the internal reason).
inline constexpr std::string_view msg_auth_required = "Authentication required";
inline constexpr std::string_view msg_invalid_token = "Invalid or expired token";
inline constexpr std::string_view msg_retry_later = "Authentication temporarily unavailable, please retry";

struct authenticate_options {
    const key_set* keys = nullptr;  // JWT keys; nullptr or empty: every JWT is refused
    verify_options verify;
    bool allow_anonymous = false;  // no token at all: an anonymous principal instead of a refusal
    user_lookup* users = nullptr;  // Django keys (DRF_TOKEN_AUTH); nullptr: off, all tokens are JWTs
};

struct refusal {
    std::string message;            // for the client: one of the msg_* texts
    std::string reason;             // metrics label: missing_token, malformed_token, unknown_token,
                                    // store_unavailable, or reason_label() of a refused JWT
    boost::system::error_code why;  // for logs (a JWT's auth::errc); empty otherwise
    bool retry_later = false;       // the database could not answer: not the client's fault
};

struct auth_outcome {
    std::optional<principal> who;  // accepted (anonymous when there was no token and that is allowed)
    refusal refused;               // when `who` is empty
    std::string drf_key;           // the Django key `who` came from ("" for a JWT or anonymous)

    bool accepted() const noexcept { return who.has_value(); }
};

using auth_handler = std::function<void(auth_outcome)>;

// Is `t` a Django key rather than a JWT? The Token scheme, or (lookups on) a credential that is
// not three dot-separated segments. Always false with lookups off.
bool is_django_key(const found_token& t, bool lookups_on) noexcept;
// Would authenticating `t` ask the database? (A Django key of the right shape: 40 hex digits.)
// Callers rate-limit these before asking (see connect_refusals).
bool needs_lookup(const found_token& t, const authenticate_options& opts) noexcept;

// Decides `token` (as find_token found it; nullopt: none). Calls `done` exactly once: before
// returning for everything but a Django key, from the lookup's answer for one.
void authenticate(const std::optional<found_token>& token, const authenticate_options& opts,
                  std::int64_t now_s, auth_handler done);

}  // namespace switchboard::auth
