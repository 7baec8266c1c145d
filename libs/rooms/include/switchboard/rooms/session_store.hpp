#pragma once
// Connection-state recovery's storage seam (Socket.IO's persistSession / restoreSession): the
// sessions of a namespace's sockets (pid → sid, rooms, owner) and the broadcasts they may have
// missed after an offset. recovery_log is the in-memory implementation; a cluster store (Redis:
// sessions under their pid, missed packets read from the stream) implements the same. Every
// method may be called from any thread.
#include <switchboard/rooms/broadcast.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::rooms {

struct kept_session {
    std::string sid;
    std::string pid;
    std::vector<std::string> rooms;
    std::int64_t lost_at = 0;  // ms; 0 while the socket is live
    std::string owner;         // whom the session belongs to (the app's user id)
};

struct restored_session {
    kept_session session;
    std::vector<encoded_packet> missed;  // in offset order
};

class session_store {
public:
    virtual ~session_store() = default;

    // A broadcast delivered with `offset`: kept for replay (a store that reads the cluster's
    // stream keeps nothing). Offsets this store does not know the form of are ignored.
    virtual void record(std::string_view offset, const broadcast_options& opts, const encoded_packet& pkt,
                        std::int64_t now) = 0;
    // A socket connected: its session exists from then on.
    virtual void session_live(const std::string& pid, const std::string& sid, std::string owner = {}) = 0;
    // It ended. `keep`: a transport loss, so it may be restored within the window; else forgotten.
    virtual void session_lost(const std::string& pid, std::vector<std::string> rooms, std::int64_t now,
                              bool keep) = 0;
    // For a CONNECT with {pid, offset}: the kept session and the packets after `offset` that reach
    // it, in order; nullopt when the pid is unknown, live or expired, the offset unknown, or the
    // session is another `owner`'s (then it stays kept). On success the kept session is consumed.
    // `keep_room` (when given) decides which kept rooms (the own-id room aside) the session takes
    // back; only packets reaching the rooms it keeps are missed.
    virtual std::optional<restored_session> restore(
        const std::string& pid, const std::string& offset, std::int64_t now, const std::string& owner = {},
        const std::function<bool(const std::string&)>& keep_room = {}) = 0;

    // The same, for a store that asks another service (Redis): `done` runs once, on any thread.
    // The default answers at once with restore().
    using restore_callback = std::function<void(std::optional<restored_session>)>;
    virtual void restore_async(std::string pid, std::string offset, std::int64_t now, std::string owner,
                               std::function<bool(const std::string&)> keep_room, restore_callback done) {
        done(restore(pid, offset, now, owner, keep_room));
    }
};

}  // namespace switchboard::rooms
