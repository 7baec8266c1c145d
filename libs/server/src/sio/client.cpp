// The Socket.IO layer of one Engine.IO session: the sio_fsm shell (CONNECT, dispatch, acks).
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <switchboard/common/json_write.hpp>

#include <boost/asio/dispatch.hpp>

namespace switchboard::server::detail {

sio_client::sio_client(engine_session& s)
    : session_(s), fsm_(s.srv().opts.engine.connect_timeout_ms, now_ms()) {}

std::shared_ptr<socket_impl> sio_client::find(std::string_view nsp) const {
    for (const auto& s : sockets_)
        if (s->nsp() == nsp) return s;
    return nullptr;
}

void sio_client::on_message(std::string&& data, bool binary) {
    protocol::sio_actions out;
    fsm_.on_message(now_ms(), data, binary, out);
    process(out);
}

void sio_client::process(protocol::sio_actions& actions) {
    using k = protocol::sio_action_kind;
    for (auto& a : actions) {
        switch (a.kind) {
            case k::connect:
                handle_connect(std::move(a.packet));
                break;
            case k::event:
                if (auto s = find(a.nsp)) handle_event(s, std::move(a.packet));
                break;
            case k::ack: {
                payload answer{std::move(a.packet.data.get_array()), std::move(a.packet.attachments)};
                settle(a.nsp, a.id, {}, std::move(answer));
                break;
            }
            case k::ack_timeout:
                settle(a.nsp, a.id, make_error_code(errc::ack_timeout));
                break;
            case k::ack_failed:
                settle(a.nsp, a.id, make_error_code(errc::socket_disconnected));
                break;
            case k::disconnect:
                if (auto s = find(a.nsp)) {
                    std::erase(sockets_, s);
                    s->finish("client namespace disconnect", false);
                }
                break;
            case k::attached:
                session_.mark_attached();
                break;
            case k::detached:
                session_.mark_detached();
                break;
            case k::connect_timeout:
                session_.close(protocol::errc::connect_timeout);
                break;
            case k::close:
                log::debug("invalid socket.io packet", {{"conn", session_.conn_id()}});
                session_.close(a.reason);
                break;
        }
    }
    rearm();
}

void sio_client::handle_event(const std::shared_ptr<socket_impl>& s, protocol::sio_packet&& p) {
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
        reply = [w = std::weak_ptr<socket_impl>(s), id = *p.id, done = false,
                 received = std::chrono::steady_clock::now()](payload r) mutable {
            if (done) return;
            done = true;
            auto s = w.lock();
            if (!s) return;
            asio::dispatch(s->session().executor(), [s, id, r = std::move(r), received] {
                if (!s->connected()) return;
                s->send_packet(protocol::sio_type::ack, id, r);
                s->session().srv().ack_latency->observe(seconds_since(received));
            });
        };
    }
    try {
        (*h)(s, std::move(args), std::move(reply));
    } catch (const std::exception& e) {
        log::error("event handler threw", {{"event", event}, {"what", e.what()}});
    }
}

void sio_client::emit_with_ack(socket_impl& s, std::string_view event, const payload& p,
                               std::chrono::milliseconds timeout, ack_callback cb) {
    auto id = fsm_.add_ack(now_ms(), s.nsp(), timeout.count());
    acks_.push_back({s.nsp(), id, std::move(cb)});
    session_.send_group(to_items(encode_event(s.nsp(), id, event, p)));
    rearm();
}

void sio_client::settle(const std::string& nsp, std::uint64_t id, error_code ec, payload answer) {
    auto it = std::find_if(acks_.begin(), acks_.end(),
                           [&](const pending_ack& a) { return a.id == id && a.nsp == nsp; });
    if (it == acks_.end()) return;
    auto cb = std::move(it->cb);
    acks_.erase(it);
    if (!cb) return;
    try {
        cb(ec, std::move(answer));
    } catch (const std::exception& e) {
        log::error("ack callback threw", {{"what", e.what()}});
    }
}

// One timer for every pending ack of the session, armed at the machine's next deadline.
void sio_client::rearm() {
    if (fsm_.pending_acks() == 0) {
        if (ack_timer_ && armed_ != protocol::no_deadline) ack_timer_->cancel();
        armed_ = protocol::no_deadline;
        return;
    }
    auto deadline = fsm_.next_deadline();
    if (deadline == armed_) return;
    if (!ack_timer_) ack_timer_ = std::make_unique<asio::steady_timer>(session_.executor());
    armed_ = deadline;
    ack_timer_->expires_after(std::chrono::milliseconds(std::max<protocol::millis>(0, deadline - now_ms())));
    ack_timer_->async_wait([w = session_.weak_from_this(), this](error_code ec) {
        if (ec) return;
        auto keep = w.lock();  // the session owns this client
        if (!keep) return;
        armed_ = protocol::no_deadline;
        protocol::sio_actions out;
        fsm_.expire(now_ms(), out);
        process(out);
    });
}

void sio_client::remove(const socket_impl& s) {
    std::erase_if(sockets_, [&](const auto& p) { return p.get() == &s; });
    protocol::sio_actions out;
    fsm_.leave(now_ms(), s.nsp(), out);
    process(out);
}

void sio_client::on_close(protocol::errc reason) {
    protocol::sio_actions out;
    fsm_.on_close(out);
    auto sockets = std::move(sockets_);
    sockets_.clear();
    for (auto& s : sockets)
        s->finish(protocol::close_reason(reason), true);
    process(out);
    if (ack_timer_) ack_timer_->cancel();
}

void sio_client::handle_connect(protocol::sio_packet&& p) {
    auto* ns = session_.srv().find_namespace(p.nsp);
    if (!ns) {
        std::string frame = "4";
        boost::json::value err = boost::json::object{{"message", "Invalid namespace"}};
        protocol::append_sio_packet(frame, protocol::sio_type::connect_error, p.nsp, std::nullopt, &err);
        session_.send(out_item{std::make_shared<const std::string>(std::move(frame)), false});
        protocol::sio_actions none;
        fsm_.connect_done(now_ms(), p.nsp, false, none);
        return;
    }
    boost::json::object auth = p.has_data ? std::move(p.data.get_object()) : boost::json::object{};
    // A recovery request passes the connect hook like any CONNECT; the kept session is looked up
    // after it (finish_connect), for the owner it set.
    auto sock = std::make_shared<socket_impl>(session_.shared_from_this(), *this, *ns, random_id(),
                                              random_id(), std::move(auth));
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
    protocol::sio_actions out;
    fsm_.connect_done(now_ms(), s->nsp(), !err && !session_.closed(), out);
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
    process(out);  // attached
    if (s->ns().recovery && try_restore(s)) return;
    connect_fresh(s);
}

void sio_client::connect_fresh(const std::shared_ptr<socket_impl>& s) {
    sockets_.push_back(s);
    s->mark_connected();
    send_connect_reply(*s);
    run_connection_handler(s);
}

void sio_client::on_upgraded() {
    if (auto* o = session_.srv().observer)
        for (const auto& s : sockets_)
            o->upgraded(s);
}

void sio_client::run_connection_handler(const std::shared_ptr<socket_impl>& s) {
    if (auto* o = session_.srv().observer) o->connected(s);
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
    const auto& auth = fresh->auth();
    const auto* pid = auth.if_contains("pid");
    const auto* offset = auth.if_contains("offset");
    if (!pid || !offset || !pid->is_string() || !offset->is_string()) return false;
    std::function<bool(const std::string&)> keep;
    if (ns.api->restore_room_)
        keep = [filter = ns.api->restore_room_, fresh](const std::string& room) {
            return filter(fresh, room);
        };
    auto* store = ns.sessions();
    // The store may answer later (Redis): the CONNECT reply waits; the session may close meanwhile.
    store->restore_async(std::string(pid->get_string()), std::string(offset->get_string()), wall_ms(),
                         fresh->owner, std::move(keep),
                         [fresh](std::optional<rooms::restored_session> r) mutable {
                             asio::dispatch(fresh->session().executor(), [fresh, r = std::move(r)]() mutable {
                                 fresh->client().restored(fresh, std::move(r));
                             });
                         });
    return true;
}

void sio_client::restored(const std::shared_ptr<socket_impl>& fresh,
                          std::optional<rooms::restored_session> r) {
    if (session_.closed()) return;
    auto& ns = fresh->ns();
    const auto& nsp = fresh->nsp();
    const auto& auth = fresh->auth();
    if (!r) return connect_fresh(fresh);
    // Admitted just now, as its owner: the kept session continues with what the hook set.
    auto s = std::make_shared<socket_impl>(session_.shared_from_this(), *this, ns, r->session.sid,
                                           r->session.pid, auth);
    s->data = std::move(fresh->data);
    s->app_state = std::move(fresh->app_state);
    s->owner = std::move(fresh->owner);
    s->set_recovered();
    sockets_.push_back(s);
    s->mark_connected(r->session.rooms);
    for (const auto& pkt : r->missed)
        session_.send_group(to_items(pkt));
    send_connect_reply(*s);
    log::debug("session recovered", {{"nsp", nsp}, {"missed", std::to_string(r->missed.size())}});
    run_connection_handler(s);
}

}  // namespace switchboard::server::detail
