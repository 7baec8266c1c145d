// One Socket.IO connection to one namespace: emits, acks, rooms, timers.
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <switchboard/common/json_write.hpp>

#include <boost/asio/dispatch.hpp>

namespace switchboard::server {

payload& payload::add_binary(std::string bytes) {
    args.push_back(protocol::make_placeholder(binary.size()));
    binary.push_back(std::move(bytes));
    return *this;
}

boost::json::object socket::handshake_json() const {
    const auto& hs = handshake_info();
    boost::json::object h;
    for (const auto& [k, v] : hs.headers)
        h[k] = v;
    boost::json::object q;
    for (const auto& [k, v] : hs.query)
        q[k] = v;
    boost::json::object o;
    o["headers"] = std::move(h);
    o["time"] = detail::iso_time(issued());
    o["address"] = hs.address;
    o["xdomain"] = hs.xdomain;
    o["secure"] = hs.secure;
    o["issued"] = issued();
    o["url"] = hs.url;
    o["query"] = std::move(q);
    o["auth"] = auth();
    return o;
}

}  // namespace switchboard::server

namespace switchboard::server::detail {

socket_impl::socket_impl(std::shared_ptr<engine_session> session, sio_client& client, namespace_impl& ns,
                         std::string id, std::string pid, boost::json::object auth)
    : session_(std::move(session)),
      client_(client),
      ns_(ns),
      id_(std::move(id)),
      pid_(std::move(pid)),
      auth_(std::move(auth)),
      issued_(wall_ms()) {}

void socket_impl::emit(std::string_view event, payload p) {
    session_->srv().events_out->inc(event);
    if (ns_.recovery) {
        // Through the adapter like any broadcast (as Node does), so it gets an offset, is logged
        // and can be replayed after a transport loss.
        rooms::broadcast_options to_me;
        to_me.rooms.push_back(id_);
        session_->srv().broadcast(
            &ns_, to_me,
            rooms::broadcast_packet{nsp(), std::string(event), std::move(p.args), std::move(p.binary)});
        return;
    }
    auto pkt = encode_event(nsp(), std::nullopt, event, p);
    asio::dispatch(session_->executor(), [self = shared_from_this(), pkt = std::move(pkt)] {
        if (self->connected_) self->session_->send_group(to_items(pkt));
    });
}

void socket_impl::send_packet(protocol::sio_type type, std::optional<std::uint64_t> id, const payload& p) {
    std::string frame = "4";
    protocol::append_sio_header(frame, type, nsp(), id, p.binary.size());
    if (type == protocol::sio_type::ack) common::json_append(frame, p.args);
    std::vector<out_item> items{{std::make_shared<const std::string>(std::move(frame)), false}};
    for (const auto& b : p.binary)
        items.push_back({std::make_shared<const std::string>(b), true});
    session_->send_group(items);
}

void socket_impl::emit_with_ack(std::string_view event, payload p, std::chrono::milliseconds timeout,
                                ack_callback cb) {
    asio::dispatch(session_->executor(), [self = shared_from_this(), ev = std::string(event),
                                          p = std::move(p), timeout, cb = std::move(cb)]() mutable {
        if (!self->connected_) {
            if (cb) cb(make_error_code(errc::socket_disconnected), {});
            return;
        }
        self->client_.emit_with_ack(*self, ev, p, timeout, std::move(cb));
    });
}

void socket_impl::join(const std::string& room) {
    {
        std::lock_guard lock(ns_.mu);
        if (!ns_.index.join(id_, room)) return;
    }
    ns_.adapter->on_join(id_, room);
    if (auto* o = ns_.srv.observer) o->joined(*this, room);
}

void socket_impl::leave(const std::string& room) {
    {
        std::lock_guard lock(ns_.mu);
        if (!ns_.index.leave(id_, room)) return;
    }
    ns_.adapter->on_leave(id_, room);
    if (auto* o = ns_.srv.observer) o->left(*this, room);
}

std::vector<std::string> socket_impl::rooms() const {
    std::lock_guard lock(ns_.mu);
    auto r = ns_.index.rooms_of(id_);
    r.insert(r.begin(), id_);
    return r;
}

void socket_impl::mark_connected(const std::vector<std::string>& rooms) {
    {
        std::lock_guard lock(ns_.mu);
        ns_.index.add(id_);
        for (const auto& r : rooms)
            ns_.index.join(id_, r);
        ns_.sockets[id_] = weak_from_this();
        if (auto* store = ns_.sessions()) store->session_live(pid_, id_, owner);
    }
    connected_ = true;
}

void socket_impl::post(std::function<void()> f) {
    asio::post(session_->executor(), [self = shared_from_this(), f = std::move(f)] {
        if (!self->connected_) return;
        try {
            f();
        } catch (const std::exception& e) {
            log::error("socket task threw", {{"what", e.what()}});
        }
    });
}

void socket_impl::set_timer(std::chrono::milliseconds delay, std::function<void()> f) {
    asio::dispatch(session_->executor(), [self = shared_from_this(), delay, f = std::move(f)]() mutable {
        if (!self->connected_) return;
        if (!self->app_timer_)
            self->app_timer_ = std::make_unique<asio::steady_timer>(self->session_->executor());
        auto gen = ++self->app_timer_gen_;
        self->app_timer_->expires_after(delay);
        self->app_timer_->async_wait([w = self->weak_from_this(), gen, f = std::move(f)](error_code ec) {
            auto s = w.lock();
            if (ec || !s || s->app_timer_gen_ != gen || !s->connected_) return;
            try {
                f();
            } catch (const std::exception& e) {
                log::error("socket timer threw", {{"what", e.what()}});
            }
        });
    });
}

void socket_impl::cancel_timer() {
    asio::dispatch(session_->executor(), [self = shared_from_this()] {
        ++self->app_timer_gen_;
        if (self->app_timer_) self->app_timer_->cancel();
    });
}

void socket_impl::finish(std::string_view reason, bool keep) {
    if (!connected_.exchange(false)) return;
    ++app_timer_gen_;
    if (app_timer_) app_timer_->cancel();
    auto* observer = ns_.srv.observer;
    std::vector<std::string> left;  // for the observer only
    {
        std::lock_guard lock(ns_.mu);
        auto rooms = ns_.index.remove(id_);
        ns_.sockets.erase(id_);
        if (observer) left = rooms;
        if (auto* store = ns_.sessions()) store->session_lost(pid_, std::move(rooms), wall_ms(), keep);
    }
    ns_.adapter->on_disconnect(id_);
    if (observer) {
        for (const auto& r : left)
            observer->left(*this, r);
        observer->disconnected(*this, reason);
    }
    if (ns_.api->disconnect_) {
        try {
            ns_.api->disconnect_(shared_from_this(), reason);
        } catch (const std::exception& e) {
            log::error("disconnect handler threw", {{"nsp", nsp()}, {"what", e.what()}});
        }
    }
}

void socket_impl::disconnect(bool close_transport) {
    asio::dispatch(session_->executor(), [self = shared_from_this(), close_transport] {
        if (self->connected_) {
            self->send_packet(protocol::sio_type::disconnect, std::nullopt, {});
            self->finish("server namespace disconnect", false);
            self->client_.remove(*self);
        }
        if (close_transport) self->session_->close(protocol::errc::server_close);
    });
}

}  // namespace switchboard::server::detail
