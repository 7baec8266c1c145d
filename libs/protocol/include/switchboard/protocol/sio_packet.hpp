#pragma once
// Socket.IO v5 packets: decoding (with limits, never throwing), binary reassembly, encoding.
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::protocol {

enum class sio_type : std::uint8_t {
    connect = 0,
    disconnect,
    event,
    ack,
    connect_error,
    binary_event,
    binary_ack
};

struct sio_packet {
    sio_type type = sio_type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id;
    bool has_data = false;
    boost::json::value data;               // placeholders stay in place for binary packets
    std::size_t attachment_count = 0;      // announced by the header (binary types)
    std::vector<std::string> attachments;  // raw bytes, index = placeholder num
};

struct sio_limits {
    std::size_t max_attachments = 10;
    std::size_t max_depth = 32;
};

// Decodes one text packet (the Engine.IO message data). Binary types come back with their
// attachment_count set and no attachments yet.
boost::system::result<sio_packet> decode_sio_text(std::string_view text, const sio_limits& limits = {});

// Returns the placeholder index if `v` is {"_placeholder":true,"num":N}.
std::optional<std::size_t> placeholder_index(const boost::json::value& v);
// Every placeholder in `v` names an attachment below `count`.
bool placeholders_valid(const boost::json::value& v, std::size_t count);
// Builds {"_placeholder":true,"num":n}.
boost::json::value make_placeholder(std::size_t n);

// Reassembles packets from a stream of Engine.IO messages (text header, then its attachments).
class sio_decoder {
public:
    explicit sio_decoder(sio_limits limits = {}) : limits_(limits) {}

    // true: a packet is complete (take() it); false: attachments are still expected.
    boost::system::result<bool> feed_text(std::string_view text);
    boost::system::result<bool> feed_binary(std::string_view bytes);
    sio_packet take() { return std::move(pending_); }
    bool awaiting_attachments() const noexcept { return awaiting_; }

private:
    sio_limits limits_;
    sio_packet pending_;
    bool awaiting_ = false;
};

// Encoding. All of these append the Socket.IO text (without the Engine.IO '4') to `out`.
// Header: type, "N-" for binary types, "/nsp," unless "/", ack id.
void append_sio_header(std::string& out, sio_type type, std::string_view nsp, std::optional<std::uint64_t> id,
                       std::size_t attachments);
// A full packet with optional JSON data.
void append_sio_packet(std::string& out, sio_type type, std::string_view nsp, std::optional<std::uint64_t> id,
                       const boost::json::value* data, std::size_t attachments = 0);
// EVENT / BINARY_EVENT ["event", args..., extra?] without building the array.
void append_sio_event(std::string& out, std::string_view nsp, std::optional<std::uint64_t> id,
                      std::string_view event, const boost::json::array& args, std::size_t attachments,
                      std::string_view trailing_string = {});

bool is_reserved_event(std::string_view name) noexcept;

}  // namespace switchboard::protocol
