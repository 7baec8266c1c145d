// The Channels-style endpoints (see channels_gateway.hpp): the token checked as a CONNECT's, frames
// → the domain's operations (the same dispatcher as the Socket.IO events), and the domain's events
// → the connections of their users (the delivery tap).
#include "channels_gateway.hpp"
#include "communication.hpp"
#include "gateway.hpp"

#include <switchboard/auth/limits.hpp>
#include <switchboard/common/clock.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/protocol/engine_request.hpp>

#include <algorithm>
#include <unordered_set>

namespace switchboard::app {

namespace json = boost::json;
using channels::endpoint;

std::vector<common::setting> channels_settings_table() {
    return {
        {"CHANNELS_CHAT_PATH",
         {},
         "channels-chat-path",
         "/ws/chat/",
         "Path of the Channels-style chat WebSocket (the ERP's /ws/chat/?token=; plain WebSocket, JSON "
         "frames {type,...}); empty: none"},
        {"CHANNELS_NOTIFICATIONS_PATH",
         {},
         "channels-notifications-path",
         "/ws/notifications/",
         "Path of the Channels-style notifications WebSocket (/ws/notifications/?token=); empty: none"},
    };
}

std::optional<std::string> load_channels_settings(const common::config& c, channels_settings& out) {
    out.chat_path = c.str("CHANNELS_CHAT_PATH");
    out.notifications_path = c.str("CHANNELS_NOTIFICATIONS_PATH");
    const std::pair<const char*, const std::string*> paths[] = {
        {"CHANNELS_CHAT_PATH", &out.chat_path}, {"CHANNELS_NOTIFICATIONS_PATH", &out.notifications_path}};
    for (auto [name, path] : paths) {
        if (path->empty()) continue;
        if (path->front() != '/' || path->find_first_of("?# ") != std::string::npos)
            return std::string(name) + ": '" + *path + "' must be a path starting with '/'";
        if (*path == c.str("SOCKET_IO_PATH"))
            return std::string(name) + ": '" + *path + "' is already SOCKET_IO_PATH";
    }
    if (!out.chat_path.empty() && out.chat_path == out.notifications_path)
        return "CHANNELS_NOTIFICATIONS_PATH: the same path as CHANNELS_CHAT_PATH";
    return std::nullopt;
}

struct channels_gateway::conn {
    conn(endpoint e, server::ws_peer_ptr p, auth::rate_window r) : ep(e), peer(std::move(p)), rate(r) {}
    endpoint ep;
    server::ws_peer_ptr peer;
    auth::principal who;  // set before the connection is registered, then only read
    std::string address;  // the client's (behind TRUSTED_PROXIES, the forwarded one)
    std::string drf_key;  // the Django key the connection rests on (empty: a JWT)
    // On the connection's thread only:
    auth::rate_window rate;
    bool admitted = false;
    bool gone = false;
    std::vector<std::string> early;  // frames that came before the token was checked (bounded)
    std::string token;               // until admitted
};

namespace {
constexpr std::size_t max_early_frames = 32;

std::string now_iso() {
    return log::iso_time(common::wall_ms());
}

// The frame's type as a metric label: the known ones, else "other".
std::string_view type_label(std::string_view t) {
    static constexpr std::string_view known[] = {"message",   "typing",        "read",    "ping",
                                                 "mark_read", "mark_all_read", "dismiss", "get_unread_count"};
    for (auto k : known)
        if (k == t) return k;
    return "other";
}
}  // namespace

channels_gateway::channels_gateway(server::server& srv, channels_settings s, gateway& gw, communication& comm)
    : srv_(srv), cfg_(std::move(s)), gw_(gw), comm_(comm) {
    auto& m = srv_.metrics();
    frames_in_ = &m.add_family("switchboard_channels_frames_total",
                               "Frames received on the Channels-style endpoints, by type", "type");
    refused_ = &m.add_family(
        "switchboard_channels_refused_total",
        "Channels-style connections closed at the start (4001) and frames refused, by reason", "reason");
    m.add_gauge("switchboard_channels_connections", "Admitted Channels-style connections", [this] {
        std::lock_guard lock(mu_);
        return static_cast<double>(conns_.size());
    });
    auto route = [this](const std::string& path, endpoint ep) {
        if (path.empty()) return;
        srv_.websocket_route(path,
                             [this, ep](const server::http_request& req, const server::ws_peer_ptr& peer) {
                                 return open(ep, req, peer);
                             });
    };
    route(cfg_.chat_path, endpoint::chat);
    route(cfg_.notifications_path, endpoint::notifications);
    comm_.set_delivery_tap(this);
}

channels_gateway::~channels_gateway() {
    comm_.set_delivery_tap(nullptr);
}

server::ws_callbacks channels_gateway::open(endpoint ep, const server::http_request& req,
                                            const server::ws_peer_ptr& peer) {
    const auto& g = gw_.config();
    auto c = std::make_shared<conn>(ep, peer,
                                    auth::rate_window(g.rate_window_ms, g.rate_max, g.rate_disconnect_after));
    // ?token= (the ERP's clients), else Authorization: Bearer <jwt> / Token <key>.
    protocol::query_list query;
    if (auto q = protocol::parse_query(req.query)) query = std::move(*q);
    auto token = auth::find_token(json::object{}, query, req.header("authorization"));
    c->address = auth::client_address(req.remote_address, req.header("x-forwarded-for"), g.trusted_proxies);
    if (!token) {
        refused_->inc("missing_token");
        peer->close(channels_unauthorized);
    } else {
        c->token = token->value;
        std::weak_ptr<conn> w = c;
        gw_.identify_token(*token, req.remote_address, req.header("x-forwarded-for"),
                           [this, w](std::optional<auth::principal> who, bool unavailable) {
                               auto c = w.lock();
                               if (!c) return;
                               // Back to the connection's thread, where its state lives.
                               c->peer->post([this, c, who = std::move(who), unavailable]() mutable {
                                   admitted(c, std::move(who), unavailable);
                               });
                           });
    }
    server::ws_callbacks cb;
    cb.on_message = [this, c](std::string&& data, bool binary) { on_message(c, std::move(data), binary); };
    cb.on_close = [this, c] { closed(c); };
    return cb;
}

void channels_gateway::admitted(const std::shared_ptr<conn>& c, std::optional<auth::principal> who,
                                bool unavailable) {
    if (c->gone) return;
    if (!who || who->anonymous || who->user_id.empty()) {
        refused_->inc(unavailable ? "store_unavailable" : "invalid_token");
        if (unavailable) {
            // Not the client's fault: told so, and closed as a server in trouble (1013: retry later).
            c->peer->send_text(channels::error_frame({channels::frame_errc::unavailable,
                                                      "Authentication temporarily unavailable, please retry",
                                                      {}}));
            c->peer->close(server::ws_close::try_again_later);
            return;
        }
        c->peer->close(channels_unauthorized);
        return;
    }
    c->who = std::move(*who);
    if (c->who.source == "drf") c->drf_key = std::move(c->token);
    c->token.clear();
    c->admitted = true;
    {
        std::lock_guard lock(mu_);
        conns_[c->peer->id()] = c;
        by_user_[c->who.user_id].push_back(c->peer->id());
    }
    gw_.device_connected(c->peer->id(), c->who.user_id, c->address);
    log::debug("channels connection admitted",
               {{"conn", c->peer->id()}, {"endpoint", c->ep == endpoint::chat ? "chat" : "notifications"}});
    c->peer->send_text(channels::welcome_frame(c->ep, c->who.user_id));
    schedule_expiry(c);
    // What arrived for the user while away (chat), oldest first, then the frames sent meanwhile.
    if (c->ep == endpoint::chat) comm_.catch_up(c->who.user_id, c->peer->id());
    auto early = std::move(c->early);
    for (const auto& f : early)
        handle(c, f);
}

void channels_gateway::on_message(const std::shared_ptr<conn>& c, std::string&& data, bool binary) {
    if (binary) {
        refused_->inc("binary_frame");
        c->peer->send_text(channels::error_frame(
            {channels::frame_errc::binary_frame, "frames are JSON text, not binary", {}}));
        return;
    }
    if (!c->admitted) {
        // The token is being checked: kept (a few) until it is.
        if (c->early.size() < max_early_frames) c->early.push_back(std::move(data));
        return;
    }
    handle(c, data);
}

void channels_gateway::handle(const std::shared_ptr<conn>& c, std::string_view text) {
    using verdict = auth::rate_window::verdict;
    switch (c->rate.hit(common::steady_ms())) {
        case verdict::pass:
            break;
        case verdict::drop_and_warn:
            refused_->inc("rate_limited");
            c->peer->send_text(channels::error_frame(
                {channels::frame_errc::rate_limited, "Too many messages, slow down", {}}));
            return;
        case verdict::drop:
            refused_->inc("rate_limited");
            return;
        case verdict::disconnect:
            refused_->inc("rate_limit_disconnect");
            c->peer->send_text(channels::error_frame(
                {channels::frame_errc::rate_limited, "Rate limit exceeded, disconnecting", {}}));
            c->peer->close(1008);
            return;
    }
    auto parsed = channels::parse_client_frame(c->ep, text);
    if (auto* e = std::get_if<channels::frame_error>(&parsed)) {
        frames_in_->inc(type_label(e->request_type));
        refused_->inc(channels::errc_name(e->code));
        c->peer->send_text(channels::error_frame(*e));
        return;
    }
    auto& r = std::get<channels::client_request>(parsed);
    frames_in_->inc(type_label(r.type));
    if (r.ping) {
        c->peer->send_text(channels::pong_frame(now_iso()));
        return;
    }
    auto args = std::move(r.args);
    std::weak_ptr<server::ws_peer> w = c->peer;
    comm_.run(r.op, caller_of(c->who, c->peer->id()), std::move(args), [w, r = std::move(r)](outcome o) {
        auto p = w.lock();
        if (!p) return;
        if (auto f = channels::answer_frame(r, o)) p->send_text(std::move(*f));
    });
}

void channels_gateway::unauthorized(const std::shared_ptr<conn>& c, const char* why, const char* label) {
    if (c->gone) return;
    refused_->inc(label);
    log::info("channels connection closed: token no longer valid",
              {{"conn", c->peer->id()}, {"reason", label}});
    c->peer->send_text(channels::error_frame({channels::frame_errc::unauthorized, why, {}}));
    c->peer->close(channels_unauthorized);
}

void channels_gateway::schedule_expiry(const std::shared_ptr<conn>& c) {
    std::weak_ptr<conn> w = c;
    if (!c->drf_key.empty()) {
        c->peer->set_timer(std::chrono::seconds(comm_.drf_recheck_s()), [this, w] {
            if (auto c = w.lock()) recheck_drf(c);
        });
        return;
    }
    if (!c->who.expires_at) return;
    // Accepted within the leeway, a token lives as long as verification allows, not a moment less.
    auto end_ms = (*c->who.expires_at + gw_.config().verify.leeway_s) * 1000;
    auto wait = std::clamp<std::int64_t>(end_ms - common::wall_ms(), 0, 24 * 3600 * 1000);
    c->peer->set_timer(std::chrono::milliseconds(wait), [this, w, end_ms] {
        auto c = w.lock();
        if (!c || c->gone) return;
        if (common::wall_ms() < end_ms) return schedule_expiry(c);  // a far exp: looked at again
        unauthorized(c, "Token expired", "token_expired");
    });
}

void channels_gateway::recheck_drf(const std::shared_ptr<conn>& c) {
    if (c->gone) return;
    std::weak_ptr<conn> w = c;
    comm_.lookup_drf_token(
        c->drf_key,
        [this, w](boost::system::result<std::optional<auth::principal>> r) {
            auto c = w.lock();
            if (!c) return;
            c->peer->post([this, c, r = std::move(r)] {
                if (c->gone) return;
                // The database cannot answer: kept, asked again next time.
                if (r && (!*r || (*r)->user_id != c->who.user_id))
                    return unauthorized(c, "Token revoked", "token_revoked");
                schedule_expiry(c);
            });
        },
        true);
}

void channels_gateway::closed(const std::shared_ptr<conn>& c) {
    c->gone = true;
    c->early.clear();
    if (!c->admitted) return;
    gw_.device_disconnected(c->peer->id(), c->who.user_id);
    std::lock_guard lock(mu_);
    const auto& id = c->peer->id();
    conns_.erase(id);
    if (auto it = by_user_.find(c->who.user_id); it != by_user_.end()) {
        auto& ids = it->second;
        ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
        if (ids.empty()) by_user_.erase(it);
    }
}

std::size_t channels_gateway::send(const domain::target& to, std::string_view event, const json::value& arg) {
    endpoint ep;
    if (channels::carries(endpoint::chat, event))
        ep = endpoint::chat;
    else if (channels::carries(endpoint::notifications, event))
        ep = endpoint::notifications;
    else
        return 0;
    auto excepted = [&](const std::string& id) {
        return std::find(to.except.begin(), to.except.end(), id) != to.except.end();
    };
    std::vector<server::ws_peer_ptr> targets;
    {
        std::lock_guard lock(mu_);
        if (conns_.empty()) return 0;
        std::unordered_set<std::string> seen;
        auto add = [&](const std::shared_ptr<conn>& c) {
            if (c->ep == ep && !excepted(c->peer->id()) && seen.insert(c->peer->id()).second)
                targets.push_back(c->peer);
        };
        bool everyone =
            to.rooms.empty() || std::find(to.rooms.begin(), to.rooms.end(), "global") != to.rooms.end();
        for (const auto& room : to.rooms) {
            if (everyone) break;
            if (room.starts_with("user:")) {
                if (auto it = by_user_.find(room.substr(5)); it != by_user_.end())
                    for (const auto& id : it->second)
                        if (auto c = conns_.find(id); c != conns_.end()) add(c->second);
            } else if (room.starts_with("college:")) {
                auto college = room.substr(8);
                for (const auto& [id, c] : conns_)
                    if (c->who.college_id == college) add(c);
            }
        }
        if (everyone)
            for (const auto& [id, c] : conns_)
                add(c);
    }
    if (targets.empty()) return 0;
    auto frame = channels::event_frame(ep, event, arg);
    if (!frame) return 0;
    std::size_t reached = 0;
    for (const auto& p : targets)
        if (p->send_text(*frame, to.is_volatile)) ++reached;
    return reached;
}

bool channels_gateway::to_connection(const std::string& id, std::string_view event, const json::value& arg) {
    server::ws_peer_ptr p;
    endpoint ep;
    {
        std::lock_guard lock(mu_);
        auto it = conns_.find(id);
        if (it == conns_.end()) return false;
        p = it->second->peer;
        ep = it->second->ep;
    }
    auto frame = channels::event_frame(ep, event, arg);
    return frame && p->send_text(std::move(*frame));
}

}  // namespace switchboard::app
