#include <switchboard/server/engine_settings.hpp>
#include <switchboard/server/server.hpp>

namespace switchboard::server {

using common::config;
using common::setting;

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
        {"SHUTDOWN_TIMEOUT",
         {},
         "shutdown-timeout",
         "30000",
         "SIGTERM/SIGINT: the drain and the shutdown after it end within this, ms (then the process exits)",
         k::integer,
         1000,
         3600000},
        {"DRAIN_BATCH",
         {},
         "drain-batch",
         "500",
         "drain: sessions told to reconnect elsewhere per DRAIN_INTERVAL (grown so all are told within "
         "half of SHUTDOWN_TIMEOUT)",
         k::integer,
         1,
         1000000},
        {"DRAIN_INTERVAL",
         {},
         "drain-interval",
         "100",
         "drain: pause between batches, ms",
         k::integer,
         1,
         60000},
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
        {"PER_MESSAGE_DEFLATE",
         {},
         "per-message-deflate",
         "false",
         "WebSocket compression (permessage-deflate, RFC 7692) when a client offers it; no context "
         "takeover, so no zlib memory per connection",
         k::boolean},
        {"DEFLATE_THRESHOLD",
         {},
         "deflate-threshold",
         "1024",
         "with PER_MESSAGE_DEFLATE: smaller messages are sent uncompressed, bytes",
         k::integer,
         0,
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
        {"TLS_CERT_FILE",
         {},
         "tls-cert-file",
         "",
         "PEM certificate chain to serve HTTPS and WSS directly (with TLS_KEY_FILE; empty: plain TCP); "
         "reloaded on SIGHUP",
         k::string},
        {"TLS_KEY_FILE",
         {},
         "tls-key-file",
         "",
         "PEM private key of TLS_CERT_FILE (both or neither)",
         k::string},
        {"SOCKET_IO_PATH", {}, "path", "/socket.io/", "HTTP path of the Socket.IO endpoint", k::string},
        {"THREADS", {}, "threads", "0", "I/O threads (0: one per core)", k::integer, 0, 256},
        {"LOG_LEVEL", {}, "log-level", "info", "debug, info, warn, error or off", k::string},
        {"LOG_FORMAT", {}, "log-format", "json", "json (one object per line) or logfmt", k::string},
        {"LOG_FILE",
         {},
         "log-file",
         "",
         "write logs to this file instead of stderr (hosts without journald), rotated by size; SIGHUP "
         "reopens it",
         k::string},
        {"LOG_FILE_MAX_SIZE",
         {},
         "log-file-max-size",
         "104857600",
         "LOG_FILE: rotate past this many bytes (0: never)",
         k::integer,
         0,
         1LL << 40},
        {"LOG_FILE_KEEP",
         {},
         "log-file-keep",
         "5",
         "LOG_FILE: rotated files kept (<file>.1 newest … <file>.N)",
         k::integer,
         0,
         1000},
        {"ENV_FILE",
         {},
         "env-file",
         "",
         "NAME=value file (systemd EnvironmentFile syntax) read over the environment at start and again "
         "on SIGHUP",
         k::string},
        {"SERVICE_NAME", {}, "service-name", "switchboard", "service name reported by /health", k::string},
        {"HEALTH_STATUS",
         {},
         "health-status",
         "ok",
         "status word /health answers while every dependency is up (ok, healthy, OK; else degraded)",
         k::string},
        {"HEALTH_FIELDS",
         {},
         "health-fields",
         "",
         "fields /health shows, in order, each name or key=source (checks, status, service, timestamp, "
         "version, uptime, connections, redis, connectionStats, eventBus); empty: checks, status, "
         "service, timestamp, version, uptime, connections",
         k::string},
        {"METRICS_FORMAT",
         {},
         "metrics-format",
         "prometheus",
         "/metrics: prometheus (JSON counts for Accept: application/json) or json (always "
         "{connectedSockets, totalRooms})",
         k::string},
        {"METRICS_ROOM_NAMES",
         {},
         "metrics-room-names",
         "false",
         "the JSON /metrics also lists the room names (they name users; warned at start-up with "
         "METRICS_PUBLIC)",
         k::boolean},
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
    o.per_message_deflate = c.boolean("PER_MESSAGE_DEFLATE");
    o.deflate_threshold = static_cast<std::size_t>(c.integer("DEFLATE_THRESHOLD"));
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
    o.drain_batch = static_cast<std::size_t>(c.integer("DRAIN_BATCH"));
    o.drain_interval = std::chrono::milliseconds(c.integer("DRAIN_INTERVAL"));
    o.service_name = c.str("SERVICE_NAME");
    o.health_status = c.str("HEALTH_STATUS");
    o.health_fields = c.list("HEALTH_FIELDS");
    o.metrics_format = c.str("METRICS_FORMAT");
    o.metrics_room_names = c.boolean("METRICS_ROOM_NAMES");
    o.tls_cert_file = c.str("TLS_CERT_FILE");
    o.tls_key_file = c.str("TLS_KEY_FILE");
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
    if (c.boolean("METRICS_PUBLIC") && c.boolean("METRICS_ROOM_NAMES"))
        out.push_back("METRICS_ROOM_NAMES=true with METRICS_PUBLIC=true: anyone reads the room names");
    if (c.integer("HTTP_MIN_BODY_RATE") == 0)
        out.push_back("HTTP_MIN_BODY_RATE=0: request bodies may trickle in");
    return out;
}

}  // namespace switchboard::server
