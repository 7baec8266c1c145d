#pragma once
// The live sockets of one node, by user and by client address: what /api/stats, /connected-users,
// /user-status and MAX_CONNECTIONS_PER_IP read.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace switchboard::presence {

struct connection {
    std::string socket_id;
    std::string user_id;  // empty: anonymous
    std::string address;
    std::int64_t since_ms = 0;
};

class registry {
public:
    // Adds a socket; true when it is its user's first (the user came online). Idempotent per socket.
    bool add(connection c);
    // Removes a socket; true when it was its user's last (the user went offline).
    bool remove(std::string_view socket_id);

    bool online(std::string_view user_id) const;
    std::size_t devices(std::string_view user_id) const;
    std::vector<std::string> users() const;  // sorted
    std::vector<std::string> sockets_of(std::string_view user_id) const;
    std::size_t from_address(std::string_view address) const;

    std::size_t connections() const noexcept { return sockets_.size(); }
    std::size_t anonymous() const noexcept { return anonymous_; }
    std::size_t authenticated() const noexcept { return sockets_.size() - anonymous_; }
    std::size_t unique_users() const noexcept { return users_.size(); }

private:
    std::unordered_map<std::string, connection> sockets_;
    std::map<std::string, std::vector<std::string>, std::less<>> users_;  // user → socket ids
    std::unordered_map<std::string, std::size_t> addresses_;
    std::size_t anonymous_ = 0;
};

}  // namespace switchboard::presence
