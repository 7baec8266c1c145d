#include <switchboard/server/config.hpp>
#include <switchboard/server/server.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

namespace switchboard::server {

std::optional<std::string> config::set(const setting& s, std::string value, std::string_view source) {
    if (s.type == setting::kind::integer) {
        long long v = 0;
        auto r = std::from_chars(value.data(), value.data() + value.size(), v);
        if (value.empty() || r.ec != std::errc{} || r.ptr != value.data() + value.size())
            return std::string(source) + ": '" + value + "' is not a whole number";
        if (v < s.min || v > s.max)
            return std::string(source) + ": " + value + " is outside " + std::to_string(s.min) + ".." +
                   std::to_string(s.max);
    } else if (s.type == setting::kind::boolean) {
        if (value == "1" || value == "true" || value == "yes" || value == "on")
            value = "true";
        else if (value == "0" || value == "false" || value == "no" || value == "off" || value.empty())
            value = "false";
        else
            return std::string(source) + ": '" + value + "' is not true or false";
    }
    values_[s.env] = std::move(value);
    return std::nullopt;
}

namespace {
std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad()) return std::nullopt;
    return ss.str();
}
}  // namespace

std::optional<std::string> config::load(int argc, const char* const* argv, const env_lookup& env,
                                        const file_lookup& read_file) {
    for (const auto& s : table_) {
        values_[s.env] = s.default_value;
        // The canonical name first, then its aliases; errors name the variable that was read.
        std::string source = s.env;
        std::optional<std::string> v = env(s.env);
        for (std::size_t i = 0; !v && i < s.aliases.size(); ++i)
            if ((v = env(s.aliases[i]))) source = s.aliases[i];
        // A secret may come from a file (Docker and Kubernetes secrets), never also from the variable.
        if (s.secret) {
            std::string file_var = s.env + "_FILE";
            if (auto path = env(file_var); path && !path->empty()) {
                if (v) return source + " and " + file_var + " are both set; use one";
                auto text = read_file ? read_file(*path) : read_whole_file(*path);
                if (!text) return file_var + ": cannot read " + *path;
                if (text->ends_with("\r\n"))
                    text->resize(text->size() - 2);
                else if (text->ends_with('\n'))
                    text->pop_back();
                v = std::move(text);
                source = file_var;
            }
        }
        if (v)
            if (auto err = set(s, std::move(*v), source)) return err;
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            help_ = true;
            continue;
        }
        if (arg.substr(0, 2) != "--") {
            positional_.emplace_back(arg);
            continue;
        }
        arg.remove_prefix(2);
        std::string value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
            has_value = true;
        }
        const setting* found = nullptr;
        for (const auto& s : table_)
            if (s.flag == arg) found = &s;
        if (!found) return "unknown option --" + std::string(arg) + " (see --help)";
        if (!has_value) {
            if (found->type == setting::kind::boolean &&
                (i + 1 >= argc || std::string_view(argv[i + 1]).substr(0, 2) == "--")) {
                value = "true";
            } else {
                if (i + 1 >= argc) return "option --" + std::string(arg) + " needs a value";
                value = argv[++i];
            }
        }
        if (auto err = set(*found, value, "--" + found->flag)) return err;
        if (found->secret) secret_flags_.push_back("--" + found->flag);
    }
    return std::nullopt;
}

const std::string& config::str(std::string_view env_name) const {
    static const std::string empty;
    auto it = values_.find(env_name);
    return it == values_.end() ? empty : it->second;
}

long long config::integer(std::string_view env_name) const {
    const auto& s = str(env_name);
    long long v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

bool config::boolean(std::string_view env_name) const {
    return str(env_name) == "true";
}

std::vector<std::string> config::list(std::string_view env_name) const {
    std::vector<std::string> out;
    std::stringstream ss(str(env_name));
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto b = item.find_first_not_of(" \t");
        auto e = item.find_last_not_of(" \t");
        if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    }
    return out;
}

std::string config::help_text(std::string_view program) const {
    std::string out = "Usage: " + std::string(program) + " [options]\n\n";
    out += "Every option can also be set by its environment variable; a flag wins over the environment.\n";
    out +=
        "Secrets (marked below) given as flags are visible to every local user in `ps` and\n"
        "/proc/<pid>/cmdline: set them in the environment, or put them in a file named by <env>_FILE.\n\n";
    for (const auto& s : table_) {
        std::string left = "  --" + s.flag + (s.type == setting::kind::boolean ? "" : " VALUE");
        if (left.size() < 28)
            left.resize(28, ' ');
        else
            left += "\n" + std::string(28, ' ');
        out += left + s.help + "\n";
        out += std::string(28, ' ') + "env " + s.env;
        for (const auto& a : s.aliases)
            out += " (or " + a + ")";
        out += "; default: " + (s.default_value.empty() ? std::string("(none)") : s.default_value) + "\n";
        if (s.secret)
            out += std::string(28, ' ') + "secret: or env " + s.env +
                   "_FILE (a file holding it); as a flag it shows in ps\n";
    }
    out += "  --help                    this text\n";
    return out;
}

std::vector<setting> engine_settings() {
    using k = setting::kind;
    return {
        {"PORT", {}, "port", "3001", "TCP port to listen on", k::integer, 0, 65535},
        {"HOST", {}, "host", "0.0.0.0", "address to listen on", k::string},
        {"ALLOWED_ORIGINS",
         {"CORS_ORIGIN"},
         "allowed-origins",
         "*",
         "comma-separated origins allowed to connect and to read HTTP answers (CORS; * for any, "
         "without credentials)",
         k::string},
        {"METRICS_KEY",
         {},
         "metrics-key",
         "",
         "key /metrics asks for (Bearer or X-API-Key); empty: SERVICE_API_KEY; neither: /metrics is refused",
         k::string,
         0,
         0,
         true},
        {"METRICS_PUBLIC",
         {},
         "metrics-public",
         "false",
         "serve /metrics without a key (counts only; warned at start-up)",
         k::boolean},
        {"PING_INTERVAL",
         {"HEARTBEAT_INTERVAL"},
         "ping-interval",
         "25000",
         "heartbeat ping interval, ms",
         k::integer,
         50,
         3600000},
        {"PING_TIMEOUT",
         {"CONNECTION_TIMEOUT"},
         "ping-timeout",
         "20000",
         "close a session when no pong arrives within this, ms",
         k::integer,
         50,
         3600000},
        {"MAX_PAYLOAD",
         {},
         "max-payload",
         "1000000",
         "largest message or polling body accepted, bytes (maxHttpBufferSize)",
         k::integer,
         1024,
         100000000},
        {"CONNECT_TIMEOUT",
         {},
         "connect-timeout",
         "10000",
         "close a session that joins no namespace within this, ms (0: never)",
         k::integer,
         0,
         3600000},
        {"CONNECTION_STATE_RECOVERY",
         {},
         "connection-state-recovery",
         "false",
         "keep sessions lost by their transport and replay missed events on reconnection",
         k::boolean},
        {"RECOVERY_WINDOW",
         {},
         "recovery-window",
         "120000",
         "how long a lost session and the events sent to it are kept, ms",
         k::integer,
         1000,
         86400000},
        {"RECOVERY_MAX_BYTES",
         {},
         "recovery-max-bytes",
         "67108864",
         "bytes of events kept for recovery per namespace; the oldest go first (0: RECOVERY_WINDOW only)",
         k::integer,
         0,
         1LL << 40},
        {"MAX_CONNECTIONS",
         {},
         "max-connections",
         "0",
         "open connections and Engine.IO sessions; more are closed at accept or refused at handshake (0: "
         "the descriptor limit less 64)",
         k::integer,
         0,
         100000000},
        {"MAX_CONNECTIONS_PER_IP",
         {},
         "max-connections-per-ip",
         "1000",
         "Engine.IO sessions per client address (behind TRUSTED_PROXIES: the X-Forwarded-For address), "
         "refused at handshake with 403 (0: no limit)",
         k::integer,
         0,
         100000000},
        {"HTTP_HEADER_TIMEOUT",
         {},
         "http-header-timeout",
         "10000",
         "time for a request's header to arrive, and the grace before HTTP_MIN_BODY_RATE applies, ms",
         k::integer,
         100,
         3600000},
        {"HTTP_IDLE_TIMEOUT",
         {},
         "http-idle-timeout",
         "15000",
         "time a keep-alive connection may wait for its next request, ms",
         k::integer,
         100,
         3600000},
        {"HTTP_MIN_BODY_RATE",
         {},
         "http-min-body-rate",
         "1024",
         "slowest request body accepted, bytes/s (0: no rate, each read within HTTP_HEADER_TIMEOUT)",
         k::integer,
         0,
         1000000000},
        {"SOCKET_IO_PATH", {}, "path", "/socket.io/", "HTTP path of the Socket.IO endpoint", k::string},
        {"THREADS", {}, "threads", "0", "I/O threads (0: one per core)", k::integer, 0, 256},
        {"LOG_LEVEL", {}, "log-level", "info", "debug, info, warn, error or off", k::string},
        {"SERVICE_NAME", {}, "service-name", "switchboard", "service name reported by /health", k::string},
    };
}

server_options engine_options_from(const config& c) {
    server_options o;
    o.port = static_cast<std::uint16_t>(c.integer("PORT"));
    o.host = c.str("HOST");
    o.allowed_origins = c.list("ALLOWED_ORIGINS");
    o.metrics_key = c.str("METRICS_KEY");
    o.metrics_public = c.boolean("METRICS_PUBLIC");
    o.engine.ping_interval_ms = static_cast<std::uint32_t>(c.integer("PING_INTERVAL"));
    o.engine.ping_timeout_ms = static_cast<std::uint32_t>(c.integer("PING_TIMEOUT"));
    o.engine.max_payload = static_cast<std::size_t>(c.integer("MAX_PAYLOAD"));
    o.engine.connect_timeout_ms = static_cast<std::uint32_t>(c.integer("CONNECT_TIMEOUT"));
    o.recovery_window_ms = c.boolean("CONNECTION_STATE_RECOVERY") ? c.integer("RECOVERY_WINDOW") : 0;
    o.recovery_max_bytes = static_cast<std::size_t>(c.integer("RECOVERY_MAX_BYTES"));
    o.max_connections = static_cast<std::size_t>(c.integer("MAX_CONNECTIONS"));
    o.max_connections_per_ip = static_cast<std::size_t>(c.integer("MAX_CONNECTIONS_PER_IP"));
    o.http_header_timeout = std::chrono::milliseconds(c.integer("HTTP_HEADER_TIMEOUT"));
    o.http_idle_timeout = std::chrono::milliseconds(c.integer("HTTP_IDLE_TIMEOUT"));
    o.http_min_body_rate = static_cast<std::size_t>(c.integer("HTTP_MIN_BODY_RATE"));
    o.path = c.str("SOCKET_IO_PATH");
    if (o.path.empty() || o.path.front() != '/') o.path.insert(o.path.begin(), '/');
    if (o.path.back() != '/') o.path += '/';
    o.threads = static_cast<unsigned>(c.integer("THREADS"));
    o.service_name = c.str("SERVICE_NAME");
    return o;
}

std::vector<std::string> weaker_settings(const config& c) {
    std::vector<std::string> out;
    auto connect = c.integer("CONNECT_TIMEOUT");
    if (connect == 0 || connect > 10000)
        out.push_back("CONNECT_TIMEOUT=" + c.str("CONNECT_TIMEOUT") +
                      ": sessions that join no namespace are held longer than 10 s");
    if (c.integer("MAX_CONNECTIONS_PER_IP") == 0)
        out.push_back("MAX_CONNECTIONS_PER_IP=0: no limit of sessions per client address");
    if (c.boolean("CONNECTION_STATE_RECOVERY") && c.integer("RECOVERY_MAX_BYTES") == 0)
        out.push_back("RECOVERY_MAX_BYTES=0: the recovery log is bounded by time only");
    if (c.integer("HTTP_MIN_BODY_RATE") == 0)
        out.push_back("HTTP_MIN_BODY_RATE=0: request bodies may trickle in");
    return out;
}

}  // namespace switchboard::server
