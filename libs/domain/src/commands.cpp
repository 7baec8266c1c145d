// Input checks of the chat and notification operations and the REST API's routes.
#include <switchboard/domain/commands.hpp>

#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/ids.hpp>
#include <switchboard/common/json_write.hpp>
#include <switchboard/protocol/engine_request.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace switchboard::domain {

namespace json = boost::json;

// snake_case keys of the Django-style REST API → the events' camelCase (when not both given).
json::object camel_keys(json::object in) {
    json::object out;
    for (auto& [k, v] : in) {
        std::string key(k);
        if (key.find('_') != std::string::npos) {
            std::string camel;
            bool up = false;
            for (char c : key) {
                if (c == '_') {
                    up = !camel.empty();
                    continue;
                }
                camel += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
                up = false;
            }
            if (!in.contains(camel)) key = camel;
        }
        out[key] = std::move(v);
    }
    return out;
}

const json::value* field(const json::object& o, std::string_view name) {
    auto* v = o.if_contains(name);
    return v && !v->is_null() ? v : nullptr;
}

// A user id: an integer, or a string of the id character set (auth::valid_id).
check need_user(const json::object& o, std::string_view name, std::string& out) {
    auto* v = field(o, name);
    if (!v) return fail(400, std::string(name) + " is required");
    auto t = auth::id_text(*v);
    if (!t)
        return fail(400,
                    std::string(name) + " must be a user id (an integer, or " + auth::id_rule_text + ")");
    out = std::move(*t);
    return std::nullopt;
}

namespace {

// An integer: a JSON integer, an integral double, or decimal text (as query strings carry it).
std::optional<std::int64_t> int_value(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double()) {
        double d = v.get_double();
        if (d != static_cast<double>(static_cast<std::int64_t>(d)) || d <= -9e15 || d >= 9e15)
            return std::nullopt;
        return static_cast<std::int64_t>(d);
    }
    if (v.is_string()) {
        std::string_view s = v.get_string();
        if (s.empty() || s.size() >= 19 ||
            !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        return std::stoll(std::string(s));
    }
    return std::nullopt;
}

}  // namespace

check opt_int(const json::object& o, std::string_view name, std::optional<std::int64_t>& out,
              std::int64_t min, std::int64_t max) {
    auto* v = field(o, name);
    if (!v) return std::nullopt;
    auto n = int_value(*v);
    if (!n || *n < min || *n > max)
        return fail(400, std::string(name) + " must be an integer from " + std::to_string(min) +
                             (max == INT64_MAX ? " up" : " to " + std::to_string(max)));
    out = n;
    return std::nullopt;
}

// A limit: default when absent, 1..max.
check limit_of(const json::object& o, std::int64_t def, std::int64_t max, std::int64_t& out) {
    std::optional<std::int64_t> l;
    if (auto e = opt_int(o, "limit", l, 1, max)) return e;
    out = l.value_or(def);
    return std::nullopt;
}

// A list of ids (positive integers), or one id; empty allowed only when `optional`.
check id_list(const json::object& o, std::string_view name, std::vector<std::int64_t>& out, bool optional) {
    auto* v = field(o, name);
    if (!v) {
        if (optional) return std::nullopt;
        return fail(400, std::string(name) + " is required");
    }
    auto bad = [&] {
        return fail(400, std::string(name) + " must be an array of positive integer ids (at most 500)");
    };
    auto add = [&](const json::value& x) {
        auto n = int_value(x);
        if (!n || *n < 1) return false;
        out.push_back(*n);
        return true;
    };
    if (!v->is_array()) return add(*v) ? check{} : bad();
    const auto& a = v->get_array();
    if (a.size() > 500 || (a.empty() && !optional)) return bad();
    for (const auto& x : a)
        if (!add(x)) return bad();
    return std::nullopt;
}

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

bool blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
}

// A required text field with a length bound (characters).
check need_string(const json::object& o, std::string_view name, std::size_t max, std::string& out) {
    auto* v = field(o, name);
    if (!v) return fail(400, std::string(name) + " is required");
    if (!v->is_string()) return fail(400, std::string(name) + " must be a string");
    if (blank(v->get_string())) return fail(400, std::string(name) + " must not be empty");
    if (v->get_string().find('\0') != json::string::npos)
        return fail(400, std::string(name) + " must not contain NUL characters");
    if (utf8_length(v->get_string()) > max)
        return fail(400, std::string(name) + " is longer than " + std::to_string(max) + " characters");
    out = v->get_string();
    return std::nullopt;
}

// Attachments: metadata only — [{url, name?, mime?, size?}], at most 10; stored normalised.
check attachments_of(const json::object& o, std::string& out) {
    auto* v = field(o, "attachments");
    if (!v) {
        out = "[]";
        return std::nullopt;
    }
    if (!v->is_array()) return fail(400, "attachments must be an array");
    const auto& a = v->get_array();
    if (a.size() > 10) return fail(400, "attachments: at most 10");
    json::array clean;
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::string at = "attachments[" + std::to_string(i) + "]";
        if (!a[i].is_object()) return fail(400, at + " must be an object {url, name, mime, size}");
        const auto& x = a[i].get_object();
        json::object c;
        auto* url = field(x, "url");
        if (!url || !url->is_string() || url->get_string().empty() || url->get_string().size() > 2048)
            return fail(400, at + ".url is required (a string of at most 2048 characters)");
        std::string_view u = url->get_string();
        if (!u.starts_with("https://") && !u.starts_with("http://") && !u.starts_with("/"))
            return fail(400, at + ".url must be an http(s) URL or an absolute path");
        c["url"] = *url;
        for (auto [key, max] : {std::pair{"name", 255}, std::pair{"mime", 127}}) {
            if (auto* s = field(x, key)) {
                if (!s->is_string() || s->get_string().size() > static_cast<std::size_t>(max))
                    return fail(400, at + "." + key + " must be a string of at most " + std::to_string(max) +
                                         " characters");
                c[key] = *s;
            }
        }
        if (auto* s = field(x, "size")) {
            if (!(s->is_int64() && s->get_int64() >= 0) && !s->is_uint64())
                return fail(400, at + ".size must be a non-negative integer (bytes)");
            c["size"] = *s;
        }
        clean.push_back(std::move(c));
    }
    out = common::json_write(clean);
    return std::nullopt;
}

check need_member(const caller& who) {
    if (who.anonymous || who.user_id.empty()) return fail(401, "Authentication required");
    return std::nullopt;
}

// The conversation named by conversationId (one the caller takes part in) or userId; `other` is
// the second participant.
check conversation_of(const json::object& o, const caller& who, std::string& conv, std::string& other) {
    if (auto* c = field(o, "conversationId")) {
        if (!c->is_string()) return fail(400, "conversationId must be a string");
        // "dm:" a ":" b: ids hold no ':', so the name splits one way only.
        std::string_view s = c->get_string();
        auto colon = s.starts_with("dm:") ? s.find(':', 3) : std::string_view::npos;
        if (colon == std::string_view::npos || !auth::valid_id(s.substr(3, colon - 3)) ||
            !auth::valid_id(s.substr(colon + 1)))
            return fail(400, "conversationId must be dm:<userId>:<userId>");
        auto a = s.substr(3, colon - 3), b = s.substr(colon + 1);
        if (a != who.user_id && b != who.user_id)
            return fail(403, "conversationId is not one of your conversations");
        other = a == who.user_id ? b : a;
        if (other == who.user_id || dm_conversation(who.user_id, other) != s)
            return fail(403, "conversationId is not one of your conversations");
        conv = s;
        return std::nullopt;
    }
    if (!field(o, "userId")) return fail(400, "conversationId or userId is required");
    if (auto e = need_user(o, "userId", other)) return e;
    if (other == who.user_id) return fail(400, "userId must be another user");
    conv = dm_conversation(who.user_id, other);
    return std::nullopt;
}

check client_message_id(const json::object& o, std::optional<std::string>& out) {
    auto* c = field(o, "clientMessageId");
    if (!c) return std::nullopt;
    std::optional<std::string> t;
    if (c->is_string() && auth::valid_client_message_id(c->get_string()))
        t = std::string(c->get_string());
    else if (!c->is_string())
        t = auth::id_text(*c);
    if (!t)
        return fail(400,
                    "clientMessageId must be 1-128 characters of A-Z a-z 0-9 . _ - @ + : (or an integer)");
    out = std::move(*t);
    return std::nullopt;
}

constexpr std::array<std::string_view, 4> priorities{"low", "normal", "high", "urgent"};

// The fields of a notification (type, title, message, priority, metadata).
check notification_fields(const json::object& o, notification& n) {
    if (auto* t = field(o, "type")) {
        if (!t->is_string() || t->get_string().empty() || t->get_string().size() > 64)
            return fail(400, "type must be a non-empty string of at most 64 characters");
        n.type = t->get_string();
    } else {
        n.type = "general";
    }
    if (auto e = need_string(o, "title", 255, n.title)) return e;
    if (auto e = need_string(o, "message", 5000, n.message)) return e;
    if (auto* p = field(o, "priority")) {
        if (!p->is_string() ||
            std::find(priorities.begin(), priorities.end(), p->get_string()) == priorities.end())
            return fail(400, "priority must be one of low, normal, high, urgent");
        n.priority = p->get_string();
    }
    if (auto* m = field(o, "metadata")) {
        if (!m->is_object()) return fail(400, "metadata must be an object");
        n.metadata = common::json_write(*m);
        if (n.metadata.size() > 16384) return fail(400, "metadata is larger than 16 KiB");
    }
    return std::nullopt;
}

// The audience of a notification: recipientId (send), or collegeId / global:true (broadcast).
check notification_audience(const json::object& o, bool broadcast, notification& n) {
    if (!broadcast) {
        n.to = audience::user;
        return need_user(o, "recipientId", n.audience_id);
    }
    auto* g = field(o, "global");
    bool global = g && g->is_bool() && g->get_bool();
    if (g && !g->is_bool()) return fail(400, "global must be true or false");
    if (field(o, "collegeId")) {
        if (global) return fail(400, "collegeId and global:true exclude each other");
        n.to = audience::college;
        return need_user(o, "collegeId", n.audience_id);
    }
    if (!global) return fail(400, "collegeId is required (or global: true for everyone)");
    n.to = audience::global;
    return std::nullopt;
}

namespace {

// Path segments after the prefix, without empty ones ("chats/conversation/7/" → chats, conversation, 7);
// nullopt when a segment's escapes are malformed or it does not decode to UTF-8.
std::optional<std::vector<std::string>> segments(std::string_view path) {
    std::vector<std::string> out;
    if (path.starts_with(rest_prefix)) path.remove_prefix(rest_prefix.size());
    while (!path.empty()) {
        auto slash = path.find('/');
        auto part = path.substr(0, slash);
        if (!part.empty()) {
            auto decoded = protocol::url_decode(part, false);
            if (!decoded) return std::nullopt;
            out.push_back(std::move(*decoded));
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

}  // namespace

std::variant<rest_endpoint, outcome> resolve_rest(std::string_view path, std::string_view method) {
    auto decoded = segments(path);
    if (!decoded) return fail(400, "Path must be valid UTF-8 with well-formed escapes");
    const auto& p = *decoded;
    auto is = [&](std::initializer_list<std::string_view> want) {
        if (p.size() != want.size()) return false;
        std::size_t i = 0;
        for (auto w : want) {
            if (w != "*" && p[i] != w) return false;
            ++i;
        }
        return true;
    };
    using o = operation;
    std::optional<rest_endpoint> e;
    if (is({"chats"}))
        e = rest_endpoint{"POST", o::chat_send, {}};
    else if (is({"chats", "conversations"}))
        e = rest_endpoint{"GET", o::chat_get_conversations, {}};
    else if (is({"chats", "conversation", "*"}))
        e = rest_endpoint{"GET", o::chat_get_messages, {{"userId", p[2]}}};
    else if (is({"chats", "mark-read"}))
        e = rest_endpoint{"POST", o::chat_mark_read, {}};
    else if (is({"chats", "typing"}))
        e = rest_endpoint{"POST", o::chat_typing, {}};
    else if (is({"chats", "unread-count"}))
        e = rest_endpoint{"GET", o::chat_unread_count, {}};
    else if (is({"chats", "search"}))
        e = rest_endpoint{"GET", o::chat_search, {}};
    else if (is({"chats", "online-users"}))
        e = rest_endpoint{"GET", o::online_users, {}};
    else if (is({"notifications"}))
        e = rest_endpoint{"GET", o::notification_list, {}};
    else if (is({"notifications", "unread"}))
        e = rest_endpoint{"GET", o::notification_unread, {}};
    else if (is({"notifications", "unread-count"}))
        e = rest_endpoint{"GET", o::notification_unread_count, {}};
    else if (is({"notifications", "mark-all-read"}))
        e = rest_endpoint{"POST", o::notification_mark_all_read, {}};
    else if (is({"notifications", "send"}))
        e = rest_endpoint{"POST", o::notification_send, {}};
    else if (is({"notifications", "broadcast"}))
        e = rest_endpoint{"POST", o::notification_broadcast, {}};
    else if (is({"notifications", "*", "mark-read"}))
        e = rest_endpoint{"POST", o::notification_mark_read, {{"ids", json::array{json::value(p[1])}}}};
    else if (is({"notifications", "*", "dismiss"}))
        e = rest_endpoint{"POST", o::notification_dismiss, {{"ids", json::array{json::value(p[1])}}}};
    if (!e) return fail(404, "Not found");
    if (method != e->method) {
        auto r = fail(405, std::string("Method not allowed: use ") + e->method);
        r.allow = e->method;
        return r;
    }
    return std::move(*e);
}

}  // namespace switchboard::domain
