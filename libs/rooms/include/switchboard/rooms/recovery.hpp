#pragma once
// Connection-state recovery of one namespace, in memory (the single node's session_store): the
// log of server-sent events with their offsets and targeting, and the sessions kept after a
// transport loss. Thread-safe: one mutex, held for each call.
#include <switchboard/rooms/session_store.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchboard::rooms {

// Does a broadcast with `opts` reach the socket `id` that is in `rooms`?
bool broadcast_reaches(const broadcast_options& opts, const std::string& id,
                       const std::vector<std::string>& rooms);

struct logged_packet {
    std::string offset;
    std::int64_t at = 0;
    broadcast_options opts;
    encoded_packet packet;
};

class recovery_log final : public session_store {
public:
    // `max_bytes`: the log also drops its oldest packets once the packets it holds (frames,
    // attachments, offsets, targeting) exceed this (0: bounded by the window only).
    recovery_log(std::int64_t window_ms, std::string offset_prefix, std::size_t max_bytes = 0)
        : window_(window_ms), prefix_(std::move(offset_prefix)), max_bytes_(max_bytes) {}

    std::int64_t window_ms() const noexcept { return window_; }
    // Under a cluster adapter the offsets are another's (Redis stream ids, in delivery order):
    // record() then keeps every offset it is given, in the order given, instead of only its own.
    void accept_foreign_offsets(bool on) {
        std::lock_guard lock(mu_);
        foreign_ = on;
    }
    std::size_t bytes() const {
        std::lock_guard lock(mu_);
        return bytes_;
    }

    // A new offset (prefix + base 36 sequence number); its packet is then appended with the
    // returned sequence number, or recorded with the offset.
    std::pair<std::uint64_t, std::string> next_offset();
    void append(std::uint64_t seq, logged_packet p);

    // session_store
    void record(std::string_view offset, const broadcast_options& opts, const encoded_packet& pkt,
                std::int64_t now) override;
    void session_live(const std::string& pid, const std::string& sid, std::string owner = {}) override;
    void session_lost(const std::string& pid, std::vector<std::string> rooms, std::int64_t now,
                      bool keep) override;

    // For a CONNECT with {pid, offset}: the kept session and the packets after `offset` that reach
    // it, in order. nullopt when the pid is unknown, live or expired, the offset is unknown, or the
    // session belongs to another `owner` (then it stays kept for its owner); on success the kept
    // session is consumed.
    using restored = restored_session;
    // `keep_room` (when given) decides which of the kept rooms (the own-id room aside) the session
    // takes back; missed packets are those that reach the rooms it keeps, so a room the new identity
    // may no longer be in replays nothing.
    std::optional<restored> restore(const std::string& pid, const std::string& offset, std::int64_t now,
                                    const std::string& owner = {},
                                    const std::function<bool(const std::string&)>& keep_room = {}) override;

    // The packets after `offset` that reach a socket `sid` in `rooms`, in order; nullopt when the
    // offset is unknown (never seen, or trimmed). For a store that keeps sessions elsewhere.
    std::optional<std::vector<encoded_packet>> missed_after(const std::string& offset, const std::string& sid,
                                                            const std::vector<std::string>& rooms,
                                                            std::int64_t now);
    // Forgets a live or kept session (restored elsewhere).
    void forget_session(const std::string& pid) {
        std::lock_guard lock(mu_);
        sessions_.erase(pid);
    }

    // Drops packets and kept sessions older than the window, and the oldest packets over max_bytes.
    void trim(std::int64_t now) {
        std::lock_guard lock(mu_);
        trim_locked(now);
    }
    std::size_t packet_count() const {
        std::lock_guard lock(mu_);
        return packets_.size();
    }
    std::size_t session_count() const {
        std::lock_guard lock(mu_);
        return sessions_.size();
    }

private:
    static std::size_t cost(const logged_packet& p) noexcept;
    void drop_oldest();
    void trim_locked(std::int64_t now);
    void append_locked(std::uint64_t seq, logged_packet p);

    mutable std::mutex mu_;

    std::int64_t window_;
    std::string prefix_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    bool foreign_ = false;
    std::uint64_t next_seq_ = 1;
    std::map<std::uint64_t, logged_packet> packets_;
    std::unordered_map<std::string, std::uint64_t> by_offset_;
    std::unordered_map<std::string, kept_session> sessions_;
};

}  // namespace switchboard::rooms
