#include <switchboard/auth/access.hpp>
#include <switchboard/auth/ids.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace switchboard::auth {

namespace {

std::optional<prefix_rule> rule_from_name(std::string_view s) {
    if (s.starts_with("claim:")) {
        auto name = s.substr(6);
        if (!valid_id(name)) return std::nullopt;
        return prefix_rule{room_rule::claim, std::string(name)};
    }
    if (s == "backend") return room_rule::backend;
    if (s == "open") return room_rule::open;
    if (s == "deny") return room_rule::deny;
    if (s == "self") return room_rule::self;
    if (s == "collegeId") return room_rule::college;
    if (s == "companyId") return room_rule::company;
    if (s == "shopIds") return room_rule::shop;
    if (s == "role") return room_rule::role;
    if (s == "superAdmin") return room_rule::super_admin;
    return std::nullopt;
}

bool anonymous_may(const room_rules& r, std::string_view room) {
    for (const auto& a : r.anonymous_rooms) {
        if (a == room) return true;
        if (a.size() >= 2 && a.ends_with(":*") && room.size() > a.size() - 1 &&
            room.substr(0, a.size() - 1) == std::string_view(a).substr(0, a.size() - 1))
            return true;
    }
    return false;
}

bool claim_holds(const principal& p, std::string_view claim, std::string_view id) {
    for (const auto& [name, values] : p.claims)
        if (name == claim) return std::find(values.begin(), values.end(), id) != values.end();
    return false;
}

bool fail(std::string* why, std::string text) {
    if (why) *why = std::move(text);
    return false;
}

}  // namespace

boost::system::result<room_rules> parse_rules(std::string_view json, std::string* why) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) {
        fail(why, "not a JSON object");
        return errc::bad_rules;
    }
    room_rules r;
    for (const auto& [key, val] : v.get_object()) {
        if (key == "anonymousRooms") {
            if (!val.is_array())
                return fail(why, "anonymousRooms: expected an array of strings"), errc::bad_rules;
            r.anonymous_rooms.clear();
            for (const auto& x : val.get_array()) {
                if (!x.is_string()) return fail(why, "anonymousRooms: expected strings"), errc::bad_rules;
                r.anonymous_rooms.emplace_back(x.get_string());
            }
        } else if (key == "prefixes") {
            if (!val.is_object()) return fail(why, "prefixes: expected an object"), errc::bad_rules;
            for (const auto& kv : val.get_object()) {
                std::string_view prefix = kv.key();
                const auto& rule = kv.value();
                auto k = rule.is_string() ? rule_from_name(rule.get_string()) : std::nullopt;
                if (!k)
                    return fail(why, "prefixes." + std::string(prefix) +
                                         ": expected open, deny, self, collegeId, companyId, shopIds, role, "
                                         "superAdmin, claim:<name> or backend"),
                           errc::bad_rules;
                auto it = std::find_if(r.prefixes.begin(), r.prefixes.end(),
                                       [&](auto& p) { return p.first == prefix; });
                if (it != r.prefixes.end())
                    it->second = *k;
                else
                    r.prefixes.emplace_back(std::string(prefix), *k);
            }
        } else if (key == "default") {
            auto k = val.is_string() ? rule_from_name(val.get_string()) : std::nullopt;
            if (!k || (k->kind != room_rule::open && k->kind != room_rule::deny))
                return fail(why, "default: expected open or deny"), errc::bad_rules;
            r.default_rule = k->kind;
        } else if (key == "superAdminBypass") {
            if (!val.is_bool()) return fail(why, "superAdminBypass: expected a boolean"), errc::bad_rules;
            r.super_admin_bypass = val.get_bool();
        } else if (key == "maxRoomsPerSocket") {
            if (!val.is_int64() || val.get_int64() < 1 || val.get_int64() > 100000)
                return fail(why, "maxRoomsPerSocket: expected an integer 1..100000"), errc::bad_rules;
            r.max_rooms_per_socket = static_cast<std::size_t>(val.get_int64());
        } else {
            return fail(why, "unknown key " + std::string(key)), errc::bad_rules;
        }
    }
    return r;
}

join_verdict check_join(const room_rules& rules, const principal& p, std::string_view room,
                        std::size_t rooms_now) {
    if (!valid_room_name(room, rules.max_room_name)) return join_verdict::invalid_name;
    if (rooms_now >= rules.max_rooms_per_socket) return join_verdict::too_many_rooms;
    auto colon = room.find(':');
    std::string_view prefix = room.substr(0, colon);
    std::string_view rest = colon == std::string_view::npos ? std::string_view{} : room.substr(colon + 1);
    const prefix_rule* found = nullptr;
    for (const auto& [name, r] : rules.prefixes)
        if (name == prefix) found = &r;
    // A bare name must be listed: socket ids (own-id rooms) hold no ':' and are never listed.
    bool listed_anonymous = std::find(rules.anonymous_rooms.begin(), rules.anonymous_rooms.end(), room) !=
                            rules.anonymous_rooms.end();
    if (colon == std::string_view::npos && !found && !listed_anonymous)
        return p.anonymous ? join_verdict::anonymous_denied : join_verdict::forbidden;
    if (p.anonymous)
        return anonymous_may(rules, room) ? join_verdict::allowed : join_verdict::anonymous_denied;
    room_rule rule = found ? found->kind : rules.default_rule;
    auto ok = [](bool b) { return b ? join_verdict::allowed : join_verdict::forbidden; };
    bool bypass = p.super_admin && rules.super_admin_bypass;
    switch (rule) {
        case room_rule::open:
            return join_verdict::allowed;
        case room_rule::deny:
            return join_verdict::forbidden;
        case room_rule::self:
            return ok(!rest.empty() && rest == p.user_id);
        case room_rule::college:
            return ok(bypass || (!p.college_id.empty() && rest == p.college_id));
        case room_rule::company:
            return ok(bypass || (!p.company_id.empty() && rest == p.company_id));
        case room_rule::shop:
            return ok(bypass || (!rest.empty() &&
                                 std::find(p.shop_ids.begin(), p.shop_ids.end(), rest) != p.shop_ids.end()));
        case room_rule::role:
            return ok(bypass || (!p.role.empty() && rest == p.role));
        case room_rule::super_admin:
            return ok(p.super_admin);
        case room_rule::claim:
            return ok(bypass || (!rest.empty() && found && claim_holds(p, found->claim, rest)));
        case room_rule::backend:
            return rest.empty() ? join_verdict::forbidden : join_verdict::ask_backend;
    }
    return join_verdict::forbidden;
}

std::vector<std::string> open_rules(const room_rules& rules) {
    std::vector<std::string> out;
    if (rules.default_rule == room_rule::open) out.emplace_back("default open");
    for (const auto& [name, r] : rules.prefixes)
        if (r.kind == room_rule::open && name != "global") out.push_back("prefix " + name + " open");
    return out;
}

bool uses_backend(const room_rules& rules) {
    return std::any_of(rules.prefixes.begin(), rules.prefixes.end(),
                       [](const auto& kv) { return kv.second.kind == room_rule::backend; });
}

const char* join_refusal_message(join_verdict v) noexcept {
    switch (v) {
        case join_verdict::allowed:
            return "";
        case join_verdict::invalid_name:
            return "Invalid room name";
        case join_verdict::anonymous_denied:
            return "Authentication required to join this room";
        case join_verdict::forbidden:
            return "Access denied to this room";
        case join_verdict::too_many_rooms:
            return "Too many rooms";
        case join_verdict::ask_backend:
            return "Access denied to this room";
    }
    return "Access denied to this room";
}

const char* join_verdict_label(join_verdict v) noexcept {
    switch (v) {
        case join_verdict::allowed:
            return "allowed";
        case join_verdict::invalid_name:
            return "invalid_name";
        case join_verdict::anonymous_denied:
            return "anonymous";
        case join_verdict::forbidden:
            return "forbidden";
        case join_verdict::too_many_rooms:
            return "too_many_rooms";
        case join_verdict::ask_backend:
            return "backend";
    }
    return "forbidden";
}

std::vector<std::string> auto_rooms(const principal& p) {
    std::vector<std::string> r{"global"};
    if (p.anonymous) return r;
    r.push_back("user:" + p.user_id);
    if (!p.college_id.empty()) r.push_back("college:" + p.college_id);
    if (!p.company_id.empty()) r.push_back("company:" + p.company_id);
    for (const auto& s : p.shop_ids)
        r.push_back("shop:" + s);
    if (!p.role.empty()) r.push_back("role:" + p.role);
    if (p.super_admin) r.push_back("super_admin");
    return r;
}

std::optional<std::string> room_from_arg(const boost::json::value& arg) {
    if (arg.is_string()) {
        if (arg.get_string().empty()) return std::nullopt;
        return std::string(arg.get_string());
    }
    if (!arg.is_object()) return std::nullopt;
    const auto& o = arg.get_object();
    if (auto* r = o.if_contains("room"))
        return r->is_string() && !r->get_string().empty() ? std::optional(std::string(r->get_string()))
                                                          : std::nullopt;
    auto* id = o.if_contains("roomId");
    if (!id) return std::nullopt;
    auto id_s = id_text(*id);
    if (!id_s) return std::nullopt;
    if (auto* t = o.if_contains("roomType")) {
        if (!t->is_string() || t->get_string().empty()) return std::nullopt;
        return std::string(t->get_string()) + ":" + *id_s;
    }
    return id_s;
}

}  // namespace switchboard::auth
