// The Engine.IO session shell: performs what engine_fsm decides, owns the outbound queue, the
// pending poll and the WebSocket reader/writer.
#include "internal.hpp"
#include "log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace switchboard::server::detail {

using protocol::engine_action_kind;
using protocol::engine_type;
namespace websocket = beast::websocket;

engine_session::engine_session(server::impl& srv, strand_t ex, std::string sid,
                               protocol::transport_kind transport, std::shared_ptr<const handshake> hs)
    : srv_(srv),
      ex_(std::move(ex)),
      sid_(std::move(sid)),
      hs_(std::move(hs)),
      fsm_(srv.opts.engine, transport, now_ms()),
      timer_(ex_) {}

engine_session::~engine_session() = default;

std::shared_ptr<const std::string> engine_session::control_frame(engine_type type, std::string_view data) {
    // Pings and noops go to every session at every interval: share one frame per type.
    static const std::array<std::shared_ptr<const std::string>, 7> bare = [] {
        std::array<std::shared_ptr<const std::string>, 7> a;
        for (int t = 0; t < 7; ++t)
            a[t] = std::make_shared<const std::string>(
                protocol::encode_engine_text(static_cast<engine_type>(t), {}));
        return a;
    }();
    if (data.empty()) return bare[static_cast<std::size_t>(type)];
    return std::make_shared<const std::string>(protocol::encode_engine_text(type, data));
}

void engine_session::start() {
    rearm();
}

void engine_session::rearm() {
    protocol::millis d = fsm_.next_deadline();
    if (d == armed_) return;
    armed_ = d;
    if (d == protocol::no_deadline) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(d)));
    timer_.async_wait([w = weak_from_this(), d](error_code ec) {
        if (ec) return;
        if (auto s = w.lock(); s && s->armed_ == d) {
            s->armed_ = protocol::no_deadline;
            s->on_timer();
        }
    });
}

void engine_session::on_timer() {
    actions_.clear();
    fsm_.on_tick(now_ms(), actions_);
    process(actions_);
}

void engine_session::process(protocol::engine_actions& actions) {
    // Handlers may feed the machine again (e.g. a socket closing the session), so iterate a copy.
    protocol::engine_actions todo;
    todo.swap(actions);
    for (auto& a : todo) {
        switch (a.kind) {
            case engine_action_kind::send:
                send(out_item{control_frame(a.type, a.data), false});
                break;
            case engine_action_kind::send_probe:
                if (ws_probe_) {
                    ws_probe_->probe_out.push_back(control_frame(a.type, a.data));
                    pump(ws_probe_);
                }
                break;
            case engine_action_kind::deliver:
                if (handler_ && !fsm_.closed()) handler_->on_message(std::move(a.data), a.binary);
                break;
            case engine_action_kind::release_poll:
                if (poll_) complete_poll({}, "6");
                break;
            case engine_action_kind::reject_poll:
                if (poll_) complete_poll(protocol::errc::bad_request, {});
                break;
            case engine_action_kind::upgraded:
                ws_ = std::move(ws_probe_);
                if (ws_) pump(ws_);
                log::debug("session upgraded", {{"sid", sid_}});
                break;
            case engine_action_kind::abort_upgrade:
                if (ws_probe_) {
                    ws_probe_->closing = true;
                    pump(ws_probe_);
                    ws_probe_.reset();
                }
                break;
            case engine_action_kind::close: {
                srv_.remove_session(sid_);
                timer_.cancel();
                armed_ = protocol::no_deadline;
                if (poll_) {
                    std::string body = drain_payload();
                    protocol::append_payload(body, a.reason == protocol::errc::client_close ? "6" : "1",
                                             false);
                    complete_poll({}, std::move(body));
                }
                for (const auto& c : {ws_, ws_probe_})
                    if (c) {
                        c->closing = true;
                        pump(c);
                    }
                ws_probe_.reset();
                if (ws_) {
                    // A peer that stopped reading would hold the writer (and the close) forever.
                    timer_.expires_after(std::chrono::seconds(3));
                    timer_.async_wait([conn = ws_](error_code ec) {
                        if (!ec && !conn->dead) beast::get_lowest_layer(conn->ws).close();
                    });
                }
                log::debug("session closed",
                           {{"sid", sid_}, {"reason", make_error_code(a.reason).message()}});
                if (handler_) handler_->on_close(a.reason);
                if (!ws_) clear_queue();
                break;
            }
        }
    }
    rearm();
}

void engine_session::close(protocol::errc reason) {
    actions_.clear();
    fsm_.close(reason, actions_);
    process(actions_);
}

engine_session::admission engine_session::admit(std::size_t packets, std::size_t bytes, bool is_volatile) {
    if (fsm_.closed()) return admission::closed;
    if (queue_.size() + packets <= srv_.opts.max_queue_packets &&
        queued_bytes_ + bytes <= srv_.opts.max_queue_bytes)
        return admission::ok;
    if (is_volatile) {
        srv_.dropped->inc("volatile");
        return admission::dropped;
    }
    srv_.dropped->inc("slow_consumer");
    log::warn("slow consumer, closing session", {{"sid", sid_}, {"queued", std::to_string(queue_.size())}});
    close(protocol::errc::slow_consumer);
    return admission::closed;
}

bool engine_session::send(out_item item, bool is_volatile) {
    auto a = admit(1, item.data->size(), is_volatile);
    if (a != admission::ok) return a == admission::dropped;
    queued_bytes_ += item.data->size();
    queue_.push_back(std::move(item));
    srv_.queued_packets.fetch_add(1, std::memory_order_relaxed);
    schedule_flush();
    return true;
}

bool engine_session::send_group(const std::vector<out_item>& items, bool is_volatile) {
    std::size_t bytes = 0;
    for (const auto& i : items)
        bytes += i.data->size();
    auto a = admit(items.size(), bytes, is_volatile);
    if (a != admission::ok) return a == admission::dropped;
    queue_.append(items.begin(), items.end());
    queued_bytes_ += bytes;
    srv_.queued_packets.fetch_add(static_cast<std::int64_t>(items.size()), std::memory_order_relaxed);
    schedule_flush();
    return true;
}

void engine_session::schedule_flush() {
    if (ws_) {
        pump(ws_);
        return;
    }
    if (!poll_ || flush_scheduled_) return;
    // Batch what the current handler queues into one poll response.
    flush_scheduled_ = true;
    asio::post(ex_, [self = shared_from_this()] {
        self->flush_scheduled_ = false;
        self->flush();
    });
}

void engine_session::flush() {
    if (poll_ && !queue_.empty() && !ws_) complete_poll({}, drain_payload());
}

std::string engine_session::drain_payload() {
    std::string body;
    queue_.for_each([&](const out_item& item) { protocol::append_payload(body, *item.data, item.binary); });
    clear_queue();
    return body;
}

void engine_session::clear_queue() {
    srv_.queued_packets.fetch_sub(static_cast<std::int64_t>(queue_.size()), std::memory_order_relaxed);
    queue_.clear();
    queued_bytes_ = 0;
}

void engine_session::start_poll(poll_handler h, std::uint64_t seq) {
    actions_.clear();
    auto verdict = fsm_.on_poll_get(actions_);
    if (verdict != protocol::poll_verdict::ok) {
        process(actions_);  // a duplicate poll closes the session and answers the first one
        h.complete(ex_, make_error_code(protocol::errc::unknown_sid), std::string{});
        return;
    }
    poll_ = std::move(h);
    poll_token_ = seq;
    if (!queue_.empty()) flush();
}

void engine_session::cancel_poll(std::uint64_t seq) {
    if (!poll_ || poll_token_ != seq) return;
    complete_poll(asio::error::operation_aborted, {});
    close(protocol::errc::poll_aborted);
}

void engine_session::complete_poll(error_code ec, std::string body) {
    srv_.bytes_out->inc(body.size());
    fsm_.on_poll_done();
    poll_.complete(ex_, ec, std::move(body));
}

void engine_session::handle_post(std::string body, post_handler h) {
    srv_.bytes_in->inc(body.size());
    auto answer = [&](error_code ec) { h.complete(ex_, ec); };
    if (fsm_.on_post() != protocol::poll_verdict::ok) return answer(protocol::errc::bad_request);
    protocol::payload_limits limits;
    limits.max_bytes = srv_.opts.engine.max_payload;
    auto packets = protocol::decode_payload(body, limits);
    if (!packets) {
        close(protocol::errc::invalid_packet);
        return answer(protocol::errc::bad_request);
    }
    auto now = now_ms();
    for (auto& p : *packets) {
        if (fsm_.closed()) break;
        actions_.clear();
        fsm_.on_packet(now, std::move(p), false, actions_);
        process(actions_);
    }
    answer({});
}

bool engine_session::begin_upgrade() {
    bool ok = fsm_.begin_upgrade(now_ms());
    rearm();
    return ok;
}

// The writer of a WebSocket: one async_write in flight, started again by its own completion or
// by whoever queues (no coroutine and no wake-up timer per connection).
void engine_session::pump(const std::shared_ptr<ws_conn>& conn) {
    if (conn->writing) return;
    if (conn->dead) return writer_done(conn);
    std::shared_ptr<const std::string> data;
    bool binary = false;
    if (!conn->probe_out.empty()) {
        data = std::move(conn->probe_out.front());
        conn->probe_out.pop_front();
    } else if (conn == ws_ && !queue_.empty()) {
        data = std::move(queue_.front().data);
        binary = queue_.front().binary;
        queue_.pop_front();
        queued_bytes_ -= data->size();
        srv_.queued_packets.fetch_sub(1, std::memory_order_relaxed);
    } else if (conn->closing) {
        if (conn->close_sent) return;
        conn->close_sent = true;
        conn->writing = true;
        conn->ws.async_close(websocket::close_code::normal, [self = shared_from_this(), conn](error_code ec) {
            conn->writing = false;
            if (ec) beast::get_lowest_layer(conn->ws).close();
            conn->dead = true;
            self->writer_done(conn);
        });
        return;
    } else {
        return;  // idle
    }
    conn->writing = true;
    conn->ws.text(!binary);
    auto buf = asio::buffer(*data);
    conn->ws.async_write(
        buf, [self = shared_from_this(), conn, data = std::move(data)](error_code ec, std::size_t n) {
            conn->writing = false;
            if (ec) {
                beast::get_lowest_layer(conn->ws).close();
                conn->dead = true;
                return self->writer_done(conn);
            }
            self->srv_.bytes_out->inc(n);
            self->pump(conn);
        });
}

void engine_session::writer_done(const std::shared_ptr<ws_conn>& conn) {
    if (conn == ws_) clear_queue();
}

void engine_session::on_ws_closed(const std::shared_ptr<ws_conn>& conn) {
    conn->dead = true;
    pump(conn);
    actions_.clear();
    if (conn == ws_) {
        fsm_.on_transport_closed(false, protocol::errc::transport_close, actions_);
    } else if (conn == ws_probe_) {
        fsm_.on_transport_closed(true, protocol::errc::transport_close, actions_);
    }
    process(actions_);
}

asio::awaitable<void> engine_session::run_websocket(std::shared_ptr<ws_conn> conn, bool probe) {
    auto self = shared_from_this();
    if (probe)
        ws_probe_ = conn;
    else
        ws_ = conn;
    pump(conn);
    beast::flat_buffer buf;
    for (;;) {
        auto [ec, n] = co_await conn->ws.async_read(buf, asio::as_tuple(asio::use_awaitable));
        if (ec == websocket::error::message_too_big) srv_.dropped->inc("payload_too_large");
        if (ec) break;
        srv_.bytes_in->inc(n);
        if (fsm_.closed() || conn->closing) break;
        bool from_probe = conn != ws_;
        std::string_view frame(static_cast<const char*>(buf.data().data()), buf.size());
        actions_.clear();
        if (conn->ws.got_text()) {
            auto p = protocol::decode_engine_text(frame);
            if (!p) {
                // A bad probe only ends the upgrade (on_ws_closed below); a bad packet ends the session.
                if (!from_probe) close(protocol::errc::invalid_packet);
                break;
            }
            fsm_.on_packet(now_ms(), std::move(*p), from_probe, actions_);
        } else {
            fsm_.on_packet(now_ms(), protocol::decode_engine_binary(frame), from_probe, actions_);
        }
        buf.consume(buf.size());
        // Give back what a large message grew; small buffers are kept (Beast prepares one for the
        // pending read anyway, so freeing them would only add a malloc per message).
        if (buf.capacity() > 4096) buf.shrink_to_fit();
        process(actions_);
    }
    on_ws_closed(conn);
}

}  // namespace switchboard::server::detail
