// JWT verification with OpenSSL 3 (EVP only, no deprecated APIs). Keys are loaded by keys.cpp.
#include <switchboard/auth/jwt.hpp>

#include "key_entry.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>
#include <optional>

namespace switchboard::auth {

using namespace detail;

namespace {

bool verify_hmac(const alg_info& a, const std::string& secret, std::string_view input, std::string_view sig) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(a.md(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len))
        return false;
    return sig.size() == len && CRYPTO_memcmp(mac, sig.data(), len) == 0;
}

// JWS ECDSA signatures are r||s of fixed width; OpenSSL verifies DER.
std::optional<std::string> ecdsa_raw_to_der(std::string_view sig, std::size_t coord) {
    if (sig.size() != 2 * coord) return std::nullopt;
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> s(ECDSA_SIG_new(), &ECDSA_SIG_free);
    BIGNUM* r =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(coord), nullptr);
    BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data() + coord),
                           static_cast<int>(coord), nullptr);
    if (!s || !r || !ss || !ECDSA_SIG_set0(s.get(), r, ss)) {
        BN_free(r);
        BN_free(ss);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(s.get(), &der);
    if (len <= 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

bool verify_pkey(const alg_info& a, EVP_PKEY* key, std::string_view input, std::string_view sig) {
    std::string der;
    if (a.fam == family::ec256 || a.fam == family::ec384) {
        auto d = ecdsa_raw_to_der(sig, a.fam == family::ec256 ? 32 : 48);
        if (!d) return false;
        der = std::move(*d);
        sig = der;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, a.md(), nullptr, key) != 1) return false;
    bool ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    ERR_clear_error();
    return ok;
}

std::optional<boost::json::object> decode_object(std::string_view segment) {
    auto raw = base64url_decode(segment);
    if (!raw) return std::nullopt;
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 32;
    auto v = boost::json::parse(*raw, ec, {}, po);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

// A NumericDate claim: absent → nullopt; present but not a finite number → error.
bool numeric_date(const boost::json::object& c, std::string_view name, std::optional<double>& out) {
    auto* v = c.if_contains(name);
    if (!v) return true;
    if (v->is_int64())
        out = static_cast<double>(v->get_int64());
    else if (v->is_uint64())
        out = static_cast<double>(v->get_uint64());
    else if (v->is_double() && std::isfinite(v->get_double()))
        out = v->get_double();
    else
        return false;
    return true;
}

}  // namespace

boost::system::result<verified_token> verify_jwt(std::string_view token, const key_set& keys,
                                                 const verify_options& opts, std::int64_t now_s) {
    if (token.empty()) return errc::missing_token;
    if (token.size() > 16 * 1024) return errc::malformed_token;
    auto d1 = token.find('.');
    if (d1 == std::string_view::npos) return errc::malformed_token;
    auto d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
        return errc::malformed_token;
    auto header = decode_object(token.substr(0, d1));
    auto claims = decode_object(token.substr(d1 + 1, d2 - d1 - 1));
    auto sig = base64url_decode(token.substr(d2 + 1));
    if (!header || !claims || !sig) return errc::malformed_token;

    auto* alg_v = header->if_contains("alg");
    if (!alg_v || !alg_v->is_string()) return errc::malformed_token;
    const alg_info* alg = find_alg(alg_v->get_string());
    if (!alg) return errc::unsupported_algorithm;                // "none", PS*, EdDSA, anything unknown
    if (header->contains("crit")) return errc::malformed_token;  // we understand no critical extension
    std::string_view kid;
    if (auto* k = header->if_contains("kid"); k && k->is_string()) kid = k->get_string();

    std::string_view input = token.substr(0, d2);
    bool any_for_alg = false, kid_known = kid.empty();
    bool ok = false;
    for (const auto& k : keys.keys_) {
        if (!kid.empty() && !k->kid.empty() && k->kid != kid) continue;
        if (!kid.empty() && k->kid == kid) kid_known = true;
        if (k->fam != alg->fam || (!k->alg.empty() && k->alg != alg->name)) continue;
        any_for_alg = true;
        ok = k->fam == family::hmac ? verify_hmac(*alg, k->secret, input, *sig)
                                    : verify_pkey(*alg, k->pkey.get(), input, *sig);
        if (ok) break;
    }
    if (!ok) {
        if (!kid_known && !any_for_alg) return errc::unknown_key;
        if (!any_for_alg) return errc::unsupported_algorithm;
        return errc::bad_signature;
    }

    std::optional<double> exp, nbf;
    if (!numeric_date(*claims, "exp", exp) || !numeric_date(*claims, "nbf", nbf))
        return errc::malformed_token;
    auto now = static_cast<double>(now_s);
    if (exp && now >= *exp + static_cast<double>(opts.leeway_s)) return errc::expired;
    if (nbf && now + static_cast<double>(opts.leeway_s) < *nbf) return errc::not_yet_valid;
    if (!opts.issuer.empty()) {
        auto* iss = claims->if_contains("iss");
        if (!iss || !iss->is_string() || iss->get_string() != opts.issuer) return errc::bad_issuer;
    }
    if (!opts.audience.empty()) {
        auto* aud = claims->if_contains("aud");
        bool match = false;
        if (aud && aud->is_string()) match = aud->get_string() == opts.audience;
        if (aud && aud->is_array())
            for (const auto& a : aud->get_array())
                if (a.is_string() && a.get_string() == opts.audience) match = true;
        if (!match) return errc::bad_audience;
    }
    return verified_token{std::move(*header), std::move(*claims)};
}

std::string sign_hs256(const boost::json::object& claims, std::string_view secret) {
    auto input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                 base64url_encode(boost::json::serialize(claims));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace switchboard::auth
