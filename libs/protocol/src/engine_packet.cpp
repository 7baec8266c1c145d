#include <switchboard/protocol/base64.hpp>
#include <switchboard/protocol/engine_packet.hpp>
#include <switchboard/protocol/errc.hpp>
#include <switchboard/protocol/ws_frame.hpp>

namespace switchboard::protocol {

boost::system::result<engine_packet> decode_engine_text(std::string_view frame) {
    if (frame.empty()) return errc::empty_packet;
    char c = frame.front();
    if (c < '0' || c > '6') return errc::unknown_packet_type;
    engine_packet p;
    p.type = static_cast<engine_type>(c - '0');
    p.data.assign(frame.substr(1));
    return p;
}

engine_packet decode_engine_binary(std::string_view frame) {
    return engine_packet{engine_type::message, true, std::string(frame)};
}

boost::system::result<engine_packet> decode_engine_message(std::string&& frame, bool binary) {
    if (binary) return engine_packet{engine_type::message, true, std::move(frame)};
    if (frame.empty()) return errc::empty_packet;
    char c = frame.front();
    if (c < '0' || c > '6') return errc::unknown_packet_type;
    frame.erase(0, 1);
    return engine_packet{static_cast<engine_type>(c - '0'), false, std::move(frame)};
}

std::string encode_engine_text(engine_type type, std::string_view data) {
    std::string s;
    s.reserve(data.size() + 1);
    s += static_cast<char>('0' + static_cast<int>(type));
    s += data;
    return s;
}

boost::system::result<std::vector<engine_packet>> decode_payload(std::string_view body,
                                                                 const payload_limits& limits) {
    if (body.size() > limits.max_bytes) return errc::payload_too_large;
    // A polling body is text (binary packets travel base64-encoded): UTF-8, as a WebSocket text frame.
    if (!ws::valid_utf8(body)) return errc::invalid_utf8;
    std::vector<engine_packet> out;
    std::size_t pos = 0;
    while (true) {
        std::size_t end = body.find(record_separator, pos);
        std::string_view seg = body.substr(pos, end == std::string_view::npos ? body.npos : end - pos);
        if (out.size() >= limits.max_packets) return errc::too_many_packets;
        if (!seg.empty() && seg.front() == 'b') {
            auto bytes = base64_decode(seg.substr(1));
            if (!bytes) return errc::bad_base64;
            out.push_back(engine_packet{engine_type::message, true, std::move(*bytes)});
        } else {
            auto p = decode_engine_text(seg);
            if (!p) return p.error();
            out.push_back(std::move(*p));
        }
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return out;
}

void append_payload(std::string& body, std::string_view frame, bool binary) {
    if (!body.empty()) body += record_separator;
    if (binary) {
        body += 'b';
        base64_append(body, frame);
    } else {
        body += frame;
    }
}

}  // namespace switchboard::protocol
