// Composition root of the Switchboard gateway: settings → server → the cluster bridge (REDIS_URL)
// → the domain's runtime (app thread, store, port adapters, services) → presence → the gateway's
// adapters (Socket.IO events, push API, REST) → run; then down in reverse (the domain's thread
// first, so no answer calls back into a gateway that is gone; then the bridge).
#include "admin_ui.hpp"
#include "amqp_bridge.hpp"
#include "channels_gateway.hpp"
#include "cluster.hpp"
#include "gateway.hpp"
#include "kafka_bridge.hpp"
#include "profiles.hpp"
#include "reload.hpp"
#include "systemd.hpp"

#include <switchboard/auth/limits.hpp>
#include <switchboard/common/config.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/presence/registry.hpp>
#include <switchboard/server/engine_settings.hpp>
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

int main(int argc, char** argv) {
    using namespace switchboard;
    auto table = server::engine_settings();
    for (auto& s : app::gateway_settings())
        table.push_back(std::move(s));
    for (auto& s : app::data_settings_table())
        table.push_back(std::move(s));
    for (auto& s : app::cluster_settings_table())
        table.push_back(std::move(s));
    for (auto& s : app::amqp_settings_table())
        table.push_back(std::move(s));
    for (auto& s : app::kafka_settings_table())
        table.push_back(std::move(s));
    for (auto& s : app::channels_settings_table())
        table.push_back(std::move(s));
    for (auto& s : app::profile_settings_table())  // PROFILE: defaults of the settings above
        table.push_back(std::move(s));
    common::config cfg(std::move(table));
    if (auto err = app::load_settings(cfg, argc, argv)) {
        std::cerr << "switchboard: " << *err << "\n";
        return 2;
    }
    if (cfg.help_requested()) {
        std::cout << "switchboard " SWITCHBOARD_VERSION " — a Socket.IO v4 real-time gateway\n\n"
                  << "usage: switchboard [flags]           serve\n"
                  << "       switchboard migrate [flags]   apply database migrations and exit\n\n"
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
    log::format fmt;
    if (!log::parse_format(cfg.str("LOG_FORMAT"), fmt)) {
        std::cerr << "switchboard: LOG_FORMAT: '" << cfg.str("LOG_FORMAT") << "' is not json or logfmt\n";
        return 2;
    }
    log::set_format(fmt);
    if (const auto& f = cfg.str("LOG_FILE"); !f.empty())
        if (auto e = log::set_file(f, static_cast<std::uint64_t>(cfg.integer("LOG_FILE_MAX_SIZE")),
                                   static_cast<unsigned>(cfg.integer("LOG_FILE_KEEP")))) {
            std::cerr << "switchboard: " << *e << "\n";
            return 2;
        }
    for (const auto& flag : cfg.secrets_from_flags())
        log::warn("a secret was given as a flag: it is visible in ps; use its environment variable or *_FILE",
                  {{"flag", flag}});
    if (auto e = app::check_output_settings(cfg)) {  // HEALTH_FIELDS, METRICS_FORMAT
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    if (const auto* p = app::find_profile(cfg.str("PROFILE")))
        log::info("profile: its defaults apply where a setting is not given",
                  {{"profile", std::string(p->name)}, {"service", std::string(p->service)}});
    app::data_settings dcfg;
    if (auto e = app::load_data_settings(cfg, dcfg)) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    const auto& args = cfg.positional();
    if (!args.empty() && args[0] == "migrate" && args.size() == 1) return app::migrate_and_exit(dcfg);
    if (!args.empty()) {
        std::cerr << "switchboard: unknown command '" << args[0] << "' (try --help)\n";
        return 2;
    }
    app::cluster_settings ccfg;
    if (auto e = app::load_cluster_settings(cfg, ccfg)) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    app::amqp_settings acfg;  // RabbitMQ: AMQP_URL or RABBITMQ_HOST, EVENT_ROUTES
    if (auto e = app::load_amqp_settings(cfg, acfg)) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    app::kafka_settings kcfg;  // Kafka: KAFKA_BROKERS and the seed's topics
    if (auto e = app::load_kafka_settings(cfg, kcfg)) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    app::channels_settings chcfg;  // the Channels-style endpoints (/ws/chat/, /ws/notifications/)
    if (auto e = app::load_channels_settings(cfg, chcfg)) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    app::gateway_config gcfg;
    if (auto e = app::load_gateway_config(cfg, gcfg)) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    // TLS_CERT_FILE / TLS_KEY_FILE: both or neither, readable, PEM, the key the certificate's.
    if (auto e = server::tls_options_error(server::engine_options_from(cfg))) {
        std::cerr << "switchboard: " << *e << "\n";
        return 2;
    }
    try {
        auto sopts = server::engine_options_from(cfg);
        if (sopts.metrics_key.empty())
            sopts.metrics_key = gcfg.api_key;  // /metrics: METRICS_KEY, else the API's
        // Sessions are counted per client address at the handshake (MAX_CONNECTIONS_PER_IP): the
        // peer, or behind TRUSTED_PROXIES the X-Forwarded-For client. A session keeps only the
        // handshake headers the gateway reads.
        sopts.client_address = [proxies = gcfg.trusted_proxies](const server::handshake& hs) {
            return auth::address_key(
                auth::client_address(hs.address, hs.headers.find("x-forwarded-for"), proxies));
        };
        sopts.handshake_headers = {"authorization", "x-forwarded-for"};
        for (const auto& w : server::weaker_settings(cfg))
            log::warn("setting keeps a weaker behaviour", {{"setting", w}});
        for (const auto& w : app::profile_warnings(cfg))
            log::warn("setting keeps a weaker behaviour", {{"setting", w}});
        server::runtime rt(sopts.threads);
        server::server srv(std::move(sopts), rt);
        std::unique_ptr<app::systemd_notifier> systemd;  // NOTIFY_SOCKET: READY, STATUS, WATCHDOG, STOPPING
        // SIGINT/SIGTERM: drain (the sessions told to reconnect elsewhere, in batches; requests in
        // flight answered), then the domain's operations in flight finished, all within
        // SHUTDOWN_TIMEOUT, after which the process exits regardless. A second signal stops at once.
        const auto shutdown_timeout = std::chrono::milliseconds(cfg.integer("SHUTDOWN_TIMEOUT"));
        std::optional<std::chrono::steady_clock::time_point> shutdown_end;
        boost::asio::signal_set signals(rt.context(), SIGINT, SIGTERM);
        std::function<void(boost::system::error_code, int)> on_signal;
        on_signal = [&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (shutdown_end) {
                log::warn("second signal: stopping now", {{"signal", std::to_string(sig)}});
                rt.stop();
                return;
            }
            shutdown_end = std::chrono::steady_clock::now() + shutdown_timeout;
            log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                        {"timeout_ms", std::to_string(shutdown_timeout.count())}});
            if (systemd) systemd->stopping();
            std::thread([t = shutdown_timeout] {
                std::this_thread::sleep_for(t);
                log::error("SHUTDOWN_TIMEOUT passed: exiting now");
                std::_Exit(1);
            }).detach();
            // The drain gets the time less a reserve for the domain and the bridge to finish.
            auto reserve = std::min<std::chrono::milliseconds>(std::chrono::seconds(5), shutdown_timeout / 4);
            srv.drain(shutdown_timeout - reserve, [&rt] { rt.stop(); });
            signals.async_wait(on_signal);
        };
        signals.async_wait(on_signal);
        // Tests of the watchdog only (SWITCHBOARD_TEST_HOOKS=1): SIGUSR2 blocks I/O thread 0 for 10 s.
        boost::asio::signal_set stall(rt.context());
        if (const char* h = std::getenv("SWITCHBOARD_TEST_HOOKS"); h && std::string_view(h) == "1") {
            stall.add(SIGUSR2);
            std::function<void(boost::system::error_code, int)> on_stall;
            on_stall = [&stall, &on_stall](boost::system::error_code ec, int) {
                if (ec) return;
                log::warn("test hook: I/O thread 0 stalls for 10 s");
                std::this_thread::sleep_for(std::chrono::seconds(10));
                stall.async_wait(on_stall);
            };
            stall.async_wait(on_stall);
        }
        // Several instances as one (REDIS_URL): the bridge is every namespace's adapter.
        std::optional<app::cluster> cluster;
        if (!ccfg.redis_url.empty()) cluster.emplace(srv, std::move(ccfg));
        if (!gcfg.keys.empty()) log::info("jwt keys", {{"keys", gcfg.keys.describe()}});
        log::info("store", {{"store", app::describe_store(dcfg)}});
        app::communication comm(srv, std::move(dcfg));
        presence::registry presence;  // who is online on this node (a presence_store)
        app::gateway gw(srv, std::move(gcfg), comm, presence);
        // HEALTH_FIELDS' connectionStats: the survey service's connection counts.
        srv.add_health_field("connectionStats", [&gw] {
            auto c = gw.local_counts();
            return boost::json::value(boost::json::object{{"totalConnections", c.connections},
                                                          {"authenticatedConnections", c.authenticated},
                                                          {"anonymousConnections", c.anonymous},
                                                          {"uniqueUsers", c.users}});
        });
        app::channels_gateway channels(srv, std::move(chcfg), gw, comm);  // the ERP's Channels-style API
        // SIGHUP: settings read again (ENV_FILE, key and rule files); log level, JWT keys and checks,
        // room rules replaced without dropping a connection.
        boost::asio::signal_set hup(rt.context(), SIGHUP);
        std::function<void(boost::system::error_code, int)> on_hup;
        on_hup = [&](boost::system::error_code ec, int) {
            if (ec) return;
            app::reload_settings(cfg, argc, argv, gw,
                                 [&srv](const common::config& next) -> std::optional<std::string> {
                                     // The TLS certificate and key (new paths too); plain vs TLS is decided
                                     // at start.
                                     auto o = server::engine_options_from(next);
                                     if (o.tls_cert_file.empty() && o.tls_key_file.empty())
                                         return std::nullopt;
                                     if (auto ec = srv.reload_tls(o.tls_cert_file, o.tls_key_file))
                                         return "TLS: " + ec.message();
                                     return std::nullopt;
                                 });
            hup.async_wait(on_hup);
        };
        hup.async_wait(on_hup);
        app::admin_ui admin(srv, cfg);  // ADMIN_UI: the dashboard at /admin/ and its namespace
        systemd = std::make_unique<app::systemd_notifier>(rt, srv, [&gw] {
            auto c = gw.local_counts();
            return std::to_string(c.connections) + " connections, " + std::to_string(c.users) + " users";
        });
        if (cluster) {
            cluster->start_presence(gw, comm);
            cluster->set_delivery_tap(&channels);  // other instances' events reach Channels clients too
            comm.set_delivery_fence(
                [&c = *cluster](std::function<void()> done) { c.fence(std::move(done)); });
        }
        comm.start();
        if (cluster) cluster->start_events(comm.push());
        // However this scope ends, the cluster's thread stops before the gateway and comm go (it
        // samples the one and calls the other).
        struct stop_first {
            std::optional<app::cluster>& c;
            std::unique_ptr<app::systemd_notifier>& n;
            ~stop_first() {
                n.reset();  // its ticks read the gateway
                if (c) c->stop();
            }
        } cluster_guard{cluster, systemd};
        // The buses' messages count as handled once in the cluster's stream (at once on one node).
        app::fence_fn bus_fence;
        if (cluster) bus_fence = [&c = *cluster](auto done) { c.fence(std::move(done)); };
        std::optional<app::amqp_bridge> bus;  // its thread stops first, however this scope ends
        if (acfg.enabled) bus.emplace(srv, std::move(acfg), comm.push(), bus_fence);
        std::optional<app::kafka_bridge> kafka;  // likewise
        if (kcfg.enabled) kafka.emplace(srv, std::move(kcfg), comm.push(), bus_fence);
        srv.run([&systemd](std::uint16_t) { systemd->listening(); });
        if (cluster && shutdown_end) {
            // Drained clients reconnect elsewhere (socket.io-client waits 0.5–1.5 s by default):
            // this instance's presence entries leave once they are back, so only the users who did
            // not come back are told offline.
            auto left = *shutdown_end - std::chrono::steady_clock::now();
            std::this_thread::sleep_for(std::clamp<std::chrono::steady_clock::duration>(
                left / 4, std::chrono::seconds(0), std::chrono::seconds(2)));
        }
        if (cluster) cluster->stop_presence();  // while comm runs: the last user:offline are told
        if (bus) bus->stop();                   // no message is taken while the domain and the bridge go
        if (kafka) kafka->stop();
        // Before the gateway goes: no database answer may call back into it. What clients and the
        // API asked before the drain is finished first.
        comm.stop(shutdown_end ? *shutdown_end - std::chrono::milliseconds(500)
                               : std::chrono::steady_clock::now());
        if (cluster) cluster->stop();  // before the server goes: no Redis message may reach it
    } catch (const std::exception& e) {
        log::error("fatal", {{"what", e.what()}});
        return 1;
    }
    return 0;
}
