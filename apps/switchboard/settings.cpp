// The gateway's settings: names of the Node services' .env files, each also a flag.
#include "admin_ui.hpp"
#include "gateway.hpp"
#include "profiles.hpp"

#include <switchboard/common/log.hpp>

#include <switchboard/common/ids.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace switchboard::app {

std::vector<common::setting> gateway_settings() {
    using k = common::setting::kind;
    std::vector<common::setting> out{
        {"JWT_SECRET",
         {},
         "jwt-secret",
         "",
         "Shared secret for HS256/384/512 tokens, at least 32 bytes",
         k::string,
         0,
         0,
         true},
        {"DEV_MODE",
         {},
         "dev-mode",
         "false",
         "Development only (scripts/run sets it): a JWT secret generated once and kept in DATA_DIR "
         "when none is set, and POST /dev/token {name} minting a token for any name",
         k::boolean},
        {"DEMO",
         {},
         "demo",
         "false",
         "Serve the chat demo under /demo/ (on by itself with DEV_MODE); it signs in with POST "
         "/dev/token, so without DEV_MODE it needs tokens from elsewhere",
         k::boolean},
        {"JWT_ALLOW_WEAK_SECRET",
         {},
         "jwt-allow-weak-secret",
         "false",
         "Accept a JWT_SECRET shorter than 32 bytes (with a warning) instead of refusing to start",
         k::boolean},
        {"JWT_PUBLIC_KEY_FILE",
         {},
         "jwt-public-key-file",
         "",
         "PEM public key (RSA, or EC P-256/P-384) for RS*/ES* tokens"},
        {"JWT_JWKS_FILE", {}, "jwt-jwks-file", "", "JWK Set file; keys chosen by the token's kid"},
        {"JWT_ISSUER", {}, "jwt-issuer", "", "Required iss claim (empty: any)"},
        {"JWT_AUDIENCE", {}, "jwt-audience", "", "Required aud claim (empty: any)"},
        {"JWT_LEEWAY",
         {},
         "jwt-leeway",
         "30",
         "Clock skew allowed for exp/nbf, seconds",
         k::integer,
         0,
         3600},
        {"ALLOW_ANONYMOUS",
         {},
         "allow-anonymous",
         "false",
         "Connections without a token become anonymous (else refused)",
         k::boolean},
        {"TOKEN_EXPIRY_WARNING",
         {},
         "token-expiry-warning",
         "300",
         "Send token_expiring_soon this many seconds before exp",
         k::integer,
         0,
         86400},
        {"ROOM_RULES_FILE",
         {},
         "room-rules-file",
         "",
         "JSON room access rules (empty: built-in defaults; prefixes without a rule are denied)"},
        {"ROOM_AUTH_URL",
         {},
         "room-auth-url",
         "",
         "Backend asked about rooms whose prefix has the 'backend' rule: POST {userId, room, ...} → "
         "200 {allowed: bool} (http:// only; empty: such rooms are refused)"},
        {"ROOM_AUTH_CACHE_TTL",
         {},
         "room-auth-cache-ttl",
         "60000",
         "How long a backend room answer is reused, ms (0: ask every time)",
         k::integer,
         0,
         86400000},
        {"ROOM_AUTH_TIMEOUT",
         {},
         "room-auth-timeout",
         "2000",
         "Deadline of a backend room check, ms (no answer: refused)",
         k::integer,
         50,
         60000},
        {"RATE_LIMIT_WINDOW",
         {},
         "rate-limit-window",
         "60000",
         "Rate-limit window per socket, ms",
         k::integer,
         100,
         3600000},
        {"RATE_LIMIT_MAX_MESSAGES",
         {},
         "rate-limit-max-messages",
         "100",
         "Events a socket may send per window",
         k::integer,
         1,
         1000000},
        {"RATE_LIMIT_DISCONNECT_AFTER",
         {},
         "rate-limit-disconnect-after",
         "0",
         "Dropped events in one window before disconnecting (0: RATE_LIMIT_MAX_MESSAGES)",
         k::integer,
         0,
         1000000},
        {"TRUSTED_PROXIES",
         {},
         "trusted-proxies",
         "",
         "Proxies whose X-Forwarded-For is believed (addresses, CIDRs, 'loopback')"},
        {"SERVICE_API_KEY",
         {"API_KEY"},
         "service-api-key",
         "",
         "Key for the HTTP API (Bearer or X-API-Key); empty: the API refuses every call unless "
         "API_LOOPBACK_ONLY=true",
         k::string,
         0,
         0,
         true},
        {"API_LOOPBACK_ONLY",
         {},
         "api-loopback-only",
         "false",
         "The HTTP API answers only loopback clients (the address behind TRUSTED_PROXIES); without "
         "SERVICE_API_KEY they need no key (warned at start-up)",
         k::boolean},
        {"CONNECT_REFUSALS_PER_SESSION",
         {},
         "connect-refusals-per-session",
         "5",
         "Refused CONNECTs on one Engine.IO session before it is closed (0: no limit)",
         k::integer,
         0,
         1000000},
        {"CONNECT_REFUSALS_PER_ADDRESS",
         {},
         "connect-refusals-per-address",
         "30",
         "Refused CONNECTs from one client address per CONNECT_REFUSAL_WINDOW before its CONNECTs are "
         "refused unchecked until the window ends (0: no limit)",
         k::integer,
         0,
         1000000},
        {"CONNECT_REFUSAL_WINDOW",
         {},
         "connect-refusal-window",
         "60000",
         "Window of CONNECT_REFUSALS_PER_ADDRESS, ms",
         k::integer,
         1000,
         86400000},
    };
    for (auto& s : admin_settings())  // ADMIN_UI, ADMIN_USERNAME, ADMIN_PASSWORD_HASH (admin_ui.cpp)
        out.push_back(std::move(s));
    return out;
}

namespace {
std::optional<std::string> read_file(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return "cannot read " + path;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return std::nullopt;
}
// Dev mode's signing secret: JWT_SECRET when set, else DATA_DIR/dev-jwt-secret (made once, 0600),
// so tokens minted before a restart still work after it.
std::optional<std::string> load_dev_secret(const common::config& c, gateway_config& out) {
    if (const auto& s = c.str("JWT_SECRET"); !s.empty()) {
        out.dev_secret = s;
        return std::nullopt;
    }
    std::filesystem::path dir = c.str("DATA_DIR");
    auto file = dir / "dev-jwt-secret";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string secret;
    if (std::filesystem::exists(file)) {
        if (auto e = read_file(file.string(), secret)) return "DEV_MODE: " + *e;
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
            secret.pop_back();
    }
    if (secret.size() < min_jwt_secret_bytes) {
        secret = common::random_hex(32);
        {
            std::ofstream f(file, std::ios::binary | std::ios::trunc);
            if (!(f << secret << "\n")) return "DEV_MODE: cannot write " + file.string();
        }
        std::filesystem::permissions(
            file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    }
    out.dev_secret = secret;
    out.keys.add_secret(secret);
    return std::nullopt;
}
}  // namespace

std::optional<std::string> load_gateway_config(const common::config& c, gateway_config& out) {
    if (const auto& s = c.str("JWT_SECRET"); !s.empty()) {
        // RFC 7518 3.2: an HS256 key must be at least as long as the hash (32 bytes).
        if (s.size() < min_jwt_secret_bytes) {
            if (!c.boolean("JWT_ALLOW_WEAK_SECRET"))
                return "JWT_SECRET: " + std::to_string(s.size()) + " bytes is too short (at least " +
                       std::to_string(min_jwt_secret_bytes) +
                       "); set JWT_ALLOW_WEAK_SECRET=true to accept it anyway";
            log::warn(
                "JWT_SECRET is shorter than 32 bytes and JWT_ALLOW_WEAK_SECRET=true: tokens can be "
                "forged by brute force",
                {{"bytes", std::to_string(s.size())}});
        }
        out.keys.add_secret(s);
    }
    if (const auto& f = c.str("JWT_PUBLIC_KEY_FILE"); !f.empty()) {
        std::string pem;
        if (auto e = read_file(f, pem)) return "JWT_PUBLIC_KEY_FILE: " + *e;
        if (out.keys.add_pem(pem))
            return "JWT_PUBLIC_KEY_FILE: " + f +
                   " is not a PEM RSA (2048+ bits) or EC P-256/P-384 public key";
    }
    if (const auto& f = c.str("JWT_JWKS_FILE"); !f.empty()) {
        std::string json;
        if (auto e = read_file(f, json)) return "JWT_JWKS_FILE: " + *e;
        if (out.keys.add_jwks(json)) return "JWT_JWKS_FILE: " + f + " holds no usable RSA or EC signing key";
    }
    out.verify.issuer = c.str("JWT_ISSUER");
    out.verify.audience = c.str("JWT_AUDIENCE");
    out.verify.leeway_s = c.integer("JWT_LEEWAY");
    out.dev_mode = c.boolean("DEV_MODE");
    if (out.dev_mode) {
        if (auto e = load_dev_secret(c, out)) return e;
        auto host = c.str("HOST");
        if (host.empty() || host == "0.0.0.0" || host == "::") host = "localhost";
        out.dev_url = "http://" + host + ":" + std::to_string(c.integer("PORT")) + "/";
    }
    out.demo = out.dev_mode || c.boolean("DEMO");
    out.allow_anonymous = c.boolean("ALLOW_ANONYMOUS");
    out.expiry_warning_s = c.integer("TOKEN_EXPIRY_WARNING");
    std::set<std::string, std::less<>> file_prefixes;
    if (const auto& f = c.str("ROOM_RULES_FILE"); !f.empty()) {
        std::string json, why;
        if (auto e = read_file(f, json)) return "ROOM_RULES_FILE: " + *e;
        auto r = auth::parse_rules(json, &why);
        if (!r) return "ROOM_RULES_FILE: " + f + ": " + why;
        out.rules = std::move(*r);
        file_prefixes = rules_file_prefixes(json);
    }
    // ROOMS_OPEN (a profile's or by hand): open prefixes, warned below as a rules file's are.
    if (auto e = open_room_prefixes(c.list("ROOMS_OPEN"), file_prefixes, out.rules)) return e;
    if (auto e = load_room_access(c, out.rules, out.room_auth)) return e;
    out.rate_window_ms = c.integer("RATE_LIMIT_WINDOW");
    out.rate_max = static_cast<std::uint32_t>(c.integer("RATE_LIMIT_MAX_MESSAGES"));
    auto after = c.integer("RATE_LIMIT_DISCONNECT_AFTER");
    out.rate_disconnect_after =
        static_cast<std::uint32_t>(after ? after : c.integer("RATE_LIMIT_MAX_MESSAGES"));
    std::string bad;
    if (!out.trusted_proxies.parse(c.list("TRUSTED_PROXIES"), &bad))
        return "TRUSTED_PROXIES: '" + bad + "' is not an address or CIDR";
    out.refusals.per_session = static_cast<std::uint32_t>(c.integer("CONNECT_REFUSALS_PER_SESSION"));
    out.refusals.per_address = static_cast<std::uint32_t>(c.integer("CONNECT_REFUSALS_PER_ADDRESS"));
    out.refusals.window_ms = c.integer("CONNECT_REFUSAL_WINDOW");
    out.api_key = c.str("SERVICE_API_KEY");
    out.api_loopback_only = c.boolean("API_LOOPBACK_ONLY");
    out.service_name = c.str("SERVICE_NAME");
    return std::nullopt;
}

}  // namespace switchboard::app
