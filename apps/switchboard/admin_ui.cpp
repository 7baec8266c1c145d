// The admin dashboard's settings, its /admin namespace's authentication (upstream's basic auth: a
// user name and a bcrypt hash, then a session id the dashboard reconnects with), the worker
// thread that checks passwords (bcrypt is slow on purpose: never on an I/O thread) and emits
// server_stats every 2 s, and the routes of the dashboard's files.
#include "admin_ui.hpp"

#include <switchboard/common/ids.hpp>
#include <switchboard/common/log.hpp>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <stdexcept>

namespace switchboard::app {

namespace {

constexpr std::size_t max_waiting_logins = 8;      // more at once: refused without a check
constexpr std::size_t max_sessions = 1000;         // dashboard sessions kept (the oldest go first)
constexpr std::int64_t session_ttl_ms = 86400000;  // a dashboard session id lasts a day
constexpr auto stats_interval = std::chrono::seconds(2);

std::int64_t wall_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Equal, in a time that depends on neither string's content nor length.
bool same_secret(std::string_view a, std::string_view b) {
    unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
    SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

server::http_reply redirect(std::string to) {
    server::http_reply r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "Found: " + to + "\n";
    r.headers.emplace_back("Location", std::move(to));
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

}  // namespace

std::vector<common::setting> admin_settings() {
    using k = common::setting::kind;
    return {
        {"ADMIN_UI",
         {},
         "admin-ui",
         "false",
         "Serve the @socket.io/admin-ui dashboard at /admin/ and its /admin namespace (sockets, rooms, "
         "join / leave / disconnect from the dashboard)",
         k::boolean},
        {"ADMIN_USERNAME",
         {},
         "admin-username",
         "",
         "The dashboard's user name; empty: the dashboard asks for no password (a warning at start)"},
        {"ADMIN_PASSWORD_HASH",
         {},
         "admin-password-hash",
         "",
         "bcrypt hash ($2b$...) of the dashboard's password, as upstream's auth.password",
         k::string,
         0,
         0,
         true},
    };
}

admin_ui::admin_ui(server::server& srv, const common::config& cfg)
    : srv_(srv), started_(std::chrono::steady_clock::now()) {
    enabled_ = cfg.boolean("ADMIN_UI");
    username_ = cfg.str("ADMIN_USERNAME");
    password_hash_ = cfg.str("ADMIN_PASSWORD_HASH");
    if (!enabled_) {
        if (!username_.empty() || !password_hash_.empty())
            log::warn("ADMIN_USERNAME / ADMIN_PASSWORD_HASH are set but ADMIN_UI is off: no dashboard");
        return;
    }
    if (username_.empty() != password_hash_.empty())
        throw std::runtime_error("ADMIN_USERNAME and ADMIN_PASSWORD_HASH go together (or neither: no auth)");
    crypt_ = std::make_unique<crypt_data>();
    std::memset(crypt_.get(), 0, sizeof(crypt_data));
    if (!username_.empty()) {
        static const std::regex bcrypt(R"(^\$2[aby]\$[0-3][0-9]\$[./A-Za-z0-9]{53}$)");
        const char* probe = std::regex_match(password_hash_, bcrypt)
                                ? crypt_r("", password_hash_.c_str(), crypt_.get())
                                : nullptr;
        if (!probe || probe[0] != '$' || std::strlen(probe) != password_hash_.size())
            throw std::runtime_error("ADMIN_PASSWORD_HASH is not a bcrypt hash ($2a$, $2b$ or $2y$)");
    } else {
        log::warn("setting keeps a weaker behaviour",
                  {{"setting",
                    "ADMIN_UI=true without ADMIN_USERNAME: the dashboard at /admin/ asks for no "
                    "password (whoever reaches it sees every socket and can disconnect them)"}});
    }
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "localhost");
    hostname_ = host;
    server_id_ = hostname_ + "#" + std::to_string(getpid());
    // What the dashboard shows of a connection's first request, beyond what the gateway keeps
    // (never a secret: admin_socket_json drops authorization and cookie headers anyway).
    srv_.keep_handshake_headers({"user-agent", "origin", "host", "referer", "accept-language"});
    install_namespace();
    install_routes();
    srv_.set_socket_observer(this);
    worker_ = std::thread([this] { run(); });
    log::info("admin dashboard", {{"path", "/admin/"}, {"auth", username_.empty() ? "none" : "basic"}});
}

admin_ui::~admin_ui() {
    if (!enabled_) return;
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    srv_.set_socket_observer(nullptr);
    // Logins still waiting are refused (their sessions close with the server anyway).
    for (auto& l : logins_)
        l.decide(server::connect_error{"server stopping", nullptr});
}

void admin_ui::install_namespace() {
    auto& ns = srv_.of("/admin");
    ns.on_connect([this](const server::socket_ptr& s, auto decide) { authenticate(s, std::move(decide)); });
    ns.on_connection([this](const server::socket_ptr& s) {
        ++admins_;
        if (auto session = std::static_pointer_cast<std::string>(s->app_state))
            s->emit("session", server::payload{boost::json::array{*session}, {}});
        boost::json::array features{"JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"};
        s->emit("config", server::payload{
                              boost::json::array{boost::json::object{{"supportedFeatures", features}}}, {}});
        send_all_sockets(s);
    });
    ns.on_disconnect([this](const server::socket_ptr&, std::string_view) { --admins_; });
    install_actions(ns);
}

void admin_ui::authenticate(const server::socket_ptr& s,
                            std::function<void(std::optional<server::connect_error>)> decide) {
    if (username_.empty()) return decide(std::nullopt);
    const auto& auth = s->auth();
    auto text = [&](const char* key) -> std::string {
        const auto* v = auth.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    if (auto id = text("sessionId"); !id.empty() && session_valid(id)) return decide(std::nullopt);
    auto user = text("username");
    auto password = text("password");
    if (user.empty() || password.empty())
        return decide(server::connect_error{"invalid credentials", nullptr});
    {
        std::lock_guard lock(mu_);
        if (logins_.size() < max_waiting_logins && !stop_) {
            logins_.push_back(login{s, std::move(user), std::move(password), std::move(decide)});
            cv_.notify_all();
            return;
        }
    }
    decide(server::connect_error{"too many login attempts, try again", nullptr});
}

// On the worker thread only (crypt_ is its state).
bool admin_ui::check_password(const std::string& username, const std::string& password) {
    const char* h = crypt_r(password.c_str(), password_hash_.c_str(), crypt_.get());
    bool hash_ok = h && same_secret(h, password_hash_);
    return same_secret(username, username_) && hash_ok;
}

bool admin_ui::session_valid(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    if (it->second < wall_ms()) {
        sessions_.erase(it);
        return false;
    }
    return true;
}

std::string admin_ui::new_session() {
    auto id = common::random_hex(16);
    auto now = wall_ms();
    std::lock_guard lock(mu_);
    std::erase_if(sessions_, [now](const auto& e) { return e.second < now; });
    if (sessions_.size() >= max_sessions) {
        auto oldest = sessions_.begin();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
            if (it->second < oldest->second) oldest = it;
        sessions_.erase(oldest);
    }
    sessions_[id] = now + session_ttl_ms;
    return id;
}

void admin_ui::run() {
    auto next_stats = std::chrono::steady_clock::now();
    for (;;) {
        std::optional<login> job;
        {
            std::unique_lock lock(mu_);
            cv_.wait_until(lock, next_stats, [this] { return stop_ || !logins_.empty(); });
            if (stop_) return;
            if (!logins_.empty()) {
                job = std::move(logins_.front());
                logins_.pop_front();
            }
        }
        if (job) {
            if (check_password(job->username, job->password)) {
                job->socket->app_state = std::make_shared<std::string>(new_session());
                job->decide(std::nullopt);
            } else {
                log::info("admin dashboard login refused",
                          {{"address", job->socket->handshake_info().address}});
                job->decide(server::connect_error{"invalid credentials", nullptr});
            }
        }
        if (std::chrono::steady_clock::now() >= next_stats) {
            try {
                emit_stats();
            } catch (const std::exception& e) {
                log::error("admin dashboard stats failed", {{"what", e.what()}});
            }
            next_stats = std::chrono::steady_clock::now() + stats_interval;
        }
    }
}

void admin_ui::emit_stats() {
    if (!srv_.ready()) return;  // starting or draining (the cluster bridge may be going)
    boost::json::array namespaces;
    for (const auto& name : srv_.namespace_names())
        if (auto* ns = srv_.find(name))
            namespaces.push_back(boost::json::object{{"name", name}, {"socketsCount", ns->socket_count()}});
    std::size_t polling = 0;
    {
        std::lock_guard lock(known_mu_);
        std::unordered_map<std::string_view, bool> clients;
        for (const auto& [id, k] : known_)
            clients.emplace(k.client_id, k.transport == "polling");
        for (const auto& [c, p] : clients)
            polling += p ? 1 : 0;
    }
    double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    boost::json::object stats{{"serverId", server_id_},
                              {"hostname", hostname_},
                              {"pid", static_cast<std::int64_t>(getpid())},
                              {"uptime", uptime},
                              {"clientsCount", srv_.connection_count()},
                              {"pollingClientsCount", polling},
                              {"namespaces", std::move(namespaces)}};
    tell("server_stats", boost::json::array{std::move(stats)});
}

void admin_ui::install_routes() {
    for (const auto& f : admin_files()) {
        server::http_route serve = [&f](const server::http_request_view&) {
            server::http_reply r;
            r.content_type = std::string(f.content_type);
            r.body = std::string(f.data);
            r.headers.emplace_back("Cache-Control", "no-cache");
            r.headers.emplace_back("X-Content-Type-Options", "nosniff");
            r.headers.emplace_back("X-Frame-Options", "DENY");
            return r;
        };
        if (f.name == "index.html") srv_.route("/admin/", serve, "GET");
        srv_.route("/admin/" + std::string(f.name), std::move(serve), "GET");
    }
    srv_.route(
        "/admin", [](const server::http_request_view&) { return redirect("/admin/"); }, "GET");
}

}  // namespace switchboard::app
