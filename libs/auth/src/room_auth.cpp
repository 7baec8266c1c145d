#include <switchboard/auth/room_auth.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace switchboard::auth {

std::string room_auth_request(const principal& p, std::string_view room) {
    boost::json::object o{{"userId", p.user_id}, {"room", room}};
    auto colon = room.find(':');
    o["prefix"] = room.substr(0, colon);
    if (colon != std::string_view::npos) o["id"] = room.substr(colon + 1);
    if (!p.role.empty()) o["role"] = p.role;
    if (!p.college_id.empty()) o["collegeId"] = p.college_id;
    if (!p.company_id.empty()) o["companyId"] = p.company_id;
    if (!p.shop_ids.empty()) {
        boost::json::array a;
        for (const auto& s : p.shop_ids)
            a.emplace_back(s);
        o["shopIds"] = std::move(a);
    }
    o["isSuperAdmin"] = p.super_admin;
    return boost::json::serialize(o);
}

std::optional<bool> room_auth_decision(unsigned status, std::string_view body) {
    if (status != 200) return std::nullopt;
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    auto* a = v.get_object().if_contains("allowed");
    if (!a || !a->is_bool()) return std::nullopt;
    return a->get_bool();
}

std::string room_auth_cache::key(const std::string& user, const std::string& room) {
    std::string k;
    k.reserve(user.size() + room.size() + 1);
    k += user;
    k += '\n';  // neither ids nor room names hold a newline
    k += room;
    return k;
}

void room_auth_cache::erase(std::unordered_map<std::string, entry>::iterator it) {
    order_.erase(it->second.order);
    map_.erase(it);
}

std::optional<bool> room_auth_cache::find(const std::string& user, const std::string& room,
                                          std::int64_t now_ms) {
    auto it = map_.find(key(user, room));
    if (it == map_.end()) return std::nullopt;
    if (it->second.expires <= now_ms) {
        erase(it);
        return std::nullopt;
    }
    return it->second.allowed;
}

void room_auth_cache::put(const std::string& user, const std::string& room, bool allowed,
                          std::int64_t now_ms) {
    if (ttl_ <= 0 || max_ == 0) return;
    auto k = key(user, room);
    if (auto it = map_.find(k); it != map_.end()) erase(it);
    // Expired entries first (they are the oldest: one TTL for all), then the oldest live ones.
    while (!order_.empty()) {
        auto oldest = map_.find(order_.front());
        if (map_.size() < max_ && oldest->second.expires > now_ms) break;
        erase(oldest);
    }
    order_.push_back(k);
    map_.emplace(std::move(k), entry{allowed, now_ms + ttl_, std::prev(order_.end())});
}

}  // namespace switchboard::auth
