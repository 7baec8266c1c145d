// A namespace: the app's API (namespace_) and what adapters ask of its local sockets.
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <switchboard/common/json_write.hpp>

#include <boost/asio/dispatch.hpp>

namespace switchboard::server {

void namespace_::on(std::string event, event_handler h) {
    auto* received = &srv_->impl_->events_in->at(event);
    handlers_[std::move(event)] = handler_entry{std::move(h), received};
}

void namespace_::emit(std::string_view event, const payload& p, const rooms::broadcast_options& opts) {
    srv_->broadcast(name_, opts, event, p);
}

void namespace_::on_server_side_emit(std::string event, server_side_handler h) {
    server_side_[std::move(event)] = std::move(h);
}

rooms::adapter& namespace_::adapter() const {
    return *srv_->impl_->find_namespace(name_)->adapter;
}

void namespace_::sockets_join(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) {
    adapter().add_sockets(opts, rooms);
}

void namespace_::sockets_leave(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) {
    adapter().del_sockets(opts, rooms);
}

void namespace_::disconnect_sockets(const rooms::broadcast_options& opts, bool close) {
    adapter().disconnect_sockets(opts, close);
}

void namespace_::fetch_sockets(const rooms::broadcast_options& opts,
                               std::function<void(std::vector<rooms::socket_info>)> done) {
    adapter().fetch_sockets(opts, std::move(done));
}

void namespace_::server_side_emit(const std::string& event, const boost::json::array& args) {
    adapter().server_side_emit(event, args);
}

std::size_t namespace_::socket_count() const {
    auto* st = srv_->impl_->find_namespace(name_);
    std::lock_guard lock(st->mu);
    return st->sockets.size();
}

std::vector<std::pair<std::string, std::size_t>> namespace_::room_sizes() const {
    auto* st = srv_->impl_->find_namespace(name_);
    std::lock_guard lock(st->mu);
    return st->index.room_sizes();
}

bool namespace_::in_room(const std::string& socket_id, const std::string& room) const {
    auto* st = srv_->impl_->find_namespace(name_);
    std::lock_guard lock(st->mu);
    return st->index.in_room(socket_id, room);
}

}  // namespace switchboard::server

namespace switchboard::server::detail {

namespace_impl::namespace_impl(server::impl& s, namespace_& a, std::unique_ptr<rooms::recovery_log> log)
    : srv(s), api(&a), recovery(std::move(log)) {}

std::vector<std::shared_ptr<socket_impl>> namespace_impl::targets(
    const rooms::broadcast_options& opts) const {
    std::vector<std::shared_ptr<socket_impl>> out;
    std::lock_guard lock(mu);
    out.reserve(opts.rooms.empty() ? sockets.size() : 16);
    index.for_each_target(opts, [&](const std::string& id) {
        if (auto it = sockets.find(id); it != sockets.end())
            if (auto s = it->second.lock()) out.push_back(std::move(s));
    });
    return out;
}

std::size_t namespace_impl::broadcast(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts,
                                      std::string_view offset) {
    auto published = std::chrono::steady_clock::now();
    auto pkt = encode_event(nsp(), std::nullopt, p.event, p.args, p.binary, offset);
    // Kept for replay before anyone can see it, so a client's last offset is always in the log.
    if (!offset.empty() && recovery) recovery->record(offset, opts, pkt, wall_ms());
    return deliver(*this, pkt, opts, published);
}

void namespace_impl::broadcast_with_ack(const rooms::broadcast_packet& p,
                                        const rooms::broadcast_options& opts, count_callback on_count,
                                        ack_callback on_ack) {
    auto found = targets(opts);
    if (on_count) on_count(found.size());
    auto timeout = opts.timeout.value_or(std::chrono::milliseconds(5000));
    auto shared_ack = std::make_shared<ack_callback>(std::move(on_ack));
    for (auto& s : found)
        s->emit_with_ack(p.event, payload{p.args, p.binary}, timeout,
                         [shared_ack](boost::system::error_code ec, payload reply) {
                             if (!ec && *shared_ack)
                                 (*shared_ack)(std::move(reply.args), std::move(reply.binary));
                         });
}

void namespace_impl::add_sockets(const rooms::broadcast_options& opts,
                                 const std::vector<std::string>& rooms) {
    for (const auto& s : targets(opts))
        for (const auto& r : rooms)
            s->join(r);
}

void namespace_impl::del_sockets(const rooms::broadcast_options& opts,
                                 const std::vector<std::string>& rooms) {
    for (const auto& s : targets(opts))
        for (const auto& r : rooms)
            s->leave(r);
}

void namespace_impl::disconnect_sockets(const rooms::broadcast_options& opts, bool close) {
    for (const auto& s : targets(opts))
        s->disconnect(close);
}

namespace {
// Socket descriptions gathered on each socket's own thread; `done` runs when the last is in.
struct fetch_state {
    std::mutex mu;
    std::vector<rooms::socket_info> found;
    std::size_t pending = 0;
    rooms::local_sockets::fetch_callback done;

    void add(std::optional<rooms::socket_info> info) {
        rooms::local_sockets::fetch_callback finish;
        std::vector<rooms::socket_info> all;
        {
            std::lock_guard lock(mu);
            if (info) found.push_back(std::move(*info));
            if (--pending != 0) return;
            finish = std::move(done);
            all = std::move(found);
        }
        if (finish) finish(std::move(all));
    }
};
}  // namespace

void namespace_impl::fetch_sockets(const rooms::broadcast_options& opts, fetch_callback done) {
    auto found = targets(opts);
    if (found.empty()) {
        if (done) done({});
        return;
    }
    auto st = std::make_shared<fetch_state>();
    st->pending = found.size();
    st->done = std::move(done);
    for (auto& s : found)
        asio::dispatch(s->session().executor(), [st, s] {
            if (!s->connected()) return st->add(std::nullopt);
            st->add(rooms::socket_info{s->id(), s->rooms(), s->data, s->handshake_json()});
        });
}

void namespace_impl::server_side_emit(const std::string& event, boost::json::array args, emit_reply reply) {
    auto it = api->server_side_.find(event);
    if (it == api->server_side_.end()) return;
    try {
        it->second(std::move(args), std::move(reply));
    } catch (const std::exception& e) {
        log::error("server-side emit handler threw", {{"nsp", nsp()}, {"what", e.what()}});
    }
}

}  // namespace switchboard::server::detail
