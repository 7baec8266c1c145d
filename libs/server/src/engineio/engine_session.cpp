// The Engine.IO session shell: performs what engine_fsm decides, owns the outbound queue, the
// pending poll and the WebSocket reader/writer.
#include <switchboard/common/log.hpp>
#include "../server_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/uio.h>
#include <array>
#include <cerrno>
#include <mutex>

namespace switchboard::server::detail {

namespace {

// One gathered write: up to 64 frames (headers kept here, payloads shared) in one writev.
struct write_batch {
    static constexpr std::size_t max_frames = 64;
    static constexpr std::size_t max_bytes = 256 * 1024;
    write_batch() {
        headers.reserve(max_frames);
        bufs.reserve(2 * max_frames);
        keep.reserve(max_frames);
    }
    void raw(std::shared_ptr<const std::string> d) {
        bytes += d->size();
        bufs.emplace_back(asio::buffer(*d));
        keep.push_back(std::move(d));
    }
    void frame(protocol::ws::opcode op, std::shared_ptr<const std::string> d) {
        auto& h = headers.emplace_back();
        auto n = protocol::ws::encode_header(op, d->size(), h.data());
        bufs.emplace_back(asio::buffer(h.data(), n));
        bytes += n + d->size();
        if (!d->empty()) bufs.emplace_back(asio::buffer(*d));
        keep.push_back(std::move(d));
    }
    bool full() const noexcept { return keep.size() >= max_frames || bytes >= max_bytes; }
    std::vector<std::array<std::uint8_t, 10>> headers;
    std::vector<asio::const_buffer> bufs;
    std::vector<std::shared_ptr<const std::string>> keep;
    std::size_t bytes = 0;
    bool has_close = false;
};

const std::shared_ptr<const std::string>& normal_close_frame() {
    static const auto f =
        std::make_shared<const std::string>(protocol::ws::close_frame(protocol::ws::close_code::normal));
    return f;
}

void close_socket(ws_conn& c) {
    error_code ignored;
    c.sock.shutdown(tcp::socket::shutdown_both, ignored);
    c.sock.close(ignored);
    if (c.linger) c.linger->cancel();
}

}  // namespace

using protocol::engine_action_kind;
using protocol::engine_type;

engine_session::engine_session(server::impl& srv, executor_t ex, std::string sid,
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
    // A deadline that moved later leaves the timer as it is: it fires early, finds nothing due and
    // arms again (the write deadline moves at every completed write; this saves a rearm each).
    if (d == armed_ || (armed_ != protocol::no_deadline && d > armed_ && d != protocol::no_deadline)) return;
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
                    // A peer that stopped reading would hold the writer (and the close) forever;
                    // its reader may have ended already (a frame after the close), the write not.
                    timer_.expires_after(std::chrono::seconds(3));
                    timer_.async_wait([conn = ws_](error_code ec) {
                        if (!ec) close_socket(*conn);
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
    if (fsm_.closed() || slow_) return admission::closed;
    if (queue_.size() + packets <= srv_.opts.max_queue_packets &&
        queued_bytes_ + bytes <= srv_.opts.max_queue_bytes)
        return admission::ok;
    if (is_volatile) {
        srv_.dropped->inc("volatile");
        return admission::dropped;
    }
    if (!slow_) {
        slow_ = true;
        srv_.dropped->inc("slow_consumer");
        log::warn("slow consumer, closing session",
                  {{"sid", sid_}, {"queued", std::to_string(queue_.size())}});
        // Closed from its own handler: a send never calls back into the app (the sender may be
        // another session's handler, holding the broadcast's ordering lock).
        asio::post(ex_, [self = shared_from_this()] { self->close(protocol::errc::slow_consumer); });
    }
    return admission::closed;
}

bool engine_session::send(out_item item, bool is_volatile) {
    auto a = admit(1, item.data->size(), is_volatile);
    if (a != admission::ok) return a == admission::dropped;
    queued_bytes_ += item.data->size();
    queue_.push_back(std::move(item));
    srv_.queued_packets.fetch_add(1, std::memory_order_relaxed);
    schedule_flush();
    note_polling_output();
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
    note_polling_output();
    return true;
}

namespace {
// Inbox locks, striped by session (a mutex per session would cost 40 bytes per connection).
std::mutex& inbox_mutex(const void* session) {
    static std::array<std::mutex, 64> stripes;
    return stripes[(reinterpret_cast<std::uintptr_t>(session) >> 6) % stripes.size()];
}
}  // namespace

void engine_session::deliver(std::shared_ptr<socket_impl> target,
                             std::shared_ptr<const std::vector<out_item>> items, bool is_volatile) {
    if (ex_.running_in_this_thread()) {
        // What other threads delivered before comes first.
        if (inbox_posted_.load(std::memory_order_acquire)) drain_inbox();
        if (target->connected()) send_group(*items, is_volatile);
        return;
    }
    bool post = false;
    {
        std::lock_guard lock(inbox_mutex(this));
        inbox_.push_back({std::move(target), std::move(items), is_volatile});
        post = !inbox_posted_.exchange(true, std::memory_order_acq_rel);
    }
    if (post) asio::post(ex_, [self = shared_from_this()] { self->drain_inbox(); });
}

void engine_session::drain_inbox() {
    std::vector<delivery> batch;
    {
        std::lock_guard lock(inbox_mutex(this));
        batch.swap(inbox_);
        inbox_posted_.store(false, std::memory_order_release);
    }
    for (auto& d : batch)
        if (d.target->connected()) send_group(*d.items, d.is_volatile);
}

void engine_session::schedule_flush() {
    if (ws_) {
        // Written once this round of handlers is done, with whatever else they queue.
        if (ws_->writing || write_queued_) return;  // a write in flight takes the rest when it ends
        write_queued_ = true;
        auto& ctx = static_cast<io_ctx&>(ex_.context());
        ctx.dirty.push_back(shared_from_this());
        if (!ctx.flush_posted) {
            ctx.flush_posted = true;
            asio::post(ex_, [&ctx] { flush_dirty(ctx); });
        }
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

void engine_session::flush_dirty(io_ctx& ctx) {
    ctx.flush_posted = false;
    std::swap(ctx.dirty, ctx.flushing);
    for (auto& s : ctx.flushing) {
        s->write_queued_ = false;
        if (s->ws_) s->write_now(s->ws_);
    }
    ctx.flushing.clear();
}

void engine_session::write_now(const std::shared_ptr<ws_conn>& conn) {
    constexpr std::size_t max_frames = 64;
    constexpr std::size_t max_bytes = 256 * 1024;
    while (!queue_.empty()) {
        if (conn->writing || conn->dead || conn->closing || !conn->raw_out.empty() || conn->pong ||
            !conn->probe_out.empty())
            return pump(conn);
        std::array<std::array<std::uint8_t, 10>, max_frames> headers;
        std::array<iovec, 2 * max_frames> iov;
        std::array<std::size_t, max_frames> header_len;
        std::size_t n_iov = 0, frames = 0, total = 0;
        for (std::size_t n = std::min(queue_.size(), max_frames); frames < n && total < max_bytes; ++frames) {
            const auto& item = queue_.at(frames);
            auto op = item.binary ? protocol::ws::opcode::binary : protocol::ws::opcode::text;
            auto hn = protocol::ws::encode_header(op, item.data->size(), headers[frames].data());
            header_len[frames] = hn;
            iov[n_iov++] = {headers[frames].data(), hn};
            if (!item.data->empty()) iov[n_iov++] = {const_cast<char*>(item.data->data()), item.data->size()};
            total += hn + item.data->size();
        }
        msghdr mh{};
        mh.msg_iov = iov.data();
        mh.msg_iovlen = n_iov;
        auto w = ::sendmsg(conn->sock.native_handle(), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w <= 0) return pump(conn);  // a full socket buffer or an error: the asynchronous path
        srv_.bytes_out->inc(static_cast<std::size_t>(w));
        fsm_.on_write_progress(0, false);
        // Frames written whole leave the queue; what is left of one cut short is written first.
        auto left = static_cast<std::size_t>(w);
        std::size_t done = 0;
        for (; done < frames; ++done) {
            const auto& data = *queue_.front().data;
            auto hn = header_len[done];
            if (left < hn + data.size()) {
                if (left > 0) {
                    std::string rest;
                    if (left < hn)
                        rest.assign(reinterpret_cast<const char*>(headers[done].data()) + left, hn - left);
                    rest.append(data, left > hn ? left - hn : 0);
                    conn->raw_out.push_back(std::make_shared<const std::string>(std::move(rest)));
                    queued_bytes_ -= data.size();
                    queue_.pop_front();
                    ++done;
                }
                break;
            }
            left -= hn + data.size();
            queued_bytes_ -= data.size();
            queue_.pop_front();
        }
        srv_.queued_packets.fetch_sub(static_cast<std::int64_t>(done), std::memory_order_relaxed);
        if (static_cast<std::size_t>(w) < total) return pump(conn);
    }
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

void engine_session::note_polling_output() {
    // Polling: output with no GET to carry it is blocked until the client polls again.
    if (ws_ || poll_ || fsm_.closed()) return;
    fsm_.on_write_progress(now_ms(), true);
    rearm();
}

void engine_session::complete_poll(error_code ec, std::string body) {
    fsm_.on_write_progress(0, false);
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
        if (p.type == engine_type::close && !poll_ && !srv_.workers.empty()) {
            // A client's close with no poll pending yet: with several I/O threads, the GET the
            // client sent just before this POST may be a few microseconds behind on another
            // thread. Closing a moment later lets it attach and get its answer ("6"), as a
            // one-threaded server (and Node) would give it.
            auto t = std::make_shared<asio::steady_timer>(ex_, std::chrono::milliseconds(20));
            t->async_wait([self = shared_from_this(), t, p = std::move(p)](error_code) mutable {
                if (self->fsm_.closed()) return;
                self->actions_.clear();
                self->fsm_.on_packet(now_ms(), std::move(p), false, self->actions_);
                self->process(self->actions_);
            });
            break;
        }
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

// The writer of a WebSocket: one async_write in flight, gathering every queued frame (up to 64)
// into it; started again by its own completion or by whoever queues.
void engine_session::pump(const std::shared_ptr<ws_conn>& conn) {
    if (conn->writing) return;
    if (conn->dead) return writer_done(conn);
    auto batch = std::make_unique<write_batch>();
    while (!conn->raw_out.empty() && !batch->full()) {
        batch->raw(std::move(conn->raw_out.front()));
        conn->raw_out.pop_front();
    }
    if (conn->pong) batch->raw(std::move(conn->pong));
    while (!conn->probe_out.empty() && !batch->full()) {
        batch->frame(protocol::ws::opcode::text, std::move(conn->probe_out.front()));
        conn->probe_out.pop_front();
    }
    if (conn == ws_) {
        std::size_t taken = 0;
        while (!queue_.empty() && !batch->full()) {
            auto& item = queue_.front();
            queued_bytes_ -= item.data->size();
            batch->frame(item.binary ? protocol::ws::opcode::binary : protocol::ws::opcode::text,
                         std::move(item.data));
            queue_.pop_front();
            ++taken;
        }
        if (taken) srv_.queued_packets.fetch_sub(taken, std::memory_order_relaxed);
    }
    if (batch->keep.empty()) {
        if (!conn->closing || conn->close_sent) return;  // idle
        conn->close_sent = true;
        batch->raw(normal_close_frame());
        batch->has_close = true;
    }
    conn->writing = true;
    if (conn == ws_) {
        // No progress from now: past PING_TIMEOUT without any, the machine closes the session.
        fsm_.on_write_progress(now_ms(), true);
        rearm();
    }
    auto& bufs = batch->bufs;
    // Each partial write is progress (a slow reader that keeps reading is not a stalled one). Asio
    // asks this only between partial writes, never after a write that took everything: no cost on
    // the usual path.
    // (Raw pointers: the completion handler below owns the session and the connection meanwhile.)
    auto progress = [this, c = conn.get()](const error_code& ec, std::size_t n) -> std::size_t {
        if (ec) return 0;
        if (n > 0 && c == ws_.get()) {
            fsm_.on_write_progress(0, false);
            fsm_.on_write_progress(now_ms(), true);
        }
        return 65536;
    };
    asio::async_write(
        conn->sock, bufs, std::move(progress),
        [self = shared_from_this(), conn, batch = std::move(batch)](error_code ec, std::size_t n) {
            conn->writing = false;
            if (conn == self->ws_) self->fsm_.on_write_progress(0, false);
            if (ec || conn->dead) {
                close_socket(*conn);
                conn->dead = true;
                return self->writer_done(conn);
            }
            self->srv_.bytes_out->inc(n);
            if (batch->has_close) {
                // Our close frame is out: no more data from us; the peer answers with
                // its close frame (the reader then ends) or is cut off after 5 s.
                error_code ignored;
                conn->sock.shutdown(tcp::socket::shutdown_send, ignored);
                conn->linger = std::make_unique<asio::steady_timer>(self->ex_, std::chrono::seconds(5));
                conn->linger->async_wait([conn](error_code e) {
                    if (!e) close_socket(*conn);
                });
                return;
            }
            self->pump(conn);
        });
}

void engine_session::writer_done(const std::shared_ptr<ws_conn>& conn) {
    if (conn == ws_) clear_queue();
}

void engine_session::on_ws_closed(const std::shared_ptr<ws_conn>& conn) {
    conn->dead = true;
    if (!conn->writing) close_socket(*conn);  // else the write's completion closes it
    pump(conn);
    actions_.clear();
    if (conn == ws_) {
        fsm_.on_transport_closed(false, protocol::errc::transport_close, actions_);
    } else if (conn == ws_probe_) {
        fsm_.on_transport_closed(true, protocol::errc::transport_close, actions_);
    }
    process(actions_);
}

void engine_session::send_ws_close(const std::shared_ptr<ws_conn>& conn, std::uint16_t code) {
    if (conn->close_sent) return;
    conn->close_sent = true;
    conn->raw_out.push_back(std::make_shared<const std::string>(protocol::ws::close_frame(code)));
    pump(conn);
}

void engine_session::start_websocket(std::shared_ptr<ws_conn> conn, bool probe, std::string early) {
    if (probe)
        ws_probe_ = conn;
    else
        ws_ = conn;
    pump(conn);
    if (!early.empty()) {
        std::vector<protocol::ws::frame_event> events;
        if (!feed_ws(conn, early, events)) return;
    }
    read_ws(conn);
}

bool engine_session::feed_ws(const std::shared_ptr<ws_conn>& conn, std::string_view bytes,
                             std::vector<protocol::ws::frame_event>& events) {
    srv_.bytes_in->inc(bytes.size());
    events.clear();
    auto violation = conn->dec.feed(bytes, events);
    for (auto& e : events)
        if (!on_ws_frame(conn, e)) {
            on_ws_closed(conn);
            return false;
        }
    if (violation) {
        if (*violation == protocol::ws::close_code::too_big) srv_.dropped->inc("payload_too_large");
        send_ws_close(conn, *violation);
        on_ws_closed(conn);
        return false;
    }
    return true;
}

// Waits until the socket has data, then reads what is there through a per-thread buffer: an idle
// connection holds no read buffer and no coroutine frame.
void engine_session::read_ws(const std::shared_ptr<ws_conn>& conn) {
    conn->sock.async_wait(tcp::socket::wait_read, [self = shared_from_this(), conn](error_code ec) {
        if (ec || conn->dead) return self->on_ws_closed(conn);
        static thread_local std::array<char, 64 * 1024> buf;
        std::vector<protocol::ws::frame_event> events;
        for (;;) {
            // MSG_DONTWAIT: no switch of the socket to user-level non-blocking mode (an ioctl).
            auto got = ::recv(conn->sock.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (got <= 0) return self->on_ws_closed(conn);  // EOF or reset
            auto n = static_cast<std::size_t>(got);
            if (!self->feed_ws(conn, std::string_view(buf.data(), n), events)) return;
            if (n < buf.size()) break;
        }
        if (conn->dec.idle()) conn->dec.shrink();
        self->read_ws(conn);
    });
}

bool engine_session::on_ws_frame(const std::shared_ptr<ws_conn>& conn, protocol::ws::frame_event& e) {
    using kind = protocol::ws::frame_event::kind;
    switch (e.type) {
        case kind::ping:
            // Replaces a pong not written yet: a ping flood from a peer that does not read costs
            // one frame, not one per ping.
            conn->pong = std::make_shared<const std::string>(
                protocol::ws::encode_frame(protocol::ws::opcode::pong, e.data));
            pump(conn);
            return true;
        case kind::pong:
            return true;
        case kind::close:
            send_ws_close(conn, e.code == 1005 ? protocol::ws::close_code::normal : e.code);
            return false;
        case kind::text:
        case kind::binary:
            break;
    }
    if (fsm_.closed() || conn->closing) return false;
    bool from_probe = conn != ws_;
    actions_.clear();
    auto p = protocol::decode_engine_message(std::move(e.data), e.type == kind::binary);
    if (!p) {
        // A bad probe only ends the upgrade (on_ws_closed); a bad packet ends the session.
        if (!from_probe) close(protocol::errc::invalid_packet);
        return false;
    }
    fsm_.on_packet(now_ms(), std::move(*p), from_probe, actions_);
    process(actions_);
    return true;
}

}  // namespace switchboard::server::detail
