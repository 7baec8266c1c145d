#include <switchboard/auth/connect_refusals.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::auth;

TEST_CASE("audit #8: refused CONNECTs close the session after the per-session limit", "[audit-8]") {
    connect_refusals r({5, 0, 60000, 1000});
    for (int i = 0; i < 4; ++i)
        CHECK_FALSE(r.refused("s1", "10.0.0.1", i));
    CHECK(r.refused("s1", "10.0.0.1", 4));
    // Another session starts afresh; a success clears the count.
    CHECK_FALSE(r.refused("s2", "10.0.0.1", 5));
    r.connected("s2");
    for (int i = 0; i < 4; ++i)
        CHECK_FALSE(r.refused("s2", "10.0.0.1", 6 + i));
}

TEST_CASE("audit #8: refused CONNECTs are limited per address in a window", "[audit-8]") {
    connect_refusals r({0, 3, 1000, 1000});
    CHECK(r.allowed("10.0.0.1", 0));
    for (int i = 0; i < 3; ++i)
        r.refused("s" + std::to_string(i), "10.0.0.1", i);
    CHECK_FALSE(r.allowed("10.0.0.1", 10));
    CHECK(r.allowed("10.0.0.2", 10));  // other addresses are not affected
    CHECK_FALSE(r.allowed("10.0.0.1", 999));
    CHECK(r.allowed("10.0.0.1", 1000));  // the window has ended
}

TEST_CASE("audit #8: refused-CONNECT tracking stays bounded", "[audit-8]") {
    connect_refusals r({5, 100, 1000, 50});
    for (int i = 0; i < 1000; ++i)
        r.refused("s" + std::to_string(i), "a" + std::to_string(i), 0);
    CHECK(r.tracked() <= 100);
    r.refused("late", "late", 5000);  // a window later: the idle entries are swept
    CHECK(r.tracked() == 2);
}
