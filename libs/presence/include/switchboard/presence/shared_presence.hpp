#pragma once
// Presence shared by the instances of a cluster (the Redis implementation is in libs/redis): each
// instance tells it its users' devices coming and going; it answers who is online over all
// instances and reports each user's online / offline transition exactly once cluster-wide, to the
// instance whose call (or whose sweep of a dead instance) made it. Calls may come from any thread;
// answers and transitions arrive on the implementation's own thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::presence {

struct cluster_counts {
    std::uint64_t connections = 0;
    std::uint64_t authenticated = 0;
    std::uint64_t anonymous = 0;
    std::uint64_t users = 0;  // unique users online
    std::uint64_t instances = 0;
};

struct user_status {
    std::int64_t devices = 0;
    std::int64_t last_seen_ms = 0;
};

class shared_presence {
public:
    virtual ~shared_presence() = default;

    // A device of `user` connected to / disconnected from this instance.
    virtual void add(const std::string& user) = 0;
    virtual void remove(const std::string& user) = 0;

    // Devices of each of `users` over the cluster (0: offline); nullopt when the store cannot answer.
    using devices_handler = std::function<void(std::optional<std::vector<std::int64_t>>)>;
    virtual void devices(std::vector<std::string> users, devices_handler done) = 0;
    // Every online user with its devices, sorted by id; nullopt when the store cannot answer.
    using users_handler =
        std::function<void(std::optional<std::vector<std::pair<std::string, std::int64_t>>>)>;
    virtual void online_users(users_handler done) = 0;
    // One user's devices over the cluster and, when offline, when it was last seen (wall ms; 0:
    // never, or forgotten); nullopt when the store cannot answer.
    using status_handler = std::function<void(std::optional<user_status>)>;
    virtual void status(const std::string& user, status_handler done) = 0;
    // The cluster's totals as of the last refresh (every few seconds); nullopt before the first.
    virtual std::optional<cluster_counts> counts() const = 0;
};

}  // namespace switchboard::presence
