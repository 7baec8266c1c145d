// Typed commands from an operation's (camelCase) arguments, with the checks in the order the
// answers name them (the first problem wins).
#include <switchboard/domain/commands.hpp>

namespace switchboard::domain {

namespace json = boost::json;

check decode(const json::object& a, const caller& who, std::size_t max_message_length, send_message& out) {
    if (auto e = need_user(a, "receiverId", out.receiver_id)) return e;
    if (out.receiver_id == who.user_id) return fail(400, "receiverId must be another user");
    if (auto e = need_string(a, "message", max_message_length, out.body)) return e;
    if (auto e = attachments_of(a, out.attachments)) return e;
    return client_message_id(a, out.client_message_id);
}

check decode(const json::object& a, set_typing& out) {
    if (auto e = need_user(a, "receiverId", out.receiver_id)) return e;
    out.on = true;
    if (auto* t = field(a, "isTyping")) {
        if (!t->is_bool()) return fail(400, "isTyping must be true or false");
        out.on = t->get_bool();
    }
    return std::nullopt;
}

check decode(const json::object& a, const caller& who, mark_read& out) {
    if (auto e = conversation_of(a, who, out.conversation_id, out.other)) return e;
    if (auto e = id_list(a, "messageIds", out.ids, true)) return e;
    return opt_int(a, "upToId", out.up_to);
}

check decode(const json::object& a, const caller& who, history_query& out) {
    if (auto e = conversation_of(a, who, out.conversation_id, out.other)) return e;
    if (auto e = opt_int(a, "before", out.before)) return e;
    return limit_of(a, 50, 100, out.limit);
}

check decode(const json::object& a, search_query& out) {
    if (auto e = need_string(a, "q", 200, out.q)) return e;
    return limit_of(a, 20, 100, out.limit);
}

check decode(const json::object& a, bool unread_only, notification_page& out) {
    if (auto e = opt_int(a, "before", out.before)) return e;
    if (auto e = limit_of(a, 20, 100, out.limit)) return e;
    out.unread_only = unread_only;
    if (auto* u = field(a, "unreadOnly"); u && u->is_bool()) out.unread_only = unread_only || u->get_bool();
    return std::nullopt;
}

check decode(const json::object& a, bool all, bool dismiss, notification_ids& out) {
    out.all = all;
    out.dismiss = dismiss;
    if (all) return std::nullopt;
    const char* key = field(a, "ids") ? "ids" : field(a, "notificationIds") ? "notificationIds" : "ids";
    // markRead with an empty list marks nothing and succeeds (a client syncing "what I saw" may
    // have seen nothing); the list itself is still required, and dismiss needs ids.
    if (!dismiss && field(a, key) && field(a, key)->is_array() && field(a, key)->get_array().empty())
        return std::nullopt;
    return id_list(a, key, out.ids, false);
}

check decode(const json::object& a, bool broadcast, notification& out) {
    if (auto e = notification_audience(a, broadcast, out)) return e;
    return notification_fields(a, out);
}

}  // namespace switchboard::domain
