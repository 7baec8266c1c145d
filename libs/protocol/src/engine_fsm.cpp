#include <switchboard/common/json_write.hpp>
#include <switchboard/protocol/engine_fsm.hpp>

#include <algorithm>

namespace switchboard::protocol {

engine_fsm::engine_fsm(const engine_options& opts, transport_kind initial, millis now)
    : opts_(opts),
      transport_(initial),
      ping_deadline_(now + opts.ping_interval_ms),
      connect_deadline_(opts.connect_timeout_ms ? now + opts.connect_timeout_ms : no_deadline) {}

std::string engine_fsm::open_payload(std::string_view sid) const {
    std::string s = "{\"sid\":";
    common::json_append_string(s, sid);
    s += transport_ == transport_kind::polling ? ",\"upgrades\":[\"websocket\"]" : ",\"upgrades\":[]";
    s += ",\"pingInterval\":" + std::to_string(opts_.ping_interval_ms);
    s += ",\"pingTimeout\":" + std::to_string(opts_.ping_timeout_ms);
    s += ",\"maxPayload\":" + std::to_string(opts_.max_payload);
    s += '}';
    return s;
}

void engine_fsm::close(errc reason, engine_actions& out) {
    if (closed_) return;
    closed_ = true;
    upgrading_ = false;
    ping_deadline_ = pong_deadline_ = connect_deadline_ = upgrade_deadline_ = noop_deadline_ =
        write_deadline_ = no_deadline;
    out.push_back({engine_action_kind::close, engine_type::close, false, reason, {}});
}

void engine_fsm::abort_upgrade(engine_actions& out) {
    if (!upgrading_) return;
    upgrading_ = false;
    probe_seen_ = false;
    upgrade_deadline_ = noop_deadline_ = no_deadline;
    out.push_back({engine_action_kind::abort_upgrade});
}

void engine_fsm::on_packet(millis now, engine_packet packet, bool from_probe, engine_actions& out) {
    if (closed_) return;
    if (from_probe) {
        if (!upgrading_) return;
        if (packet.type == engine_type::ping && packet.data == "probe" && !probe_seen_) {
            probe_seen_ = true;
            noop_deadline_ = now + opts_.noop_interval_ms;
            out.push_back({engine_action_kind::send_probe, engine_type::pong, false, {}, "probe"});
        } else if (packet.type == engine_type::upgrade && probe_seen_) {
            // A client ends its polls before it sends "5" (the noop release is what ends them), so
            // a poll still pending now was sent after "5" and raced it here: it is refused like any
            // poll after the upgrade.
            if (poll_pending_) {
                poll_pending_ = false;
                out.push_back({engine_action_kind::reject_poll});
            }
            upgrading_ = false;
            probe_seen_ = false;
            upgrade_deadline_ = noop_deadline_ = no_deadline;
            transport_ = transport_kind::websocket;
            out.push_back({engine_action_kind::upgraded});
        } else {
            abort_upgrade(out);
        }
        return;
    }
    switch (packet.type) {
        case engine_type::pong:
            // Only the answer to our ping is a heartbeat: an unsolicited pong would otherwise
            // push the next ping (and the check that the peer reads) away for ever.
            if (!awaiting_pong_) break;
            awaiting_pong_ = false;
            pong_deadline_ = no_deadline;
            ping_deadline_ = now + opts_.ping_interval_ms;
            break;
        case engine_type::message:
            out.push_back({engine_action_kind::deliver,
                           engine_type::message,
                           packet.binary,
                           {},
                           std::move(packet.data)});
            break;
        case engine_type::close:
            close(errc::client_close, out);
            break;
        case engine_type::noop:
            break;
        case engine_type::ping:
            close(errc::invalid_heartbeat_direction, out);
            break;
        case engine_type::open:
        case engine_type::upgrade:
            close(errc::invalid_packet, out);
            break;
    }
}

void engine_fsm::on_tick(millis now, engine_actions& out) {
    if (closed_) return;
    if (now >= connect_deadline_) return close(errc::connect_timeout, out);
    if (awaiting_pong_ && now >= pong_deadline_) return close(errc::ping_timeout, out);
    if (now >= write_deadline_) return close(errc::write_timeout, out);
    if (!awaiting_pong_ && now >= ping_deadline_) {
        awaiting_pong_ = true;
        ping_deadline_ = no_deadline;
        pong_deadline_ = now + opts_.ping_timeout_ms;
        out.push_back({engine_action_kind::send, engine_type::ping});
    }
    if (upgrading_ && now >= upgrade_deadline_) {
        abort_upgrade(out);
    } else if (upgrading_ && now >= noop_deadline_) {
        noop_deadline_ = now + opts_.noop_interval_ms;
        out.push_back({engine_action_kind::release_poll, engine_type::noop});
    }
}

void engine_fsm::on_transport_closed(bool probe, errc why, engine_actions& out) {
    if (closed_) return;
    if (probe) {
        abort_upgrade(out);
        return;
    }
    close(why, out);
}

poll_verdict engine_fsm::on_poll_get(engine_actions& out) {
    if (closed_ || transport_ != transport_kind::polling) return poll_verdict::reject;
    if (poll_pending_) {
        close(errc::duplicate_poll, out);
        return poll_verdict::close;
    }
    poll_pending_ = true;
    return poll_verdict::ok;
}

poll_verdict engine_fsm::on_post() const noexcept {
    if (closed_ || transport_ != transport_kind::polling) return poll_verdict::reject;
    return poll_verdict::ok;
}

bool engine_fsm::begin_upgrade(millis now) {
    if (closed_ || upgrading_ || transport_ != transport_kind::polling) return false;
    upgrading_ = true;
    probe_seen_ = false;
    upgrade_deadline_ = now + opts_.upgrade_timeout_ms;
    return true;
}

millis engine_fsm::next_deadline() const noexcept {
    if (closed_) return no_deadline;
    return std::min({awaiting_pong_ ? pong_deadline_ : ping_deadline_, connect_deadline_, upgrade_deadline_,
                     noop_deadline_, write_deadline_});
}

}  // namespace switchboard::protocol
