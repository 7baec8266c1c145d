// Test-only server for the official Engine.IO / Socket.IO protocol suites and our end-to-end tests.
//   --profile protocol (default): what docs/{engine,socket}.io-protocol test suites expect.
//   --profile e2e: the same plus the namespaces and events tests/e2e uses.
#include <switchboard/server/log.hpp>
#include <switchboard/server/server.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
    server::server_options o;
    o.host = "127.0.0.1";
    o.port = 3000;
    o.threads = 2;
    o.engine.ping_interval_ms = 300;
    o.engine.ping_timeout_ms = 200;
    o.engine.max_payload = 1'000'000;
    o.engine.connect_timeout_ms = 1000;
    o.raw_echo_path = "/engine.io/";
    std::string profile = "protocol";
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "sb-conformance: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--port")
            o.port = static_cast<std::uint16_t>(std::stoi(next()));
        else if (a == "--host")
            o.host = next();
        else if (a == "--threads")
            o.threads = static_cast<unsigned>(std::stoi(next()));
        else if (a == "--profile")
            profile = next();
        else if (a == "--ping-interval")
            o.engine.ping_interval_ms = static_cast<std::uint32_t>(std::stoul(next()));
        else if (a == "--ping-timeout")
            o.engine.ping_timeout_ms = static_cast<std::uint32_t>(std::stoul(next()));
        else if (a == "--max-payload")
            o.engine.max_payload = static_cast<std::size_t>(std::stoul(next()));
        else if (a == "--log-level") {
            log::level l;
            if (log::parse_level(next(), l)) log::set_level(l);
        } else if (a == "--help") {
            std::cout
                << "sb-conformance [--port 3000] [--host 127.0.0.1] [--threads 2] [--profile protocol|e2e]"
                   " [--max-payload N] [--ping-interval MS] [--ping-timeout MS] [--log-level L]\n";
            return 0;
        } else {
            std::cerr << "sb-conformance: unknown option " << a << "\n";
            return 2;
        }
    }
    if (profile != "protocol" && profile != "e2e") {
        std::cerr << "sb-conformance: unknown profile " << profile << "\n";
        return 2;
    }
    server::server srv(o);
    protocol_profile(srv);
    if (profile == "e2e") e2e_profile(srv);
    srv.run([&](std::uint16_t port) { std::cout << "listening on " << o.host << ":" << port << std::endl; });
    return 0;
}
