// Socket events of the gateway (namespace "/"): identity on connect, rooms, typing, liveness,
// token refresh and expiry, and the per-socket rate limit.
#include "gateway.hpp"
#include "gateway_state.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/auth/refresh.hpp>

#include <switchboard/common/log.hpp>

#include <algorithm>
#include <chrono>
#include <set>

namespace switchboard::app {

namespace json = boost::json;
using server::ack_reply;
using server::payload;
using server::socket_ptr;

namespace {

json::value user_id_json(const auth::principal& p) {
    return p.anonymous ? json::value(nullptr) : json::value(p.user_id);
}

// Refuses a room request: the ack (when given) and an `error` event, as the services do.
void refuse(const socket_ptr& s, const ack_reply& ack, std::string_view message) {
    if (ack) ack(one(json::object{{"success", false}, {"message", message}, {"error", message}}));
    emit(s, "error", json::object{{"message", message}});
}

const json::value& first_arg(const payload& p) {
    static const json::value null_value;
    return p.args.empty() ? null_value : p.args[0];
}

json::array rooms_json(const socket_ptr& s) {
    json::array a;
    for (auto& r : joined_rooms(s))
        a.emplace_back(r);
    return a;
}

}  // namespace

gateway::gateway(server::server& srv, gateway_config cfg, communication& comm)
    : srv_(srv),
      cfg_(std::move(cfg)),
      comm_(comm),
      rest_rates_(cfg_.rate_window_ms, cfg_.rate_max),
      refusals_(cfg_.refusals) {
    access_ = std::make_unique<room_access>(cfg_.rules, cfg_.room_auth);
    auto& m = srv_.metrics();
    m_ = std::make_unique<counters>();
    m_->auth_failures =
        &m.add_family("switchboard_auth_failures_total", "Refused handshakes by reason", "reason");
    m_->refused =
        &m.add_family("switchboard_connections_refused_total", "Connections refused by a limit", "limit");
    m_->rate_limited = &m.add_family("switchboard_rate_limited_total",
                                     "Events dropped by the rate limit, and disconnects", "action");
    m_->joins_refused =
        &m.add_family("switchboard_joins_refused_total", "Room joins refused by the rules", "reason");
    m_->api_requests = &m.add_counter("switchboard_api_requests_total", "HTTP API requests");
    m.add_gauge("switchboard_unique_users", "Distinct users connected to this node", [this] {
        std::lock_guard lock(mu_);
        return static_cast<double>(presence_.unique_users());
    });
    if (cfg_.keys.empty() && !cfg_.allow_anonymous && !comm_.drf_enabled())
        log::warn(
            "no JWT key configured (JWT_SECRET, JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE), DRF_TOKEN_AUTH off and "
            "ALLOW_ANONYMOUS false: every connection will be refused");
    install_events();
    install_communication_events();
    install_http_api();
    install_rest_api();
}

gateway::~gateway() = default;

void gateway::identify(const auth::found_token& t, std::function<void(identity)> done) {
    if (drf_token(t)) {
        // Not 40 hex digits: no Django key, refused before any lookup or cache entry.
        if (!auth::valid_drf_key(t.value)) {
            m_->auth_failures->inc("malformed_token");
            return done({std::nullopt, "Invalid or expired token"});
        }
        comm_.lookup_drf_token(t.value, [this, key = t.value, done = std::move(done)](auto r) {
            if (!r) {
                m_->auth_failures->inc("store_unavailable");
                return done({std::nullopt, "Authentication temporarily unavailable, please retry", true});
            }
            if (!*r) {
                m_->auth_failures->inc("unknown_token");
                return done({std::nullopt, "Invalid or expired token"});
            }
            done({std::move(**r), {}, false, key});
        });
        return;
    }
    auto p = auth::principal_from_jwt(t.value, cfg_.keys, cfg_.verify, wall_s());
    if (!p) {
        m_->auth_failures->inc(auth::reason_label(static_cast<auth::errc>(p.error().value())));
        log::debug("token refused", {{"reason", p.error().message()}});
        return done({std::nullopt, "Invalid or expired token"});
    }
    done({std::move(*p)});
}

void gateway::install_events() {
    auto& ns = srv_.of("/");
    auto self = this;

    // Who is connecting: token → principal (a JWT here, a DRF token through the database), or
    // anonymous. `done` gets the refusal message or the socket's state, maybe on another thread.
    // `unavailable`: refused because the database could not answer (not counted against the client).
    using auth_done =
        std::function<void(std::optional<std::string>, std::shared_ptr<state>, bool unavailable)>;
    // `token` and `address` are the handshake's, found once by the connect hook.
    auto authenticate = [self](const std::optional<auth::found_token>& token, const std::string& address,
                               auth_done done) {
        auto st =
            std::make_shared<state>(state{{},
                                          address,
                                          auth::rate_window(self->cfg_.rate_window_ms, self->cfg_.rate_max,
                                                            self->cfg_.rate_disconnect_after)});
        if (!token) {
            if (!self->cfg_.allow_anonymous) {
                self->m_->auth_failures->inc("missing_token");
                return done("Authentication required", nullptr, false);
            }
            return done(std::nullopt, std::move(st), false);
        }
        self->identify(*token, [st, done](identity id) {
            if (!id.who) return done(std::move(id.refusal), nullptr, id.unavailable);
            st->who = std::move(*id.who);
            st->drf_key = std::move(id.drf_key);
            done(std::nullopt, st, false);
        });
    };

    ns.on_connect([self, authenticate](const socket_ptr& s, auto decide) {
        // An address past its refused-lookup limit gets no Django-key lookup until its window ends
        // (a JWT costs no lookup: it is always checked, so a NAT's other users are not locked out).
        const auto& hs = s->handshake_info();
        auto token = auth::find_token(s->auth(), hs.query, hs.headers.find("authorization"));
        bool lookup = token && self->drf_token(*token) && auth::valid_drf_key(token->value);
        auto address = self->client_address_of(*s);
        if (lookup && !self->lookups_allowed(address)) {
            self->m_->refused->inc("connect_refusals");
            decide(server::connect_error{"Too many failed attempts, retry later", nullptr});
            return s->disconnect(true);
        }
        authenticate(token, address,
                     [self, s, decide, lookup, address](std::optional<std::string> err,
                                                        std::shared_ptr<state> st, bool unavailable) {
                         if (err) {
                             bool close =
                                 !unavailable && self->credential_refused(s->session_id(), address, lookup);
                             decide(server::connect_error{*err, nullptr});
                             if (close)
                                 s->disconnect(true);  // past CONNECT_REFUSALS_PER_SESSION: end the session
                             return;
                         }
                         // MAX_CONNECTIONS_PER_IP is enforced by the server at the Engine.IO handshake.
                         self->connect_accepted(*s);
                         s->app_state = st;
                         // A kept session (connection-state recovery) goes to this owner only.
                         s->owner = st->who.anonymous ? std::string{} : "user:" + st->who.user_id;
                         decide(std::nullopt);
                     });
    });

    // Recovery (audit #17): a kept session takes back only the rooms its new identity may be in —
    // its auto-rooms, and requested rooms the rules (or a cached backend answer) still allow — so
    // nothing sent to a room it lost is replayed. The rest is checked again after the connection.
    ns.on_restore_room([self](const socket_ptr& s, const std::string& room) {
        auto* st = state_of(*s);
        if (!st) return false;
        auto autos = auth::auto_rooms(st->who);
        if (std::find(autos.begin(), autos.end(), room) != autos.end()) return true;
        return self->access_->decide_now(st->who, room) == auth::join_verdict::allowed;
    });

    auto welcome = [self](const socket_ptr& s) {
        auto* st = state_of(*s);
        {
            std::lock_guard lock(self->mu_);
            self->presence_.add(
                {s->id(), st->who.anonymous ? std::string{} : st->who.user_id, st->address, wall_ms()});
            self->live_[s->id()] = s;
        }
        for (const auto& r : auth::auto_rooms(st->who))
            s->join(r);
        emit(s, "connected",
             json::object{{"socketId", s->id()},
                          {"userId", user_id_json(st->who)},
                          {"isAnonymous", st->who.anonymous},
                          {"rooms", rooms_json(s)},
                          {"serverTime", now_iso()},
                          {"message", st->who.anonymous ? "Connected anonymously" : "Connected"}});
        self->schedule_expiry(s, *st);
        self->comm_.on_connected(caller_of(st->who, s->id()), s);
    };

    // A recovered session passed the connect hook too (its owner checked by the server): its
    // restored rooms are checked again for the principal of the new token.
    ns.on_connection([self, welcome](const socket_ptr& s) {
        if (!s->app_state) return s->disconnect();
        if (s->recovered()) self->recheck_rooms(s, state_of(*s)->who, state_of(*s)->requested);
        welcome(s);
    });

    ns.on_disconnect([self](const socket_ptr& s, std::string_view) {
        std::lock_guard lock(self->mu_);
        self->presence_.remove(s->id());
        self->live_.erase(s->id());
    });

    ns.on_incoming([self](const socket_ptr& s, std::string_view) {
        auto* st = state_of(*s);
        if (!st) return false;
        auto now = steady_ms();
        switch (st->rate.hit(now)) {
            case auth::rate_window::verdict::pass:
                return true;
            case auth::rate_window::verdict::drop_and_warn:
                self->m_->rate_limited->inc("dropped");
                emit(s, "rate_limit_exceeded",
                     json::object{{"message", "Too many messages"},
                                  {"retryAfter", st->rate.retry_after(now)}});
                return false;
            case auth::rate_window::verdict::drop:
                self->m_->rate_limited->inc("dropped");
                return false;
            case auth::rate_window::verdict::disconnect:
                self->m_->rate_limited->inc("disconnected");
                log::info("rate limit: disconnecting", {{"sid", s->id()}, {"address", st->address}});
                emit(s, "error", json::object{{"message", "Rate limit exceeded, disconnecting"}});
                s->disconnect(true);
                return false;
        }
        return false;
    });

    // {socketId, userId, room, timestamp} to the room's members (the sender too unless `except_self`).
    auto tell_room = [self](const socket_ptr& s, const std::string& room, const char* event, std::string ts,
                            bool except_self, bool is_volatile = false) {
        rooms::broadcast_options to_room;
        to_room.rooms = {room};
        if (except_self) to_room.except = {s->id()};
        to_room.is_volatile = is_volatile;
        // No socket id: it names the socket's own room, which is the socket's alone (audit #2).
        self->srv_.broadcast(
            "/", to_room, event,
            one(json::object{
                {"userId", user_id_json(state_of(*s)->who)}, {"room", room}, {"timestamp", std::move(ts)}}));
    };
    // In the room by request (its own-id room does not count).
    auto* root = &ns;  // the namespace outlives every handler
    auto member = [root](const socket_ptr& s, const std::string& room) {
        return room != s->id() && root->in_room(s->id(), room);
    };

    auto join = [self, member, tell_room](const socket_ptr& s, const std::string& room,
                                          const ack_reply& ack) {
        auto joined = [s, room, ack, tell_room](bool already) {
            auto ts = now_iso();
            if (ack)
                ack(one(json::object{{"success", true}, {"room", room}, {"message", "Joined room " + room}}));
            emit(s, "room_joined", json::object{{"room", room}, {"timestamp", ts}});
            if (!already) tell_room(s, room, "user_joined", ts, true);
        };
        if (member(s, room)) return joined(true);  // its own id never: the rules refuse it
        // The rules decide now, or the backend later (another thread: back to the socket's).
        auto* st = state_of(*s);
        self->access_->decide(st->who, room, joined_rooms(s).size(),
                              [self, member, s, room, ack, joined](auto verdict) {
                                  s->post([self, member, s, room, ack, joined, verdict]() mutable {
                                      // Joins decided at once by the backend: one user_joined, the cap kept.
                                      if (member(s, room)) return joined(true);
                                      if (verdict == auth::join_verdict::allowed &&
                                          joined_rooms(s).size() >= self->cfg_.rules.max_rooms_per_socket)
                                          verdict = auth::join_verdict::too_many_rooms;
                                      if (verdict != auth::join_verdict::allowed) {
                                          self->m_->joins_refused->inc(auth::join_verdict_label(verdict));
                                          return refuse(s, ack, auth::join_refusal_message(verdict));
                                      }
                                      s->join(room);
                                      state_of(*s)->requested.insert(room);
                                      joined(false);
                                  });
                              });
    };

    ns.on("join_room", [join](const socket_ptr& s, payload&& p, ack_reply ack) {
        auto room = auth::room_from_arg(first_arg(p));
        if (!room) return refuse(s, ack, "Invalid room: expected a name, {room} or {roomType, roomId}");
        join(s, *room, ack);
    });
    auto subscribe = [join](std::string prefix) {
        return [join, prefix](const socket_ptr& s, payload&& p, ack_reply ack) {
            const auto& a = first_arg(p);
            std::optional<std::string> id = auth::id_text(a);
            if (!id && a.is_object())
                for (auto key : {"orderId", "productId", "id"})
                    if (auto* v = a.get_object().if_contains(key); v && !id) id = auth::id_text(*v);
            if (!id) return refuse(s, ack, "Invalid id");
            join(s, prefix + *id, ack);
        };
    };
    ns.on("subscribe_order", subscribe("order:"));
    ns.on("subscribe_inventory", subscribe("product:"));

    ns.on("leave_room", [member, tell_room](const socket_ptr& s, payload&& p, ack_reply ack) {
        auto room = auth::room_from_arg(first_arg(p));
        if (!room) return refuse(s, ack, "Invalid room: expected a name, {room} or {roomType, roomId}");
        if (!member(s, *room)) return refuse(s, ack, "Not in room");
        s->leave(*room);
        state_of(*s)->requested.erase(*room);
        auto ts = now_iso();
        if (ack)
            ack(one(json::object{{"success", true}, {"room", *room}, {"message", "Left room " + *room}}));
        emit(s, "room_left", json::object{{"room", *room}, {"timestamp", ts}});
        tell_room(s, *room, "user_left", ts, false);  // the socket has left: nothing to except
    });

    ns.on("get_rooms", [](const socket_ptr& s, payload&&, ack_reply ack) {
        if (ack)
            ack(one(json::object{{"success", true}, {"rooms", rooms_json(s)}}));
        else
            emit(s, "rooms", json::object{{"rooms", rooms_json(s)}});
    });

    // typing / stop_typing {roomId} or {roomType, roomId}; typing with isTyping:false means stop.
    // Only in rooms joined by request: never in global or another auto-joined room, which would tell
    // everyone (direct conversations have chat:typing).
    auto typing = [member, tell_room](bool start_default) {
        return [member, tell_room, start_default](const socket_ptr& s, payload&& p, ack_reply ack) {
            const auto& a = first_arg(p);
            auto room = auth::room_from_arg(a);
            if (!room) return refuse(s, ack, "Invalid room: expected {roomId} or {roomType, roomId}");
            if (!member(s, *room) || !state_of(*s)->requested.count(*room))
                return refuse(s, ack, "Not in room");
            bool start = start_default;
            if (a.is_object())
                if (auto* t = a.get_object().if_contains("isTyping"); t && t->is_bool())
                    start = start && t->get_bool();
            // Volatile: a typing hint is worth nothing late.
            tell_room(s, *room, start ? "user_typing" : "user_stop_typing", now_iso(), true, true);
            if (ack) ack(one(json::object{{"success", true}, {"room", *room}}));
        };
    };
    ns.on("typing", typing(true));
    ns.on("stop_typing", typing(false));

    auto liveness = [](std::string reply) {
        return [reply](const socket_ptr& s, payload&&, ack_reply ack) {
            json::object o{{"timestamp", now_iso()}};
            if (ack) ack(one(o));
            emit(s, reply, std::move(o));
        };
    };
    ns.on("ping", liveness("pong"));
    ns.on("heartbeat", liveness("heartbeat:ack"));

    // auth:refresh {token}: a new token for the same user extends the session without reconnecting.
    ns.on("auth:refresh", [self](const socket_ptr& s, payload&& p, ack_reply ack) {
        auto answer = [&](json::object o) {
            if (ack) ack(one(std::move(o)));
        };
        auto* st = state_of(*s);
        const auto& a = first_arg(p);
        const json::value* t =
            a.is_object() ? a.get_object().if_contains("token") : (a.is_string() ? &a : nullptr);
        if (!t || !t->is_string() || t->get_string().empty())
            return answer({{"success", false}, {"error", "token is required"}});
        auto np = auth::principal_from_jwt(t->get_string(), self->cfg_.keys, self->cfg_.verify, wall_s());
        if (!np) {
            self->m_->auth_failures->inc(auth::reason_label(static_cast<auth::errc>(np.error().value())));
            return answer({{"success", false}, {"error", "Invalid or expired token"}});
        }
        // The whole principal is replaced: role, organisation, rooms and expiry.
        auto verdict = self->replace_principal(s, *st, std::move(*np));
        if (verdict != auth::refresh_plan::verdict::replace) {
            self->m_->auth_failures->inc(
                verdict == auth::refresh_plan::verdict::drops_expiry ? "refresh_no_exp" : "user_mismatch");
            return answer({{"success", false}, {"error", auth::refresh_refusal_message(verdict)}});
        }
        st->drf_key.clear();  // from now on the session rests on the JWT
        self->schedule_expiry(s, *st);
        json::object ok{{"success", true}, {"userId", st->who.user_id}, {"rooms", rooms_json(s)}};
        if (st->who.expires_at) ok["expiresAt"] = log::iso_time(*st->who.expires_at * 1000);
        answer(std::move(ok));
    });
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
                if (auto* good = o.body.if_contains("success"); good && *good == true) return;
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

    // chat:getOnlineStatus {userIds} → {success, statuses: {id: bool}} (this node's view).
    ns.on("chat:getOnlineStatus", [this](const socket_ptr& s, payload&& p, ack_reply ack) {
        const auto& a = first_arg(p);
        const json::value* ids = a.is_object() ? a.get_object().if_contains("userIds") : &a;
        if (!ids || !ids->is_array() || ids->get_array().size() > 500) {
            json::object bad{{"success", false},
                             {"error", "userIds must be an array of at most 500 user ids"}};
            if (ack) return ack(one(std::move(bad)));
            return;
        }
        json::object statuses;
        {
            std::lock_guard lock(mu_);
            for (const auto& v : ids->get_array())
                if (auto id = auth::id_text(v)) statuses[*id] = presence_.online(*id);
        }
        json::object o{{"success", true}, {"statuses", std::move(statuses)}};
        if (ack)
            ack(one(std::move(o)));
        else
            emit(s, "chat:onlineStatus", std::move(o));
    });
}

}  // namespace switchboard::app
