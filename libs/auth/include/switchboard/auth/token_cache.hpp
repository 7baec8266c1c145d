#pragma once
// The cache of looked-up Django REST Framework token keys (issue #11, finding 8): key → principal
// (or "unknown key"), each entry trusted for a TTL. Bounded in entries and in bytes (keys and
// principals counted), swept of expired entries as it is used; when full, the entries closest to
// their end go first. Pure: time is an argument (milliseconds of any monotonic clock).
#include <switchboard/auth/identity.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace switchboard::auth {

class token_cache {
public:
    struct limits {
        std::int64_t ttl_ms = 60000;       // 0: nothing is cached
        std::size_t max_entries = 10000;   // 0: nothing is cached
        std::size_t max_bytes = 4u << 20;  // keys + principals, estimated
    };
    explicit token_cache(limits l) : limits_(l) {}

    // The cached answer for `key`: outer nullopt when not cached (or expired); the inner optional
    // is the principal, nullopt for a key known to be unknown.
    std::optional<std::optional<principal>> find(std::string_view key, std::int64_t now_ms);
    // Caches `who` for `key` until now + ttl; replaces an entry for the same key. Sweeps expired
    // entries first, then evicts the entries closest to their end until the new one fits. An entry
    // larger than max_bytes on its own is not cached.
    void put(std::string key, std::optional<principal> who, std::int64_t now_ms);
    // Drops every entry whose TTL has passed.
    void sweep(std::int64_t now_ms);
    void erase(std::string_view key);
    // Drops every entry of `user_id` (the user was disconnected by a backend); how many.
    std::size_t erase_user(std::string_view user_id);

    std::size_t size() const noexcept { return entries_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }
    // The bytes an entry is counted for (key, principal strings and a fixed overhead).
    static std::size_t entry_bytes(std::string_view key, const std::optional<principal>& who) noexcept;

private:
    struct entry {
        std::optional<principal> who;
        std::int64_t until;
        std::size_t bytes;
        std::multimap<std::int64_t, std::string>::iterator by_end;
    };
    void remove(std::unordered_map<std::string, entry>::iterator it);

    limits limits_;
    std::unordered_map<std::string, entry> entries_;
    std::multimap<std::int64_t, std::string> ends_;  // until → key, to sweep and evict in order
    std::size_t bytes_ = 0;
};

}  // namespace switchboard::auth
