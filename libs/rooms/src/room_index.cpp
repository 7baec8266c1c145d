#include <switchboard/rooms/room_index.hpp>

#include <algorithm>

namespace switchboard::rooms {

void room_index::add(const std::string& id) {
    members_.try_emplace(id);
}

std::vector<std::string> room_index::remove(const std::string& id) {
    auto it = members_.find(id);
    if (it == members_.end()) return {};
    std::vector<std::string> rooms = std::move(it->second);
    members_.erase(it);
    for (const auto& r : rooms) {
        auto rit = rooms_.find(r);
        if (rit == rooms_.end()) continue;
        rit->second.erase(id);
        if (rit->second.empty()) rooms_.erase(rit);
    }
    return rooms;
}

bool room_index::join(const std::string& id, const std::string& room) {
    auto it = members_.find(id);
    if (it == members_.end() || room.empty()) return false;
    if (room == id) return true;
    if (members_.count(room)) return false;
    if (rooms_[room].insert(id).second) it->second.push_back(room);
    return true;
}

bool room_index::leave(const std::string& id, const std::string& room) {
    auto it = members_.find(id);
    if (it == members_.end()) return false;
    auto rit = rooms_.find(room);
    if (rit == rooms_.end() || rit->second.erase(id) == 0) return false;
    if (rit->second.empty()) rooms_.erase(rit);
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), room), list.end());
    return true;
}

bool room_index::in_room(const std::string& id, const std::string& room) const {
    if (id == room) return members_.count(id) != 0;
    if (members_.count(room)) return false;  // another member's own-id room
    auto rit = rooms_.find(room);
    return rit != rooms_.end() && rit->second.count(id) != 0;
}

std::vector<std::string> room_index::rooms_of(const std::string& id) const {
    auto it = members_.find(id);
    return it == members_.end() ? std::vector<std::string>{} : it->second;
}

std::size_t room_index::room_size(const std::string& room) const {
    if (members_.count(room)) return 1;
    auto rit = rooms_.find(room);
    if (rit != rooms_.end()) return rit->second.size();
    return members_.count(room);
}

std::vector<std::pair<std::string, std::size_t>> room_index::room_sizes() const {
    std::vector<std::pair<std::string, std::size_t>> out;
    out.reserve(rooms_.size());
    for (const auto& [name, set] : rooms_)
        out.emplace_back(name, set.size());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace switchboard::rooms
