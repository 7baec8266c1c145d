#pragma once
// The Socket.IO layer (Node's Client, Socket and the namespace's shared state) over an Engine.IO
// session.
#include "../engineio/engine_session.hpp"

#include <switchboard/protocol/sio_packet.hpp>
#include <switchboard/rooms/recovery.hpp>
#include <switchboard/rooms/room_index.hpp>

#include <mutex>
#include <unordered_map>

namespace switchboard::server::detail {

// Per-namespace shared state: the room index and socket lookup, guarded by one mutex held only
// for updates and target collection.
struct namespace_state {
    namespace_* api = nullptr;
    mutable std::mutex mu;
    // With recovery on: held across offset allocation, logging and delivery of one event, so
    // every receiver gets events in offset order.
    std::mutex order_mu;
    std::unique_ptr<rooms::recovery_log> recovery;
    rooms::room_index index;
    std::unordered_map<std::string, std::weak_ptr<socket_impl>> sockets;
};

class socket_impl final : public socket, public std::enable_shared_from_this<socket_impl> {
public:
    socket_impl(std::shared_ptr<engine_session> session, sio_client& client, namespace_state& ns,
                std::string id, std::string pid, boost::json::object auth);

    const std::string& id() const noexcept override { return id_; }
    const std::string& nsp() const noexcept override { return ns_.api->name(); }
    const handshake& handshake_info() const noexcept override { return *session_->handshake_ptr(); }
    const std::string& session_id() const noexcept override { return session_->sid(); }
    const boost::json::object& auth() const noexcept override { return auth_; }
    std::int64_t issued() const noexcept override { return issued_; }
    bool connected() const noexcept override { return connected_.load(); }
    void emit(std::string_view event, payload p) override;
    void emit_with_ack(std::string_view event, payload p, std::chrono::milliseconds timeout,
                       ack_callback cb) override;
    void join(const std::string& room) override;
    void leave(const std::string& room) override;
    std::vector<std::string> rooms() const override;
    void disconnect(bool close_transport) override;
    void set_timer(std::chrono::milliseconds delay, std::function<void()> f) override;
    void cancel_timer() override;
    void post(std::function<void()> f) override;

    // On the session's thread.
    void send_packet(protocol::sio_type type, std::optional<std::uint64_t> id, const payload& p);
    void on_ack(std::uint64_t id, payload&& p);
    // Registers the socket (with `rooms` when restoring a kept session).
    void mark_connected(const std::vector<std::string>& rooms = {});
    // Leaves every room, fails pending acks, runs the namespace's disconnect handler. `keep`: the
    // transport was lost, so the session is kept for recovery.
    void finish(std::string_view reason, bool keep);
    void set_recovered() noexcept { recovered_ = true; }
    bool recovered() const noexcept override { return recovered_; }
    const std::string& pid() const noexcept { return pid_; }
    sio_client& client() noexcept { return client_; }
    engine_session& session() noexcept { return *session_; }
    namespace_state& ns() const noexcept { return ns_; }

private:
    struct pending_ack {
        ack_callback cb;
        std::shared_ptr<asio::steady_timer> timer;
    };
    std::shared_ptr<engine_session> session_;
    sio_client& client_;
    namespace_state& ns_;
    std::string id_;
    std::string pid_;
    boost::json::object auth_;
    std::int64_t issued_;
    std::atomic<bool> connected_{false};
    bool recovered_ = false;
    std::uint64_t next_ack_ = 0;
    std::unordered_map<std::uint64_t, pending_ack> acks_;
    std::unique_ptr<asio::steady_timer> app_timer_;
    std::uint64_t app_timer_gen_ = 0;
};

// The Socket.IO layer of one Engine.IO session (Node's Client): namespaces and packet dispatch.
class sio_client final : public engine_handler {
public:
    explicit sio_client(engine_session& s) : session_(s) {}
    void on_message(std::string&& data, bool binary) override;
    void on_close(protocol::errc reason) override;
    void remove(const std::string& nsp) {
        std::erase_if(sockets_, [&](auto& p) { return p.first == nsp; });
        // An Engine.IO session in no namespace is held only for the connect timeout.
        if (sockets_.empty() && connecting_.empty()) session_.mark_detached();
    }
    void finish_connect(const std::shared_ptr<socket_impl>& s, std::optional<connect_error> err);
    // CONNECT {pid, offset}: restores a kept session; false when it cannot.
    // After admission: the kept session of the CONNECT's {pid, offset} when it belongs to the owner
    // the connect hook set on `fresh` (its id, rooms and missed events); false for a fresh session.
    bool try_restore(const std::shared_ptr<socket_impl>& fresh);
    void send_connect_reply(const socket_impl& s);
    void run_connection_handler(const std::shared_ptr<socket_impl>& s);

private:
    void handle(protocol::sio_packet&& p);
    void handle_connect(protocol::sio_packet&& p);
    std::shared_ptr<socket_impl> find(const std::string& nsp) const;

    engine_session& session_;
    protocol::sio_decoder decoder_;
    std::vector<std::pair<std::string, std::shared_ptr<socket_impl>>> sockets_;
    std::vector<std::string> connecting_;
};

// Encodes an event once as the frame and attachments every receiver shares.
rooms::encoded_packet encode_event(std::string_view nsp, std::optional<std::uint64_t> id,
                                   std::string_view event, const payload& p, std::string_view offset = {});
std::vector<out_item> to_items(const rooms::encoded_packet& pkt);
}  // namespace switchboard::server::detail
