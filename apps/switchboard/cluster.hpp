#pragma once
// Several instances as one server: the Redis Streams bridge (REDIS_URL, CLUSTER_*), on a thread of
// its own, installed as every namespace's adapter, reported by /ready, /health and /metrics. With
// no REDIS_URL nothing of it exists (the single node's in-memory adapter stays).
#include <switchboard/common/config.hpp>
#include <switchboard/redis/cluster_presence.hpp>
#include <switchboard/redis/events_consumer.hpp>
#include <switchboard/redis/streams_bridge.hpp>

#include <switchboard/asio/io_thread.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::server {
class server;
}
namespace switchboard::domain {
class push_service;
}

namespace switchboard::app {

class gateway;
class communication;
class delivery_tap;

struct cluster_settings {
    std::string redis_url;  // empty: single node
    redis::bridge_options bridge;
    std::string tls_ca_file;
    bool tls_insecure = false;
    redis::events_options events;  // events.stream empty: no events consumer
    redis::presence_options presence;
};

std::vector<common::setting> cluster_settings_table();
std::optional<std::string> load_cluster_settings(const common::config& c, cluster_settings& out);

// One backend event ({target, event, data}) through the push API's broadcasts.
redis::event_result dispatch_backend_event(const domain::push_service& push, const redis::backend_event& ev,
                                           std::string& reason);

class cluster {
public:
    // Starts the bridge's thread and connections and installs it in `srv` (before srv.run()).
    cluster(server::server& srv, cluster_settings s);
    // stop() if not done.
    ~cluster();
    // Starts the backend events consumer (EVENTS_STREAM) over `push` (which must outlive stop()).
    void start_events(const domain::push_service& push);
    // Shares presence over Redis: the gateway's online status, presence routes and user:online /
    // user:offline then answer for every instance. Both must outlive stop().
    void start_presence(gateway& gw, communication& comm);
    // This instance's users leave the shared presence (their user:offline told while `comm`
    // still runs). Before communication::stop().
    void stop_presence();
    // Other instances' broadcasts also reach the tap's connections here (the Channels endpoints).
    // `t` must outlive stop(); before start_presence's traffic matters, any time is safe.
    void set_delivery_tap(delivery_tap* t) { tap_.store(t); }
    // streams_bridge::fence: `done` once what was broadcast before is in the stream.
    void fence(std::function<void()> done) { bridge_->fence(std::move(done)); }
    // Stops the bridge and joins its thread; adapters then deliver on this node only. Call once the
    // server has stopped serving, before it is destroyed.
    void stop();

private:
    asio_util::io_thread io_;
    server::server& srv_;
    cluster_settings settings_;
    std::unique_ptr<redis::streams_bridge> bridge_;
    std::unique_ptr<redis::events_consumer> events_;
    std::unique_ptr<redis::cluster_presence> presence_;
    std::atomic<communication*> comm_{nullptr};  // chat deliveries of other instances' messages
    std::atomic<delivery_tap*> tap_{nullptr};    // connections outside Socket.IO
};

}  // namespace switchboard::app
