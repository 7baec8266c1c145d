#pragma once
// JSON Web Token verification (RFC 7515/7519) for HS256/384/512, RS256/384/512 and ES256/384.
// The accepted algorithm is pinned by the key: a secret accepts only HS*, an RSA key only RS*, a
// P-256 key only ES256, a P-384 key only ES384 (and a JWK's "alg" narrows that further). So
// `alg: none` and the HS-with-a-public-key confusion are refused by construction. Keys are loaded
// by keys.hpp.
#include <switchboard/auth/errc.hpp>
#include <switchboard/auth/keys.hpp>  // key_set: loading keys is apart from verifying with them

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::auth {

struct verify_options {
    std::string issuer;    // empty: any
    std::string audience;  // empty: any
    std::int64_t leeway_s = 30;
};

struct verified_token {
    boost::json::object header;
    boost::json::object claims;
};

// Verifies signature, then exp/nbf (against `now_s`, seconds since the epoch, with the leeway),
// then iss/aud. Never throws.
boost::system::result<verified_token> verify_jwt(std::string_view token, const key_set& keys,
                                                 const verify_options& opts, std::int64_t now_s);

// An HS256 token for `claims` signed with `secret` (development mode's POST /dev/token; the
// service never issues tokens otherwise).
std::string sign_hs256(const boost::json::object& claims, std::string_view secret);

}  // namespace switchboard::auth
