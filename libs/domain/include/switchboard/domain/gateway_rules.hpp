#pragma once
// The gateway's decisions that need no socket: what a room request names, the answers and room
// events it gives, whose kept session a socket may resume, which credential is a Django key, and
// when a token's warning and end fall. The Socket.IO adapter (apps/switchboard) performs them.
#include <switchboard/auth/identity.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::domain::rules {

// The user id as events carry it (null for an anonymous socket).
boost::json::value user_id_json(const auth::principal& p);
// A kept session (connection-state recovery) goes to this owner only ("" for anonymous).
std::string session_owner(const auth::principal& p);
// A Django key: the Token scheme, or (with DRF on) a credential that is not a three-segment JWT.
bool is_drf_token(const auth::found_token& t, bool drf_enabled);

// A refused room request: the ack's {success:false, message, error}.
boost::json::object refusal(std::string_view message);
// {userId, room, timestamp}: user_joined / user_left / user_typing / user_stop_typing. No socket
// id: it names the socket's own room, which is the socket's alone (audit #2).
boost::json::object room_event(const auth::principal& who, const std::string& room, std::string timestamp);
boost::json::object joined_ack(const std::string& room);
boost::json::object left_ack(const std::string& room);

// subscribe_order / subscribe_inventory: an id, or {orderId | productId | id} → prefix + id.
std::optional<std::string> subscription_room(std::string_view prefix, const boost::json::value& arg);
// typing / stop_typing {roomId} or {roomType, roomId}; isTyping:false turns a typing into a stop.
struct typing_request {
    std::string room;
    bool start = true;
};
std::optional<typing_request> typing_of(const boost::json::value& arg, bool start_default);
// auth:refresh {token} or "token": the token, when a non-empty string.
std::optional<std::string> refresh_token_of(const boost::json::value& arg);
// chat:getOnlineStatus {userIds} or [ids]: at most 500 ids (nullopt: refused).
std::optional<std::vector<std::string>> online_status_ids(const boost::json::value& arg);

// A JWT socket's one timer: what to do now and when to look again.
struct expiry_step {
    std::optional<std::int64_t> warn_expires_in_s;  // emit token_expiring_soon {expiresIn} now
    enum class then { nothing, look_again, end } next = then::nothing;
    std::int64_t wait_ms = 0;  // until look_again / end
};
struct expiry_settings {
    std::int64_t warning_s = 300;  // TOKEN_EXPIRY_WARNING (0: none)
    std::int64_t leeway_s = 0;     // JWT_LEEWAY
};
// `warned` is set when the step warns. Waits are capped at a day (then looked at again).
expiry_step plan_expiry(std::optional<std::int64_t> expires_at_s, bool& warned, std::int64_t now_ms,
                        const expiry_settings& s);

}  // namespace switchboard::domain::rules
