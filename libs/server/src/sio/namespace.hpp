#pragma once
// One namespace's shared state on this node (Node's Namespace and its adapter's local half): the
// room index and socket lookup under one mutex, the recovery log, the adapter every broadcast
// passes. It answers what an adapter (this node's or another node's) asks of its sockets.
#include "../engineio/engine_session.hpp"

#include <switchboard/rooms/adapter.hpp>
#include <switchboard/rooms/local_sockets.hpp>
#include <switchboard/rooms/recovery.hpp>
#include <switchboard/rooms/room_index.hpp>

#include <mutex>
#include <unordered_map>

namespace switchboard::server::detail {

class socket_impl;

class namespace_impl final : public rooms::local_sockets {
public:
    namespace_impl(server::impl& srv, namespace_& api, std::unique_ptr<rooms::recovery_log> recovery);

    // rooms::local_sockets (any thread)
    const std::string& nsp() const noexcept override { return api->name(); }
    std::size_t broadcast(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts,
                          std::string_view offset) override;
    void broadcast_with_ack(const rooms::broadcast_packet& p, const rooms::broadcast_options& opts,
                            count_callback on_count, ack_callback on_ack) override;
    void add_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void del_sockets(const rooms::broadcast_options& opts, const std::vector<std::string>& rooms) override;
    void disconnect_sockets(const rooms::broadcast_options& opts, bool close) override;
    void fetch_sockets(const rooms::broadcast_options& opts, fetch_callback done) override;
    void server_side_emit(const std::string& event, boost::json::array args, emit_reply reply) override;

    // The live sockets of this node that `opts` targets (collected under the lock).
    std::vector<std::shared_ptr<socket_impl>> targets(const rooms::broadcast_options& opts) const;
    // The adapter's session store (a cluster's), else the in-memory recovery log.
    rooms::session_store* sessions() const noexcept {
        if (!recovery) return nullptr;
        if (auto* s = adapter ? adapter->sessions() : nullptr) return s;
        return recovery.get();
    }

    server::impl& srv;
    namespace_* api = nullptr;
    mutable std::mutex mu;
    // With recovery on: the in-memory session store, whose offsets the default adapter hands out.
    std::unique_ptr<rooms::recovery_log> recovery;
    // Set when the namespace is created (the in-memory adapter unless the app installed another).
    std::shared_ptr<rooms::adapter> adapter;
    rooms::room_index index;
    std::unordered_map<std::string, std::weak_ptr<socket_impl>> sockets;
};

}  // namespace switchboard::server::detail
