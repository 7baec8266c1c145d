#pragma once
// Presence shared over Redis (presence::shared_presence): who is online on every instance, each
// user's online / offline transition reported once cluster-wide, and a crashed instance's users
// offline within PRESENCE_TTL.
//
// Keys under `prefix` (default switchboard:presence), changed only by Lua scripts, so each change
// and the transition it makes are one atomic step:
//   <p>:nodes           zset  instance → last heartbeat (Redis TIME, ms)
//   <p>:node:<id>       hash  user → devices on that instance
//   <p>:user:<user>     hash  instance → devices of the user there
//   <p>:users           set   users online anywhere
//   <p>:seen            hash  user → when it went offline (ms)
//   <p>:counts          hash  instance → "connections authenticated anonymous"
// Every instance beats every PRESENCE_TTL/6 and, in the same script, sweeps the instances whose
// last beat is older than PRESENCE_TTL minus that interval: their users leave, and those left
// with no device anywhere are reported offline (to the sweeping instance, once). An instance that
// finds it was swept (a long cut), or whose calls failed while Redis was away, sends its whole
// table again; the users that changes are reported as transitions.
#include <switchboard/presence/shared_presence.hpp>
#include <switchboard/redis/client.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace switchboard::common {
class metrics_registry;
}

namespace switchboard::redis {

struct presence_options {
    std::string prefix = "switchboard:presence";  // PRESENCE_KEY_PREFIX
    std::chrono::milliseconds ttl{60000};         // PRESENCE_TTL
    std::string instance;                         // this instance's id (default: random)
};

// (user, online, when in wall ms): on the presence's own strand.
using transition_handler = std::function<void(const std::string& user, bool online, std::int64_t at_ms)>;
// This instance's connections, authenticated, anonymous (sampled at each beat).
using local_counts = std::function<presence::cluster_counts()>;

class cluster_presence final : public presence::shared_presence {
public:
    cluster_presence(boost::asio::any_io_executor ex, client_options redis, presence_options opts);
    ~cluster_presence() override;
    cluster_presence(const cluster_presence&) = delete;
    cluster_presence& operator=(const cluster_presence&) = delete;

    // Before start().
    void on_transition(transition_handler h);
    void sample_with(local_counts f);
    void start();
    // Removes this instance's entries (its users that had no other device go offline, reported
    // through the handler before it returns, if Redis answers within 2 s) and closes the
    // connection. Not from the executor's own thread.
    void stop();
    bool healthy() const;
    void add_metrics(common::metrics_registry& m);
    const std::string& instance() const noexcept;

    void add(const std::string& user) override;
    void remove(const std::string& user) override;
    void devices(std::vector<std::string> users, devices_handler done) override;
    void online_users(users_handler done) override;
    void status(const std::string& user, status_handler done) override;
    std::optional<presence::cluster_counts> counts() const override;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace switchboard::redis
