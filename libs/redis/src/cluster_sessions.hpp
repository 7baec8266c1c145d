#pragma once
// Connection-state recovery across instances: sessions in Redis as the streams adapter stores them
// (`sio:session:<pid>` = base64(msgpack {sid, pid, rooms, data}), PX the recovery window), so a
// client recovers on any node, Node or ours. Better than upstream: a session is saved when its
// socket connects, again when its rooms change, and refreshed while it lives, so the clients of
// an instance that crashed still recover; the owner (the app's user id) is kept and checked.
// Missed packets come from this node's recovery log, which records every broadcast of the
// namespace with its stream id (every node delivers every entry).
#include "bridge_impl.hpp"

#include <switchboard/rooms/recovery.hpp>

namespace switchboard::redis {

class cluster_sessions final : public rooms::session_store,
                               public std::enable_shared_from_this<cluster_sessions> {
public:
    cluster_sessions(std::shared_ptr<streams_bridge::impl> bridge, rooms::recovery_log& log, std::string nsp)
        : bridge_(std::move(bridge)), log_(log), nsp_(std::move(nsp)) {}

    void record(std::string_view offset, const rooms::broadcast_options& opts,
                const rooms::encoded_packet& pkt, std::int64_t now) override {
        log_.record(offset, opts, pkt, now);
    }
    void session_live(const std::string& pid, const std::string& sid, std::string owner = {}) override;
    void session_lost(const std::string& pid, std::vector<std::string> rooms, std::int64_t now,
                      bool keep) override;
    // This node's kept sessions only (the synchronous form).
    std::optional<rooms::restored_session> restore(
        const std::string& pid, const std::string& offset, std::int64_t now, const std::string& owner = {},
        const std::function<bool(const std::string&)>& keep_room = {}) override {
        return log_.restore(pid, offset, now, owner, keep_room);
    }
    void restore_async(std::string pid, std::string offset, std::int64_t now, std::string owner,
                       std::function<bool(const std::string&)> keep_room, restore_callback done) override;

    void on_join(const std::string& sid, const std::string& room);
    void on_leave(const std::string& sid, const std::string& room);
    // Saves every live session again (their keys outlive a crash by one window at most).
    void refresh_all();

    std::int64_t window_ms() const { return log_.window_ms(); }

    // The owner a stored session's data carries (our sessions only).
    static constexpr const char* owner_key = "_switchboard_owner";

private:
    struct live {
        std::string pid;
        std::string owner;
        std::vector<std::string> rooms;
    };
    void save(const std::string& sid, const live& l);
    std::string key(const std::string& pid) const { return "sio:session:" + pid; }
    std::chrono::milliseconds window() const { return std::chrono::milliseconds(log_.window_ms()); }

    std::shared_ptr<streams_bridge::impl> bridge_;
    rooms::recovery_log& log_;
    std::string nsp_;
    std::mutex mu_;
    std::unordered_map<std::string, live> live_;  // by sid
};

}  // namespace switchboard::redis
