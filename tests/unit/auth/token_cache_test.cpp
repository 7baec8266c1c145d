#include <switchboard/auth/token_cache.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::auth;

namespace {
principal user(std::string id) {
    principal p;
    p.user_id = std::move(id);
    p.anonymous = false;
    p.source = "drf";
    return p;
}
std::string key(int i) {
    std::string k = std::to_string(i);
    return std::string(40 - k.size(), '0') + k;
}
}  // namespace

TEST_CASE("audit #8: token cache entries end after their TTL", "[audit-8]") {
    token_cache c({1000, 100, 1 << 20});
    c.put(key(1), user("7"), 0);
    c.put(key(2), std::nullopt, 0);  // an unknown key is cached too
    auto hit = c.find(key(1), 999);
    REQUIRE(hit);
    REQUIRE(*hit);
    CHECK((*hit)->user_id == "7");
    auto unknown = c.find(key(2), 500);
    REQUIRE(unknown);
    CHECK_FALSE(*unknown);
    CHECK_FALSE(c.find(key(1), 1000));
    CHECK(c.size() == 1);
}

TEST_CASE("audit #8: token cache sweeps expired entries it is never asked about again", "[audit-8]") {
    token_cache c({1000, 100000, 64 << 20});
    for (int i = 0; i < 500; ++i)
        c.put(key(i), user(std::to_string(i)), i);
    CHECK(c.size() == 500);
    auto full = c.bytes();
    CHECK(full > 0);
    // Much later, one new lookup: everything else has ended and is gone.
    c.put(key(9999), user("x"), 10000);
    CHECK(c.size() == 1);
    CHECK(c.bytes() < full / 100);
    c.sweep(20000);
    CHECK(c.size() == 0);
    CHECK(c.bytes() == 0);
}

TEST_CASE("audit #8: token cache is bounded in bytes and in entries", "[audit-8]") {
    SECTION("bytes: 150 keys of 900 KiB are never held") {
        token_cache c({60000, 10000, 1 << 20});
        for (int i = 0; i < 150; ++i)
            c.put(std::string(900 * 1024, static_cast<char>('a' + i % 26)) + std::to_string(i), std::nullopt,
                  i);
        CHECK(c.size() == 0);
        CHECK(c.bytes() == 0);
    }
    SECTION("bytes: the entries closest to their end make room") {
        auto one = token_cache::entry_bytes(key(0), user("1"));
        token_cache c({60000, 10000, one * 10});
        for (int i = 0; i < 25; ++i)
            c.put(key(i), user("1"), i);
        CHECK(c.size() == 10);
        CHECK(c.bytes() <= one * 10);
        CHECK_FALSE(c.find(key(0), 30));
        CHECK(c.find(key(24), 30));
    }
    SECTION("entries") {
        token_cache c({60000, 3, 1 << 20});
        for (int i = 0; i < 10; ++i)
            c.put(key(i), user("u"), i);
        CHECK(c.size() == 3);
        CHECK(c.find(key(9), 10));
        CHECK_FALSE(c.find(key(6), 10));
    }
    SECTION("a TTL of 0 caches nothing") {
        token_cache c({0, 10, 1 << 20});
        c.put(key(1), user("1"), 0);
        CHECK(c.size() == 0);
    }
}

TEST_CASE("audit #8: token cache replaces and erases an entry", "[audit-8]") {
    token_cache c({1000, 10, 1 << 20});
    c.put(key(1), user("1"), 0);
    c.put(key(1), std::nullopt, 10);
    CHECK(c.size() == 1);
    auto hit = c.find(key(1), 20);
    REQUIRE(hit);
    CHECK_FALSE(*hit);
    c.erase(key(1));
    CHECK(c.size() == 0);
    CHECK(c.bytes() == 0);
}

TEST_CASE("audit #7: token cache forgets a disconnected user's keys", "[audit-7]") {
    token_cache c({60000, 10, 1 << 20});
    c.put(key(1), user("7"), 0);
    c.put(key(2), user("7"), 0);
    c.put(key(3), user("8"), 0);
    CHECK(c.erase_user("7") == 2);
    CHECK_FALSE(c.find(key(1), 1));
    CHECK(c.find(key(3), 1));
}
