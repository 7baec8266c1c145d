#include <switchboard/common/config.hpp>
#include <switchboard/server/engine_settings.hpp>
#include <switchboard/server/server.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace switchboard::server;
using namespace switchboard::common;

namespace {
config::env_lookup env_of(std::map<std::string, std::string> m) {
    return [m](const std::string& k) -> std::optional<std::string> {
        auto it = m.find(k);
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}
}  // namespace

TEST_CASE("config: defaults, environment, flags in that order") {
    config c(engine_settings());
    const char* argv[] = {"sb", "--ping-interval", "1000", "--host=127.0.0.1"};
    REQUIRE_FALSE(c.load(4, argv, env_of({{"PORT", "4000"}, {"PING_INTERVAL", "2000"}})));
    auto o = engine_options_from(c);
    CHECK(o.port == 4000);
    CHECK(o.host == "127.0.0.1");
    CHECK(o.engine.ping_interval_ms == 1000);
    CHECK(o.engine.ping_timeout_ms == 20000);
    CHECK(o.engine.max_payload == 1000000);
    CHECK(o.engine.connect_timeout_ms == 10000);
    CHECK(o.path == "/socket.io/");
}

TEST_CASE("config: the seed services' aliases") {
    config c(engine_settings());
    const char* argv[] = {"sb"};
    REQUIRE_FALSE(c.load(
        1, argv,
        env_of({{"CORS_ORIGIN", "https://a.example, https://b.example"}, {"HEARTBEAT_INTERVAL", "10000"}})));
    auto o = engine_options_from(c);
    CHECK(o.allowed_origins == std::vector<std::string>{"https://a.example", "https://b.example"});
    CHECK(o.engine.ping_interval_ms == 10000);
}

TEST_CASE("config: bad values and unknown flags are clear errors") {
    const char* argv[] = {"sb"};
    config a(engine_settings());
    auto err = a.load(1, argv, env_of({{"PORT", "abc"}}));
    REQUIRE(err);
    CHECK(err->find("PORT") != std::string::npos);
    config b(engine_settings());
    CHECK(b.load(1, argv, env_of({{"PORT", "70000"}})));
    config c(engine_settings());
    const char* argv2[] = {"sb", "--nope"};
    auto e2 = c.load(2, argv2, env_of({}));
    REQUIRE(e2);
    CHECK(e2->find("--nope") != std::string::npos);
    config d(engine_settings());
    const char* argv3[] = {"sb", "--port"};
    CHECK(d.load(2, argv3, env_of({})));
}

TEST_CASE("config: --help lists every setting with its env var and default") {
    config c(engine_settings());
    const char* argv[] = {"sb", "--help"};
    REQUIRE_FALSE(c.load(2, argv, env_of({})));
    CHECK(c.help_requested());
    auto text = c.help_text("switchboard");
    for (const auto& s : c.table()) {
        CHECK(text.find("--" + s.flag) != std::string::npos);
        CHECK(text.find("env " + s.env) != std::string::npos);
    }
    CHECK(text.find("default: 3001") != std::string::npos);
}

TEST_CASE("audit #5: /metrics needs a key by default, METRICS_KEY and METRICS_PUBLIC", "[audit-5]") {
    const char* argv[] = {"sb"};
    config d(engine_settings());
    REQUIRE_FALSE(d.load(1, argv, env_of({})));
    auto o = engine_options_from(d);
    CHECK(o.metrics_key.empty());
    CHECK_FALSE(o.metrics_public);
    config c(engine_settings());
    const char* flags[] = {"sb", "--metrics-public"};
    REQUIRE_FALSE(c.load(2, flags, env_of({{"METRICS_KEY", "k1"}})));
    o = engine_options_from(c);
    CHECK(o.metrics_key == "k1");
    CHECK(o.metrics_public);
}

namespace {
std::vector<setting> secret_table() {
    return {{"JWT_SECRET", {}, "jwt-secret", "", "secret", setting::kind::string, 0, 0, true},
            {"SERVICE_API_KEY", {"API_KEY"}, "service-api-key", "", "key", setting::kind::string, 0, 0, true},
            {"PLAIN", {}, "plain", "", "not a secret"}};
}
config::file_lookup files_of(std::map<std::string, std::string> m) {
    return [m](const std::string& path) -> std::optional<std::string> {
        auto it = m.find(path);
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}
}  // namespace

TEST_CASE("audit #18: a secret setting reads <NAME>_FILE", "[audit-18]") {
    const char* argv[] = {"sb"};
    SECTION("from the file, one trailing newline dropped") {
        config c(secret_table());
        REQUIRE_FALSE(c.load(1, argv, env_of({{"JWT_SECRET_FILE", "/run/secrets/jwt"}}),
                             files_of({{"/run/secrets/jwt", "s3cret-from-file\n"}})));
        CHECK(c.str("JWT_SECRET") == "s3cret-from-file");
        CHECK(c.secrets_from_flags().empty());
    }
    SECTION("both the variable and the file: refused") {
        config c(secret_table());
        auto err = c.load(1, argv, env_of({{"API_KEY", "k"}, {"SERVICE_API_KEY_FILE", "/k"}}),
                          files_of({{"/k", "x"}}));
        REQUIRE(err);
        CHECK(err->find("SERVICE_API_KEY_FILE") != std::string::npos);
    }
    SECTION("an unreadable file: refused, naming the variable") {
        config c(secret_table());
        auto err = c.load(1, argv, env_of({{"JWT_SECRET_FILE", "/missing"}}), files_of({}));
        REQUIRE(err);
        CHECK(*err == "JWT_SECRET_FILE: cannot read /missing");
    }
    SECTION("only secrets have a _FILE variant") {
        config c(secret_table());
        REQUIRE_FALSE(c.load(1, argv, env_of({{"PLAIN_FILE", "/p"}}), files_of({{"/p", "x"}})));
        CHECK(c.str("PLAIN").empty());
    }
    SECTION("a secret given as a flag is reported, and --help says flags show in ps") {
        config c(secret_table());
        const char* with_flag[] = {"sb", "--jwt-secret", "abc", "--plain", "x"};
        REQUIRE_FALSE(c.load(5, with_flag, env_of({}), files_of({})));
        CHECK(c.secrets_from_flags() == std::vector<std::string>{"--jwt-secret"});
        auto help = c.help_text("sb");
        CHECK(help.find("JWT_SECRET_FILE") != std::string::npos);
        CHECK(help.find("ps") != std::string::npos);
        CHECK(help.find("PLAIN_FILE") == std::string::npos);
    }
}

TEST_CASE("env file: NAME=value lines as systemd's EnvironmentFile reads them", "[config][env_file]") {
    std::map<std::string, std::string> out;
    auto err = parse_env_file(
        "# a comment\n"
        "; another\n"
        "\n"
        "PORT=3002\n"
        "  LOG_LEVEL = debug  \r\n"
        "export JWT_SECRET='a $literal \\n value'\n"
        "QUOTED=\"tab\\there \\\"q\\\" \\\\ \\$HOME\"  # trailing comment\n"
        "EMPTY=\n"
        "PORT=3003\n"
        "URL=redis://u:p@h:6379/0#frag",
        out);
    REQUIRE_FALSE(err);
    CHECK(out.size() == 6);
    CHECK(out["PORT"] == "3003");  // the later line wins
    CHECK(out["LOG_LEVEL"] == "debug");
    CHECK(out["JWT_SECRET"] == "a $literal \\n value");
    CHECK(out["QUOTED"] == "tab\there \"q\" \\ $HOME");
    CHECK(out["EMPTY"].empty());
    CHECK(out["URL"] == "redis://u:p@h:6379/0#frag");  // # inside a value is not a comment
}

TEST_CASE("env file: a bad line is an error naming it, and nothing after it is taken", "[config][env_file]") {
    std::map<std::string, std::string> out;
    auto e1 = parse_env_file("A=1\nno equals sign\nB=2\n", out);
    REQUIRE(e1);
    CHECK(*e1 == "line 2: expected NAME=value");
    CHECK(out.count("B") == 0);
    std::map<std::string, std::string> o2;
    auto e2 = parse_env_file("A=\"open\n", o2);
    REQUIRE(e2);
    CHECK(*e2 == "line 1: unterminated quote");
    std::map<std::string, std::string> o3;
    CHECK(parse_env_file("1A=x", o3));
    CHECK(parse_env_file("A='x' y", o3));
    CHECK(parse_env_file("=x", o3));
}
