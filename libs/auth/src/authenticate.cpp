#include <switchboard/auth/authenticate.hpp>
#include <switchboard/auth/ids.hpp>

#include <algorithm>

namespace switchboard::auth {

namespace {

auth_outcome refused(std::string_view message, std::string reason, boost::system::error_code why = {},
                     bool retry_later = false) {
    auth_outcome out;
    out.refused = refusal{std::string(message), std::move(reason), why, retry_later};
    return out;
}

auth_outcome accepted(principal p, std::string drf_key = {}) {
    auth_outcome out;
    out.who = std::move(p);
    out.drf_key = std::move(drf_key);
    return out;
}

// A Django key's answer → the outcome the gateway gives for it.
auth_outcome from_lookup(lookup_result r, std::string key) {
    if (!r) return refused(msg_retry_later, "store_unavailable", r.error(), true);
    if (!*r) return refused(msg_invalid_token, "unknown_token");
    return accepted(std::move(**r), std::move(key));
}

auth_outcome from_jwt(std::string_view token, const authenticate_options& opts, std::int64_t now_s) {
    static const key_set no_keys;
    auto p = principal_from_jwt(token, opts.keys ? *opts.keys : no_keys, opts.verify, now_s);
    if (!p) {
        auto reason =
            p.error().category() == category() ? reason_label(static_cast<errc>(p.error().value())) : "other";
        return refused(msg_invalid_token, reason, p.error());
    }
    return accepted(std::move(*p));
}

}  // namespace

bool is_django_key(const found_token& t, bool lookups_on) noexcept {
    return lookups_on && (t.scheme == "Token" ||
                          (t.scheme != "Bearer" && std::count(t.value.begin(), t.value.end(), '.') != 2));
}

bool needs_lookup(const found_token& t, const authenticate_options& opts) noexcept {
    return is_django_key(t, opts.users != nullptr) && valid_drf_key(t.value);
}

void authenticate(const std::optional<found_token>& token, const authenticate_options& opts,
                  std::int64_t now_s, auth_handler done) {
    if (!token) {
        if (!opts.allow_anonymous) return done(refused(msg_auth_required, "missing_token"));
        return done(accepted(principal{}));
    }
    if (!is_django_key(*token, opts.users != nullptr)) return done(from_jwt(token->value, opts, now_s));
    // Not 40 hex digits: no Django key, refused before any lookup.
    if (!valid_drf_key(token->value)) return done(refused(msg_invalid_token, "malformed_token"));
    opts.users->by_token(token->value, [key = token->value, done = std::move(done)](lookup_result r) mutable {
        done(from_lookup(std::move(r), std::move(key)));
    });
}

}  // namespace switchboard::auth
