#pragma once
// The domain's runtime: the app thread every chat and notification operation runs on (its
// io_context), the store, the port adapters and the services wired over them, migrations, and the
// Django token lookup. I/O threads post to it and get answers back through thread-safe calls.
// Where operations run is this one seam: a benchmark may move them to the sessions' threads.
#include "data_settings.hpp"

#include <switchboard/auth/identity.hpp>
#include <switchboard/domain/commands.hpp>
#include <switchboard/domain/push_service.hpp>
#include <switchboard/server/server.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace switchboard::app {

using domain::caller;
using domain::fail;
using domain::ok;
using domain::operation;
using domain::outcome;
using domain::resolve_rest;
using domain::rest_endpoint;
using domain::rest_prefix;

caller caller_of(const auth::principal& p, std::string socket_id = {});
using outcome_handler = std::function<void(outcome)>;

class server_delivery;
class delivery_tap;

class communication {
public:
    // Opens the store (SQLite now; PostgreSQL on first use) and starts the app thread; throws
    // std::runtime_error when SQLite cannot be opened.
    communication(server::server& srv, data_settings s);
    ~communication();
    // Ends the app thread so no callback runs after the gateway that registered it is gone. The
    // operations already asked for (events, API calls, receipts) are finished first, until
    // `finish_by`; what is left then is dropped. Idempotent; the destructor calls it too.
    void stop(std::chrono::steady_clock::time_point finish_by = {});
    communication(const communication&) = delete;
    communication& operator=(const communication&) = delete;

    // Applies migrations in the background, retrying until the database answers; /ready says
    // 503 until then.
    void start();
    bool drf_enabled() const noexcept;

    // Runs `op` for `who` with the event's (or request's) arguments; `done` gets the answer on
    // the app thread. Keys may be camelCase or snake_case.
    void run(operation op, caller who, boost::json::object args, outcome_handler done);
    // A backend service's notification (POST /api/notify, /api/broadcast): no role check.
    void service_notify(bool broadcast, boost::json::object body, outcome_handler done);
    // The push API's broadcasts (stateless: called on the I/O threads).
    const domain::push_service& push() const noexcept;
    // A cluster's fence (streams_bridge::fence): chat:send is acknowledged only once its message
    // is in the shared stream. Before the server runs.
    void set_delivery_fence(std::function<void(std::function<void()>)> f);
    // Finds live sockets for one-socket delivery (the gateway's table).
    void set_socket_finder(std::function<server::socket_ptr(const std::string&)> f);
    // A user's device connected: deliver what arrived while they were away.
    void on_connected(const caller& who, const server::socket_ptr& s);
    // The same for a connection outside Socket.IO (a Channels endpoint's `conn_id`, reached through
    // the delivery tap's to_connection).
    void catch_up(std::string user, std::string conn_id);
    // Every event the domain sends also goes to `t` (the Channels endpoints); null: none. Before the
    // server runs, or after it stopped.
    void set_delivery_tap(delivery_tap* t);
    // `user` came online or went offline (once per transition, cluster-wide in a cluster): tells
    // its conversation partners and watchers (chat_service::presence_changed). Any thread.
    void presence_changed(std::string user, bool online, std::string last_seen);
    // Another instance's chat:message reached `receiver` here (chat_service::delivered_elsewhere).
    void delivered_elsewhere(std::string receiver, std::int64_t id);

    // A DRF token → the principal (nullopt: unknown or inactive, or not 40 hex digits), or an
    // error when the database cannot answer. Cached for DRF_TOKEN_CACHE_TTL (bounded in bytes and
    // entries); `fresh` skips the cache (the re-check of a connected socket) and refreshes it.
    // `done` runs on the app thread.
    using token_handler = std::function<void(boost::system::result<std::optional<auth::principal>>)>;
    void lookup_drf_token(std::string key, token_handler done, bool fresh = false);
    // Drops the cached DRF keys of `user_id` (the push API disconnected the user).
    void forget_drf_user(std::string user_id);
    // How often a connected DRF socket is checked again, seconds.
    std::int64_t drf_recheck_s() const noexcept;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace switchboard::app
