#pragma once
// The Socket.IO client of one Engine.IO session (Node's Client) as a sans-io machine: the
// namespaces joined and connecting, the connect timeout, the ids of the acks we wait for and their
// deadlines, and what each packet from the client means. It owns no socket and no clock: every
// input that depends on time carries `now` (monotonic milliseconds); the shell runs the actions
// and arms a timer at next_deadline().
#include <switchboard/protocol/engine_fsm.hpp>
#include <switchboard/protocol/errc.hpp>
#include <switchboard/protocol/sio_packet.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::protocol {

enum class sio_action_kind : std::uint8_t {
    connect,          // CONNECT to `nsp` (neither joined nor connecting): admit, then connect_done()
    event,            // an EVENT for joined `nsp` (`packet`)
    ack,              // the client answered our ack `id` in `nsp` (`packet`: its arguments)
    ack_timeout,      // our ack `id` in `nsp` got no answer before its deadline
    ack_failed,       // our ack `id` in `nsp` can no longer be answered (the namespace was left)
    disconnect,       // the client left `nsp` (DISCONNECT)
    attached,         // the session joined a namespace: the connect timeout no longer applies
    detached,         // it left its last namespace: it must join one within the connect timeout
    connect_timeout,  // no namespace joined in time: close the session
    close,            // the session must close for `reason` (an invalid packet)
};

struct sio_action {
    sio_action_kind kind;
    std::string nsp;
    std::uint64_t id = 0;
    errc reason{};
    sio_packet packet;
};

using sio_actions = std::vector<sio_action>;

class sio_fsm {
public:
    // `connect_timeout_ms` 0: none. The session starts in no namespace, so the deadline runs.
    sio_fsm(std::uint32_t connect_timeout_ms, millis now, sio_limits limits = {});

    // An Engine.IO message from the client (text, or a binary attachment).
    void on_message(millis now, std::string_view data, bool binary, sio_actions& out);
    // The shell decided a `connect` action: admitted (joined) or refused (not joined).
    void connect_done(millis now, std::string_view nsp, bool admitted, sio_actions& out);
    // The server made the socket of `nsp` leave (server-side disconnect).
    void leave(millis now, std::string_view nsp, sio_actions& out);
    // The Engine.IO session closed: every pending ack fails, every namespace is left.
    void on_close(sio_actions& out);

    // An emit with ack in joined `nsp`: its id (per namespace, from 0), answered or expired later.
    std::uint64_t add_ack(millis now, std::string_view nsp, millis timeout_ms);
    // Acts on every deadline that has passed (acks, then the connect timeout).
    void expire(millis now, sio_actions& out);

    millis next_deadline() const noexcept;
    millis connect_deadline() const noexcept { return connect_deadline_; }
    bool joined(std::string_view nsp) const noexcept;
    bool connecting(std::string_view nsp) const noexcept;
    std::size_t pending_acks() const noexcept { return acks_.size(); }

private:
    struct space {
        std::string nsp;
        bool connected = false;  // false: connecting
        std::uint64_t next_ack = 0;
    };
    struct pending_ack {
        std::string nsp;
        std::uint64_t id;
        millis deadline;
    };
    void dispatch(millis now, sio_packet&& p, sio_actions& out);
    space* find(std::string_view nsp) noexcept;
    const space* find(std::string_view nsp) const noexcept;
    // Removes `nsp`, fails its acks, detaches when no namespace is left.
    void drop(millis now, std::string_view nsp, sio_actions& out);

    std::uint32_t connect_timeout_ms_;
    millis connect_deadline_;
    bool closed_ = false;
    sio_decoder decoder_;
    std::vector<space> spaces_;
    std::vector<pending_ack> acks_;
};

}  // namespace switchboard::protocol
