#pragma once
// A token_cache in front of a user_lookup, as the gateway keeps one for Django keys today: a cached
// answer (a principal, or "unknown key") comes at once; otherwise the lookup is asked and its
// answer cached. "Cannot answer now" is never cached. Thread-safe: a mutex held for the cache only,
// never across a lookup. Pure: time comes from the clock function (ms of a monotonic clock).
#include <switchboard/auth/token_cache.hpp>
#include <switchboard/auth/user_lookup.hpp>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace switchboard::auth {

class cached_user_lookup final : public user_lookup {
public:
    using clock_fn = std::function<std::int64_t()>;
    // `inner` and this object must outlive every lookup in flight.
    cached_user_lookup(user_lookup& inner, token_cache::limits l, clock_fn now_ms);

    // From the cache when it holds `key`; else from `inner`.
    void by_token(std::string key, handler done) override;
    // Always from `inner` (a periodic re-check); the answer replaces the cached one.
    void by_token_fresh(std::string key, handler done);
    // Forgets `user_id`'s keys (the user was disconnected by a backend); how many.
    std::size_t forget_user(std::string_view user_id);
    std::size_t size();

private:
    user_lookup& inner_;
    clock_fn now_ms_;
    std::mutex mu_;
    token_cache cache_;
};

}  // namespace switchboard::auth
