#pragma once
// Broadcast targeting and the seams every broadcast passes through: local delivery (`emitter`)
// and publication to other instances (`cluster_bus`).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchboard::rooms {

struct broadcast_options {
    std::vector<std::string> rooms;   // empty: every socket of the namespace
    std::vector<std::string> except;  // rooms (or socket ids) left out
    bool is_volatile = false;         // may be dropped under back-pressure
    bool local = false;               // this instance only: not published to the cluster
};

// One broadcast, encoded once: the Engine.IO text frame ("4" + Socket.IO packet) and its binary
// attachments, shared by every receiver.
struct encoded_packet {
    std::shared_ptr<const std::string> frame;
    std::vector<std::shared_ptr<const std::string>> attachments;
};

struct broadcast_message {
    std::string nsp;
    broadcast_options opts;
    encoded_packet packet;
};

// Delivers a broadcast to the sockets of this instance.
class emitter {
public:
    virtual ~emitter() = default;
    virtual void deliver_local(const broadcast_message& msg) = 0;
};

// Publishes a broadcast to the other instances (Redis Streams later); nothing in single-node mode.
class cluster_bus {
public:
    virtual ~cluster_bus() = default;
    virtual void publish(const broadcast_message& msg) = 0;
};

}  // namespace switchboard::rooms
