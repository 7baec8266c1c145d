#pragma once
// The Socket.IO layer of one Engine.IO session (Node's Client): the shell of protocol::sio_fsm.
// The machine decides (namespaces, connect timeout, ack ids and deadlines, what each packet
// means); this shell runs its actions: sockets, the app's hooks and handlers, the ack callbacks
// and one ack timer (created on the first emit with ack). The connect deadline is enforced by the
// Engine.IO session's timer (attached / detached), so an idle session has no second timer.
#include "socket.hpp"

#include <switchboard/protocol/sio_fsm.hpp>

namespace switchboard::server::detail {

class sio_client final : public engine_handler {
public:
    explicit sio_client(engine_session& s);
    void on_message(std::string&& data, bool binary) override;
    void on_close(protocol::errc reason) override;
    void on_upgraded() override;
    // The server made `s` leave its namespace: its pending acks fail, the session may detach.
    void remove(const socket_impl& s);
    void finish_connect(const std::shared_ptr<socket_impl>& s, std::optional<connect_error> err);
    // After admission: the kept session of the CONNECT's {pid, offset} when it belongs to the owner
    // the connect hook set on `fresh` (its id, rooms and missed events); false for a fresh session.
    // A CONNECT with {pid, offset}: asks the namespace's session store, then continues with
    // restored() or as a fresh socket (connect_fresh) on the session's thread.
    bool try_restore(const std::shared_ptr<socket_impl>& fresh);
    void restored(const std::shared_ptr<socket_impl>& fresh, std::optional<rooms::restored_session> r);
    void connect_fresh(const std::shared_ptr<socket_impl>& s);
    void send_connect_reply(const socket_impl& s);
    void run_connection_handler(const std::shared_ptr<socket_impl>& s);
    // On the session's thread, for a connected socket: sends `event` with a new ack id; `cb` gets
    // the answer, or ack_timeout, or socket_disconnected.
    void emit_with_ack(socket_impl& s, std::string_view event, const payload& p,
                       std::chrono::milliseconds timeout, ack_callback cb);

private:
    struct pending_ack {
        std::string nsp;
        std::uint64_t id;
        ack_callback cb;
    };
    void process(protocol::sio_actions& actions);
    void handle_connect(protocol::sio_packet&& p);
    void handle_event(const std::shared_ptr<socket_impl>& s, protocol::sio_packet&& p);
    // Calls the callback of ack `id` in `nsp` (if still pending) with `ec` / the answer.
    void settle(const std::string& nsp, std::uint64_t id, error_code ec, payload answer = {});
    void rearm();
    std::shared_ptr<socket_impl> find(std::string_view nsp) const;

    engine_session& session_;
    protocol::sio_fsm fsm_;
    std::vector<std::shared_ptr<socket_impl>> sockets_;  // the namespaces joined
    std::vector<pending_ack> acks_;
    std::unique_ptr<asio::steady_timer> ack_timer_;
    protocol::millis armed_ = protocol::no_deadline;
};

}  // namespace switchboard::server::detail
