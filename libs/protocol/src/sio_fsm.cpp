#include <switchboard/protocol/sio_fsm.hpp>

#include <algorithm>

namespace switchboard::protocol {

sio_fsm::sio_fsm(std::uint32_t connect_timeout_ms, millis now, sio_limits limits)
    : connect_timeout_ms_(connect_timeout_ms),
      connect_deadline_(connect_timeout_ms ? now + connect_timeout_ms : no_deadline),
      decoder_(limits) {}

sio_fsm::space* sio_fsm::find(std::string_view nsp) noexcept {
    for (auto& s : spaces_)
        if (s.nsp == nsp) return &s;
    return nullptr;
}

const sio_fsm::space* sio_fsm::find(std::string_view nsp) const noexcept {
    for (const auto& s : spaces_)
        if (s.nsp == nsp) return &s;
    return nullptr;
}

bool sio_fsm::joined(std::string_view nsp) const noexcept {
    const auto* s = find(nsp);
    return s && s->connected;
}

bool sio_fsm::connecting(std::string_view nsp) const noexcept {
    const auto* s = find(nsp);
    return s && !s->connected;
}

void sio_fsm::on_message(millis now, std::string_view data, bool binary, sio_actions& out) {
    if (closed_) return;
    auto r = binary ? decoder_.feed_binary(data) : decoder_.feed_text(data);
    if (!r) {
        // Any invalid packet ends the whole connection, as the official suite expects.
        closed_ = true;
        out.push_back({sio_action_kind::close, {}, 0, errc::invalid_packet, {}});
        return;
    }
    if (*r) dispatch(now, decoder_.take(), out);
}

void sio_fsm::dispatch(millis now, sio_packet&& p, sio_actions& out) {
    switch (p.type) {
        case sio_type::connect:
            // A second CONNECT while joined or connecting is ignored, as Node does.
            if (find(p.nsp)) return;
            spaces_.push_back({p.nsp, false, 0});
            out.push_back({sio_action_kind::connect, p.nsp, 0, {}, std::move(p)});
            return;
        case sio_type::disconnect:
            if (!joined(p.nsp)) return;
            out.push_back({sio_action_kind::disconnect, p.nsp, 0, {}, {}});
            drop(now, p.nsp, out);
            return;
        case sio_type::event:
        case sio_type::binary_event:
            if (!joined(p.nsp)) return;  // not in that namespace: ignored
            out.push_back({sio_action_kind::event, p.nsp, 0, {}, std::move(p)});
            return;
        case sio_type::ack:
        case sio_type::binary_ack: {
            if (!p.id || !joined(p.nsp)) return;
            auto it = std::find_if(acks_.begin(), acks_.end(),
                                   [&](const pending_ack& a) { return a.id == *p.id && a.nsp == p.nsp; });
            if (it == acks_.end()) return;  // late or unknown ack: ignored, as Node does
            acks_.erase(it);
            auto nsp = p.nsp;
            auto id = *p.id;
            out.push_back({sio_action_kind::ack, std::move(nsp), id, {}, std::move(p)});
            return;
        }
        case sio_type::connect_error:
            return;  // not for a server
    }
}

void sio_fsm::connect_done(millis, std::string_view nsp, bool admitted, sio_actions& out) {
    auto* s = find(nsp);
    if (!s || s->connected || closed_) return;
    if (!admitted) {
        // Refused: the connect deadline stays where it was.
        std::erase_if(spaces_, [&](const space& x) { return x.nsp == nsp; });
        return;
    }
    s->connected = true;
    connect_deadline_ = no_deadline;
    out.push_back({sio_action_kind::attached, std::string(nsp), 0, {}, {}});
}

void sio_fsm::leave(millis now, std::string_view nsp, sio_actions& out) {
    if (!joined(nsp) || closed_) return;
    drop(now, nsp, out);
}

void sio_fsm::drop(millis now, std::string_view nsp, sio_actions& out) {
    std::erase_if(spaces_, [&](const space& x) { return x.nsp == nsp; });
    for (auto it = acks_.begin(); it != acks_.end();) {
        if (it->nsp != nsp) {
            ++it;
            continue;
        }
        out.push_back({sio_action_kind::ack_failed, it->nsp, it->id, {}, {}});
        it = acks_.erase(it);
    }
    if (spaces_.empty()) {
        // A session in no namespace is held only for the connect timeout.
        if (connect_timeout_ms_) connect_deadline_ = now + connect_timeout_ms_;
        out.push_back({sio_action_kind::detached, std::string(nsp), 0, {}, {}});
    }
}

void sio_fsm::on_close(sio_actions& out) {
    if (closed_ && spaces_.empty() && acks_.empty()) return;
    closed_ = true;
    for (auto& a : acks_)
        out.push_back({sio_action_kind::ack_failed, std::move(a.nsp), a.id, {}, {}});
    acks_.clear();
    spaces_.clear();
    connect_deadline_ = no_deadline;
}

std::uint64_t sio_fsm::add_ack(millis now, std::string_view nsp, millis timeout_ms) {
    auto* s = find(nsp);
    std::uint64_t id = s ? s->next_ack++ : 0;
    acks_.push_back({std::string(nsp), id, now + timeout_ms});
    return id;
}

void sio_fsm::expire(millis now, sio_actions& out) {
    for (auto it = acks_.begin(); it != acks_.end();) {
        if (it->deadline > now) {
            ++it;
            continue;
        }
        out.push_back({sio_action_kind::ack_timeout, std::move(it->nsp), it->id, {}, {}});
        it = acks_.erase(it);
    }
    if (!closed_ && connect_deadline_ <= now) {
        closed_ = true;
        connect_deadline_ = no_deadline;
        out.push_back({sio_action_kind::connect_timeout, {}, 0, errc::connect_timeout, {}});
    }
}

millis sio_fsm::next_deadline() const noexcept {
    millis d = connect_deadline_;
    for (const auto& a : acks_)
        d = std::min(d, a.deadline);
    return d;
}

}  // namespace switchboard::protocol
