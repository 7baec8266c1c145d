#include <switchboard/presence/registry.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::presence;

TEST_CASE("presence: users come online with their first socket and leave with their last") {
    registry r;
    CHECK(r.add({"s1", "u1", "1.1.1.1", 0}));
    CHECK_FALSE(r.add({"s2", "u1", "1.1.1.1", 0}));
    CHECK_FALSE(r.add({"s2", "u1", "1.1.1.1", 0}));  // idempotent
    CHECK_FALSE(r.add({"s3", "", "2.2.2.2", 0}));
    CHECK(r.connections() == 3);
    CHECK(r.authenticated() == 2);
    CHECK(r.anonymous() == 1);
    CHECK(r.unique_users() == 1);
    CHECK(r.devices("u1") == 2);
    CHECK(r.from_address("1.1.1.1") == 2);
    CHECK(r.users() == std::vector<std::string>{"u1"});
    CHECK_FALSE(r.remove("s1"));
    CHECK(r.online("u1"));
    CHECK(r.remove("s2"));
    CHECK_FALSE(r.online("u1"));
    CHECK(r.from_address("1.1.1.1") == 0);
    CHECK_FALSE(r.remove("s2"));
    r.remove("s3");
    CHECK(r.connections() == 0);
    CHECK(r.anonymous() == 0);
}
