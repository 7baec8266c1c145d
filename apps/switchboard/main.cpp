// Composition root of the Switchboard gateway: settings → server → run.
#include <switchboard/server/config.hpp>
#include <switchboard/server/log.hpp>
#include <switchboard/server/server.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    using namespace switchboard;
    server::config cfg(server::engine_settings());
    auto err = cfg.load(argc, argv, [](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str())) return std::string(v);
        return std::nullopt;
    });
    if (err) {
        std::cerr << "switchboard: " << *err << "\n";
        return 2;
    }
    if (cfg.help_requested()) {
        std::cout << "switchboard " SWITCHBOARD_VERSION " — a Socket.IO v4 real-time gateway\n\n"
                  << cfg.help_text("switchboard");
        return 0;
    }
    log::level lvl;
    if (!log::parse_level(cfg.str("LOG_LEVEL"), lvl)) {
        std::cerr << "switchboard: LOG_LEVEL: '" << cfg.str("LOG_LEVEL")
                  << "' is not debug, info, warn, error or off\n";
        return 2;
    }
    log::set_level(lvl);
    try {
        server::server srv(server::engine_options_from(cfg));
        srv.run();
    } catch (const std::exception& e) {
        log::error("fatal", {{"what", e.what()}});
        return 1;
    }
    return 0;
}
