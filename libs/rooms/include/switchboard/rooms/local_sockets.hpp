#pragma once
// What another node (through a cluster adapter), or this node's own adapter, may ask of the
// sockets of one namespace on this node. libs/server's namespace implements it; every method may
// be called from any thread.
#include <switchboard/rooms/broadcast.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::rooms {

// A socket as fetch_sockets describes it (Socket.IO's RemoteSocket: id, handshake, rooms, data).
struct socket_info {
    std::string id;
    std::vector<std::string> rooms;  // its own id first
    boost::json::object data;
    boost::json::object handshake;
};

class local_sockets {
public:
    using fetch_callback = std::function<void(std::vector<socket_info>)>;
    // The ack of a server-side emit (its arguments); empty when the emitter asked for none.
    using emit_reply = std::function<void(boost::json::array)>;
    // A broadcast with acks: how many sockets it was sent to (once), then each client's ack (its
    // arguments, binary ones as placeholders → binary).
    using count_callback = std::function<void(std::size_t)>;
    using ack_callback = std::function<void(boost::json::array, std::vector<std::string>)>;

    virtual ~local_sockets() = default;
    virtual const std::string& nsp() const noexcept = 0;

    // Encodes `p` once (with `offset`, when not empty, as its last argument, for connection-state
    // recovery), keeps it for replay when it has an offset, and queues it for every socket of this
    // node that `opts` targets. Returns how many sockets it was queued for.
    virtual std::size_t broadcast(const broadcast_packet& p, const broadcast_options& opts,
                                  std::string_view offset) = 0;
    // Sends `p` with an ack id of its own to every targeted socket (never logged for recovery);
    // `on_count` runs once with their number, `on_ack` for each ack that arrives within
    // opts.timeout (default 5 s). Either may run on any thread.
    virtual void broadcast_with_ack(const broadcast_packet& p, const broadcast_options& opts,
                                    count_callback on_count, ack_callback on_ack) = 0;
    // The targeted sockets join / leave every room of `rooms`.
    virtual void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) = 0;
    virtual void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) = 0;
    // Sends DISCONNECT to the targeted sockets; with `close`, ends their Engine.IO sessions.
    virtual void disconnect_sockets(const broadcast_options& opts, bool close) = 0;
    // The targeted sockets, read on their own threads; `done` runs once, on any thread.
    virtual void fetch_sockets(const broadcast_options& opts, fetch_callback done) = 0;
    // Runs this namespace's server-side handler for `event` (none: ignored, `reply` not called).
    virtual void server_side_emit(const std::string& event, boost::json::array args, emit_reply reply) = 0;
};

}  // namespace switchboard::rooms
