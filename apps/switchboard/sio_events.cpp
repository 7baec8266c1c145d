// The Socket.IO adapter of the gateway (namespace "/"), part two: rooms and subscriptions, typing
// in rooms, liveness, auth:refresh, and the chat and notification events (event → operation →
// the domain, the answer as the ack). The decisions are domain::rules'; this file performs them.
#include "gateway.hpp"
#include "gateway_state.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/auth/refresh.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/domain/chat_service.hpp>

namespace switchboard::app {

namespace json = boost::json;
namespace rules = domain::rules;
using server::ack_reply;
using server::payload;
using server::socket_ptr;

bool gateway::member(const socket_ptr& s, const std::string& room) const {
    return room != s->id() && srv_.of("/").in_room(s->id(), room);
}

void gateway::tell_room(const socket_ptr& s, const std::string& room, const char* event, std::string ts,
                        bool except_self, bool is_volatile) {
    rooms::broadcast_options to_room;
    to_room.rooms = {room};
    if (except_self) to_room.except = {s->id()};
    to_room.is_volatile = is_volatile;
    srv_.broadcast("/", to_room, event, one(rules::room_event(state_of(*s)->who, room, std::move(ts))));
}

void gateway::joined(const socket_ptr& s, const std::string& room, const ack_reply& ack, bool already) {
    auto ts = now_iso();
    if (ack) ack(one(rules::joined_ack(room)));
    emit(s, "room_joined", json::object{{"room", room}, {"timestamp", ts}});
    if (!already) tell_room(s, room, "user_joined", ts, true);
}

void gateway::join(const socket_ptr& s, const std::string& room, const ack_reply& ack) {
    if (member(s, room)) return joined(s, room, ack, true);  // its own id never: the rules refuse it
    // The rules decide now, or the backend later (another thread: back to the socket's).
    auto* st = state_of(*s);
    access_->decide(st->who, room, joined_rooms(s).size(), [this, s, room, ack](auto verdict) {
        s->post([this, s, room, ack, verdict]() mutable {
            // Joins decided at once by the backend: one user_joined, the cap kept.
            if (member(s, room)) return joined(s, room, ack, true);
            if (verdict == auth::join_verdict::allowed &&
                joined_rooms(s).size() >= auth_now()->rules.max_rooms_per_socket)
                verdict = auth::join_verdict::too_many_rooms;
            if (verdict != auth::join_verdict::allowed) {
                m_->joins_refused->inc(auth::join_verdict_label(verdict));
                return refuse(s, ack, auth::join_refusal_message(verdict));
            }
            s->join(room);
            state_of(*s)->requested.insert(room);
            joined(s, room, ack, false);
        });
    });
}

void gateway::leave(const socket_ptr& s, const payload& p, const ack_reply& ack) {
    auto room = auth::room_from_arg(first_arg(p));
    if (!room) return refuse(s, ack, "Invalid room: expected a name, {room} or {roomType, roomId}");
    if (!member(s, *room)) return refuse(s, ack, "Not in room");
    s->leave(*room);
    state_of(*s)->requested.erase(*room);
    auto ts = now_iso();
    if (ack) ack(one(rules::left_ack(*room)));
    emit(s, "room_left", json::object{{"room", *room}, {"timestamp", ts}});
    tell_room(s, *room, "user_left", ts, false);  // the socket has left: nothing to except
}

// typing / stop_typing {roomId} or {roomType, roomId}; typing with isTyping:false means stop.
// Only in rooms joined by request: never in global or another auto-joined room, which would tell
// everyone (direct conversations have chat:typing).
void gateway::room_typing(const socket_ptr& s, const payload& p, const ack_reply& ack, bool start_default) {
    auto t = rules::typing_of(first_arg(p), start_default);
    if (!t) return refuse(s, ack, "Invalid room: expected {roomId} or {roomType, roomId}");
    if (!member(s, t->room) || !state_of(*s)->requested.count(t->room)) return refuse(s, ack, "Not in room");
    // Volatile: a typing hint is worth nothing late.
    tell_room(s, t->room, t->start ? "user_typing" : "user_stop_typing", now_iso(), true, true);
    if (ack) ack(one(json::object{{"success", true}, {"room", t->room}}));
}

void gateway::install_rooms() {
    auto& ns = srv_.of("/");
    ns.on("join_room", [this](const socket_ptr& s, payload&& p, ack_reply ack) {
        auto room = auth::room_from_arg(first_arg(p));
        if (!room) return refuse(s, ack, "Invalid room: expected a name, {room} or {roomType, roomId}");
        join(s, *room, ack);
    });
    auto subscribe = [this](std::string prefix) {
        return [this, prefix](const socket_ptr& s, payload&& p, ack_reply ack) {
            auto room = rules::subscription_room(prefix, first_arg(p));
            if (!room) return refuse(s, ack, "Invalid id");
            join(s, *room, ack);
        };
    };
    ns.on("subscribe_order", subscribe("order:"));
    ns.on("subscribe_inventory", subscribe("product:"));
    ns.on("leave_room", [this](const socket_ptr& s, payload&& p, ack_reply ack) { leave(s, p, ack); });
    ns.on("get_rooms", [](const socket_ptr& s, payload&&, ack_reply ack) {
        if (ack)
            ack(one(json::object{{"success", true}, {"rooms", rooms_json(s)}}));
        else
            emit(s, "rooms", json::object{{"rooms", rooms_json(s)}});
    });
    ns.on("typing",
          [this](const socket_ptr& s, payload&& p, ack_reply ack) { room_typing(s, p, ack, true); });
    ns.on("stop_typing",
          [this](const socket_ptr& s, payload&& p, ack_reply ack) { room_typing(s, p, ack, false); });
}

// auth:refresh {token}: a new token for the same user extends the session without reconnecting.
void gateway::refresh(const socket_ptr& s, const payload& p, const ack_reply& ack) {
    auto answer = [&](json::object o) {
        if (ack) ack(one(std::move(o)));
    };
    auto* st = state_of(*s);
    auto token = rules::refresh_token_of(first_arg(p));
    if (!token) return answer({{"success", false}, {"error", "token is required"}});
    auto a = auth_now();
    auto np = auth::principal_from_jwt(*token, a->keys, a->verify, wall_s());
    if (!np) {
        m_->auth_failures->inc(auth::reason_label(static_cast<auth::errc>(np.error().value())));
        return answer({{"success", false}, {"error", "Invalid or expired token"}});
    }
    // The whole principal is replaced: role, organisation, rooms and expiry.
    auto verdict = replace_principal(s, *st, std::move(*np));
    if (verdict != auth::refresh_plan::verdict::replace) {
        m_->auth_failures->inc(verdict == auth::refresh_plan::verdict::drops_expiry ? "refresh_no_exp"
                                                                                    : "user_mismatch");
        return answer({{"success", false}, {"error", auth::refresh_refusal_message(verdict)}});
    }
    st->drf_key.clear();  // from now on the session rests on the JWT
    schedule_expiry(s, *st);
    json::object ok{{"success", true}, {"userId", st->who.user_id}, {"rooms", rooms_json(s)}};
    if (st->who.expires_at) ok["expiresAt"] = log::iso_time(*st->who.expires_at * 1000);
    answer(std::move(ok));
}

void gateway::install_session_events() {
    auto& ns = srv_.of("/");
    auto liveness = [](std::string reply) {
        return [reply](const socket_ptr& s, payload&&, ack_reply ack) {
            json::object o{{"timestamp", now_iso()}};
            if (ack) ack(one(o));
            emit(s, reply, std::move(o));
        };
    };
    ns.on("ping", liveness("pong"));
    ns.on("heartbeat", liveness("heartbeat:ack"));
    ns.on("auth:refresh", [this](const socket_ptr& s, payload&& p, ack_reply ack) { refresh(s, p, ack); });
}

// chat:getOnlineStatus {userIds} → {success, statuses: {id: bool}} (over every instance in a
// cluster). The socket then watches those users (but its own): their user:online / user:offline
// reach it.
void gateway::online_status(const socket_ptr& s, const payload& p, const ack_reply& ack) {
    auto ids = rules::online_status_ids(first_arg(p));
    if (!ids) {
        json::object bad{{"success", false}, {"error", "userIds must be an array of at most 500 user ids"}};
        if (ack) ack(one(std::move(bad)));
        return;
    }
    // Watching: authenticated sockets only, up to max_watched_users each.
    if (auto* st = state_of(*s); st && !st->who.anonymous) {
        auto rooms = s->rooms();
        auto watched = static_cast<std::size_t>(std::count_if(rooms.begin(), rooms.end(), watch_room));
        for (const auto& id : *ids) {
            if (watched >= max_watched_users) break;
            if (id == st->who.user_id) continue;  // a user is not told of its own transitions
            auto room = domain::presence_room(id);
            if (std::find(rooms.begin(), rooms.end(), room) != rooms.end()) continue;
            s->join(room);
            ++watched;
        }
    }
    auto answer = [w = std::weak_ptr<server::socket>(s), ack](json::object statuses) {
        json::object o{{"success", true}, {"statuses", std::move(statuses)}};
        if (ack)
            ack(one(std::move(o)));
        else if (auto s = w.lock())
            emit(s, "chat:onlineStatus", std::move(o));
    };
    if (shared_) {
        auto list = *ids;
        shared_->devices(list, [list, w = std::weak_ptr<server::socket>(s), ack,
                                answer](std::optional<std::vector<std::int64_t>> n) {
            if (!n) {
                json::object o{{"success", false}, {"error", "Presence is unavailable, try again"}};
                if (ack)
                    ack(one(std::move(o)));
                else if (auto s = w.lock())
                    emit(s, "error", json::object{{"message", "Presence is unavailable, try again"}});
                return;
            }
            json::object statuses;
            for (std::size_t i = 0; i < list.size(); ++i)
                statuses[list[i]] = (*n)[i] > 0;
            answer(std::move(statuses));
        });
        return;
    }
    json::object statuses;
    {
        std::lock_guard lock(mu_);
        for (const auto& id : *ids)
            statuses[id] = presence_.online(id);
    }
    answer(std::move(statuses));
}

// Chat and notification events: each forwards its first argument to the operation and acks the
// answer; without an ack, a failure is told as an `error` event.
void gateway::install_communication_events() {
    auto& ns = srv_.of("/");
    auto bind = [this, &ns](const char* event, operation op) {
        ns.on(event, [this, event, op](const socket_ptr& s, payload&& p, ack_reply ack) {
            // The ack carries the answer; without one, only a failure is told (as `error`).
            auto answer = [ack, w = std::weak_ptr<server::socket>(s), event](outcome o) {
                if (ack) return ack(one(std::move(o.body)));
                if (domain::succeeded(o)) return;
                if (auto s = w.lock())
                    emit(s, "error", json::object{{"message", o.body["error"]}, {"event", event}});
            };
            json::object args;
            if (!p.args.empty() && p.args[0].is_object())
                args = std::move(p.args[0].get_object());
            else if (!p.args.empty() && !p.args[0].is_null())
                return answer(fail(400, "Expected an object argument"));
            auto* st = state_of(*s);
            if (!st) return;
            comm_.run(op, caller_of(st->who, s->id()), std::move(args), std::move(answer));
        });
    };
    bind("chat:send", operation::chat_send);
    bind("chat:typing", operation::chat_typing);
    bind("chat:markRead", operation::chat_mark_read);
    bind("chat:getMessages", operation::chat_get_messages);
    bind("chat:getConversations", operation::chat_get_conversations);
    bind("chat:getUnreadCount", operation::chat_unread_count);
    bind("chat:search", operation::chat_search);
    bind("notification:getUnread", operation::notification_unread);
    bind("notification:getAll", operation::notification_list);
    bind("notification:getUnreadCount", operation::notification_unread_count);
    bind("notification:markRead", operation::notification_mark_read);
    bind("notification:markAllRead", operation::notification_mark_all_read);
    bind("notification:dismiss", operation::notification_dismiss);
    bind("notification:send", operation::notification_send);
    bind("notification:broadcast", operation::notification_broadcast);
    ns.on("chat:getOnlineStatus",
          [this](const socket_ptr& s, payload&& p, ack_reply ack) { online_status(s, p, ack); });
}

}  // namespace switchboard::app
