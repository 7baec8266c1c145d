#pragma once
// Error codes of the sans-io protocol core (Engine.IO v4 / Socket.IO v5).
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace switchboard::protocol {

enum class errc {
    // Engine.IO packet / payload decoding
    empty_packet = 1,
    unknown_packet_type,
    bad_base64,
    payload_too_large,
    too_many_packets,
    invalid_utf8,  // text (a payload, a query string) that is not well-formed UTF-8
    // Socket.IO packet decoding
    bad_attachment_count,
    too_many_attachments,
    bad_namespace,
    bad_ack_id,
    bad_json,
    json_too_deep,
    invalid_payload,
    reserved_event,
    unexpected_binary,
    bad_placeholder,
    // Engine.IO handshake request (mapped to the Node server's error answers)
    unknown_transport,
    unknown_sid,
    bad_handshake_method,
    bad_request,
    unsupported_protocol_version,
    forbidden,
    // Session life (reasons a session ends)
    ping_timeout,
    connect_timeout,
    client_close,
    server_close,
    transport_close,
    transport_error,
    duplicate_poll,
    poll_aborted,
    invalid_packet,
    invalid_heartbeat_direction,
    upgrade_timeout,
    slow_consumer,
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// The Engine.IO reason string Node gives for a session end ("ping timeout", "transport close", ...).
const char* close_reason(errc e) noexcept;

}  // namespace switchboard::protocol

template <>
struct boost::system::is_error_code_enum<switchboard::protocol::errc> : std::true_type {};
