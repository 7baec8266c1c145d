#include <switchboard/presence/registry.hpp>

#include <algorithm>

namespace switchboard::presence {

bool registry::add(connection c) {
    if (sockets_.count(c.socket_id)) return false;
    ++addresses_[c.address];
    bool first = false;
    if (c.user_id.empty()) {
        ++anonymous_;
    } else {
        auto& ids = users_[c.user_id];
        first = ids.empty();
        ids.push_back(c.socket_id);
    }
    std::string id = c.socket_id;
    sockets_.emplace(std::move(id), std::move(c));
    return first;
}

bool registry::remove(std::string_view socket_id) {
    auto it = sockets_.find(std::string(socket_id));
    if (it == sockets_.end()) return false;
    const auto& c = it->second;
    if (auto a = addresses_.find(c.address); a != addresses_.end() && --a->second == 0) addresses_.erase(a);
    bool last = false;
    if (c.user_id.empty()) {
        --anonymous_;
    } else if (auto u = users_.find(c.user_id); u != users_.end()) {
        std::erase(u->second, c.socket_id);
        if (u->second.empty()) {
            users_.erase(u);
            last = true;
        }
    }
    sockets_.erase(it);
    return last;
}

bool registry::online(std::string_view user_id) const {
    return users_.find(user_id) != users_.end();
}

std::size_t registry::devices(std::string_view user_id) const {
    auto it = users_.find(user_id);
    return it == users_.end() ? 0 : it->second.size();
}

std::vector<std::string> registry::users() const {
    std::vector<std::string> out;
    out.reserve(users_.size());
    for (const auto& [u, _] : users_)
        out.push_back(u);
    return out;
}

std::vector<std::string> registry::sockets_of(std::string_view user_id) const {
    auto it = users_.find(user_id);
    return it == users_.end() ? std::vector<std::string>{} : it->second;
}

std::size_t registry::from_address(std::string_view address) const {
    auto it = addresses_.find(std::string(address));
    return it == addresses_.end() ? 0 : it->second;
}

}  // namespace switchboard::presence
