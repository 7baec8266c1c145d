#pragma once
// The cluster bridge: every namespace's rooms::adapter over one Redis stream and PUB/SUB, in the
// format of @socket.io/redis-streams-adapter 0.3.x (socket.io-adapter's ClusterAdapter), so our
// instances and Node socket.io servers with that adapter form one cluster.
//
//  - Broadcasts, joins, leaves and disconnects of this node go to the stream (XADD MAXLEN ~);
//    a broadcast that can be replayed (recovery on, not volatile) is delivered locally once XADD
//    has answered, with the entry id as its offset; others locally at once.
//  - One connection reads the stream (XREAD BLOCK from the last id read: after a Redis restart or
//    a cut it resumes where it was; entries trimmed before it read them are a counted gap).
//  - Requests (fetch sockets, server-side emit, broadcasts with acks) and their replies travel
//    over PUB/SUB: `<prefix>#<nsp>#` and `<prefix>#<nsp>#<uid>#`.
//  - healthy() is proven by traffic: the reader's XREAD answers within its block time, and a probe
//    this node publishes to itself comes back.
// Runs on the executor it is given (the app gives it a thread of its own); every method may be
// called from any thread.
#include <switchboard/redis/client.hpp>
#include <switchboard/rooms/adapter.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace switchboard::common {
class metrics_registry;
}
namespace switchboard::rooms {
class recovery_log;
}

namespace switchboard::redis {

struct bridge_options {
    std::string stream = "socket.io";                 // CLUSTER_STREAM
    std::size_t max_len = 10000;                      // CLUSTER_STREAM_MAXLEN (XADD MAXLEN ~)
    std::string channel_prefix = "socket.io";         // CLUSTER_CHANNEL_PREFIX
    std::size_t read_count = 100;                     // entries per XREAD
    std::chrono::milliseconds block{5000};            // XREAD BLOCK
    std::chrono::milliseconds request_timeout{5000};  // CLUSTER_REQUEST_TIMEOUT: fetch sockets
    std::chrono::milliseconds probe_interval{1000};   // the self-addressed PUB/SUB probe
};

class streams_bridge {
public:
    // Three connections to `redis`: commands, the blocking stream reader, PUB/SUB.
    streams_bridge(boost::asio::any_io_executor ex, client_options redis, bridge_options opts);
    ~streams_bridge();
    streams_bridge(const streams_bridge&) = delete;
    streams_bridge& operator=(const streams_bridge&) = delete;

    // Called (on the bridge's thread) after another node's broadcast was queued for this node's
    // sockets, with how many it reached: how the app learns that what another instance sent
    // reached a device here (a chat message's delivery). Before start().
    using delivered_here = std::function<void(const rooms::broadcast_packet&, const rooms::broadcast_options&,
                                              std::size_t reached)>;
    void on_remote_delivery(delivered_here f);

    // `done` runs (on the bridge's thread) once every broadcast made before this call, from the
    // same thread, has been appended to the stream; at once while Redis is away or appends wait
    // in the backlog (they are delivered locally and appended later).
    void fence(std::function<void()> done);

    void start();
    // Stops every connection; adapters then only deliver locally. Call before the server goes.
    void stop();

    // server::set_adapter's factory: the adapter of one namespace.
    std::shared_ptr<rooms::adapter> make_adapter(rooms::local_sockets& local, rooms::recovery_log* log);

    bool healthy() const;
    const std::string& uid() const noexcept;
    // switchboard_cluster_*: entries in / out, gaps, reconnects, lag, up.
    void add_metrics(common::metrics_registry& m);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace switchboard::redis
