#pragma once
// A broadcast as it travels between nodes: the packet UNENCODED (a cluster adapter serialises it,
// and every node encodes it once for its own sockets) and its targeting options.
#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::rooms {

// Socket.IO's BroadcastOptions: rooms, except, and the flags (volatile, local, timeout) kept flat.
struct broadcast_options {
    std::vector<std::string> rooms;   // empty: every socket of the namespace
    std::vector<std::string> except;  // rooms (or socket ids) left out
    bool is_volatile = false;         // may be dropped under back-pressure; never logged for recovery
    bool local = false;               // this node only: a cluster adapter does not forward it
    std::optional<std::chrono::milliseconds> timeout;  // a broadcast with acks: how long to wait
};

// One EVENT to broadcast: `args` are the event's arguments (binary ones as placeholders
// {"_placeholder":true,"num":i} → binary[i]).
struct broadcast_packet {
    std::string nsp = "/";
    std::string event;
    boost::json::array args;
    std::vector<std::string> binary;
};

// One broadcast, encoded once by the node that delivers it: the Engine.IO text frame ("4" +
// Socket.IO packet) and its binary attachments, shared by every receiver.
struct encoded_packet {
    std::shared_ptr<const std::string> frame;
    std::vector<std::shared_ptr<const std::string>> attachments;
};

}  // namespace switchboard::rooms
