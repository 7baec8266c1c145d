#pragma once
// Room index of one namespace: room → members, member → rooms. Pure and single-threaded; the shell
// guards it. Every member is implicitly in the room named by its own id, as in Socket.IO.
#include <switchboard/rooms/broadcast.hpp>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace switchboard::rooms {

class room_index {
public:
    // Registers a member (its own-id room). Idempotent.
    void add(const std::string& id);
    // Removes a member from every room; returns the rooms it was in (not counting its own id).
    std::vector<std::string> remove(const std::string& id);
    // false when `id` is not a member (added), `room` is empty or is another member's id (an own-id
    // room has one member, always).
    bool join(const std::string& id, const std::string& room);
    bool leave(const std::string& id, const std::string& room);

    bool contains(const std::string& id) const { return members_.count(id) != 0; }
    bool in_room(const std::string& id, const std::string& room) const;
    std::vector<std::string> rooms_of(const std::string& id) const;
    std::size_t room_size(const std::string& room) const;
    std::size_t member_count() const noexcept { return members_.size(); }
    std::size_t room_count() const noexcept { return rooms_.size(); }
    std::vector<std::pair<std::string, std::size_t>> room_sizes() const;

    // Calls f(id) once for every member the broadcast reaches.
    template <class F>
    void for_each_target(const broadcast_options& opts, F&& f) const {
        auto excluded = [&](const std::string& id) {
            for (const auto& r : opts.except)
                if (r == id || in_room(id, r)) return true;
            return false;
        };
        if (opts.rooms.empty()) {
            for (const auto& [id, _] : members_)
                if (!excluded(id)) f(id);
            return;
        }
        if (opts.rooms.size() == 1) {
            visit_room(opts.rooms.front(), [&](const std::string& id) {
                if (!excluded(id)) f(id);
            });
            return;
        }
        std::unordered_set<std::string> seen;
        for (const auto& room : opts.rooms)
            visit_room(room, [&](const std::string& id) {
                if (!excluded(id) && seen.insert(id).second) f(id);
            });
    }

private:
    // A member's own-id room reaches that member only, whoever else holds a room of that name
    // (joined before the member existed).
    template <class F>
    void visit_room(const std::string& room, F&& f) const {
        if (members_.count(room))
            f(room);
        else if (auto it = rooms_.find(room); it != rooms_.end())
            for (const auto& id : it->second)
                f(id);
    }

    std::unordered_map<std::string, std::vector<std::string>> members_;  // id → rooms
    std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;
};

}  // namespace switchboard::rooms
