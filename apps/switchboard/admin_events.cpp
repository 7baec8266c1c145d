// What the admin dashboard is told (the sockets of every namespace as they connect, upgrade, join,
// leave and go) and what it asks: join, leave and _disconnect for one socket (its id as the filter)
// or for a whole namespace, through the namespace's adapter (so on every node of a cluster).
#include "admin_ui.hpp"

#include <switchboard/common/log.hpp>

#include <chrono>
#include <optional>

namespace switchboard::app {

namespace {

std::string now_iso() {
    using namespace std::chrono;
    return log::iso_time(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// The i-th argument when it is a string.
std::optional<std::string> text_arg(const boost::json::array& args, std::size_t i) {
    if (i >= args.size() || !args[i].is_string()) return std::nullopt;
    const auto& s = args[i].get_string();
    return std::string(s.data(), s.size());
}

// The sockets one dashboard action targets: a namespace, and a room or socket id when given.
struct action_target {
    server::namespace_* ns = nullptr;
    rooms::broadcast_options opts;
};

std::optional<action_target> target_of(server::server& srv, const boost::json::array& args,
                                       std::size_t filter_at) {
    auto nsp = text_arg(args, 0);
    if (!nsp) return std::nullopt;
    action_target t;
    t.ns = srv.find(*nsp);
    if (!t.ns) return std::nullopt;
    if (auto filter = text_arg(args, filter_at); filter && !filter->empty())
        t.opts.rooms.push_back(std::move(*filter));
    return t;
}

}  // namespace

void admin_ui::tell(std::string_view event, boost::json::array args) {
    srv_.broadcast("/admin", {}, event, server::payload{std::move(args), {}});
}

boost::json::object admin_ui::describe(const server::socket& s, std::string_view transport) {
    return admin_socket_json(s.id(), admin_client_id(s.session_id()), transport, s.nsp(), s.data,
                             s.handshake_json(), s.rooms());
}

void admin_ui::connected(const server::socket_ptr& s) {
    auto transport = s->transport();
    {
        std::lock_guard lock(known_mu_);
        known_[s->id()] = known_socket{admin_client_id(s->session_id()), std::string(transport)};
    }
    tell("socket_connected", boost::json::array{describe(*s, transport), now_iso()});
}

void admin_ui::upgraded(const server::socket_ptr& s) {
    auto transport = s->transport();
    {
        std::lock_guard lock(known_mu_);
        if (auto it = known_.find(s->id()); it != known_.end()) it->second.transport = transport;
    }
    tell("socket_updated", boost::json::array{boost::json::object{
                               {"id", s->id()}, {"nsp", s->nsp()}, {"transport", transport}}});
}

void admin_ui::disconnected(const server::socket& s, std::string_view reason) {
    {
        std::lock_guard lock(known_mu_);
        known_.erase(s.id());
    }
    tell("socket_disconnected", boost::json::array{s.nsp(), s.id(), reason, now_iso()});
}

void admin_ui::joined(const server::socket& s, const std::string& room) {
    tell("room_joined", boost::json::array{s.nsp(), room, s.id(), now_iso()});
}

void admin_ui::left(const server::socket& s, const std::string& room) {
    tell("room_left", boost::json::array{s.nsp(), room, s.id(), now_iso()});
}

// all_sockets: every namespace's sockets (fetch_sockets, so a cluster's too), gathered, then sent.
void admin_ui::send_all_sockets(const server::socket_ptr& admin) {
    struct gather {
        std::mutex mu;
        boost::json::array sockets;
        std::size_t pending = 0;
    };
    auto names = srv_.namespace_names();
    auto g = std::make_shared<gather>();
    g->pending = names.size();
    for (const auto& name : names) {
        auto* ns = srv_.find(name);
        ns->fetch_sockets({}, [this, g, admin, name](std::vector<rooms::socket_info> found) {
            boost::json::array mine;
            {
                std::lock_guard lock(known_mu_);
                for (auto& f : found) {
                    auto it = known_.find(f.id);
                    std::string_view client_id =
                        it != known_.end() ? it->second.client_id : std::string_view();
                    std::string_view transport =
                        it != known_.end() ? it->second.transport : std::string_view();
                    mine.push_back(admin_socket_json(f.id, client_id, transport, name, f.data,
                                                     std::move(f.handshake), f.rooms));
                }
            }
            std::lock_guard lock(g->mu);
            for (auto& m : mine)
                g->sockets.push_back(std::move(m));
            if (--g->pending != 0) return;
            boost::json::array args;
            args.emplace_back(std::move(g->sockets));
            admin->emit("all_sockets", server::payload{std::move(args), {}});
        });
    }
}

void admin_ui::install_actions(server::namespace_& ns) {
    // join (nsp, room, filter?): the filtered sockets (a socket id from the dashboard) join `room`.
    ns.on("join", [this](const server::socket_ptr& admin, server::payload&& p, server::ack_reply) {
        auto room = text_arg(p.args, 1);
        auto t = target_of(srv_, p.args, 2);
        if (!room || room->empty() || !t) return;
        log::info("admin dashboard: join", {{"nsp", t->ns->name()},
                                            {"admin", admin->id()},
                                            {"filtered", t->opts.rooms.empty() ? "no" : "yes"}});
        t->ns->sockets_join(t->opts, {*room});
    });
    ns.on("leave", [this](const server::socket_ptr& admin, server::payload&& p, server::ack_reply) {
        auto room = text_arg(p.args, 1);
        auto t = target_of(srv_, p.args, 2);
        if (!room || room->empty() || !t) return;
        log::info("admin dashboard: leave", {{"nsp", t->ns->name()},
                                             {"admin", admin->id()},
                                             {"filtered", t->opts.rooms.empty() ? "no" : "yes"}});
        t->ns->sockets_leave(t->opts, {*room});
    });
    // _disconnect (nsp, close, filter?): with close, the whole Engine.IO session ends.
    ns.on("_disconnect", [this](const server::socket_ptr& admin, server::payload&& p, server::ack_reply) {
        auto t = target_of(srv_, p.args, 2);
        if (!t) return;
        bool close = p.args.size() > 1 && p.args[1].is_bool() && p.args[1].get_bool();
        log::info("admin dashboard: disconnect", {{"nsp", t->ns->name()},
                                                  {"admin", admin->id()},
                                                  {"filtered", t->opts.rooms.empty() ? "no" : "yes"}});
        t->ns->disconnect_sockets(t->opts, close);
    });
}

}  // namespace switchboard::app
