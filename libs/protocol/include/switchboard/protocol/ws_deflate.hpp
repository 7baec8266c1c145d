#pragma once
// permessage-deflate (RFC 7692), server side, without I/O: the negotiation of the extension from a
// client's Sec-WebSocket-Extensions offer, and the compression and decompression of whole messages
// (the 0x00 0x00 0xff 0xff tail removed on the way out and put back on the way in).
//
// The server always agrees to no context takeover in both directions (server_no_context_takeover,
// client_no_context_takeover): every message is compressed and decompressed on its own, so a
// connection keeps no zlib state at all; each I/O thread keeps one inflate stream and one deflate
// stream per window size (thread_inflater, thread_deflater), reset after every message.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::protocol::ws {

// What the server agreed to with one client.
struct deflate_agreement {
    int server_max_window_bits = 15;  // our LZ77 window (9..15), at most what the client allows
    // The Sec-WebSocket-Extensions value of the 101 answer.
    std::string response() const;
};

// The first permessage-deflate offer of a Sec-WebSocket-Extensions value (several header lines
// joined with ",") that can be honoured, or nothing (answer without the extension). An offer is
// declined when a parameter is unknown, repeated, has a value it must not have or a bad one, or
// asks for server_max_window_bits=8 (zlib's raw deflate has no 256-byte window).
std::optional<deflate_agreement> negotiate_deflate(std::string_view offers);

// What happened to a message on the way in.
enum class inflate_result : std::uint8_t { ok, too_big, bad_data };

// A raw inflate stream (window 2^15, which decodes any client window), reset after each message.
class inflater {
public:
    inflater();
    ~inflater();
    inflater(const inflater&) = delete;
    inflater& operator=(const inflater&) = delete;

    // Decompresses one message's payload (without its tail) into `out` (replaced). Stops as soon as
    // the output would pass `limit` bytes (too_big): at most `limit` plus one chunk is ever held.
    inflate_result inflate(std::string_view compressed, std::size_t limit, std::string& out);
    // Bytes zlib holds for this stream now (its window is allocated by the first message).
    std::size_t zlib_bytes() const noexcept;

private:
    struct state;
    std::unique_ptr<state> s_;
};

// A raw deflate stream with a window of 2^window_bits, reset after each message.
class deflater {
public:
    // Level 1: on chat-like JSON about 3.5 times less CPU than zlib's default (6) for output about
    // a tenth larger (README, Compression).
    explicit deflater(int window_bits = 15, int level = 1);
    ~deflater();
    deflater(const deflater&) = delete;
    deflater& operator=(const deflater&) = delete;

    // One message's compressed payload (the sync-flush tail removed), ready for a frame with RSV1.
    std::string deflate(std::string_view message);
    // Bytes zlib holds for this stream.
    std::size_t zlib_bytes() const noexcept;

private:
    struct state;
    std::unique_ptr<state> s_;
};

// The calling thread's streams (created on first use, kept for the thread's life).
inflater& thread_inflater();
deflater& thread_deflater(int window_bits);

}  // namespace switchboard::protocol::ws
