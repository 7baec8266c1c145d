// The long-polling transport of an Engine.IO session: the pending GET, POSTed payloads, and the
// write deadline of output no GET carries yet.
#include "../server_impl.hpp"

namespace switchboard::server::detail {

void engine_session::flush() {
    if (poll_ && !queue_.empty() && !ws_) complete_poll({}, drain_payload());
}

std::string engine_session::drain_payload() {
    std::string body;
    queue_.for_each([&](const out_item& item) { protocol::append_payload(body, *item.data, item.binary); });
    queue_.clear();
    return body;
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
        if (p.type == protocol::engine_type::close && !poll_ && srv_.threads() > 1) {
            close_after_post(std::move(p));
            break;
        }
        actions_.clear();
        fsm_.on_packet(now, std::move(p), false, actions_);
        process(actions_);
    }
    answer({});
}

void engine_session::close_after_post(protocol::engine_packet p) {
    // A client's close with no poll pending yet: with several I/O threads, the GET the client sent
    // just before this POST may be a few microseconds behind on another thread. Closing a moment
    // later lets it attach and get its answer ("6"), as a one-threaded server (and Node) would give it.
    auto t = std::make_shared<asio::steady_timer>(ex_, std::chrono::milliseconds(20));
    t->async_wait([self = shared_from_this(), t, p = std::move(p)](error_code) mutable {
        if (self->fsm_.closed()) return;
        self->actions_.clear();
        self->fsm_.on_packet(now_ms(), std::move(p), false, self->actions_);
        self->process(self->actions_);
    });
}

}  // namespace switchboard::server::detail
