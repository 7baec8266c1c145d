// The @socket.io/admin-ui dashboard (ADMIN_UI=true): the /admin namespace speaking the protocol of
// its server half (config, server_stats, all_sockets, socket_connected / _updated / _disconnected,
// room_joined / room_left; the dashboard's join, leave and _disconnect), and the dashboard's built
// UI served under /admin/ (embedded at build time from admin/, apps/CMakeLists.txt). Off by
// default: then no namespace, no route, no socket observer and no thread.
#pragma once

#include "demo_files.hpp"

#include <switchboard/common/config.hpp>
#include <switchboard/server/server.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

struct crypt_data;

namespace switchboard::app {

// ADMIN_UI, ADMIN_USERNAME, ADMIN_PASSWORD_HASH (appended to the gateway's table).
std::vector<common::setting> admin_settings();

// The dashboard's files (admin/ and its node_modules), by their path under /admin/.
std::span<const embedded_file> admin_files();

// What the dashboard shows of a socket (upstream's SerializedSocket), with no secret in it: the
// handshake loses auth.token / password / sessionId, a token in the query, and the authorization,
// cookie and API key headers.
boost::json::object admin_socket_json(std::string_view id, std::string_view client_id,
                                      std::string_view transport, std::string_view nsp,
                                      const boost::json::object& data, boost::json::object handshake,
                                      const std::vector<std::string>& rooms);
// `url` without its token / access_token query parameters (names percent-decoded).
std::string admin_url_without_secrets(std::string_view url);
// The client id the dashboard groups sockets by: a digest of the Engine.IO session id (which
// would let its holder act as that client), 12 hex digits.
std::string admin_client_id(std::string_view session_id);

class admin_ui final : public server::socket_observer {
public:
    // Reads the settings; with ADMIN_UI on, registers /admin (namespace and routes) and observes
    // every socket. Throws std::runtime_error on a bad setting. Before srv.run(); destroy it
    // after the run (it stops its thread).
    admin_ui(server::server& srv, const common::config& cfg);
    ~admin_ui() override;
    admin_ui(const admin_ui&) = delete;
    admin_ui& operator=(const admin_ui&) = delete;

    bool enabled() const noexcept { return enabled_; }

    // server::socket_observer
    void connected(const server::socket_ptr& s) override;
    void upgraded(const server::socket_ptr& s) override;
    void disconnected(const server::socket& s, std::string_view reason) override;
    void joined(const server::socket& s, const std::string& room) override;
    void left(const server::socket& s, const std::string& room) override;

private:
    struct known_socket {
        std::string client_id;
        std::string transport;
    };
    struct login {
        server::socket_ptr socket;
        std::string username, password;
        std::function<void(std::optional<server::connect_error>)> decide;
    };

    // admin_ui.cpp: auth, the worker thread (password checks, stats), the routes.
    void install_namespace();
    void install_routes();
    void authenticate(const server::socket_ptr& s,
                      std::function<void(std::optional<server::connect_error>)> decide);
    bool check_password(const std::string& username, const std::string& password);
    bool session_valid(const std::string& id);
    std::string new_session();
    void run();
    void emit_stats();
    // admin_events.cpp: what the dashboard asks and is told.
    void install_actions(server::namespace_& ns);
    void send_all_sockets(const server::socket_ptr& admin);
    // To every dashboard (through /admin's adapter, so on every node of a cluster).
    void tell(std::string_view event, boost::json::array args);
    boost::json::object describe(const server::socket& s, std::string_view transport);

    server::server& srv_;
    bool enabled_ = false;
    std::string username_;       // empty: no auth
    std::string password_hash_;  // bcrypt ($2a$ / $2b$ / $2y$)
    std::string server_id_, hostname_;
    std::chrono::steady_clock::time_point started_;
    std::atomic<std::size_t> admins_{0};  // dashboards connected to this node

    std::mutex known_mu_;
    std::unordered_map<std::string, known_socket> known_;  // socket id → what fetch_sockets lacks

    std::mutex mu_;  // guards everything below
    std::condition_variable cv_;
    bool stop_ = false;
    std::deque<login> logins_;                                // bounded: password checks waiting
    std::unordered_map<std::string, std::int64_t> sessions_;  // dashboard session id → expiry (ms)
    std::unique_ptr<crypt_data> crypt_;                       // crypt_r's state, the worker's only
    std::thread worker_;
};

}  // namespace switchboard::app
