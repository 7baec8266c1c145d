#pragma once
// The gateway app on top of the engine: JWT identity, auto-joined and requested rooms with access
// rules, typing, rate limits, token expiry, and the HTTP API for backend services (issue #5); chat and
// notifications as socket events and REST (issue #6).
#include "communication.hpp"
#include "room_access.hpp"

#include <switchboard/domain/gateway_rules.hpp>

#include <switchboard/auth/access.hpp>
#include <switchboard/auth/connect_refusals.hpp>
#include <switchboard/auth/jwt.hpp>
#include <switchboard/auth/limits.hpp>
#include <switchboard/auth/refresh.hpp>
#include <switchboard/auth/user_rates.hpp>
#include <switchboard/common/config.hpp>
#include <switchboard/presence/presence_store.hpp>
#include <switchboard/presence/shared_presence.hpp>
#include <switchboard/server/server.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchboard::app {

// JWT_SECRET shorter than this is refused unless JWT_ALLOW_WEAK_SECRET=true (RFC 7518 3.2).
inline constexpr std::size_t min_jwt_secret_bytes = 32;

struct gateway_config {
    auth::key_set keys;
    auth::verify_options verify;
    bool allow_anonymous = false;
    std::int64_t expiry_warning_s = 300;
    auth::room_rules rules;
    room_auth_settings room_auth;
    std::int64_t rate_window_ms = 60000;
    std::uint32_t rate_max = 100;
    std::uint32_t rate_disconnect_after = 100;
    auth::address_set trusted_proxies;
    auth::connect_refusals::limits refusals;  // refused CONNECTs per session and per address
    std::string api_key;             // empty: the HTTP API refuses every call unless api_loopback_only
    bool api_loopback_only = false;  // the HTTP API answers loopback clients only (without a key if none)
    std::string service_name = "switchboard";
    // DEV_MODE (scripts/run sets it; never a default): POST /dev/token mints an HS256 token for any
    // name with `dev_secret` (JWT_SECRET, else one generated once and kept in DATA_DIR).
    bool dev_mode = false;
    std::string dev_secret;
    std::string dev_url;  // what the banner shows
    // The chat demo under /demo/ (embedded files): on with DEV_MODE, or alone with DEMO=true.
    bool demo = false;
};

// The gateway's settings (appended to the engine's table).
std::vector<common::setting> gateway_settings();
// Reads keys, rules and limits; an error message for bad settings or unreadable files.
std::optional<std::string> load_gateway_config(const common::config& c, gateway_config& out);

// What a reload (SIGHUP) may replace while every connection stays: the token keys, their checks and
// the room rules. Sockets keep what they were admitted with; new tokens and joins use the new.
struct live_auth {
    auth::key_set keys;
    auth::verify_options verify;
    auth::room_rules rules;
};

class gateway {
public:
    // `comm` (chat, notifications, DRF tokens) and `presence` (who is online) must outlive the gateway.
    gateway(server::server& srv, gateway_config cfg, communication& comm, presence::presence_store& presence);
    ~gateway();
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    struct state;

    // A cluster's shared presence (REDIS_URL): online status, the presence routes and the user:online
    // / user:offline transitions then answer for every instance. Before the server runs.
    void set_shared_presence(presence::shared_presence* p) { shared_ = p; }
    // This node's connections (for the shared presence's beat).
    presence::cluster_counts local_counts();
    // Takes `next`'s keys, token checks and room rules (a reload; the rest of `next` is ignored).
    // From any thread.
    void reload(gateway_config next);
    // A token presented at another entry point (the Channels endpoints), checked as a CONNECT's: a
    // JWT here, a DRF key through the database, with the refused-lookup limit of the client address
    // (`peer`, or behind TRUSTED_PROXIES the `forwarded_for` client). `done` gets the principal, or
    // nullopt (`unavailable`: the database could not answer); maybe on another thread.
    using identified = std::function<void(std::optional<auth::principal>, bool unavailable)>;
    void identify_token(const auth::found_token& t, const std::string& peer, std::string_view forwarded_for,
                        identified done);
    const gateway_config& config() const noexcept { return cfg_; }
    // A connection outside Socket.IO (a Channels endpoint, id `conn_id`) of `user` opened or closed:
    // a device in presence like a socket (online status, user:online / user:offline once per
    // transition). Any thread.
    void device_connected(const std::string& conn_id, const std::string& user, const std::string& address);
    void device_disconnected(const std::string& conn_id, const std::string& user);

private:
    using connect_decision = std::function<void(std::optional<server::connect_error>)>;
    using auth_done =
        std::function<void(std::optional<std::string>, std::shared_ptr<state>, bool unavailable)>;
    // sio_gateway.cpp: the connect hook, the socket's life and its rate limit.
    void install_connect();
    void install_lifecycle();
    void authenticate(const std::optional<auth::found_token>& token, const std::string& address,
                      auth_done done);
    void on_connect(const server::socket_ptr& s, connect_decision decide);
    void welcome(const server::socket_ptr& s);
    bool rate_check(const server::socket_ptr& s);
    // sio_events.cpp: rooms, typing, liveness, auth:refresh; chat and notification events.
    void install_rooms();
    void install_session_events();
    // In the room by request (its own-id room does not count).
    bool member(const server::socket_ptr& s, const std::string& room) const;
    // {userId, room, timestamp} to the room's members (the sender too unless `except_self`).
    void tell_room(const server::socket_ptr& s, const std::string& room, const char* event, std::string ts,
                   bool except_self, bool is_volatile = false);
    void join(const server::socket_ptr& s, const std::string& room, const server::ack_reply& ack);
    void joined(const server::socket_ptr& s, const std::string& room, const server::ack_reply& ack,
                bool already);
    void leave(const server::socket_ptr& s, const server::payload& p, const server::ack_reply& ack);
    void room_typing(const server::socket_ptr& s, const server::payload& p, const server::ack_reply& ack,
                     bool start_default);
    void refresh(const server::socket_ptr& s, const server::payload& p, const server::ack_reply& ack);
    void online_status(const server::socket_ptr& s, const server::payload& p, const server::ack_reply& ack);
    // http_api.cpp: the push API (→ push_service) and presence queries, behind the service key.
    void install_http_api();
    void install_presence_api();
    // POST /dev/token {name} (dev mode only).
    void install_dev_api();
    // demo_api.cpp: the chat demo's files under /demo/ (DEV_MODE or DEMO), and / → /demo/ in dev mode.
    void install_demo();
    std::optional<server::http_reply> api_refused(const server::http_request_view& req,
                                                  const std::string& method);
    server::http_route api_route(std::string method, server::http_route handler);
    void install_communication_events();
    void install_rest_api();
    // A token → the principal (a JWT here, a DRF key through the database), or the refusal to
    // give; failures are counted. `done` may run on another thread.
    struct identity {
        std::optional<auth::principal> who;
        std::string refusal;       // for the client
        bool unavailable = false;  // the database could not answer (retry later)
        std::string drf_key;       // the Django key, when `who` came from one
    };
    void identify(const auth::found_token& t, std::function<void(identity)> done);
    // [{userId, devices}] of this node's connected users.
    boost::json::array online_users();
    // The socket's one timer: the expiry warning, the end at exp + JWT_LEEWAY, or (DRF) the re-check.
    void schedule_expiry(const server::socket_ptr& s, state& st);
    // A recovered session's restored rooms, checked again for `who`: kept and marked requested when
    // still allowed, else left (room_access.cpp). On the socket's thread.
    void recheck_rooms(const server::socket_ptr& s, const auth::principal& who,
                       std::set<std::string>& requested);
    // A DRF socket's key looked up again: revoked → disconnected; changed user data → new principal.
    void recheck_drf(const server::socket_ptr& s);
    // Replaces the socket's principal and moves it between rooms (see auth::plan_refresh).
    auth::refresh_plan::verdict replace_principal(const server::socket_ptr& s, state& st,
                                                  auth::principal next);
    // Ends every socket of `user_id` on this node with an `error` {message, reason}; how many.
    std::size_t disconnect_user(const std::string& user_id, const std::string& reason);
    server::http_reply disconnect_user_route(const server::http_request_view& req);
    // The client address (behind TRUSTED_PROXIES) and the refused-CONNECT accounting.
    std::string client_address_of(const server::socket& s) const;
    // Is `t` a Django key (looked up in the database) rather than a JWT?
    bool drf_token(const auth::found_token& t) const;
    // May this address have a Django key looked up now? false past CONNECT_REFUSALS_PER_ADDRESS.
    bool lookups_allowed(const std::string& address);
    // A refused credential: counted per session (`session` empty for REST) and, when it cost a
    // lookup, per address. true: the Engine.IO session must be closed.
    bool credential_refused(const std::string& session, const std::string& address, bool looked_up);
    void connect_accepted(const server::socket& s);

    std::shared_ptr<const live_auth> auth_now() const {
        std::lock_guard lock(auth_mu_);
        return auth_;
    }

    server::server& srv_;
    gateway_config cfg_;  // its keys and rules moved into auth_
    mutable std::mutex auth_mu_;
    std::shared_ptr<const live_auth> auth_;  // guarded by auth_mu_
    communication& comm_;
    std::mutex mu_;                       // guards presence_, rest_rates_, live_ and refusals_
    presence::presence_store& presence_;  // the node's registry today (main.cpp); guarded by mu_
    presence::shared_presence* shared_ = nullptr;
    auth::user_rates rest_rates_;  // REST requests per user (RATE_LIMIT_WINDOW, RATE_LIMIT_MAX_MESSAGES)
    std::unique_ptr<room_access> access_;
    std::unordered_map<std::string, std::weak_ptr<server::socket>> live_;  // socket id → socket
    auth::connect_refusals refusals_;
    struct counters {
        common::counter_family* auth_failures;
        common::counter_family* refused;
        common::counter_family* rate_limited;
        common::counter_family* joins_refused;
        common::counter* api_requests;
    };
    std::unique_ptr<counters> m_;
};

}  // namespace switchboard::app
