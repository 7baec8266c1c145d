#pragma once
// Chat and notifications (issue #6): the operations behind the socket events and the REST API,
// run on the app's own thread against the system of record, plus the Django token lookup.
// The header stays free of Asio; communication.cpp owns the io_context and the stores.
#include "input.hpp"

#include <switchboard/auth/identity.hpp>
#include <switchboard/common/config.hpp>
#include <switchboard/server/server.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::app {

struct data_settings {
    std::string conninfo;  // empty: SQLite in data_dir
    std::string schema = "switchboard";
    std::size_t pool_size = 10;
    std::int64_t query_timeout_ms = 2000;
    std::string data_dir = "./var";
    bool drf = false;
    std::int64_t drf_cache_ttl_s = 60;
    std::size_t drf_cache_max_bytes = 8u << 20;
    std::size_t drf_cache_max_entries = 10000;
    std::string drf_college_column = "college_id";
    std::string django_schema = "public";
    std::vector<std::string> notify_roles{"admin", "staff"};
    std::size_t max_message_length = 5000;
    std::int64_t typing_timeout_ms = 5000;
};

std::vector<common::setting> data_settings_table();
std::optional<std::string> load_data_settings(const common::config& c, data_settings& out);
// Where the data lives, for logs ("postgresql host:port/db schema" or "sqlite path"), without secrets.
std::string describe_store(const data_settings& s);

// `switchboard migrate`: applies the migrations and returns the exit code.
int migrate_and_exit(const data_settings& s);

caller caller_of(const auth::principal& p, std::string socket_id = {});
using outcome_handler = std::function<void(outcome)>;

class communication {
public:
    // Opens the store (SQLite now; PostgreSQL on first use) and starts the app thread; throws
    // std::runtime_error when SQLite cannot be opened.
    communication(server::server& srv, data_settings s);
    ~communication();
    // Ends the app thread (pending operations dropped) so no callback runs after the gateway that
    // registered it is gone. Idempotent; the destructor calls it too.
    void stop();
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
    // A user's device connected: deliver what arrived while they were away.
    void on_connected(const caller& who, const server::socket_ptr& s);

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
