#pragma once
// Who is online, as the gateway asks it: the seam where a shared store (Redis, next) replaces the
// node's own registry. Calls are synchronous and cheap; the caller guards a local implementation.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::presence {

struct connection {
    std::string socket_id;
    std::string user_id;  // empty: anonymous
    std::string address;
    std::int64_t since_ms = 0;
};

class presence_store {
public:
    virtual ~presence_store() = default;
    // Adds a socket; true when it is its user's first (the user came online). Idempotent per socket.
    virtual bool add(connection c) = 0;
    // Removes a socket; true when it was its user's last (the user went offline).
    virtual bool remove(std::string_view socket_id) = 0;

    virtual bool online(std::string_view user_id) const = 0;
    virtual std::size_t devices(std::string_view user_id) const = 0;
    virtual std::vector<std::string> users() const = 0;  // sorted
    virtual std::vector<std::string> sockets_of(std::string_view user_id) const = 0;
    virtual std::size_t from_address(std::string_view address) const = 0;

    virtual std::size_t connections() const = 0;
    virtual std::size_t anonymous() const = 0;
    virtual std::size_t authenticated() const = 0;
    virtual std::size_t unique_users() const = 0;
};

}  // namespace switchboard::presence
