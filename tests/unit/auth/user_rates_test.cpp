#include <switchboard/auth/user_rates.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::auth;

TEST_CASE("audit #13: a per-user window for REST, bounded", "[audit-13]") {
    user_rates r(1000, 3, 2);
    CHECK(r.hit("alice", 0) == 0);
    CHECK(r.hit("alice", 1) == 0);
    CHECK(r.hit("alice", 2) == 0);
    CHECK(r.hit("alice", 400) == 600);  // the 4th in the window: retry after the window ends
    CHECK(r.hit("bob", 400) == 0);      // per user
    CHECK(r.hit("carol", 400) > 0);     // past max_keys live users: refused until a window ends
    CHECK(r.hit("alice", 1000) == 0);   // a new window
    CHECK(r.hit("carol", 1500) == 0);   // the ended windows were swept
    CHECK(r.size() <= 2);
}
