// The life of a socket's credentials after the handshake (issue #11, findings 6, 7, 8, 16): the
// expiry timer (exp + JWT_LEEWAY), the periodic re-check of Django keys, replacing the principal
// on auth:refresh, disconnecting a user's sockets from the push API, and the refused-CONNECT limits.
#include "gateway.hpp"
#include "gateway_state.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/common/log.hpp>

#include <algorithm>
#include <chrono>

namespace switchboard::app {

namespace json = boost::json;
using server::socket_ptr;

// One timer per socket. A DRF socket: the next re-check. A JWT socket: first the warning
// (TOKEN_EXPIRY_WARNING before exp), then the end at exp + JWT_LEEWAY (a token accepted within the
// leeway lives as long as verification allowed, not a moment less).
void gateway::schedule_expiry(const socket_ptr& s, state& st) {
    std::weak_ptr<server::socket> w = s;
    if (!st.drf_key.empty()) {
        s->set_timer(std::chrono::seconds(comm_.drf_recheck_s()), [this, w] {
            if (auto s = w.lock()) recheck_drf(s);
        });
        return;
    }
    if (!st.who.expires_at) {
        s->cancel_timer();
        return;
    }
    auto rearm = [this, w] {
        if (auto s = w.lock())
            if (auto* st = state_of(*s)) schedule_expiry(s, *st);
    };
    auto step = domain::rules::plan_expiry(st.who.expires_at, st.warned, wall_ms(),
                                           {cfg_.expiry_warning_s, auth_now()->verify.leeway_s});
    if (step.warn_expires_in_s)
        emit(s, "token_expiring_soon", json::object{{"expiresIn", *step.warn_expires_in_s}});
    auto wait = std::chrono::milliseconds(step.wait_ms);
    if (step.next == domain::rules::expiry_step::then::look_again) return s->set_timer(wait, rearm);
    s->set_timer(wait, [w] {
        auto s = w.lock();
        if (!s) return;
        emit(s, "error", json::object{{"message", "Token expired"}});
        s->disconnect();
    });
}

void gateway::recheck_drf(const socket_ptr& s) {
    auto* st = state_of(*s);
    if (!st || st->drf_key.empty()) return;
    std::weak_ptr<server::socket> w = s;
    auto key = st->drf_key;
    comm_.lookup_drf_token(
        key,
        [this, w, key](boost::system::result<std::optional<auth::principal>> r) {
            auto s = w.lock();
            if (!s) return;
            // Back to the socket's thread, where its state lives.
            s->post([this, w, key, r = std::move(r)]() mutable {
                auto s = w.lock();
                if (!s) return;
                auto* st = state_of(*s);
                if (!st) return;
                if (st->drf_key != key) return schedule_expiry(s, *st);  // refreshed meanwhile
                if (!r) {
                    // The database cannot answer: keep the socket, ask again next time.
                    log::warn("DRF token re-check failed: store unavailable", {{"sid", s->id()}});
                    return schedule_expiry(s, *st);
                }
                if (!*r ||
                    replace_principal(s, *st, std::move(**r)) != auth::refresh_plan::verdict::replace) {
                    m_->auth_failures->inc("revoked");
                    log::info("DRF token revoked or user inactive: disconnecting", {{"sid", s->id()}});
                    emit(s, "error", json::object{{"message", "Token revoked"}});
                    s->disconnect();
                    return;
                }
                schedule_expiry(s, *st);
            });
        },
        true);
}

auth::refresh_plan::verdict gateway::replace_principal(const socket_ptr& s, state& st, auth::principal next) {
    auto plan = auth::plan_refresh(auth_now()->rules, st.who, next, joined_rooms(s));
    if (plan.result != auth::refresh_plan::verdict::replace) return plan.result;
    for (const auto& r : plan.leave) {
        s->leave(r);
        st.requested.erase(r);
    }
    for (const auto& r : plan.join)
        s->join(r);
    st.who = std::move(next);
    st.warned = false;
    // Backend-decided rooms: asked again for the new principal (left when now refused).
    if (!plan.recheck.empty()) recheck_rooms(s, st.who, st.requested);
    return plan.result;
}

std::size_t gateway::disconnect_user(const std::string& user_id, const std::string& reason) {
    std::vector<socket_ptr> targets;
    {
        std::lock_guard lock(mu_);
        for (const auto& sid : presence_.sockets_of(user_id))
            if (auto it = live_.find(sid); it != live_.end())
                if (auto s = it->second.lock()) targets.push_back(std::move(s));
    }
    for (const auto& s : targets) {
        std::weak_ptr<server::socket> w = s;
        // post, not set_timer: the socket's one app timer may be re-armed meanwhile (a refresh, a
        // DRF re-check), which would drop this disconnect.
        s->post([w, reason] {
            auto s = w.lock();
            if (!s) return;
            json::object o{{"message", "Disconnected by the server"}};
            if (!reason.empty()) o["reason"] = reason;
            emit(s, "error", std::move(o));
            s->disconnect();
        });
    }
    return targets.size();
}

// POST /api/disconnect-user {userId, reason?} → {success, userId, disconnected}: this node's
// sockets of the user are told `error` {message, reason} and disconnected; the user's cached DRF
// keys are forgotten so a reconnection is checked against the database.
server::http_reply gateway::disconnect_user_route(const server::http_request_view& req) {
    json::object b;
    if (auto e = parse_body(req, b)) return *e;
    auto* v = b.if_contains("userId");
    if (!v || v->is_null()) return json_error(400, "userId is required");
    auto id = auth::id_text(*v);
    if (!id) return json_error(400, std::string("userId must be ") + auth::id_rule_text + ", or an integer");
    std::string reason;
    if (auto* r = b.if_contains("reason"); r && !r->is_null()) {
        if (!r->is_string() || r->get_string().size() > 200)
            return json_error(400, "reason must be a string of at most 200 bytes");
        reason = r->get_string();
    }
    comm_.forget_drf_user(*id);
    auto n = disconnect_user(*id, reason);
    log::info("disconnect-user", {{"user", *id}, {"sockets", std::to_string(n)}});
    return json_reply(200, {{"success", true}, {"userId", *id}, {"disconnected", n}});
}

std::string gateway::client_address_of(const server::socket& s) const {
    const auto& hs = s.handshake_info();
    return auth::client_address(hs.address, hs.headers.find("x-forwarded-for"), cfg_.trusted_proxies);
}

bool gateway::drf_token(const auth::found_token& t) const {
    return domain::rules::is_drf_token(t, comm_.drf_enabled());
}

bool gateway::lookups_allowed(const std::string& address) {
    auto key = auth::address_key(address);  // an IPv6 client by its /64
    std::lock_guard lock(mu_);
    return refusals_.allowed(key, steady_ms());
}

bool gateway::credential_refused(const std::string& session, const std::string& address, bool looked_up) {
    auto key = auth::address_key(address);
    std::lock_guard lock(mu_);
    bool close = refusals_.refused(session, key, steady_ms(), looked_up);
    if (close) m_->refused->inc("connect_refusals_per_session");
    return close;
}

void gateway::identify_token(const auth::found_token& t, const std::string& peer,
                             std::string_view forwarded_for, identified done) {
    auto address = auth::client_address(peer, forwarded_for, cfg_.trusted_proxies);
    bool lookup = drf_token(t) && auth::valid_drf_key(t.value);
    if (lookup && !lookups_allowed(address)) {
        m_->refused->inc("connect_refusals");
        return done(std::nullopt, false);
    }
    identify(t, [this, address, lookup, done = std::move(done)](identity id) {
        if (!id.who && !id.unavailable) credential_refused({}, address, lookup);
        done(std::move(id.who), id.unavailable);
    });
}

void gateway::connect_accepted(const server::socket& s) {
    std::lock_guard lock(mu_);
    refusals_.connected(s.session_id());
}

}  // namespace switchboard::app
