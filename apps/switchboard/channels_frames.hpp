#pragma once
// The Channels-style WebSocket API of the ERP (seed 001): `/ws/chat/?token=` and
// `/ws/notifications/?token=`, JSON text frames `{type, ...}` with snake_case keys. Pure (Boost.JSON
// only): a client frame → the domain operation it asks for (camelCase arguments, as the Socket.IO
// events carry them) or the error frame to answer; a domain event (the Socket.IO event name and its
// argument) → the frame a Channels client gets; an operation's outcome → its answer frame.
//
// chat, client → server:
//   {type:"message", receiver_id, message, client_message_id?, attachments?}  → chat_send
//   {type:"typing", receiver_id, is_typing? (default true)}                    → chat_typing
//   {type:"read", sender_id | user_id | conversation_id, message_ids? | up_to_id?} → chat_mark_read
//   {type:"ping"}                                                               → {type:"pong"}
// notifications, client → server:
//   {type:"mark_read", notification_id | ids}, {type:"mark_all_read"}, {type:"get_unread_count"}, ping
#include <switchboard/domain/commands.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace switchboard::app::channels {

enum class endpoint { chat, notifications };

// The `error` of an error frame {type:"error", error, code, request_type?}: `code` is one of these.
enum class frame_errc {
    invalid_json,    // not JSON text
    invalid_frame,   // not an object, or no string `type`
    unknown_type,    // a `type` this endpoint does not take
    invalid_field,   // a field missing or of the wrong kind (the message names it)
    binary_frame,    // a binary message (frames are JSON text)
    rate_limited,    // over RATE_LIMIT_MAX_MESSAGES in the window
    request_failed,  // the operation refused it (its error text)
    unavailable,     // the store cannot answer now: retry
    unauthorized,    // the token expired or was revoked (the connection then closes with 4001)
};
std::string_view errc_name(frame_errc e) noexcept;

struct frame_error {
    frame_errc code;
    std::string message;
    std::string request_type;  // the frame's type when it had one
};

// What a client frame asks for: a domain operation with its arguments, or a pong.
struct client_request {
    std::string type;  // as sent ("message", "typing", ...)
    bool ping = false;
    domain::operation op = domain::operation::chat_send;
    boost::json::object args;  // camelCase, as the Socket.IO event's argument
};

// Frames longer than this are refused before parsing (well under MAX_PAYLOAD's default).
inline constexpr std::size_t max_frame_bytes = 64 * 1024;

// Never throws; every input gives a request or an error.
std::variant<client_request, frame_error> parse_client_frame(endpoint ep, std::string_view text);

// {type:"error", error, code, request_type?} as text.
std::string error_frame(const frame_error& e);
// {type:"connection_established", endpoint, user_id, message}.
std::string welcome_frame(endpoint ep, std::string_view user_id);
// {type:"pong", timestamp}.
std::string pong_frame(std::string_view timestamp);

// The answer to a request, from the operation's outcome ({success, ...} or {success:false, error});
// nullopt when nothing is answered (a successful typing).
std::optional<std::string> answer_frame(const client_request& r, const domain::outcome& o);

// A domain event for a user (the Socket.IO event name and its one argument) as the frame this
// endpoint's clients get; nullopt when the endpoint does not carry that event.
//   chat:           chat:message → chat_message {message}; chat:delivered → message_delivered;
//                   chat:readReceipt → read_receipt; chat:typing → typing {sender_id, is_typing};
//                   user:online / user:offline → user_status {user_id, is_online, last_seen?}
//   notifications:  notification:new → notification {notification}; notification:read →
//                   notification_read {ids, at}; notification:dismissed → notification_dismissed
std::optional<std::string> event_frame(endpoint ep, std::string_view event, const boost::json::value& arg);

// Does `event` go to this endpoint's clients (cheap: before any encoding)?
bool carries(endpoint ep, std::string_view event) noexcept;

// {fooBar: v} → {foo_bar: v}, top-level keys only (metadata and attachments keep theirs).
boost::json::object snake_keys(const boost::json::object& o);

}  // namespace switchboard::app::channels
