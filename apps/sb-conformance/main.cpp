// Test-only server for the official Engine.IO / Socket.IO protocol suites and our end-to-end tests.
//   --profile protocol (default): what docs/{engine,socket}.io-protocol test suites expect.
//   --profile e2e: the same plus the namespaces and events tests/e2e uses.
//   --profile client-suite: ../shared/CLIENT-SUITE-SPEC.md, for socket.io-client's own test suite
//     (port 3210, ping 2000/20000, 10 ms accept delay, connection-state recovery for 2 minutes).
#include <switchboard/common/log.hpp>
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/signal_set.hpp>

#include <switchboard/protocol/sio_packet.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

using namespace switchboard;
using server::payload;
using server::socket_ptr;

namespace {

payload auth_payload(const socket_ptr& s) {
    payload p;
    p.args.push_back(s->auth());
    return p;
}

void protocol_profile(server::server& srv) {
    auto& main = srv.of("/");
    main.on_connection([](const socket_ptr& s) { s->emit("auth", auth_payload(s)); });
    main.on("message", [](const socket_ptr& s, payload&& p, server::ack_reply) {
        s->emit("message-back", std::move(p));
    });
    main.on("message-with-ack", [](const socket_ptr&, payload&& p, server::ack_reply ack) {
        if (ack) ack(std::move(p));
    });
    srv.of("/custom").on_connection([](const socket_ptr& s) { s->emit("auth", auth_payload(s)); });
}

void e2e_profile(server::server& srv) {
    auto& main = srv.of("/");
    main.on("join", [](const socket_ptr& s, payload&& p, server::ack_reply ack) {
        if (p.args.empty() || !p.args[0].is_string()) {
            if (ack) ack({{boost::json::object{{"success", false}, {"error", "room must be a string"}}}, {}});
            return;
        }
        s->join(std::string(p.args[0].get_string()));
        if (ack) ack({{boost::json::object{{"success", true}}}, {}});
    });
    main.on("leave", [](const socket_ptr& s, payload&& p, server::ack_reply ack) {
        if (!p.args.empty() && p.args[0].is_string()) s->leave(std::string(p.args[0].get_string()));
        if (ack) ack({{boost::json::object{{"success", true}}}, {}});
    });
    main.on("rooms", [](const socket_ptr& s, payload&&, server::ack_reply ack) {
        boost::json::array a;
        for (auto& r : s->rooms())
            a.push_back(boost::json::string(r));
        if (ack) ack({{a}, {}});
    });
    // {room, event, data, exceptSelf}: a broadcast through the server's one broadcast path.
    main.on("broadcast", [&srv](const socket_ptr& s, payload&& p, server::ack_reply ack) {
        const auto* o = p.args.empty() ? nullptr : p.args[0].if_object();
        if (!o || !o->contains("event") || !(*o).at("event").is_string()) {
            if (ack) ack({{boost::json::object{{"success", false}, {"error", "event is required"}}}, {}});
            return;
        }
        rooms::broadcast_options opts;
        if (auto* r = o->if_contains("room"); r && r->is_string()) opts.rooms.emplace_back(r->get_string());
        if (auto* e = o->if_contains("exceptSelf"); e && e->is_bool() && e->get_bool())
            opts.except.push_back(s->id());
        payload out;
        if (auto* d = o->if_contains("data")) out.args.push_back(*d);
        srv.broadcast("/", opts, std::string(o->at("event").get_string()), out);
        if (ack) ack({{boost::json::object{{"success", true}}}, {}});
    });
    main.on("binary-echo", [](const socket_ptr& s, payload&& p, server::ack_reply ack) {
        if (ack)
            ack(std::move(p));
        else
            s->emit("binary-back", std::move(p));
    });
    main.on("make-binary", [](const socket_ptr& s, payload&& p, server::ack_reply) {
        std::size_t n =
            p.args.empty() || !p.args[0].is_int64() ? 4 : static_cast<std::size_t>(p.args[0].get_int64());
        std::string bytes(n, '\0');
        for (std::size_t i = 0; i < n; ++i)
            bytes[i] = static_cast<char>(i & 0xff);
        payload out;
        out.args.push_back(boost::json::object{{"size", n}});
        out.add_binary(std::move(bytes));
        s->emit("binary-made", std::move(out));
    });
    // The server asks the client something with an ack and a timeout, then reports the outcome.
    main.on("request-ack", [](const socket_ptr& s, payload&& p, server::ack_reply) {
        std::int64_t timeout = 500;
        if (!p.args.empty() && p.args[0].is_int64()) timeout = p.args[0].get_int64();
        payload q;
        q.args.push_back("question");
        s->emit_with_ack("server-ask", std::move(q), std::chrono::milliseconds(timeout),
                         [w = std::weak_ptr<server::socket>(s)](boost::system::error_code ec, payload r) {
                             auto s = w.lock();
                             if (!s) return;
                             boost::json::object res;
                             if (ec) {
                                 res["ok"] = false;
                                 res["error"] = ec.message();
                             } else {
                                 res["ok"] = true;
                                 res["args"] = r.args;
                             }
                             payload out;
                             out.args.push_back(std::move(res));
                             s->emit("ack-result", std::move(out));
                         });
    });
    main.on("close-me", [](const socket_ptr& s, payload&&, server::ack_reply) { s->disconnect(true); });

    srv.of("/refuse").on_connect([](const socket_ptr&, auto decide) {
        decide(server::connect_error{"not allowed", boost::json::object{{"reason", "test"}, {"code", 42}}});
    });
    auto& admin = srv.of("/admin");
    admin.on_connect([](const socket_ptr& s, auto decide) {
        const auto* t = s->auth().if_contains("token");
        if (t && t->is_string() && t->get_string() == "admin-secret")
            decide(std::nullopt);
        else
            decide(server::connect_error{"unauthorized", nullptr});
    });
    admin.on_connection([](const socket_ptr& s) {
        s->emit("welcome", {{boost::json::string("admin")}, {}});
    });
    admin.on("whoami", [](const socket_ptr& s, payload&&, server::ack_reply ack) {
        if (ack) ack({{boost::json::string(s->id())}, {}});
    });
}

// ---- --profile client-suite: ../shared/CLIENT-SUITE-SPEC.md (socket.io-client's own test suite)

bool truthy(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null:
            return false;
        case boost::json::kind::bool_:
            return v.get_bool();
        case boost::json::kind::int64:
            return v.get_int64() != 0;
        case boost::json::kind::uint64:
            return v.get_uint64() != 0;
        case boost::json::kind::double_:
            return v.get_double() != 0 && v.get_double() == v.get_double();
        case boost::json::kind::string:
            return !v.get_string().empty();
        default:
            return true;
    }
}

bool is_binary_arg(const payload& p, std::size_t i) {
    return i < p.args.size() && protocol::placeholder_index(p.args[i]).has_value();
}

std::string now_iso() {
    return log::iso_time(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
}

payload args(std::initializer_list<boost::json::value> a) {
    payload p;
    for (const auto& v : a)
        p.args.push_back(v);
    return p;
}

void on_plain(server::namespace_& ns, std::string event, std::function<void(const socket_ptr&, payload&)> f) {
    ns.on(std::move(event),
          [f = std::move(f)](const socket_ptr& s, payload&& p, server::ack_reply) { f(s, p); });
}

void on_acked(server::namespace_& ns, std::string event,
              std::function<payload(const socket_ptr&, payload&)> f) {
    ns.on(std::move(event), [f = std::move(f)](const socket_ptr& s, payload&& p, server::ack_reply ack) {
        if (ack) ack(f(s, p));  // listed events are acknowledged only when the client asked
    });
}

void client_suite_profile(server::server& srv) {
    auto& main = srv.of("/");
    main.on_connect([](const socket_ptr& s, auto decide) {
        const auto* fail = protocol::find_param(s->handshake_info().query, "fail");
        if (fail && !fail->empty())
            decide(server::connect_error{"Auth failed (main namespace)", nullptr});
        else
            decide(std::nullopt);
    });
    on_plain(main, "hi", [](const socket_ptr& s, payload&) { s->emit("hi"); });
    on_acked(main, "echo", [](const socket_ptr&, payload& p) {
        payload r;
        r.args.push_back(p.args.empty() ? boost::json::value(nullptr) : p.args[0]);
        return r;
    });
    on_acked(main, "getId",
             [](const socket_ptr& s, payload&) { return args({boost::json::string(s->id())}); });
    on_acked(main, "getHandshake", [](const socket_ptr& s, payload&) { return args({s->handshake_json()}); });
    on_acked(main, "getAckDate",
             [](const socket_ptr&, payload&) { return args({boost::json::string(now_iso())}); });
    on_plain(main, "getDate", [](const socket_ptr& s, payload&) {
        s->emit("takeDate", args({boost::json::string(now_iso())}));
    });
    on_plain(main, "getDateObj", [](const socket_ptr& s, payload&) {
        s->emit("takeDateObj", args({boost::json::object{{"date", now_iso()}}}));
    });
    on_plain(main, "getUtf8", [](const socket_ptr& s, payload&) {
        for (const char* t : {"てすと", "Я Б Г Д Ж Й", "Ä ä Ü ü ß", "utf8 — string", "utf8 — string"})
            s->emit("takeUtf8", args({boost::json::string(t)}));
    });
    on_plain(main, "false", [](const socket_ptr& s, payload&) { s->emit("false", args({false})); });
    on_plain(main, "ack", [](const socket_ptr& s, payload&) {
        s->emit_with_ack("ack", {}, std::chrono::minutes(2),
                         [w = std::weak_ptr<server::socket>(s)](boost::system::error_code ec, payload r) {
                             auto s = w.lock();
                             if (ec || !s || r.args.size() < 2) return;
                             const auto& a = r.args[0];
                             bool five = (a.is_int64() && a.get_int64() == 5) ||
                                         (a.is_double() && a.get_double() == 5);
                             const auto* o = r.args[1].if_object();
                             const auto* t = o ? o->if_contains("test") : nullptr;
                             if (five && t && truthy(*t)) s->emit("got it");
                         });
    });
    on_plain(main, "doge",
             [](const socket_ptr& s, payload&) { s->emit("doge", payload{}.add_binary("asdfasdf")); });
    on_plain(main, "getbin",
             [](const socket_ptr& s, payload&) { s->emit("takebin", payload{}.add_binary("asdfasdf")); });
    on_plain(main, "buffa", [](const socket_ptr& s, payload& p) {
        if (is_binary_arg(p, 0)) s->emit("buffack");
    });
    on_plain(main, "blob", [](const socket_ptr& s, payload& p) {
        if (is_binary_arg(p, 0)) s->emit("back");
    });
    auto jsonbuff = [](std::string reply) {
        return [reply](const socket_ptr& s, payload& p) {
            const auto* o = p.args.empty() ? nullptr : p.args[0].if_object();
            if (!o) return;
            const auto* hello = o->if_contains("hello");
            const auto* msg = o->if_contains("message");
            const auto* bye = o->if_contains("goodbye");
            if (hello && *hello == "lol" && msg && protocol::placeholder_index(*msg) && bye &&
                *bye == "gotcha")
                s->emit(reply);
        };
    };
    on_plain(main, "jsonbuff", jsonbuff("jsonbuff-ack"));
    on_plain(main, "jsonblob", jsonbuff("jsonblob-ack"));
    on_plain(main, "abuff1", [](const socket_ptr& s, payload& p) {
        if (is_binary_arg(p, 0)) s->data["abuff1"] = true;
    });
    on_plain(main, "abuff2", [](const socket_ptr& s, payload&) {
        if (s->data.contains("abuff1")) s->emit("abuff2-ack");
    });
    // blob1 (binary), blob2 ("second"), blob3 (binary), in this order → blob3-ack.
    on_plain(main, "blob1", [](const socket_ptr& s, payload& p) {
        if (is_binary_arg(p, 0)) s->data["blob"] = 1;
    });
    on_plain(main, "blob2", [](const socket_ptr& s, payload& p) {
        if (s->data.contains("blob") && s->data["blob"] == 1 && !p.args.empty() && p.args[0] == "second")
            s->data["blob"] = 2;
    });
    on_plain(main, "blob3", [](const socket_ptr& s, payload& p) {
        if (s->data.contains("blob") && s->data["blob"] == 2 && is_binary_arg(p, 0)) s->emit("blob3-ack");
    });

    on_acked(srv.of("/foo"), "getId",
             [](const socket_ptr& s, payload&) { return args({boost::json::string(s->id())}); });
    srv.of("/abc").on_connection(
        [](const socket_ptr& s) { s->emit("handshake", args({s->handshake_json()})); });
    srv.of("/no").on_connect([](const socket_ptr&, auto decide) {
        decide(server::connect_error{"Auth failed (custom namespace)", nullptr});
    });
    for (const char* name : {"/timeout_socket", "/valid", "/asd"})
        srv.of(name);
}

// The settings each profile starts from; flags on the command line then override them.
std::optional<server::server_options> profile_defaults(const std::string& profile) {
    server::server_options o;
    o.host = "127.0.0.1";
    o.threads = 2;
    o.engine.max_payload = 1'000'000;
    if (profile == "protocol" || profile == "e2e") {
        o.port = 3000;
        o.engine.ping_interval_ms = 300;
        o.engine.ping_timeout_ms = 200;
        o.engine.connect_timeout_ms = 1000;
        o.raw_echo_path = "/engine.io/";
        return o;
    }
    if (profile == "client-suite") {  // ../shared/CLIENT-SUITE-SPEC.md
        o.port = 3210;
        o.engine.ping_interval_ms = 2000;
        o.engine.ping_timeout_ms = 20000;
        o.engine.connect_timeout_ms = 45000;
        o.accept_delay = std::chrono::milliseconds(10);
        o.recovery_window_ms = 120000;
        return o;
    }
    return std::nullopt;
}
}  // namespace

int main(int argc, char** argv) {
    std::string profile = "protocol";
    std::vector<std::pair<std::string, std::string>> flags;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help") {
            std::cout
                << "sb-conformance [--profile protocol|e2e|client-suite] [--port N] [--host H] [--threads N]"
                   " [--max-payload N] [--ping-interval MS] [--ping-timeout MS] [--recovery-window MS]"
                   " [--per-message-deflate true|false] [--deflate-threshold N] [--log-level L]"
                   " [--tls-cert-file F --tls-key-file F]\n"
                   "SIGHUP reloads the TLS certificate and key (prints \"tls reload: ok\" or the error)\n";
            return 0;
        }
        if (i + 1 >= argc) {
            std::cerr << "sb-conformance: " << a << " needs a value\n";
            return 2;
        }
        std::string v = argv[++i];
        if (a == "--profile")
            profile = v;
        else
            flags.emplace_back(std::move(a), std::move(v));
    }
    auto defaults = profile_defaults(profile);
    if (!defaults) {
        std::cerr << "sb-conformance: unknown profile " << profile << "\n";
        return 2;
    }
    server::server_options o = *defaults;
    for (const auto& [a, v] : flags) {
        if (a == "--port")
            o.port = static_cast<std::uint16_t>(std::stoi(v));
        else if (a == "--host")
            o.host = v;
        else if (a == "--threads")
            o.threads = static_cast<unsigned>(std::stoi(v));
        else if (a == "--ping-interval")
            o.engine.ping_interval_ms = static_cast<std::uint32_t>(std::stoul(v));
        else if (a == "--ping-timeout")
            o.engine.ping_timeout_ms = static_cast<std::uint32_t>(std::stoul(v));
        else if (a == "--recovery-window")
            o.recovery_window_ms = std::stoll(v);
        else if (a == "--tls-cert-file")
            o.tls_cert_file = v;
        else if (a == "--tls-key-file")
            o.tls_key_file = v;
        else if (a == "--max-payload")
            o.engine.max_payload = static_cast<std::size_t>(std::stoul(v));
        else if (a == "--per-message-deflate")
            o.per_message_deflate = v == "true" || v == "1";
        else if (a == "--deflate-threshold")
            o.deflate_threshold = static_cast<std::size_t>(std::stoul(v));
        else if (a == "--log-level") {
            log::level l;
            if (log::parse_level(v, l)) log::set_level(l);
        } else {
            std::cerr << "sb-conformance: unknown option " << a << "\n";
            return 2;
        }
    }
    if (auto e = server::tls_options_error(o)) {
        std::cerr << "sb-conformance: " << *e << "\n";
        return 2;
    }
    server::runtime rt(o.threads);
    server::server srv(o, rt);
    // SIGHUP: the TLS certificate and key read again for new connections (what the e2e test checks).
    boost::asio::signal_set hup(rt.context(), SIGHUP);
    std::function<void(boost::system::error_code, int)> on_hup = [&](boost::system::error_code ec, int) {
        if (ec) return;
        auto r = srv.reload_tls();
        std::cout << "tls reload: " << (r ? r.message() : "ok") << std::endl;
        hup.async_wait(on_hup);
    };
    hup.async_wait(on_hup);
    boost::asio::signal_set signals(rt.context(), SIGINT, SIGTERM);  // the lib handles no signals
    signals.async_wait([&srv](boost::system::error_code ec, int) {
        if (!ec) srv.stop();
    });
    if (profile == "client-suite") {
        client_suite_profile(srv);
    } else {
        protocol_profile(srv);
        if (profile == "e2e") e2e_profile(srv);
    }
    srv.run([&](std::uint16_t port) { std::cout << "listening on " << o.host << ":" << port << std::endl; });
    return 0;
}
