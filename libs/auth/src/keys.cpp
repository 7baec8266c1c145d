// Key loading: shared secrets, PEM public keys and certificates, JWK Sets (OpenSSL 3, EVP only).
#include <switchboard/auth/keys.hpp>
#include <switchboard/protocol/base64.hpp>

#include "key_entry.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <boost/json/parse.hpp>

#include <optional>

namespace switchboard::auth {

using namespace detail;

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string std_alphabet;
    std_alphabet.reserve(text.size() + 2);
    for (char c : text) {
        if (c == '-')
            std_alphabet.push_back('+');
        else if (c == '_')
            std_alphabet.push_back('/');
        else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            std_alphabet.push_back(c);
        else
            return std::nullopt;  // '+', '/', '=' and everything else are not base64url
    }
    if (std_alphabet.size() % 4 == 1) return std::nullopt;
    return protocol::base64_decode(std_alphabet);
}

std::string base64url_encode(std::string_view bytes) {
    std::string s;
    protocol::base64_append(s, bytes);
    while (!s.empty() && s.back() == '=')
        s.pop_back();
    for (auto& c : s) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return s;
}

namespace {

// The family of an asymmetric key, or nullopt for a type or curve we do not accept.
std::optional<family> family_of(EVP_PKEY* k) {
    if (EVP_PKEY_is_a(k, "RSA"))
        return EVP_PKEY_get_bits(k) >= 2048 ? std::optional(family::rsa) : std::nullopt;
    if (EVP_PKEY_is_a(k, "EC")) {
        char curve[64] = {};
        std::size_t len = 0;
        if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &len))
            return std::nullopt;
        std::string_view c(curve, len);
        if (c == "prime256v1" || c == "P-256") return family::ec256;
        if (c == "secp384r1" || c == "P-384") return family::ec384;
    }
    return std::nullopt;
}

}  // namespace

key_set::key_set() = default;
key_set::~key_set() = default;
key_set::key_set(key_set&&) noexcept = default;
key_set& key_set::operator=(key_set&&) noexcept = default;
bool key_set::empty() const noexcept {
    return keys_.empty();
}
std::size_t key_set::size() const noexcept {
    return keys_.size();
}

std::string key_set::describe() const {
    std::string out;
    for (const auto& k : keys_) {
        if (!out.empty()) out += ",";
        switch (k->fam) {
            case family::hmac:
                out += "HS*";
                break;
            case family::rsa:
                out += "RS*";
                break;
            case family::ec256:
                out += "ES256";
                break;
            case family::ec384:
                out += "ES384";
                break;
        }
        if (!k->kid.empty()) out += "(kid " + k->kid + ")";
    }
    return out;
}

boost::system::error_code key_set::add_secret(std::string secret) {
    if (secret.empty()) return errc::bad_key;
    auto e = std::make_unique<entry>();
    e->fam = family::hmac;
    e->secret = std::move(secret);
    keys_.push_back(std::move(e));
    return {};
}

boost::system::error_code key_set::add_pem(std::string_view pem, std::string kid) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                  &BIO_free);
    if (!bio) return errc::bad_key;
    pkey_ptr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        BIO_reset(bio.get());
        std::unique_ptr<X509, decltype(&X509_free)> cert(
            PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
        if (cert) key.reset(X509_get_pubkey(cert.get()));
    }
    ERR_clear_error();  // failed PEM attempts leave entries in this thread's error queue
    if (!key) return errc::bad_key;
    auto fam = family_of(key.get());
    if (!fam) return errc::bad_key;
    auto e = std::make_unique<entry>();
    e->fam = *fam;
    e->kid = std::move(kid);
    e->pkey = std::move(key);
    keys_.push_back(std::move(e));
    return {};
}

namespace {

std::optional<std::string> jwk_field(const boost::json::object& o, std::string_view name) {
    auto* v = o.if_contains(name);
    if (!v || !v->is_string()) return std::nullopt;
    return base64url_decode(v->get_string());
}

struct bn_free {
    void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};

pkey_ptr from_params(const char* type, OSSL_PARAM_BLD* bld) {
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld),
                                                                   &OSSL_PARAM_free);
    if (!params) return nullptr;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
    EVP_PKEY* out = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
        EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        return nullptr;
    return pkey_ptr(out);
}

pkey_ptr rsa_from_jwk(const boost::json::object& o) {
    auto n = jwk_field(o, "n"), e = jwk_field(o, "e");
    if (!n || !e || n->empty() || e->empty()) return nullptr;
    std::unique_ptr<BIGNUM, bn_free> bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
    std::unique_ptr<BIGNUM, bn_free> bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        &OSSL_PARAM_BLD_free);
    if (!bn_n || !bn_e || !bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
        return nullptr;
    return from_params("RSA", bld.get());
}

pkey_ptr ec_from_jwk(const boost::json::object& o) {
    auto* crv = o.if_contains("crv");
    if (!crv || !crv->is_string()) return nullptr;
    std::string group;
    std::size_t coord = 0;
    if (crv->get_string() == "P-256") {
        group = "prime256v1";
        coord = 32;
    } else if (crv->get_string() == "P-384") {
        group = "secp384r1";
        coord = 48;
    } else {
        return nullptr;
    }
    auto x = jwk_field(o, "x"), y = jwk_field(o, "y");
    if (!x || !y || x->size() != coord || y->size() != coord) return nullptr;
    std::string point = "\x04" + *x + *y;
    std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                        &OSSL_PARAM_BLD_free);
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
        return nullptr;
    return from_params("EC", bld.get());
}

}  // namespace

boost::system::error_code key_set::add_jwks(std::string_view json) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) return errc::bad_key;
    auto* ks = v.get_object().if_contains("keys");
    if (!ks || !ks->is_array()) return errc::bad_key;
    std::size_t added = 0;
    for (const auto& k : ks->get_array()) {
        if (!k.is_object()) continue;
        const auto& o = k.get_object();
        auto* kty = o.if_contains("kty");
        if (!kty || !kty->is_string()) continue;
        if (auto* use = o.if_contains("use"); use && use->is_string() && use->get_string() != "sig") continue;
        pkey_ptr key;
        if (kty->get_string() == "RSA")
            key = rsa_from_jwk(o);
        else if (kty->get_string() == "EC")
            key = ec_from_jwk(o);
        if (!key) continue;
        auto fam = family_of(key.get());
        if (!fam) continue;
        auto e = std::make_unique<entry>();
        e->fam = *fam;
        if (auto* kid = o.if_contains("kid"); kid && kid->is_string()) e->kid = kid->get_string();
        if (auto* alg = o.if_contains("alg"); alg && alg->is_string()) {
            auto* a = find_alg(alg->get_string());
            if (!a || a->fam != *fam) continue;  // a JWK whose alg contradicts its key
            e->alg = alg->get_string();
        }
        e->pkey = std::move(key);
        keys_.push_back(std::move(e));
        ++added;
    }
    return added ? boost::system::error_code{} : make_error_code(errc::bad_key);
}

}  // namespace switchboard::auth
