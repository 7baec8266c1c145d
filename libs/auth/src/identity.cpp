#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/ids.hpp>
#include <switchboard/auth/jwt.hpp>

#include "text.hpp"

#include <algorithm>
#include <cmath>

namespace switchboard::auth {

namespace {
const boost::json::value* first_of(const boost::json::object& o,
                                   std::initializer_list<std::string_view> names) {
    for (auto n : names)
        if (auto* v = o.if_contains(n); v && !v->is_null()) return v;
    return nullptr;
}

std::string text_or_empty(const boost::json::object& o, std::initializer_list<std::string_view> names) {
    auto* v = first_of(o, names);
    if (!v) return {};
    return id_text(*v).value_or(std::string{});
}
// Claims that hold an id or an array of ids, for "claim:<name>" room rules; bounded.
void keep_id_claims(const boost::json::object& c, principal& p) {
    for (const auto& [key, v] : c) {
        if (p.claims.size() >= max_extra_claims) return;
        static constexpr std::string_view registered[] = {"exp", "iat", "nbf", "iss", "aud", "sub", "jti"};
        if (!valid_id(key) ||
            std::find(std::begin(registered), std::end(registered), key) != std::end(registered))
            continue;
        std::vector<std::string> ids;
        if (v.is_array()) {
            for (const auto& x : v.get_array())
                if (auto t = id_text(x); t && ids.size() < max_claim_values) ids.push_back(std::move(*t));
        } else if (auto t = id_text(v)) {
            ids.push_back(std::move(*t));
        }
        if (!ids.empty()) p.claims.emplace_back(std::string(key), std::move(ids));
    }
}
}  // namespace

std::optional<std::string> id_text(const boost::json::value& v) {
    if (v.is_string()) {
        if (!valid_id(v.get_string())) return std::nullopt;
        return std::string(v.get_string());
    }
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    if (v.is_double()) {
        double d = v.get_double();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0)
            return std::to_string(static_cast<long long>(d));
    }
    return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> parse_authorization(std::string_view value) {
    for (std::string_view scheme : {"Bearer", "Token"}) {
        if (value.size() <= scheme.size() || value[scheme.size()] != ' ' ||
            !detail::iequals(value.substr(0, scheme.size()), scheme))
            continue;
        auto credential = detail::trim(value.substr(scheme.size() + 1));
        if (credential.empty()) return std::nullopt;
        return std::pair{std::string(scheme), std::string(credential)};
    }
    return std::nullopt;
}

std::optional<found_token> find_token(const boost::json::object& auth,
                                      const std::vector<std::pair<std::string, std::string>>& query,
                                      std::string_view authorization) {
    if (auto* t = auth.if_contains("token"); t && t->is_string() && !t->get_string().empty()) {
        std::string_view v = t->get_string();
        // Some clients put the whole header value in auth.token.
        if (auto a = parse_authorization(v))
            return found_token{std::move(a->second), std::move(a->first), "auth"};
        return found_token{std::string(v), "", "auth"};
    }
    for (const auto& [k, v] : query)
        if (k == "token" && !v.empty()) return found_token{v, "", "query"};
    if (auto a = parse_authorization(authorization))
        return found_token{std::move(a->second), std::move(a->first), "header"};
    return std::nullopt;
}

boost::system::result<principal> principal_from_jwt(std::string_view token, const key_set& keys,
                                                    const verify_options& opts, std::int64_t now_s) {
    auto v = verify_jwt(token, keys, opts, now_s);
    if (!v) return v.error();
    return principal_from_claims(v->claims);
}

boost::system::result<principal> principal_from_claims(const boost::json::object& c) {
    principal p;
    auto* id = first_of(c, {"userId", "user_id", "sub"});
    if (!id) return errc::no_user_id;
    auto text = id_text(*id);
    if (!text || text->size() > 128) return errc::no_user_id;
    p.user_id = std::move(*text);
    p.anonymous = false;
    p.source = "jwt";
    if (auto* e = c.if_contains("email"); e && e->is_string()) p.email = e->get_string();
    if (auto* r = c.if_contains("role"); r && r->is_string()) p.role = r->get_string();
    p.college_id = text_or_empty(c, {"collegeId", "college_id"});
    p.company_id = text_or_empty(c, {"companyId", "company_id"});
    if (auto* s = first_of(c, {"shopIds", "shop_ids"}); s && s->is_array())
        for (const auto& x : s->get_array())
            if (auto t = id_text(x)) p.shop_ids.push_back(std::move(*t));
    if (auto* s = first_of(c, {"isSuperAdmin", "is_super_admin"}); s && s->is_bool())
        p.super_admin = s->get_bool();
    if (p.role == "super_admin") p.super_admin = true;
    keep_id_claims(c, p);
    // Clamped into [0, max_expiry_s]: a huge exp (1e300, 2^63) must not overflow the conversion to
    // an integer, nor the milliseconds the expiry timer computes from it.
    if (auto* e = c.if_contains("exp")) {
        if (e->is_int64()) p.expires_at = std::clamp<std::int64_t>(e->get_int64(), 0, max_expiry_s);
        if (e->is_uint64())
            p.expires_at = static_cast<std::int64_t>(
                std::min<std::uint64_t>(e->get_uint64(), static_cast<std::uint64_t>(max_expiry_s)));
        if (e->is_double() && std::isfinite(e->get_double())) {
            double d = e->get_double();
            p.expires_at = d >= static_cast<double>(max_expiry_s) ? max_expiry_s
                           : d <= 0                               ? 0
                                                                  : static_cast<std::int64_t>(d);
        }
    }
    return p;
}

}  // namespace switchboard::auth
