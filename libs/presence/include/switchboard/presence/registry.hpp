#pragma once
// The live sockets of one node, by user and by client address: what /api/stats, /connected-users,
// /user-status and MAX_CONNECTIONS_PER_IP read.
#include <switchboard/presence/presence_store.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace switchboard::presence {

// The node's own presence_store: pure and single-threaded; the app guards it.
class registry final : public presence_store {
public:
    // Adds a socket; true when it is its user's first (the user came online). Idempotent per socket.
    bool add(connection c) override;
    // Removes a socket; true when it was its user's last (the user went offline).
    bool remove(std::string_view socket_id) override;

    bool online(std::string_view user_id) const override;
    std::size_t devices(std::string_view user_id) const override;
    std::vector<std::string> users() const override;  // sorted
    std::vector<std::string> sockets_of(std::string_view user_id) const override;
    std::size_t from_address(std::string_view address) const override;

    std::size_t connections() const noexcept override { return sockets_.size(); }
    std::size_t anonymous() const noexcept override { return anonymous_; }
    std::size_t authenticated() const noexcept override { return sockets_.size() - anonymous_; }
    std::size_t unique_users() const noexcept override { return users_.size(); }

private:
    std::unordered_map<std::string, connection> sockets_;
    std::map<std::string, std::vector<std::string>, std::less<>> users_;  // user → socket ids
    std::unordered_map<std::string, std::size_t> addresses_;
    std::size_t anonymous_ = 0;
};

}  // namespace switchboard::presence
