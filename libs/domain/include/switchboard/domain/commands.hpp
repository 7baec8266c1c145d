#pragma once
// What clients send to the chat and notification operations, decoded into typed commands and
// checked before anything touches the database: pure (Boost.JSON only), so the fuzz target
// `requests` drives it directly. Every check returns the answer to give ({success:false, error}
// naming the problem) or nothing.
#include <switchboard/domain/records.hpp>
#include <switchboard/domain/reply.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace switchboard::domain {

enum class operation {
    chat_send,
    chat_typing,
    chat_mark_read,
    chat_get_messages,
    chat_get_conversations,
    chat_unread_count,
    chat_search,
    notification_list,  // {limit?, before?, unreadOnly?}
    notification_unread,
    notification_unread_count,
    notification_mark_read,
    notification_mark_all_read,
    notification_dismiss,
    notification_send,       // to one user (NOTIFY_ROLES)
    notification_broadcast,  // to a college or everyone (NOTIFY_ROLES)
    online_users,            // REST only: this node's connected users
};

// snake_case keys (the Django-style REST names) → camelCase, unless both are given.
boost::json::object camel_keys(boost::json::object in);
// A present, non-null field.
const boost::json::value* field(const boost::json::object& o, std::string_view name);
// A user id: a string of auth::valid_id (1-128 characters of A-Z a-z 0-9 . _ - @ +) or an integer.
check need_user(const boost::json::object& o, std::string_view name, std::string& out);
// An optional integer in [min, max] (a JSON number, or decimal text as query strings carry it).
check opt_int(const boost::json::object& o, std::string_view name, std::optional<std::int64_t>& out,
              std::int64_t min = 1, std::int64_t max = INT64_MAX);
// `limit`: `def` when absent, else 1..max.
check limit_of(const boost::json::object& o, std::int64_t def, std::int64_t max, std::int64_t& out);
// Positive integer ids: an array (≤ 500) or one id; absent or empty only when `optional`.
check id_list(const boost::json::object& o, std::string_view name, std::vector<std::int64_t>& out,
              bool optional);
std::size_t utf8_length(std::string_view s);
bool blank(std::string_view s);
// A required non-blank string of at most `max` characters, without NUL.
check need_string(const boost::json::object& o, std::string_view name, std::size_t max, std::string& out);
// Attachments metadata [{url, name?, mime?, size?}] (≤ 10), normalised to JSON text ("[]" when absent).
check attachments_of(const boost::json::object& o, std::string& out);
check need_member(const caller& who);

// conversationId (one the caller takes part in: "dm:" a ":" b with both valid ids) or userId → the
// conversation and the other user. The store is then addressed by (caller, other), never by the name.
check conversation_of(const boost::json::object& o, const caller& who, std::string& conv, std::string& other);
// clientMessageId: absent (nullopt), or a string of auth::valid_client_message_id / an integer.
check client_message_id(const boost::json::object& o, std::optional<std::string>& out);

// type?, title, message, priority?, metadata?
check notification_fields(const boost::json::object& o, notification& n);
// recipientId (send), or collegeId / global:true (broadcast).
check notification_audience(const boost::json::object& o, bool broadcast, notification& n);

inline constexpr std::string_view rest_prefix = "/api/v1/communication/";

// The REST API: a path under rest_prefix and its method → the operation and the
// arguments the path carries, or the 404 / 405 to answer (400 when a segment does not decode to UTF-8).
struct rest_endpoint {
    const char* method;
    operation op;
    boost::json::object path_args;
};
std::variant<rest_endpoint, outcome> resolve_rest(std::string_view path, std::string_view method);

// ---- typed commands: an operation's arguments decoded and checked (camelCase keys) ----------------

struct send_message {
    std::string receiver_id;
    std::string body;
    std::string attachments = "[]";
    std::optional<std::string> client_message_id;
};
struct set_typing {
    std::string receiver_id;
    bool on = true;
};
struct mark_read {
    std::string conversation_id;
    std::string other;
    std::vector<std::int64_t> ids;
    std::optional<std::int64_t> up_to;
};
struct history_query {
    std::string conversation_id;
    std::string other;
    std::optional<std::int64_t> before;
    std::int64_t limit = 50;
};
struct search_query {
    std::string q;
    std::int64_t limit = 20;
};
struct notification_page {
    std::optional<std::int64_t> before;
    std::int64_t limit = 20;
    bool unread_only = false;
};
// notification:markRead / markAllRead / dismiss: the ids (empty with `all`).
struct notification_ids {
    std::vector<std::int64_t> ids;
    bool all = false;
    bool dismiss = false;
};

check decode(const boost::json::object& a, const caller& who, std::size_t max_message_length,
             send_message& out);
check decode(const boost::json::object& a, set_typing& out);
check decode(const boost::json::object& a, const caller& who, mark_read& out);
check decode(const boost::json::object& a, const caller& who, history_query& out);
check decode(const boost::json::object& a, search_query& out);
// `unread_only` is the operation's (notification:getUnread); the argument can only add it.
check decode(const boost::json::object& a, bool unread_only, notification_page& out);
check decode(const boost::json::object& a, bool all, bool dismiss, notification_ids& out);
// A new notification: its audience (recipientId, or collegeId / global:true) and its fields.
check decode(const boost::json::object& a, bool broadcast, notification& out);

}  // namespace switchboard::domain
