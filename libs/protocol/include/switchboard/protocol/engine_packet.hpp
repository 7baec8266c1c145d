#pragma once
// Engine.IO v4 packets and the long-polling payload format.
#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::protocol {

enum class engine_type : std::uint8_t { open = 0, close, ping, pong, message, upgrade, noop };

struct engine_packet {
    engine_type type = engine_type::message;
    bool binary = false;  // only messages can be binary
    std::string data;     // text after the type digit, or the raw bytes of a binary message

    friend bool operator==(const engine_packet&, const engine_packet&) = default;
};

// A WebSocket text frame or one text segment of a polling payload: type digit + data.
boost::system::result<engine_packet> decode_engine_text(std::string_view frame);
// A WebSocket binary frame: always a binary message.
engine_packet decode_engine_binary(std::string_view frame);

// A whole WebSocket message the caller owns (text or binary): decoded in place, the data moved
// into the packet rather than copied.
boost::system::result<engine_packet> decode_engine_message(std::string&& frame, bool binary);

// Text form of a packet for a WebSocket text frame: type digit + data. Not for binary packets.
std::string encode_engine_text(engine_type type, std::string_view data);

// Polling payload: packets joined by 0x1e, binary messages as 'b' + base64.
constexpr char record_separator = '\x1e';

struct payload_limits {
    std::size_t max_bytes = 1'000'000;
    std::size_t max_packets = 1000;
};

// errc::invalid_utf8 when the body is not well-formed UTF-8 (the spec makes polling bodies text).
boost::system::result<std::vector<engine_packet>> decode_payload(std::string_view body,
                                                                 const payload_limits& limits = {});

// Appends one packet to a polling payload under construction (adds the separator when needed).
// `text_frame` is the packet's text form (type digit + data) for text packets, raw bytes for binary.
void append_payload(std::string& body, std::string_view frame, bool binary);

}  // namespace switchboard::protocol
