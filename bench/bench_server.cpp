// sb-bench-server: the benchmark app, the same as bench/node-peer/server.js.
//   echo (arg) with ack → ack(arg)
//   join_room {room} → joins; acks {success:true} when asked
//   publish {room, payload} → broadcasts "message" with payload to the room
#include <switchboard/common/log.hpp>
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

using namespace switchboard;

int main(int argc, char** argv) {
    server::server_options o;
    o.host = "127.0.0.1";
    o.port = 3300;
    o.threads = 1;
    o.engine.connect_timeout_ms = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--port")
            o.port = static_cast<std::uint16_t>(std::stoi(argv[i + 1]));
        else if (a == "--threads")
            o.threads = static_cast<unsigned>(std::stoi(argv[i + 1]));
        else if (a == "--tls-cert-file")
            o.tls_cert_file = argv[i + 1];
        else if (a == "--tls-key-file")
            o.tls_key_file = argv[i + 1];
        else {
            std::cerr << "usage: sb-bench-server [--port 3300] [--threads 1] [--tls-cert-file F "
                         "--tls-key-file F]\n";
            return 2;
        }
    }
    log::set_level(log::level::warn);
    server::runtime rt(o.threads);
    server::server srv(o, rt);
    boost::asio::signal_set signals(rt.context(), SIGINT, SIGTERM);  // the lib handles no signals
    signals.async_wait([&srv](boost::system::error_code ec, int) {
        if (!ec) srv.stop();
    });
    auto& ns = srv.of("/");
    ns.on("echo", [](const server::socket_ptr&, server::payload&& p, server::ack_reply ack) {
        if (ack) ack(std::move(p));
    });
    ns.on("join_room", [](const server::socket_ptr& s, server::payload&& p, server::ack_reply ack) {
        const auto* o = p.args.empty() ? nullptr : p.args[0].if_object();
        const auto* room = o ? o->if_contains("room") : nullptr;
        if (!room || !room->is_string()) {
            if (ack) ack({{boost::json::object{{"success", false}, {"error", "room is required"}}}, {}});
            return;
        }
        s->join(std::string(room->get_string()));
        if (ack) ack({{boost::json::object{{"success", true}}}, {}});
    });
    ns.on("publish", [&srv](const server::socket_ptr&, server::payload&& p, server::ack_reply ack) {
        const auto* o = p.args.empty() ? nullptr : p.args[0].if_object();
        const auto* room = o ? o->if_contains("room") : nullptr;
        if (!room || !room->is_string()) return;
        server::payload out;
        if (const auto* payload = o->if_contains("payload")) out.args.push_back(*payload);
        rooms::broadcast_options opts;
        opts.rooms.emplace_back(room->get_string());
        srv.broadcast("/", opts, "message", out);
        if (ack) ack({{boost::json::object{{"success", true}}}, {}});
    });
    srv.run([&](std::uint16_t port) { std::cout << "listening on " << o.host << ":" << port << std::endl; });
}
