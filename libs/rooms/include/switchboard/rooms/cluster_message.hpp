#pragma once
// The messages nodes of a cluster exchange, in the format of socket.io-adapter's ClusterAdapter as
// @socket.io/redis-streams-adapter 0.3.x carries them (pure; no I/O):
//  - stream entries (XADD fields uid, nsp, type, data): data is JSON text, or base64(msgpack) when
//    the payload holds binary;
//  - PUB/SUB requests and responses: the whole message as msgpack;
//  - connection-state recovery sessions: base64(msgpack {sid, pid, rooms, data}).
// A Socket.IO packet inside a message is Node's object {type: 2, data: [event, ...args], nsp[, id]}
// with binary values inline (msgpack bin); ours keeps them as placeholders + attachments
// (broadcast_packet), converted both ways here.
#include <switchboard/rooms/broadcast.hpp>
#include <switchboard/rooms/local_sockets.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::rooms::cluster {

enum class message_type : int {
    initial_heartbeat = 1,
    heartbeat = 2,
    broadcast = 3,
    sockets_join = 4,
    sockets_leave = 5,
    disconnect_sockets = 6,
    fetch_sockets = 7,
    fetch_sockets_response = 8,
    server_side_emit = 9,
    server_side_emit_response = 10,
    broadcast_client_count = 11,
    broadcast_ack = 12,
    adapter_close = 13,
};

// A JSON value that may hold binary: `value` with placeholders {"_placeholder":true,"num":i} →
// binary[i] (the same convention as broadcast_packet).
struct payload_value {
    boost::json::value value;
    std::vector<std::string> binary;
};

// One message; which fields are meaningful depends on `type` (see each).
struct message {
    std::string uid;  // the sending node
    std::string nsp;
    message_type type = message_type::broadcast;

    // broadcast, sockets_join/leave, disconnect_sockets, fetch_sockets: data.opts
    // ({rooms, except, flags: {volatile?, local?, timeout?, ...}}).
    broadcast_options opts;
    // broadcast: data.packet (event + args); server_side_emit: data.packet is [event, ...args],
    // kept here the same way (packet.event, packet.args, packet.binary).
    broadcast_packet packet;
    // broadcast with ack, fetch_sockets, server_side_emit with ack, and every response.
    std::optional<std::string> request_id;
    // sockets_join / sockets_leave
    std::vector<std::string> rooms;
    // disconnect_sockets
    bool close = false;
    // fetch_sockets_response
    std::vector<socket_info> sockets;
    // broadcast_client_count
    std::int64_t client_count = 0;
    // broadcast_ack, server_side_emit_response: data.packet (one ack argument, any JSON + binary)
    payload_value response;
};

// XADD fields of a stream entry.
struct stream_entry {
    std::string uid;
    std::string nsp;
    std::string type;  // decimal
    std::string data;  // empty: no data field
};

// Encoding never fails. Decoding never throws on any input: nullopt and `error` (our words, never
// the input's bytes) for what is not a message of this format; limits: nesting depth 32, ≤ 10 MiB.
stream_entry to_stream(const message& m);
std::optional<message> from_stream(const stream_entry& e, std::string& error);

std::string to_pubsub(const message& m);  // msgpack bytes
std::optional<message> from_pubsub(std::string_view bytes, std::string& error);

// Connection-state recovery sessions (socket.io-adapter's Session without missedPackets).
struct stored_session {
    std::string sid;
    std::string pid;
    std::vector<std::string> rooms;
    boost::json::value data;  // socket.data (null when none)
};
std::string encode_session(const stored_session& s);  // base64(msgpack)
std::optional<stored_session> decode_session(std::string_view base64, std::string& error);

// Helpers the encoders use, exposed for tests and other bridges.
std::string to_base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);

}  // namespace switchboard::rooms::cluster
