// Recovery sessions in Redis (see cluster_sessions.hpp).
#include "cluster_sessions.hpp"

#include <switchboard/common/log.hpp>

#include <algorithm>

namespace switchboard::redis {

namespace cl = rooms::cluster;

void cluster_sessions::save(const std::string& sid, const live& l) {
    cl::stored_session s;
    s.sid = sid;
    s.pid = l.pid;
    // As socket.io keeps them: the socket's own id first, then its rooms.
    s.rooms.push_back(sid);
    for (const auto& r : l.rooms)
        if (r != sid) s.rooms.push_back(r);
    boost::json::object data;
    if (!l.owner.empty()) data[owner_key] = l.owner;
    s.data = std::move(data);
    bridge_->cmd->exec({"SET", key(l.pid), cl::encode_session(s), "PX", std::to_string(window().count())},
                       [](boost::system::error_code, value) {});
}

void cluster_sessions::session_live(const std::string& pid, const std::string& sid, std::string owner) {
    log_.session_live(pid, sid, owner);
    live l{pid, std::move(owner), {}};
    {
        std::lock_guard lock(mu_);
        live_[sid] = l;
    }
    save(sid, l);
}

void cluster_sessions::session_lost(const std::string& pid, std::vector<std::string> rooms, std::int64_t now,
                                    bool keep) {
    std::optional<std::pair<std::string, live>> gone;
    {
        std::lock_guard lock(mu_);
        for (auto it = live_.begin(); it != live_.end(); ++it)
            if (it->second.pid == pid) {
                gone.emplace(it->first, std::move(it->second));
                live_.erase(it);
                break;
            }
    }
    log_.session_lost(pid, rooms, now, keep);
    if (!keep) {
        bridge_->cmd->exec({"DEL", key(pid)}, [](boost::system::error_code, value) {});
        return;
    }
    if (!gone) return;
    gone->second.rooms = std::move(rooms);
    save(gone->first, gone->second);
}

void cluster_sessions::on_join(const std::string& sid, const std::string& room) {
    std::optional<live> l;
    {
        std::lock_guard lock(mu_);
        auto it = live_.find(sid);
        if (it == live_.end()) return;
        auto& rooms = it->second.rooms;
        if (std::find(rooms.begin(), rooms.end(), room) != rooms.end()) return;
        rooms.push_back(room);
        l = it->second;
    }
    save(sid, *l);
}

void cluster_sessions::on_leave(const std::string& sid, const std::string& room) {
    std::optional<live> l;
    {
        std::lock_guard lock(mu_);
        auto it = live_.find(sid);
        if (it == live_.end()) return;
        auto& rooms = it->second.rooms;
        auto r = std::find(rooms.begin(), rooms.end(), room);
        if (r == rooms.end()) return;
        rooms.erase(r);
        l = it->second;
    }
    save(sid, *l);
}

void cluster_sessions::refresh_all() {
    std::vector<std::pair<std::string, live>> all;
    {
        std::lock_guard lock(mu_);
        all.assign(live_.begin(), live_.end());
    }
    for (const auto& [sid, l] : all)
        save(sid, l);
}

void cluster_sessions::restore_async(std::string pid, std::string offset, std::int64_t now, std::string owner,
                                     std::function<bool(const std::string&)> keep_room,
                                     restore_callback done) {
    // Lost on this node: the local log has it all.
    if (auto r = log_.restore(pid, offset, now, owner, keep_room)) {
        bridge_->cmd->exec({"DEL", key(pid)}, [](boost::system::error_code, value) {});
        return done(std::move(r));
    }
    auto self = shared_from_this();
    bridge_->cmd->exec(
        {"GET", key(pid)}, [self, pid, offset, now, owner, keep_room = std::move(keep_room),
                            done = std::move(done)](boost::system::error_code ec, value v) mutable {
            if (ec || v.is_error() || v.type == kind::null) return done(std::nullopt);
            std::string error;
            auto s = cl::decode_session(v.as_string(), error);
            if (!s || s->pid != pid) return done(std::nullopt);
            // Auth ran again for this CONNECT: only the same owner takes the session back.
            std::string stored_owner;
            if (const auto* o = s->data.if_object())
                if (const auto* w = o->if_contains(owner_key); w && w->is_string())
                    stored_owner = std::string(w->as_string());
            if (stored_owner != owner) return done(std::nullopt);
            std::vector<std::string> rooms;
            for (auto& r : s->rooms)
                if (r != s->sid && (!keep_room || keep_room(r))) rooms.push_back(std::move(r));
            auto missed = self->log_.missed_after(offset, s->sid, rooms, now);
            if (!missed) return done(std::nullopt);  // the offset is unknown here: a fresh session
            self->bridge_->cmd->exec({"DEL", self->key(pid)}, [](boost::system::error_code, value) {});
            self->log_.forget_session(pid);
            rooms::restored_session r;
            r.session = rooms::kept_session{s->sid, pid, std::move(rooms), 0, owner};
            r.missed = std::move(*missed);
            done(std::move(r));
        });
}

}  // namespace switchboard::redis
