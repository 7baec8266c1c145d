#pragma once
// basic_ws_connection's definitions: included by ws_connection.cpp (plain TCP) and by tests that
// instantiate it over their own stream.
#include "ws_connection.hpp"

#include <boost/asio/buffer.hpp>

namespace switchboard::server::detail {

// One gathered asynchronous write: up to 64 frames (headers kept here, payloads shared).
template <class Stream>
struct basic_ws_connection<Stream>::write_batch {
    write_batch() {
        headers.reserve(ws_write_limits::max_frames);
        bufs.reserve(2 * ws_write_limits::max_frames);
        keep.reserve(ws_write_limits::max_frames);
    }
    void raw(std::shared_ptr<const std::string> d) {
        bytes += d->size();
        bufs.emplace_back(boost::asio::buffer(*d));
        keep.push_back(std::move(d));
    }
    void frame(protocol::ws::opcode op, std::shared_ptr<const std::string> d, bool deflated = false) {
        auto& h = headers.emplace_back();
        auto n = protocol::ws::encode_header(op, d->size(), h.data(), deflated);
        bufs.emplace_back(boost::asio::buffer(h.data(), n));
        bytes += n + d->size();
        if (!d->empty()) bufs.emplace_back(boost::asio::buffer(*d));
        keep.push_back(std::move(d));
    }
    bool full() const noexcept {
        return keep.size() >= ws_write_limits::max_frames || bytes >= ws_write_limits::max_bytes;
    }
    std::vector<std::array<std::uint8_t, 10>> headers;
    std::vector<boost::asio::const_buffer> bufs;
    std::vector<std::shared_ptr<const std::string>> keep;
    std::size_t bytes = 0;
    bool has_close = false;
};

template <class Stream>
void basic_ws_connection<Stream>::start(std::shared_ptr<ws_handler> h, std::string_view early) {
    handler_ = std::move(h);
    pump();
    if (!early.empty()) {
        std::vector<protocol::ws::frame_event> events;
        if (!feed(early, events)) return;
    }
    read();
}

template <class Stream>
void basic_ws_connection<Stream>::send_control(std::shared_ptr<const std::string> text) {
    control_.push_back(std::move(text));
    pump();
}

template <class Stream>
void basic_ws_connection<Stream>::schedule_write(io_ctx& ctx) {
    // A write in flight takes the rest when it ends.
    if (writing_ || write_queued_) return;
    write_queued_ = true;
    ctx.defer_write(this->shared_from_this());
}

template <class Stream>
void basic_ws_connection<Stream>::write_now() {
    constexpr std::size_t max_frames = ws_write_limits::max_frames;
    while (queue_ && !queue_->empty()) {
        if (writing_ || dead_ || closing_ || !raw_out_.empty() || pong_ || !control_.empty()) return pump();
        std::uint8_t headers[max_frames][10];
        std::array<iovec, 2 * max_frames> iov;
        std::array<std::size_t, max_frames> header_len;
        std::size_t n_iov = 0, frames = 0, total = 0;
        if (deflate_.on) deflate_.prepare(*queue_, max_frames);
        for (std::size_t n = std::min(queue_->size(), max_frames);
             frames < n && total < ws_write_limits::max_bytes; ++frames) {
            const auto& item = queue_->at(frames);
            auto op = item.binary ? protocol::ws::opcode::binary : protocol::ws::opcode::text;
            auto hn = protocol::ws::encode_header(op, item.data->size(), headers[frames], item.deflated);
            header_len[frames] = hn;
            iov[n_iov++] = {headers[frames], hn};
            if (!item.data->empty()) iov[n_iov++] = {const_cast<char*>(item.data->data()), item.data->size()};
            total += hn + item.data->size();
        }
        auto r = stream_.try_write(iov.data(), n_iov);
        if (r.ec || r.n == 0) return pump();  // a full socket buffer or an error: the asynchronous path
        stats_->bytes_out->inc(r.n);
        handler_->on_ws_write(ws_write::done);
        queue_->note_taken(take_written(r.n, frames, headers, header_len.data()));
        if (r.n < total) return pump();
    }
}

template <class Stream>
std::size_t basic_ws_connection<Stream>::take_written(std::size_t written, std::size_t frames,
                                                      const std::uint8_t (*headers)[10],
                                                      const std::size_t* header_len) {
    // Frames written whole leave the queue; what is left of one cut short is written first.
    std::size_t done = 0;
    for (; done < frames; ++done) {
        const auto& data = *queue_->front().data;
        auto hn = header_len[done];
        if (written < hn + data.size()) {
            if (written > 0) {
                std::string rest;
                if (written < hn)
                    rest.assign(reinterpret_cast<const char*>(headers[done]) + written, hn - written);
                rest.append(data, written > hn ? written - hn : 0);
                raw_out_.push_back(std::make_shared<const std::string>(std::move(rest)));
                queue_->pop_front();
                ++done;
            }
            break;
        }
        written -= hn + data.size();
        queue_->pop_front();
    }
    return done;
}

// The asynchronous tail: one async_write in flight, gathering every queued frame (up to 64);
// started again by its own completion or by whoever queues.
template <class Stream>
void basic_ws_connection<Stream>::pump() {
    if (writing_) return;
    if (dead_) return writer_done();
    auto batch = std::make_unique<write_batch>();
    while (!raw_out_.empty() && !batch->full()) {
        batch->raw(std::move(raw_out_.front()));
        raw_out_.pop_front();
    }
    if (pong_) batch->raw(std::move(pong_));
    while (!control_.empty() && !batch->full()) {
        batch->frame(protocol::ws::opcode::text, std::move(control_.front()));
        control_.pop_front();
    }
    if (queue_) {
        std::size_t taken = 0;
        if (deflate_.on) deflate_.prepare(*queue_, ws_write_limits::max_frames);
        while (!queue_->empty() && !batch->full()) {
            auto item = queue_->take_front();
            batch->frame(item.binary ? protocol::ws::opcode::binary : protocol::ws::opcode::text,
                         std::move(item.data), item.deflated);
            ++taken;
        }
        queue_->note_taken(taken);
    }
    if (batch->keep.empty()) {
        if (!closing_ || close_sent_) return;  // idle
        close_sent_ = true;
        batch->raw(std::make_shared<const std::string>(protocol::ws::close_frame(close_code_)));
        batch->has_close = true;
    }
    writing_ = true;
    // No progress from now: past PING_TIMEOUT without any, the machine closes the session.
    if (queue_) handler_->on_ws_write(ws_write::blocked);
    auto& bufs = batch->bufs;
    // Each partial write is progress (a slow reader that keeps reading is not a stalled one). Asio
    // asks this only between partial writes, never after a write that took everything: no cost on
    // the usual path. (A raw `this`: the completion handler owns the connection meanwhile.)
    auto progress = [this](const boost::system::error_code& ec, std::size_t n) -> std::size_t {
        if (ec) return 0;
        if (n > 0 && queue_) handler_->on_ws_write(ws_write::progress);
        return 65536;
    };
    stream_.async_write(
        bufs, std::move(progress),
        [self = this->shared_from_this(), batch = std::move(batch)](
            boost::system::error_code ec, std::size_t n) { self->on_written(ec, n, batch->has_close); });
}

template <class Stream>
void basic_ws_connection<Stream>::on_written(boost::system::error_code ec, std::size_t n, bool had_close) {
    writing_ = false;
    if (queue_) handler_->on_ws_write(ws_write::done);
    if (ec || dead_) {
        close_socket();
        dead_ = true;
        writer_done();
        return maybe_release();
    }
    stats_->bytes_out->inc(n);
    if (had_close) {
        // Our close frame is out: no more data from us; the peer answers with its close frame
        // (the reader then ends) or is cut off after 5 s.
        stream_.shutdown_send();
        if (!linger_) arm_linger(std::chrono::seconds(5));
        return;
    }
    pump();
}

template <class Stream>
void basic_ws_connection<Stream>::writer_done() {
    if (queue_) queue_->clear();
}

template <class Stream>
void basic_ws_connection<Stream>::close(std::uint16_t code, std::optional<std::chrono::milliseconds> cut) {
    if (!closing_) close_code_ = code;
    closing_ = true;
    // A peer that stopped reading would hold the writer (and the close) forever; its reader may
    // have ended already (a frame after the close), the write not.
    if (cut && !linger_ && !dead_) arm_linger(*cut);
    pump();
}

template <class Stream>
void basic_ws_connection<Stream>::arm_linger(std::chrono::milliseconds after) {
    linger_ = std::make_unique<boost::asio::steady_timer>(stream_.get_executor(), after);
    linger_->async_wait([self = this->shared_from_this()](boost::system::error_code e) {
        if (!e) self->close_socket();
    });
}

template <class Stream>
void basic_ws_connection<Stream>::send_close(std::uint16_t code) {
    if (close_sent_) return;
    close_sent_ = true;
    raw_out_.push_back(std::make_shared<const std::string>(protocol::ws::close_frame(code)));
    pump();
}

template <class Stream>
void basic_ws_connection<Stream>::close_socket() noexcept {
    stream_.close();
    if (linger_) linger_->cancel();
}

// Waits until the stream has data, then reads what is there through the per-thread buffer: an
// idle connection holds no read buffer and no coroutine frame.
template <class Stream>
void basic_ws_connection<Stream>::read() {
    stream_.async_wait_readable(
        [self = this->shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

template <class Stream>
void basic_ws_connection<Stream>::on_readable(boost::system::error_code ec) {
    if (ec || dead_) return finish_reading();
    auto& buf = ws_read_buffer();
    std::vector<protocol::ws::frame_event> events;
    for (;;) {
        auto r = stream_.try_read(buf.data(), buf.size());
        if (r.would_block()) break;
        if (r.ec || r.n == 0) return finish_reading();  // EOF or reset
        if (!feed(std::string_view(buf.data(), r.n), events)) return;
        if (r.n < buf.size()) break;
    }
    if (dec_.idle()) dec_.shrink();
    read();
}

template <class Stream>
bool basic_ws_connection<Stream>::feed(std::string_view bytes,
                                       std::vector<protocol::ws::frame_event>& events) {
    stats_->bytes_in->inc(bytes.size());
    events.clear();
    auto violation = dec_.feed(bytes, events);
    for (auto& e : events)
        if (!on_frame(e)) {
            finish_reading();
            return false;
        }
    if (violation) {
        if (*violation == protocol::ws::close_code::too_big) stats_->too_large->inc();
        send_close(*violation);
        finish_reading();
        return false;
    }
    return true;
}

template <class Stream>
bool basic_ws_connection<Stream>::on_frame(protocol::ws::frame_event& e) {
    using kind = protocol::ws::frame_event::kind;
    switch (e.type) {
        case kind::ping:
            // Replaces a pong not written yet: a ping flood from a peer that does not read costs
            // one frame, not one per ping.
            pong_ = std::make_shared<const std::string>(
                protocol::ws::encode_frame(protocol::ws::opcode::pong, e.data));
            pump();
            return true;
        case kind::pong:
            if (handler_ && role_ != ws_role::detached) handler_->on_ws_pong();
            return true;
        case kind::close:
            send_close(e.code == 1005 ? protocol::ws::close_code::normal : e.code);
            return false;
        case kind::text:
        case kind::binary:
            break;
    }
    if (closing_ || role_ == ws_role::detached || !handler_) return false;
    return handler_->on_ws_message(role_, std::move(e.data), e.type == kind::binary);
}

template <class Stream>
void basic_ws_connection<Stream>::finish_reading() {
    dead_ = true;
    if (!writing_) close_socket();  // else the write's completion closes it
    pump();
    if (handler_ && role_ != ws_role::detached) handler_->on_ws_closed(role_);
    maybe_release();
}

template <class Stream>
void basic_ws_connection<Stream>::maybe_release() noexcept {
    // Read and write ended: the handler (which holds this connection) may go.
    if (!dead_ || writing_) return;
    queue_ = nullptr;
    handler_.reset();
}

}  // namespace switchboard::server::detail
