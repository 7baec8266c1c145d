#pragma once
// The Channels-style WebSocket API of the ERP (seed 001): CHANNELS_CHAT_PATH (/ws/chat/) and
// CHANNELS_NOTIFICATIONS_PATH (/ws/notifications/), plain WebSocket routes of the server whose
// frames (channels_frames.hpp) run the same chat and notification operations as the Socket.IO
// events, and which the domain's events reach through the delivery tap: a Channels client and a
// Socket.IO client talk to each other. The token (?token=, or Authorization: Bearer/Token) is a JWT
// or a DRF key, checked as a CONNECT's; none, unknown or invalid closes the connection with 4001.
#include "adapters.hpp"
#include "channels_frames.hpp"

#include <switchboard/auth/identity.hpp>
#include <switchboard/common/config.hpp>
#include <switchboard/server/server.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchboard::app {

class communication;
class gateway;

struct channels_settings {
    std::string chat_path = "/ws/chat/";                    // empty: no chat endpoint
    std::string notifications_path = "/ws/notifications/";  // empty: no notifications endpoint
};
std::vector<common::setting> channels_settings_table();
// An error message for a bad path (not starting with '/', or the Socket.IO path).
std::optional<std::string> load_channels_settings(const common::config& c, channels_settings& out);

// The close code for a connection without a valid token (the ERP's consumers close with it).
inline constexpr std::uint16_t channels_unauthorized = 4001;

class channels_gateway final : public delivery_tap {
public:
    // Registers the routes and the delivery tap; `gw` and `comm` outlive this. Before the server runs.
    channels_gateway(server::server& srv, channels_settings s, gateway& gw, communication& comm);
    ~channels_gateway() override;
    channels_gateway(const channels_gateway&) = delete;
    channels_gateway& operator=(const channels_gateway&) = delete;

    // delivery_tap: the domain's events to the connections they are for (any thread).
    std::size_t send(const domain::target& to, std::string_view event,
                     const boost::json::value& arg) override;
    bool to_connection(const std::string& id, std::string_view event, const boost::json::value& arg) override;

    struct conn;

private:
    server::ws_callbacks open(channels::endpoint ep, const server::http_request& req,
                              const server::ws_peer_ptr& peer);
    void admitted(const std::shared_ptr<conn>& c, std::optional<auth::principal> who, bool unavailable);
    void on_message(const std::shared_ptr<conn>& c, std::string&& data, bool binary);
    void handle(const std::shared_ptr<conn>& c, std::string_view text);
    void closed(const std::shared_ptr<conn>& c);
    // The connection's one timer: a JWT's end (exp + JWT_LEEWAY), or a DRF key's next re-check
    // (every DRF_TOKEN_CACHE_TTL); an expired or revoked token closes it with 4001.
    void schedule_expiry(const std::shared_ptr<conn>& c);
    void recheck_drf(const std::shared_ptr<conn>& c);
    void unauthorized(const std::shared_ptr<conn>& c, const char* why, const char* label);

    server::server& srv_;
    channels_settings cfg_;
    gateway& gw_;
    communication& comm_;
    std::mutex mu_;                                                      // guards conns_ and by_user_
    std::unordered_map<std::string, std::shared_ptr<conn>> conns_;       // admitted, by connection id
    std::unordered_map<std::string, std::vector<std::string>> by_user_;  // user → connection ids
    common::counter_family* frames_in_ = nullptr;                        // by type (unknown: "other")
    common::counter_family* refused_ = nullptr;                          // by reason
};

}  // namespace switchboard::app
