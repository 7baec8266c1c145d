#pragma once
// JSON Web Token verification (RFC 7515/7519) for HS256/384/512, RS256/384/512 and ES256/384.
// The accepted algorithm is pinned by the key: a secret accepts only HS*, an RSA key only RS*, a
// P-256 key only ES256, a P-384 key only ES384 (and a JWK's "alg" narrows that further). So
// `alg: none` and the HS-with-a-public-key confusion are refused by construction.
#include <switchboard/auth/errc.hpp>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::auth {

// Decodes unpadded base64url (the JWT alphabet); nullopt on any other character or length.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

struct verify_options;
struct verified_token;

class key_set {
public:
    key_set();
    ~key_set();
    key_set(key_set&&) noexcept;
    key_set& operator=(key_set&&) noexcept;

    // A shared secret for HS256/384/512.
    boost::system::error_code add_secret(std::string secret);
    // A PEM public key (SubjectPublicKeyInfo) or certificate, RSA or EC P-256/P-384.
    boost::system::error_code add_pem(std::string_view pem, std::string kid = {});
    // A JWK Set ({"keys":[...]}) of RSA and EC public keys; keys of other types are skipped.
    // Returns bad_key when none is usable.
    boost::system::error_code add_jwks(std::string_view json);

    bool empty() const noexcept;
    std::size_t size() const noexcept;
    // "HS256,RS256,..." for the startup log.
    std::string describe() const;

    struct entry;

private:
    friend boost::system::result<verified_token> verify_jwt(std::string_view, const key_set&,
                                                            const verify_options&, std::int64_t);
    std::vector<std::unique_ptr<entry>> keys_;
};

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

}  // namespace switchboard::auth
