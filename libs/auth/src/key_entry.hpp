#pragma once
// What a key_set holds, shared by key loading (keys.cpp) and verification (jwt.cpp). Private.
#include <switchboard/auth/keys.hpp>

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace switchboard::auth {

namespace detail {

struct pkey_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

enum class family { hmac, rsa, ec256, ec384 };

struct alg_info {
    std::string_view name;
    family fam;
    const EVP_MD* (*md)();
};

inline constexpr alg_info algorithms[] = {
    {"HS256", family::hmac, EVP_sha256},  {"HS384", family::hmac, EVP_sha384},
    {"HS512", family::hmac, EVP_sha512},  {"RS256", family::rsa, EVP_sha256},
    {"RS384", family::rsa, EVP_sha384},   {"RS512", family::rsa, EVP_sha512},
    {"ES256", family::ec256, EVP_sha256}, {"ES384", family::ec384, EVP_sha384},
};

inline const alg_info* find_alg(std::string_view name) {
    for (const auto& a : algorithms)
        if (a.name == name) return &a;
    return nullptr;
}

}  // namespace detail

struct key_set::entry {
    detail::family fam;
    std::string kid;
    std::string alg;        // a JWK's "alg": only this one; empty: any of the family
    std::string secret;     // hmac
    detail::pkey_ptr pkey;  // rsa / ec
};

}  // namespace switchboard::auth
