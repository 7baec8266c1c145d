#include <switchboard/auth/cached_user_lookup.hpp>

namespace switchboard::auth {

cached_user_lookup::cached_user_lookup(user_lookup& inner, token_cache::limits l, clock_fn now_ms)
    : inner_(inner), now_ms_(std::move(now_ms)), cache_(l) {}

void cached_user_lookup::by_token(std::string key, handler done) {
    std::optional<std::optional<principal>> hit;
    {
        std::lock_guard lock(mu_);
        hit = cache_.find(key, now_ms_());
    }
    if (hit) return done(lookup_result(std::move(*hit)));
    by_token_fresh(std::move(key), std::move(done));
}

void cached_user_lookup::by_token_fresh(std::string key, handler done) {
    auto k = key;
    inner_.by_token(std::move(k),
                    [this, key = std::move(key), done = std::move(done)](lookup_result r) mutable {
                        if (r) {
                            std::lock_guard lock(mu_);
                            cache_.put(std::move(key), *r, now_ms_());
                        }
                        done(std::move(r));
                    });
}

std::size_t cached_user_lookup::forget_user(std::string_view user_id) {
    std::lock_guard lock(mu_);
    return cache_.erase_user(user_id);
}

std::size_t cached_user_lookup::size() {
    std::lock_guard lock(mu_);
    return cache_.size();
}

}  // namespace switchboard::auth
