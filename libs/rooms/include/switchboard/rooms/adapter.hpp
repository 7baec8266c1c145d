#pragma once
// The seam every broadcast of a namespace passes through (Socket.IO's Adapter). A broadcast gets
// its offset FIRST (in memory: the recovery log's next offset; a cluster adapter: the id its
// stream gives the entry, e.g. XADD) and is then delivered locally through local_sockets with that
// offset. A cluster adapter also forwards broadcasts (unless `local`) and the socket requests
// below, and hands what other nodes send to on_remote_broadcast / local_sockets.
#include <switchboard/rooms/local_sockets.hpp>

#include <mutex>

namespace switchboard::rooms {

class recovery_log;
class session_store;

class adapter {
public:
    virtual ~adapter() = default;

    // A broadcast of this node. Returns how many local sockets it was queued for before returning
    // (an adapter that delivers only once its stream answers returns 0).
    virtual std::size_t broadcast(const broadcast_packet& p, const broadcast_options& opts) = 0;
    // A broadcast of another node, with the offset its stream gave it: delivered locally.
    virtual std::size_t on_remote_broadcast(const broadcast_packet& p, const broadcast_options& opts,
                                            std::string_view offset) = 0;

    // Requests on the sockets of every node (this one's through local_sockets).
    virtual void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) = 0;
    virtual void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) = 0;
    virtual void disconnect_sockets(const broadcast_options& opts, bool close) = 0;
    virtual void fetch_sockets(const broadcast_options& opts, local_sockets::fetch_callback done) = 0;
    // To the other nodes' server-side handlers (never this node's, as in Socket.IO).
    virtual void server_side_emit(const std::string& event, const boost::json::array& args) = 0;

    // What this node's sockets did, for an adapter that stores sessions or room state elsewhere.
    virtual void on_join(const std::string& /*sid*/, const std::string& /*room*/) {}
    virtual void on_leave(const std::string& /*sid*/, const std::string& /*room*/) {}
    virtual void on_disconnect(const std::string& /*sid*/) {}

    // Where this namespace's recovery sessions live, when the adapter keeps them elsewhere (a
    // cluster: Redis, so a client recovers on any node); null: the in-memory recovery log.
    virtual session_store* sessions() { return nullptr; }
};

// The single-node adapter (the default): offsets from the namespace's recovery log (none when
// recovery is off, or for volatile broadcasts); allocation and local delivery in one critical
// section, so every receiver sees the offset order. Nothing leaves this node.
class memory_adapter final : public adapter {
public:
    memory_adapter(local_sockets& local, recovery_log* log) : local_(local), log_(log) {}

    std::size_t broadcast(const broadcast_packet& p, const broadcast_options& opts) override;
    std::size_t on_remote_broadcast(const broadcast_packet& p, const broadcast_options& opts,
                                    std::string_view offset) override {
        return local_.broadcast(p, opts, offset);
    }
    void add_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override {
        local_.add_sockets(opts, rooms);
    }
    void del_sockets(const broadcast_options& opts, const std::vector<std::string>& rooms) override {
        local_.del_sockets(opts, rooms);
    }
    void disconnect_sockets(const broadcast_options& opts, bool close) override {
        local_.disconnect_sockets(opts, close);
    }
    void fetch_sockets(const broadcast_options& opts, local_sockets::fetch_callback done) override {
        local_.fetch_sockets(opts, std::move(done));
    }
    void server_side_emit(const std::string&, const boost::json::array&) override {}  // no other node

private:
    local_sockets& local_;
    recovery_log* log_;
    std::mutex order_mu_;
};

}  // namespace switchboard::rooms
