#pragma once
// A socket's state in the gateway (set in the connect hook, or on connection for a recovered
// session), shared by gateway.cpp and gateway_tokens.cpp. Used on the socket's thread only.
#include "gateway.hpp"
#include "util.hpp"

#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/limits.hpp>

#include <set>
#include <string>

namespace switchboard::app {

struct gateway::state {
    auth::principal who;
    std::string address;
    auth::rate_window rate;
    bool warned = false;
    std::string drf_key;  // the Django key it connected with (re-checked on a timer); empty for a JWT
    std::set<std::string> requested;  // rooms joined by request (typing is told there only)
};

// An event with one JSON argument to one socket.
inline void emit(const server::socket_ptr& s, std::string_view event, boost::json::value v) {
    s->emit(event, one(std::move(v)));
}

// A room of the sockets watching a user's presence (chat:getOnlineStatus): not a room the client
// asked to join, so not counted, listed, refused on refresh or re-checked on recovery.
inline bool watch_room(std::string_view room) {
    return room.starts_with("presence:");
}

// The rooms a socket is in, without its own-id room (an implementation detail) and its watch rooms.
inline std::vector<std::string> joined_rooms(const server::socket_ptr& s) {
    auto r = s->rooms();
    std::erase_if(r, [&](const std::string& room) { return room == s->id() || watch_room(room); });
    return r;
}

// How many users a socket may watch (chat:getOnlineStatus); past it, statuses are still answered.
inline constexpr std::size_t max_watched_users = 1000;

inline boost::json::array rooms_json(const server::socket_ptr& s) {
    boost::json::array a;
    for (auto& r : joined_rooms(s))
        a.emplace_back(r);
    return a;
}

inline const boost::json::value& first_arg(const server::payload& p) {
    static const boost::json::value null_value;
    return p.args.empty() ? null_value : p.args[0];
}

// Refuses a room request: the ack (when given) and an `error` event, as the services do.
inline void refuse(const server::socket_ptr& s, const server::ack_reply& ack, std::string_view message) {
    if (ack) ack(one(domain::rules::refusal(message)));
    emit(s, "error", boost::json::object{{"message", message}});
}

// The socket's state; a raw pointer: the socket owns it, and the rate limit reads it for every event.
inline gateway::state* state_of(const server::socket& s) {
    return static_cast<gateway::state*>(s.app_state.get());
}

}  // namespace switchboard::app
