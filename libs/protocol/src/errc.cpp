#include <switchboard/protocol/errc.hpp>

#include <string>

namespace switchboard::protocol {
namespace {

class category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "switchboard.protocol"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::empty_packet:
                return "empty packet";
            case errc::unknown_packet_type:
                return "unknown packet type";
            case errc::bad_base64:
                return "invalid base64 in payload";
            case errc::payload_too_large:
                return "payload too large";
            case errc::too_many_packets:
                return "too many packets in payload";
            case errc::invalid_utf8:
                return "text is not valid UTF-8";
            case errc::bad_attachment_count:
                return "invalid attachment count";
            case errc::too_many_attachments:
                return "too many attachments";
            case errc::bad_namespace:
                return "invalid namespace";
            case errc::bad_ack_id:
                return "invalid ack id";
            case errc::bad_json:
                return "invalid JSON";
            case errc::json_too_deep:
                return "JSON nested too deeply";
            case errc::invalid_payload:
                return "invalid payload for packet type";
            case errc::reserved_event:
                return "reserved event name";
            case errc::unexpected_binary:
                return "unexpected binary attachment";
            case errc::bad_placeholder:
                return "invalid binary placeholder";
            case errc::unknown_transport:
                return "Transport unknown";
            case errc::unknown_sid:
                return "Session ID unknown";
            case errc::bad_handshake_method:
                return "Bad handshake method";
            case errc::bad_request:
                return "Bad request";
            case errc::unsupported_protocol_version:
                return "Unsupported protocol version";
            case errc::forbidden:
                return "Forbidden";
            case errc::ping_timeout:
                return "ping timeout";
            case errc::connect_timeout:
                return "connect timeout";
            case errc::client_close:
                return "client close";
            case errc::server_close:
                return "server close";
            case errc::transport_close:
                return "transport close";
            case errc::transport_error:
                return "transport error";
            case errc::duplicate_poll:
                return "overlap from client";
            case errc::poll_aborted:
                return "poll aborted";
            case errc::invalid_packet:
                return "parse error";
            case errc::invalid_heartbeat_direction:
                return "invalid heartbeat direction";
            case errc::upgrade_timeout:
                return "upgrade timeout";
            case errc::slow_consumer:
                return "slow consumer";
        }
        return "unknown switchboard.protocol error";
    }
};

}  // namespace

const boost::system::error_category& category() noexcept {
    static const category_impl instance;
    return instance;
}

const char* close_reason(errc e) noexcept {
    switch (e) {
        case errc::ping_timeout:
            return "ping timeout";
        case errc::client_close:
            return "transport close";
        case errc::server_close:
            return "forced close";
        case errc::transport_close:
            return "transport close";
        case errc::slow_consumer:
            return "forced close";
        case errc::connect_timeout:
            return "forced close";
        default:
            return "transport error";
    }
}

}  // namespace switchboard::protocol
