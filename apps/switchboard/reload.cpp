#include "reload.hpp"

#include "gateway.hpp"
#include "profiles.hpp"

#include <switchboard/common/log.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace switchboard::app {

namespace {

std::optional<std::string> process_env(const std::string& name) {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
}

// Settings the running process takes on SIGHUP (the files behind them are read again too).
const std::set<std::string, std::less<>>& reloadable() {
    static const std::set<std::string, std::less<>> names{"LOG_LEVEL",
                                                          "LOG_FORMAT",
                                                          "JWT_SECRET",
                                                          "JWT_ALLOW_WEAK_SECRET",
                                                          "JWT_PUBLIC_KEY_FILE",
                                                          "JWT_JWKS_FILE",
                                                          "JWT_ISSUER",
                                                          "JWT_AUDIENCE",
                                                          "JWT_LEEWAY",
                                                          "ROOM_RULES_FILE",
                                                          "TLS_CERT_FILE",
                                                          "TLS_KEY_FILE",
                                                          "ENV_FILE"};
    return names;
}

}  // namespace

std::optional<std::string> load_settings(common::config& c, int argc, const char* const* argv) {
    if (auto e = c.load(argc, argv, process_env)) return e;
    const auto& path = c.str("ENV_FILE");
    std::map<std::string, std::string> file;
    if (!path.empty()) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return "ENV_FILE: cannot read " + path;
        std::stringstream text;
        text << in.rdbuf();
        if (auto e = common::parse_env_file(text.str(), file)) return "ENV_FILE: " + path + ": " + *e;
    }
    auto lookup = [&file](const std::string& name) -> std::optional<std::string> {
        if (auto it = file.find(name); it != file.end()) return it->second;
        return process_env(name);
    };
    if (!path.empty()) {
        // Again with the file's lines over the environment (flags still first).
        common::config again(c.table());
        if (auto e = again.load(argc, argv, lookup)) return "ENV_FILE: " + path + ": " + *e;
        if (again.str("ENV_FILE") != path) return "ENV_FILE: " + path + " names another ENV_FILE";
        c = std::move(again);
    }
    // PROFILE: its defaults in the table, then everything read again (explicit settings win).
    if (const auto& name = c.str("PROFILE"); !name.empty()) {
        auto table = c.table();
        if (auto e = apply_profile(table, name)) return e;
        common::config again(std::move(table));
        if (auto e = again.load(argc, argv, lookup)) return e;
        c = std::move(again);
    }
    return std::nullopt;
}

void reload_settings(const common::config& running, int argc, const char* const* argv, gateway& gw,
                     const std::function<std::optional<std::string>(const common::config&)>& extra) {
    log::reopen();  // LOG_FILE moved away by an outside tool: a new one
    log::info("reloading settings (SIGHUP)");
    common::config next(running.table());
    if (auto e = load_settings(next, argc, argv)) {
        log::error("reload refused: the settings do not load; nothing changed", {{"error", *e}});
        return;
    }
    log::level lvl;
    log::format fmt;
    if (!log::parse_level(next.str("LOG_LEVEL"), lvl) || !log::parse_format(next.str("LOG_FORMAT"), fmt)) {
        log::error("reload refused: LOG_LEVEL or LOG_FORMAT is not valid; nothing changed");
        return;
    }
    gateway_config g;
    if (auto e = load_gateway_config(next, g)) {
        log::error("reload refused: the keys or rules do not load; nothing changed", {{"error", *e}});
        return;
    }
    std::vector<std::string> failed;
    if (extra)
        if (auto e = extra(next)) failed.push_back(*e);
    log::set_level(lvl);
    log::set_format(fmt);
    gw.reload(std::move(g));
    std::string later;
    for (const auto& s : running.table())
        if (!reloadable().count(s.env) && running.str(s.env) != next.str(s.env))
            later += (later.empty() ? "" : ",") + s.env;
    if (!later.empty())
        log::warn("settings changed that take effect only after a restart", {{"settings", later}});
    for (const auto& f : failed)
        log::error("reload: kept the old value", {{"error", f}});
    log::info("settings reloaded", {{"log_level", next.str("LOG_LEVEL")}});
}

}  // namespace switchboard::app
