#pragma once
// The Engine.IO v4 server session as a sans-io machine: handshake, heartbeat, polling GET/POST
// rules, the upgrade probe, the Socket.IO connect timeout. It owns no socket and no clock: every
// input carries `now` (monotonic milliseconds) and the shell arms one timer at next_deadline().
#include <switchboard/protocol/engine_packet.hpp>
#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/errc.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::protocol {

using millis = std::int64_t;
constexpr millis no_deadline = std::numeric_limits<millis>::max();

struct engine_options {
    std::uint32_t ping_interval_ms = 25000;
    std::uint32_t ping_timeout_ms = 20000;
    std::size_t max_payload = 1'000'000;
    std::uint32_t connect_timeout_ms = 10000;  // 0: no Socket.IO connect timeout
    std::uint32_t upgrade_timeout_ms = 10000;
    std::uint32_t noop_interval_ms = 100;  // pending poll released this long after the probe, then again
};

enum class engine_action_kind : std::uint8_t {
    send,           // queue `type`+`data` for the client on the current transport
    send_probe,     // write `type`+`data` on the upgrading WebSocket only
    deliver,        // a message for the Socket.IO layer (`data`, `binary`)
    release_poll,   // answer a pending poll GET with a noop, if one is pending
    reject_poll,    // answer the pending poll GET as a poll after the upgrade (HTTP 400)
    upgraded,       // the WebSocket is now the transport: move the queue there, end polling
    abort_upgrade,  // close the upgrading WebSocket; the session stays on polling
    close,          // the session ends for `reason`
};

struct engine_action {
    engine_action_kind kind;
    engine_type type = engine_type::noop;
    bool binary = false;
    errc reason{};  // for close
    std::string data;

    friend bool operator==(const engine_action&, const engine_action&) = default;
};

using engine_actions = std::vector<engine_action>;

enum class poll_verdict : std::uint8_t { ok, reject, close };

class engine_fsm {
public:
    engine_fsm(const engine_options& opts, transport_kind initial, millis now);

    // Data of the open packet ('0' + this): {"sid","upgrades","pingInterval","pingTimeout","maxPayload"}.
    std::string open_payload(std::string_view sid) const;

    // A packet from the client. `from_probe`: it came on the WebSocket that is upgrading.
    void on_packet(millis now, engine_packet packet, bool from_probe, engine_actions& out);
    // The shell's timer fired (or any time): acts on every deadline that has passed.
    void on_tick(millis now, engine_actions& out);
    // The transport (or the probe WebSocket) closed or failed.
    void on_transport_closed(bool probe, errc why, engine_actions& out);
    // Server-side close.
    void close(errc reason, engine_actions& out);

    // Polling: a GET arrives (ok: it is now the pending poll), the pending GET was answered,
    // a POST arrives.
    poll_verdict on_poll_get(engine_actions& out);
    void on_poll_done() noexcept { poll_pending_ = false; }
    poll_verdict on_post() const noexcept;
    // A WebSocket with this session's sid wants to upgrade it.
    bool begin_upgrade(millis now);

    // The Socket.IO layer joined a namespace: the connect timeout no longer applies.
    void mark_attached() noexcept { connect_deadline_ = no_deadline; }
    // It left its last namespace: the session must join one again within the connect timeout.
    void mark_detached(millis now) noexcept {
        if (!closed_ && opts_.connect_timeout_ms) connect_deadline_ = now + opts_.connect_timeout_ms;
    }

    // The shell's writer: `blocked` while output waits for a transport that takes none of it (a
    // write in flight that has not completed), false once a write completes or nothing waits. A
    // session blocked for ping_timeout closes with write_timeout: a peer that stops reading cannot
    // hold our output (and its socket) for longer, whatever pongs it sends.
    void on_write_progress(millis now, bool blocked) noexcept {
        if (!blocked)
            write_deadline_ = no_deadline;
        else if (write_deadline_ == no_deadline && !closed_)
            write_deadline_ = now + opts_.ping_timeout_ms;
    }

    millis next_deadline() const noexcept;
    bool closed() const noexcept { return closed_; }
    bool upgrading() const noexcept { return upgrading_; }
    bool poll_pending() const noexcept { return poll_pending_; }
    transport_kind transport() const noexcept { return transport_; }

private:
    void abort_upgrade(engine_actions& out);

    engine_options opts_;
    transport_kind transport_;
    bool closed_ = false;
    bool upgrading_ = false;
    bool probe_seen_ = false;
    bool poll_pending_ = false;
    bool awaiting_pong_ = false;
    millis ping_deadline_;
    millis pong_deadline_ = no_deadline;
    millis connect_deadline_;
    millis upgrade_deadline_ = no_deadline;
    millis noop_deadline_ = no_deadline;
    millis write_deadline_ = no_deadline;
};

}  // namespace switchboard::protocol
