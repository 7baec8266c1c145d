#include <switchboard/auth/identity.hpp>

#include <cmath>

namespace switchboard::auth {

namespace {
bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return std::string(s);
}

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
}  // namespace

std::optional<std::string> id_text(const boost::json::value& v) {
    if (v.is_string()) {
        if (v.get_string().empty()) return std::nullopt;
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

std::optional<found_token> find_token(const boost::json::object& auth,
                                      const std::vector<std::pair<std::string, std::string>>& query,
                                      const std::vector<std::pair<std::string, std::string>>& headers) {
    if (auto* t = auth.if_contains("token"); t && t->is_string() && !t->get_string().empty()) {
        std::string_view v = t->get_string();
        // Some clients put the whole header value in auth.token.
        if (v.size() > 7 && iequals(v.substr(0, 7), "Bearer "))
            return found_token{trim(v.substr(7)), "Bearer", "auth"};
        if (v.size() > 6 && iequals(v.substr(0, 6), "Token "))
            return found_token{trim(v.substr(6)), "Token", "auth"};
        return found_token{std::string(v), "", "auth"};
    }
    for (const auto& [k, v] : query)
        if (k == "token" && !v.empty()) return found_token{v, "", "query"};
    for (const auto& [k, v] : headers) {
        if (k != "authorization") continue;
        std::string_view h = v;
        if (h.size() > 7 && iequals(h.substr(0, 7), "Bearer "))
            return found_token{trim(h.substr(7)), "Bearer", "header"};
        if (h.size() > 6 && iequals(h.substr(0, 6), "Token "))
            return found_token{trim(h.substr(6)), "Token", "header"};
    }
    return std::nullopt;
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
    if (auto* e = c.if_contains("exp")) {
        if (e->is_int64()) p.expires_at = e->get_int64();
        if (e->is_uint64()) p.expires_at = static_cast<std::int64_t>(e->get_uint64());
        if (e->is_double() && std::isfinite(e->get_double()))
            p.expires_at = static_cast<std::int64_t>(e->get_double());
    }
    return p;
}

}  // namespace switchboard::auth
