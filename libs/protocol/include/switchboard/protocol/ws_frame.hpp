#pragma once
// RFC 6455 WebSocket framing, server side, as a sans-io codec: the decoder takes the bytes a
// client sent (in any chunks) and gives back whole messages and control frames, or the close code
// a protocol violation calls for; the encoder writes frame headers. No extensions are negotiated,
// so RSV bits must be clear. Incomplete frames are the only state kept between calls.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::protocol::ws {

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t invalid_payload = 1007;  // text that is not UTF-8
constexpr std::uint16_t policy = 1008;
constexpr std::uint16_t too_big = 1009;
}  // namespace close_code

struct frame_event {
    enum class kind { text, binary, ping, pong, close } type = kind::text;
    std::string data;        // the message, ping/pong payload, or close reason
    std::uint16_t code = 0;  // close: the peer's code (1005 when it sent none)
};

class decoder {
public:
    explicit decoder(std::size_t max_message) : max_(max_message) {}

    // permessage-deflate was agreed: RSV1 marks a compressed message, inflated (with the calling
    // thread's inflater) up to max_message bytes; past that the close code is too_big, for data
    // zlib refuses invalid_payload.
    void enable_deflate() noexcept { deflate_ = true; }
    bool deflate_enabled() const noexcept { return deflate_; }

    // Appends every event completed by `bytes` to `out`. On a protocol violation returns the close
    // code to send; the decoder must not be fed again after that.
    std::optional<std::uint16_t> feed(std::string_view bytes, std::vector<frame_event>& out);
    // Holds no bytes of an unfinished frame or message.
    bool idle() const noexcept { return partial_.empty() && !in_message_; }
    // Gives back buffer memory (after a large message).
    void shrink() {
        if (partial_.empty()) std::string().swap(partial_);
        if (!in_message_) std::string().swap(message_);
    }

private:
    // Parses one frame at the front of `in`: 0 when incomplete, else the bytes it took.
    std::size_t one_frame(std::string_view in, std::vector<frame_event>& out,
                          std::optional<std::uint16_t>& err);

    std::size_t max_;
    std::string partial_;  // an unfinished frame's bytes
    std::string message_;  // fragments of a message in progress
    bool in_message_ = false;
    bool message_text_ = false;
    bool message_compressed_ = false;
    bool deflate_ = false;
};

// The header of an unmasked final frame (server → client): 2, 4 or 10 bytes written to `out`.
// `compressed`: RSV1 set (a permessage-deflate message).
std::size_t encode_header(opcode op, std::uint64_t payload_size, std::uint8_t out[10],
                          bool compressed = false) noexcept;
// A whole frame: header + payload.
std::string encode_frame(opcode op, std::string_view payload);
// A close frame with `code` (and no reason).
std::string close_frame(std::uint16_t code);

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);
// A Sec-WebSocket-Key the RFC accepts: base64 of 16 bytes.
bool valid_client_key(std::string_view key) noexcept;

}  // namespace switchboard::protocol::ws
