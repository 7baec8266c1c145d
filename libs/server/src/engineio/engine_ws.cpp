// The WebSocket transport of an Engine.IO session: a ws_connection (transport/) it starts, and the
// messages, closes and write progress that connection reports.
#include "../server_impl.hpp"

namespace switchboard::server::detail {

bool engine_session::begin_upgrade() {
    bool ok = fsm_.begin_upgrade(now_ms());
    rearm();
    return ok;
}

void engine_session::start_websocket(ws_link conn, bool probe, std::string early) {
    if (probe) {
        ws_probe_ = conn;
        conn->set_probe();
    } else {
        ws_ = conn;
        conn->attach(queue_);
    }
    conn->start(shared_from_this(), early);
}

bool engine_session::on_ws_message(ws_role role, std::string&& data, bool binary) {
    if (fsm_.closed()) return false;
    bool from_probe = role != ws_role::main;
    actions_.clear();
    auto p = protocol::decode_engine_message(std::move(data), binary);
    if (!p) {
        // A bad probe only ends the upgrade (on_ws_closed); a bad packet ends the session.
        if (!from_probe) close(protocol::errc::invalid_packet);
        return false;
    }
    fsm_.on_packet(now_ms(), std::move(*p), from_probe, actions_);
    process(actions_);
    return true;
}

void engine_session::on_ws_closed(ws_role role) {
    actions_.clear();
    fsm_.on_transport_closed(role == ws_role::probe, protocol::errc::transport_close, actions_);
    process(actions_);
}

void engine_session::on_ws_write(ws_write state) {
    switch (state) {
        case ws_write::blocked:
            // No progress from now: past PING_TIMEOUT without any, the machine closes the session.
            fsm_.on_write_progress(now_ms(), true);
            rearm();
            break;
        case ws_write::progress:
            fsm_.on_write_progress(0, false);
            fsm_.on_write_progress(now_ms(), true);
            break;
        case ws_write::done:
            fsm_.on_write_progress(0, false);
            break;
    }
}

}  // namespace switchboard::server::detail
