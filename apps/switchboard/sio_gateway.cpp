// The Socket.IO adapter of the gateway (namespace "/"), part one: identity on connect, the
// socket's life (welcome, disconnect) and the per-socket rate limit. Rooms, typing, liveness,
// refresh and the chat events are in sio_events.cpp; the rules themselves in libs/domain.
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
namespace rules = domain::rules;

gateway::gateway(server::server& srv, gateway_config cfg, communication& comm,
                 presence::presence_store& presence)
    : srv_(srv),
      cfg_(std::move(cfg)),
      comm_(comm),
      presence_(presence),
      rest_rates_(cfg_.rate_window_ms, cfg_.rate_max),
      refusals_(cfg_.refusals) {
    auth_ = std::make_shared<const live_auth>(live_auth{std::move(cfg_.keys), cfg_.verify, cfg_.rules});
    access_ = std::make_unique<room_access>(std::shared_ptr<const auth::room_rules>(auth_, &auth_->rules),
                                            cfg_.room_auth);
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
    if (auth_->keys.empty() && !cfg_.allow_anonymous && !comm_.drf_enabled())
        log::warn(
            "no JWT key configured (JWT_SECRET, JWT_PUBLIC_KEY_FILE, JWT_JWKS_FILE), DRF_TOKEN_AUTH off and "
            "ALLOW_ANONYMOUS false: every connection will be refused");
    // One-socket delivery (the chat catch-up) finds its socket here.
    comm_.set_socket_finder([this](const std::string& id) -> socket_ptr {
        std::lock_guard lock(mu_);
        auto it = live_.find(id);
        return it == live_.end() ? nullptr : it->second.lock();
    });
    install_connect();
    install_lifecycle();
    install_rooms();
    install_session_events();
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
    auto a = auth_now();
    auto p = auth::principal_from_jwt(t.value, a->keys, a->verify, wall_s());
    if (!p) {
        m_->auth_failures->inc(auth::reason_label(static_cast<auth::errc>(p.error().value())));
        log::debug("token refused", {{"reason", p.error().message()}});
        return done({std::nullopt, "Invalid or expired token"});
    }
    done({std::move(*p)});
}

// Who is connecting: token → principal (a JWT here, a DRF token through the database), or
// anonymous. `done` gets the refusal message or the socket's state, maybe on another thread.
// `unavailable`: refused because the database could not answer (not counted against the client).
void gateway::authenticate(const std::optional<auth::found_token>& token, const std::string& address,
                           auth_done done) {
    auto st = std::make_shared<state>(state{
        {}, address, auth::rate_window(cfg_.rate_window_ms, cfg_.rate_max, cfg_.rate_disconnect_after)});
    if (!token) {
        if (!cfg_.allow_anonymous) {
            m_->auth_failures->inc("missing_token");
            return done("Authentication required", nullptr, false);
        }
        return done(std::nullopt, std::move(st), false);
    }
    identify(*token, [st, done](identity id) {
        if (!id.who) return done(std::move(id.refusal), nullptr, id.unavailable);
        st->who = std::move(*id.who);
        st->drf_key = std::move(id.drf_key);
        done(std::nullopt, st, false);
    });
}

void gateway::on_connect(const socket_ptr& s, connect_decision decide) {
    // An address past its refused-lookup limit gets no Django-key lookup until its window ends
    // (a JWT costs no lookup: it is always checked, so a NAT's other users are not locked out).
    const auto& hs = s->handshake_info();
    auto token = auth::find_token(s->auth(), hs.query, hs.headers.find("authorization"));
    bool lookup = token && drf_token(*token) && auth::valid_drf_key(token->value);
    auto address = client_address_of(*s);
    if (lookup && !lookups_allowed(address)) {
        m_->refused->inc("connect_refusals");
        decide(server::connect_error{"Too many failed attempts, retry later", nullptr});
        return s->disconnect(true);
    }
    authenticate(token, address,
                 [this, s, decide, lookup, address](std::optional<std::string> err, std::shared_ptr<state> st,
                                                    bool unavailable) {
                     if (err) {
                         bool close = !unavailable && credential_refused(s->session_id(), address, lookup);
                         decide(server::connect_error{*err, nullptr});
                         if (close)
                             s->disconnect(true);  // past CONNECT_REFUSALS_PER_SESSION: end the session
                         return;
                     }
                     // MAX_CONNECTIONS_PER_IP is enforced by the server at the Engine.IO handshake.
                     connect_accepted(*s);
                     s->app_state = st;
                     // A kept session (connection-state recovery) goes to this owner only.
                     s->owner = rules::session_owner(st->who);
                     decide(std::nullopt);
                 });
}

void gateway::install_connect() {
    auto& ns = srv_.of("/");
    ns.on_connect([this](const socket_ptr& s, connect_decision decide) { on_connect(s, std::move(decide)); });
    // Recovery (audit #17): a kept session takes back only the rooms its new identity may be in —
    // its auto-rooms, and requested rooms the rules (or a cached backend answer) still allow — so
    // nothing sent to a room it lost is replayed. The rest is checked again after the connection.
    ns.on_restore_room([this](const socket_ptr& s, const std::string& room) {
        auto* st = state_of(*s);
        if (!st) return false;
        if (watch_room(room)) return !st->who.anonymous;  // watching is what chat:getOnlineStatus allows
        auto autos = auth::auto_rooms(st->who);
        if (std::find(autos.begin(), autos.end(), room) != autos.end()) return true;
        return access_->decide_now(st->who, room) == auth::join_verdict::allowed;
    });
}

void gateway::reload(gateway_config next) {
    auto fresh = std::make_shared<const live_auth>(live_auth{std::move(next.keys), next.verify, next.rules});
    access_->set_rules(std::shared_ptr<const auth::room_rules>(fresh, &fresh->rules));
    std::lock_guard lock(auth_mu_);
    auth_ = std::move(fresh);
}

presence::cluster_counts gateway::local_counts() {
    std::lock_guard lock(mu_);
    presence::cluster_counts c;
    c.connections = presence_.connections();
    c.authenticated = presence_.authenticated();
    c.anonymous = presence_.anonymous();
    c.users = presence_.unique_users();
    c.instances = 1;
    return c;
}

void gateway::welcome(const socket_ptr& s) {
    auto* st = state_of(*s);
    {
        std::lock_guard lock(mu_);
        auto first = presence_.add(
            {s->id(), st->who.anonymous ? std::string{} : st->who.user_id, st->address, wall_ms()});
        live_[s->id()] = s;
        // user:online once per transition: this node's registry decides alone, a cluster's shared
        // presence over every instance (it calls back through comm_.presence_changed). Under the
        // lock, so transitions reach the app thread in the order they happened.
        if (!st->who.anonymous) {
            if (shared_)
                shared_->add(st->who.user_id);
            else if (first)
                comm_.presence_changed(st->who.user_id, true, {});
        }
    }
    for (const auto& r : auth::auto_rooms(st->who))
        s->join(r);
    emit(s, "connected",
         json::object{{"socketId", s->id()},
                      {"userId", rules::user_id_json(st->who)},
                      {"isAnonymous", st->who.anonymous},
                      {"rooms", rooms_json(s)},
                      {"serverTime", now_iso()},
                      {"message", st->who.anonymous ? "Connected anonymously" : "Connected"}});
    schedule_expiry(s, *st);
    comm_.on_connected(caller_of(st->who, s->id()), s);
}

void gateway::device_connected(const std::string& conn_id, const std::string& user,
                               const std::string& address) {
    std::lock_guard lock(mu_);
    auto first = presence_.add({conn_id, user, address, wall_ms()});
    if (shared_)
        shared_->add(user);
    else if (first)
        comm_.presence_changed(user, true, {});
}

void gateway::device_disconnected(const std::string& conn_id, const std::string& user) {
    std::lock_guard lock(mu_);
    auto last = presence_.remove(conn_id);
    if (shared_) {
        if (!srv_.draining()) shared_->remove(user);
    } else if (last) {
        comm_.presence_changed(user, false, now_iso());
    }
}

bool gateway::rate_check(const socket_ptr& s) {
    auto* st = state_of(*s);
    if (!st) return false;
    auto now = steady_ms();
    switch (st->rate.hit(now)) {
        case auth::rate_window::verdict::pass:
            return true;
        case auth::rate_window::verdict::drop_and_warn:
            m_->rate_limited->inc("dropped");
            emit(s, "rate_limit_exceeded",
                 json::object{{"message", "Too many messages"}, {"retryAfter", st->rate.retry_after(now)}});
            return false;
        case auth::rate_window::verdict::drop:
            m_->rate_limited->inc("dropped");
            return false;
        case auth::rate_window::verdict::disconnect:
            m_->rate_limited->inc("disconnected");
            log::info("rate limit: disconnecting", {{"sid", s->id()}, {"address", st->address}});
            emit(s, "error", json::object{{"message", "Rate limit exceeded, disconnecting"}});
            s->disconnect(true);
            return false;
    }
    return false;
}

void gateway::install_lifecycle() {
    auto& ns = srv_.of("/");
    // A recovered session passed the connect hook too (its owner checked by the server): its
    // restored rooms are checked again for the principal of the new token.
    ns.on_connection([this](const socket_ptr& s) {
        if (!s->app_state) return s->disconnect();
        if (s->recovered()) recheck_rooms(s, state_of(*s)->who, state_of(*s)->requested);
        welcome(s);
    });
    ns.on_disconnect([this](const socket_ptr& s, std::string_view) {
        auto* st = state_of(*s);
        std::lock_guard lock(mu_);
        auto last = presence_.remove(s->id());
        auto welcomed = live_.erase(s->id()) > 0;
        if (!welcomed || !st || st->who.anonymous) return;
        // Drained sessions stay counted in the cluster: their clients are reconnecting to another
        // instance, and this instance's entries leave all at once when it stops (cluster::
        // stop_presence), after they are back; so their partners see no offline/online flap.
        if (shared_) {
            if (!srv_.draining()) shared_->remove(st->who.user_id);
        } else if (last)
            comm_.presence_changed(st->who.user_id, false, now_iso());
    });
    ns.on_incoming([this](const socket_ptr& s, std::string_view) { return rate_check(s); });
}

}  // namespace switchboard::app
