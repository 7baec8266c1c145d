#include <switchboard/auth/token_cache.hpp>

#include <iterator>

namespace switchboard::auth {

std::size_t token_cache::entry_bytes(std::string_view key, const std::optional<principal>& who) noexcept {
    // Two copies of the key (the map and the expiry index), the nodes, and the principal's strings.
    std::size_t n = 2 * key.size() + 160;
    if (who) {
        n += sizeof(principal) + who->user_id.size() + who->email.size() + who->role.size() +
             who->college_id.size() + who->company_id.size() + who->source.size();
        for (const auto& s : who->shop_ids)
            n += sizeof(std::string) + s.size();
    }
    return n;
}

std::optional<std::optional<principal>> token_cache::find(std::string_view key, std::int64_t now_ms) {
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) return std::nullopt;
    if (it->second.until <= now_ms) {
        remove(it);
        return std::nullopt;
    }
    return it->second.who;
}

void token_cache::put(std::string key, std::optional<principal> who, std::int64_t now_ms) {
    erase(key);
    sweep(now_ms);
    if (limits_.ttl_ms <= 0 || limits_.max_entries == 0) return;
    auto size = entry_bytes(key, who);
    if (size > limits_.max_bytes) return;
    // Full: the entries that would end first make room.
    while (!ends_.empty() && (entries_.size() >= limits_.max_entries || bytes_ + size > limits_.max_bytes))
        remove(entries_.find(ends_.begin()->second));
    auto until = now_ms + limits_.ttl_ms;
    auto by_end = ends_.emplace(until, key);
    entries_.emplace(std::move(key), entry{std::move(who), until, size, by_end});
    bytes_ += size;
}

void token_cache::sweep(std::int64_t now_ms) {
    while (!ends_.empty() && ends_.begin()->first <= now_ms)
        remove(entries_.find(ends_.begin()->second));
}

void token_cache::erase(std::string_view key) {
    if (auto it = entries_.find(std::string(key)); it != entries_.end()) remove(it);
}

std::size_t token_cache::erase_user(std::string_view user_id) {
    std::size_t n = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
        auto next = std::next(it);
        if (it->second.who && it->second.who->user_id == user_id) {
            remove(it);
            ++n;
        }
        it = next;
    }
    return n;
}

void token_cache::remove(std::unordered_map<std::string, entry>::iterator it) {
    bytes_ -= it->second.bytes;
    ends_.erase(it->second.by_end);
    entries_.erase(it);
}

}  // namespace switchboard::auth
