#pragma once
// What clients send to the chat and notification operations, checked before anything touches the
// database: pure (Boost.JSON only), so the fuzz target `requests` drives it directly. Every check
// returns the answer to give ({success:false, error} naming the problem) or nothing.
#include <switchboard/persistence/conversation.hpp>
#include <switchboard/persistence/notification.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace switchboard::app {

// Who is asking.
struct caller {
    std::string user_id;
    std::string college_id;
    std::string role;
    bool super_admin = false;
    bool anonymous = true;
    std::string socket_id;  // "" for REST calls
};

// An answer: the HTTP status for REST, and the body both REST and acks carry
// ({success:true, ...} or {success:false, error}); `allow` for a 405.
struct outcome {
    unsigned status = 200;
    boost::json::object body;
    std::string allow;
};

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

outcome fail(unsigned status, std::string message);
outcome ok(boost::json::object fields = {}, unsigned status = 200);

using check = std::optional<outcome>;

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

using persistence::dm_conversation;
// conversationId (one the caller takes part in: "dm:" a ":" b with both valid ids) or userId → the
// conversation and the other user. The store is then addressed by (caller, other), never by the name.
check conversation_of(const boost::json::object& o, const caller& who, std::string& conv, std::string& other);
// clientMessageId: absent (nullopt), or a string of auth::valid_client_message_id / an integer.
check client_message_id(const boost::json::object& o, std::optional<std::string>& out);

// type?, title, message, priority?, metadata?
check notification_fields(const boost::json::object& o, persistence::notification& n);
// recipientId (send), or collegeId / global:true (broadcast).
check notification_audience(const boost::json::object& o, bool broadcast, persistence::notification& n);

inline constexpr std::string_view rest_prefix = "/api/v1/communication/";

// The REST API: a path under rest_prefix and its method → the operation and the
// arguments the path carries, or the 404 / 405 to answer (400 when a segment does not decode to UTF-8).
struct rest_endpoint {
    const char* method;
    operation op;
    boost::json::object path_args;
};
std::variant<rest_endpoint, outcome> resolve_rest(std::string_view path, std::string_view method);

}  // namespace switchboard::app
