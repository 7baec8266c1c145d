#pragma once
// One Socket.IO connection to one namespace (Node's Socket): emits, acks, rooms, the app's timer.
#include "namespace.hpp"

#include <switchboard/protocol/sio_packet.hpp>

namespace switchboard::server::detail {

class sio_client;

class socket_impl final : public socket, public std::enable_shared_from_this<socket_impl> {
public:
    socket_impl(std::shared_ptr<engine_session> session, sio_client& client, namespace_impl& ns,
                std::string id, std::string pid, boost::json::object auth);

    const std::string& id() const noexcept override { return id_; }
    const std::string& nsp() const noexcept override { return ns_.api->name(); }
    const handshake& handshake_info() const noexcept override { return *session_->handshake_ptr(); }
    const std::string& session_id() const noexcept override { return session_->sid(); }
    const boost::json::object& auth() const noexcept override { return auth_; }
    std::int64_t issued() const noexcept override { return issued_; }
    bool connected() const noexcept override { return connected_.load(); }
    std::string_view transport() const noexcept override {
        return session_->transport() == protocol::transport_kind::websocket ? "websocket" : "polling";
    }
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
    // Registers the socket (with `rooms` when restoring a kept session).
    void mark_connected(const std::vector<std::string>& rooms = {});
    // Leaves every room, runs the namespace's disconnect handler (the client fails its acks). `keep`: the
    // transport was lost, so the session is kept for recovery.
    void finish(std::string_view reason, bool keep);
    void set_recovered() noexcept { recovered_ = true; }
    bool recovered() const noexcept override { return recovered_; }
    const std::string& pid() const noexcept { return pid_; }
    sio_client& client() noexcept { return client_; }
    engine_session& session() noexcept { return *session_; }
    namespace_impl& ns() const noexcept { return ns_; }

private:
    std::shared_ptr<engine_session> session_;
    sio_client& client_;
    namespace_impl& ns_;
    std::string id_;
    std::string pid_;
    boost::json::object auth_;
    std::int64_t issued_;
    std::atomic<bool> connected_{false};
    bool recovered_ = false;
    std::unique_ptr<asio::steady_timer> app_timer_;
    std::uint64_t app_timer_gen_ = 0;
};

}  // namespace switchboard::server::detail
