// The Socket.IO layer: namespaces, sockets, packet dispatch, acks, broadcasts.
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

void namespace_::on(std::string event, event_handler h) {
    auto* received = &srv_->impl_->events_in->at(event);
    handlers_[std::move(event)] = handler_entry{std::move(h), received};
}

void namespace_::emit(std::string_view event, const payload& p, const rooms::broadcast_options& opts) {
    srv_->broadcast(name_, opts, event, p);
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

rooms::encoded_packet encode_event(std::string_view nsp, std::optional<std::uint64_t> id,
                                   std::string_view event, const payload& p, std::string_view offset) {
    std::string frame = "4";
    protocol::append_sio_event(frame, nsp, id, event, p.args, p.binary.size(), offset);
    rooms::encoded_packet pkt;
    pkt.frame = std::make_shared<const std::string>(std::move(frame));
    for (const auto& b : p.binary)
        pkt.attachments.push_back(std::make_shared<const std::string>(b));
    return pkt;
}

std::vector<out_item> to_items(const rooms::encoded_packet& pkt) {
    std::vector<out_item> items;
    items.reserve(1 + pkt.attachments.size());
    items.push_back({pkt.frame, false});
    for (const auto& a : pkt.attachments)
        items.push_back({a, true});
    return items;
}

// ---- socket_impl

socket_impl::socket_impl(std::shared_ptr<engine_session> session, sio_client& client, namespace_state& ns,
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
        // Logged with an offset like any broadcast, so it can be replayed after a transport loss.
        rooms::broadcast_options to_me;
        to_me.rooms.push_back(id_);
        to_me.local = true;
        session_->srv().broadcast(&ns_, nsp(), to_me, event, p);
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
        std::uint64_t id = self->next_ack_++;
        auto pkt = encode_event(self->nsp(), id, ev, p);
        auto timer = std::make_shared<asio::steady_timer>(self->session_->executor(), timeout);
        self->acks_.emplace(id, pending_ack{std::move(cb), timer});
        timer->async_wait([w = self->weak_from_this(), id](error_code ec) {
            if (ec) return;
            auto s = w.lock();
            if (!s) return;
            auto it = s->acks_.find(id);
            if (it == s->acks_.end()) return;
            auto cb = std::move(it->second.cb);
            s->acks_.erase(it);
            if (cb) cb(make_error_code(errc::ack_timeout), {});
        });
        self->session_->send_group(to_items(pkt));
    });
}

void socket_impl::on_ack(std::uint64_t id, payload&& p) {
    auto it = acks_.find(id);
    if (it == acks_.end()) return;  // late or unknown ack: ignored, as Node does
    auto pending = std::move(it->second);
    acks_.erase(it);
    pending.timer->cancel();
    if (pending.cb) pending.cb({}, std::move(p));
}

void socket_impl::join(const std::string& room) {
    std::lock_guard lock(ns_.mu);
    ns_.index.join(id_, room);
}

void socket_impl::leave(const std::string& room) {
    std::lock_guard lock(ns_.mu);
    ns_.index.leave(id_, room);
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
        if (ns_.recovery) ns_.recovery->session_live(pid_, id_, owner);
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
    {
        std::lock_guard lock(ns_.mu);
        auto rooms = ns_.index.remove(id_);
        ns_.sockets.erase(id_);
        if (ns_.recovery) ns_.recovery->session_lost(pid_, std::move(rooms), wall_ms(), keep);
    }
    auto acks = std::move(acks_);
    acks_.clear();
    for (auto& [id, a] : acks) {
        a.timer->cancel();
        if (a.cb) a.cb(make_error_code(errc::socket_disconnected), {});
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
            self->client_.remove(self->nsp());
            self->finish("server namespace disconnect", false);
        }
        if (close_transport) self->session_->close(protocol::errc::server_close);
    });
}

// ---- sio_client

std::shared_ptr<socket_impl> sio_client::find(const std::string& nsp) const {
    for (const auto& [name, s] : sockets_)
        if (name == nsp) return s;
    return nullptr;
}

void sio_client::on_message(std::string&& data, bool binary) {
    auto r = binary ? decoder_.feed_binary(data) : decoder_.feed_text(data);
    if (!r) {
        log::debug("invalid socket.io packet", {{"sid", session_.sid()}, {"error", r.error().message()}});
        session_.close(protocol::errc::invalid_packet);
        return;
    }
    if (*r) handle(decoder_.take());
}

void sio_client::handle(protocol::sio_packet&& p) {
    using protocol::sio_type;
    switch (p.type) {
        case sio_type::connect:
            handle_connect(std::move(p));
            return;
        case sio_type::disconnect:
            if (auto s = find(p.nsp)) {
                remove(p.nsp);
                s->finish("client namespace disconnect", false);
            }
            return;
        case sio_type::event:
        case sio_type::binary_event: {
            auto s = find(p.nsp);
            if (!s) return;
            auto& arr = p.data.get_array();
            const auto& handlers = s->ns().api->handlers_;
            std::string other_name;
            std::string_view name;
            if (arr[0].is_string()) {
                name = arr[0].get_string();
            } else {
                other_name = common::json_write(arr[0]);
                name = other_name;
            }
            auto hit = handlers.find(name);
            auto& srv = session_.srv();
            // Only registered names become metric labels: clients choose the others.
            if (hit == handlers.end())
                srv.unhandled_in->inc();
            else
                hit->second.received->inc();
            if (const auto& filter = s->ns().api->incoming_) {
                bool pass = true;
                try {
                    pass = filter(s, name);
                } catch (const std::exception& e) {
                    log::error("incoming filter threw", {{"what", e.what()}});
                }
                if (!pass) return;
            }
            if (hit == handlers.end()) return;  // unknown events are ignored, as Node does
            const std::string& event = hit->first;
            const event_handler* h = &hit->second.fn;
            arr.erase(arr.begin());  // the arguments are the rest: no copy
            payload args{std::move(arr), std::move(p.attachments)};
            ack_reply reply;
            if (p.id) {
                reply = [w = std::weak_ptr<socket_impl>(s), id = *p.id, done = false](payload r) mutable {
                    if (done) return;
                    done = true;
                    auto s = w.lock();
                    if (!s) return;
                    asio::dispatch(s->session().executor(), [s, id, r = std::move(r)] {
                        if (s->connected()) s->send_packet(protocol::sio_type::ack, id, r);
                    });
                };
            }
            try {
                (*h)(s, std::move(args), std::move(reply));
            } catch (const std::exception& e) {
                log::error("event handler threw", {{"event", event}, {"what", e.what()}});
            }
            return;
        }
        case sio_type::ack:
        case sio_type::binary_ack: {
            auto s = find(p.nsp);
            if (!s || !p.id) return;
            payload args;
            args.args = std::move(p.data.get_array());
            args.binary = std::move(p.attachments);
            s->on_ack(*p.id, std::move(args));
            return;
        }
        case sio_type::connect_error:
            return;  // not for a server
    }
}

void sio_client::handle_connect(protocol::sio_packet&& p) {
    auto* ns = session_.srv().find_namespace(p.nsp);
    if (!ns) {
        std::string frame = "4";
        boost::json::value err = boost::json::object{{"message", "Invalid namespace"}};
        protocol::append_sio_packet(frame, protocol::sio_type::connect_error, p.nsp, std::nullopt, &err);
        session_.send(out_item{std::make_shared<const std::string>(std::move(frame)), false});
        return;
    }
    if (find(p.nsp) || std::find(connecting_.begin(), connecting_.end(), p.nsp) != connecting_.end()) return;
    boost::json::object auth = p.has_data ? std::move(p.data.get_object()) : boost::json::object{};
    // A recovery request passes the connect hook like any CONNECT; the kept session is looked up
    // after it (finish_connect), for the owner it set.
    auto sock = std::make_shared<socket_impl>(session_.shared_from_this(), *this, *ns, random_id(),
                                              random_id(), std::move(auth));
    connecting_.push_back(p.nsp);
    if (!ns->api->connect_hook_) return finish_connect(sock, std::nullopt);
    auto decided = std::make_shared<std::atomic<bool>>(false);
    try {
        ns->api->connect_hook_(sock, [sock, decided](std::optional<connect_error> err) {
            if (decided->exchange(true)) return;
            asio::dispatch(sock->session().executor(), [sock, err = std::move(err)]() mutable {
                sock->client().finish_connect(sock, std::move(err));
            });
        });
    } catch (const std::exception& e) {
        log::error("connect hook threw", {{"nsp", p.nsp}, {"what", e.what()}});
        if (!decided->exchange(true)) finish_connect(sock, connect_error{"Internal error", nullptr});
    }
}

void sio_client::finish_connect(const std::shared_ptr<socket_impl>& s, std::optional<connect_error> err) {
    std::erase(connecting_, s->nsp());
    if (session_.closed()) return;
    std::string frame = "4";
    if (err) {
        boost::json::object body{{"message", err->message}};
        if (!err->data.is_null()) body["data"] = err->data;
        boost::json::value v(std::move(body));
        protocol::append_sio_packet(frame, protocol::sio_type::connect_error, s->nsp(), std::nullopt, &v);
        session_.send(out_item{std::make_shared<const std::string>(std::move(frame)), false});
        return;
    }
    if (s->ns().recovery && try_restore(s)) return;
    sockets_.emplace_back(s->nsp(), s);
    s->mark_connected();
    send_connect_reply(*s);
    session_.mark_attached();
    run_connection_handler(s);
}

void sio_client::run_connection_handler(const std::shared_ptr<socket_impl>& s) {
    auto& on_conn = s->ns().api->connection_;
    if (!on_conn) return;
    try {
        on_conn(s);
    } catch (const std::exception& e) {
        log::error("connection handler threw", {{"nsp", s->nsp()}, {"what", e.what()}});
    }
}

void sio_client::send_connect_reply(const socket_impl& s) {
    boost::json::object body{{"sid", s.id()}};
    if (s.ns().recovery) body["pid"] = s.pid();
    boost::json::value reply(std::move(body));
    std::string frame = "4";
    protocol::append_sio_packet(frame, protocol::sio_type::connect, s.nsp(), std::nullopt, &reply);
    session_.send(out_item{std::make_shared<const std::string>(std::move(frame)), false});
}

bool sio_client::try_restore(const std::shared_ptr<socket_impl>& fresh) {
    auto& ns = fresh->ns();
    const auto& nsp = fresh->nsp();
    const auto& auth = fresh->auth();
    const auto* pid = auth.if_contains("pid");
    const auto* offset = auth.if_contains("offset");
    if (!pid || !offset || !pid->is_string() || !offset->is_string()) return false;
    std::optional<rooms::recovery_log::restored> r;
    {
        std::lock_guard lock(ns.mu);
        std::function<bool(const std::string&)> keep;
        if (const auto& filter = ns.api->restore_room_)
            keep = [&filter, &fresh](const std::string& room) { return filter(fresh, room); };
        r = ns.recovery->restore(std::string(pid->get_string()), std::string(offset->get_string()), wall_ms(),
                                 fresh->owner, keep);
    }
    if (!r) return false;
    // Admitted just now, as its owner: the kept session continues with what the hook set.
    auto s = std::make_shared<socket_impl>(session_.shared_from_this(), *this, ns, r->session.sid,
                                           r->session.pid, auth);
    s->data = std::move(fresh->data);
    s->app_state = std::move(fresh->app_state);
    s->owner = std::move(fresh->owner);
    s->set_recovered();
    sockets_.emplace_back(nsp, s);
    s->mark_connected(r->session.rooms);
    for (const auto& pkt : r->missed)
        session_.send_group(to_items(pkt));
    send_connect_reply(*s);
    session_.mark_attached();
    log::debug("session recovered", {{"nsp", nsp}, {"missed", std::to_string(r->missed.size())}});
    run_connection_handler(s);
    return true;
}

void sio_client::on_close(protocol::errc reason) {
    auto sockets = std::move(sockets_);
    sockets_.clear();
    for (auto& [nsp, s] : sockets)
        s->finish(protocol::close_reason(reason), true);
}

}  // namespace switchboard::server::detail
