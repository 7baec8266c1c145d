#include <switchboard/redis/errc.hpp>
#include <switchboard/redis/url.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::redis;

TEST_CASE("url: host, port, db", "[redis][url]") {
    auto e = parse_url("redis://localhost").value();
    CHECK(e.host == "localhost");
    CHECK(e.port == 6379);
    CHECK(e.db == 0);
    CHECK(!e.tls);
    CHECK(e.password.empty());
    e = parse_url("redis://10.0.0.1:7000/3").value();
    CHECK(e.host == "10.0.0.1");
    CHECK(e.port == 7000);
    CHECK(e.db == 3);
    e = parse_url("rediss://cache.example.com:6380/").value();
    CHECK(e.tls);
    CHECK(e.port == 6380);
    CHECK(e.db == 0);
    CHECK(parse_url("redis://h/2?protocol=3").value().db == 2);
}

TEST_CASE("url: IPv6", "[redis][url]") {
    auto e = parse_url("redis://[::1]:6390/1").value();
    CHECK(e.host == "::1");
    CHECK(e.port == 6390);
    CHECK(e.to_log_string() == "redis://[::1]:6390/1");
    CHECK(parse_url("redis://[fe80::1]").value().port == 6379);
}

TEST_CASE("url: credentials", "[redis][url]") {
    auto e = parse_url("redis://:s3cret@127.0.0.1:6400").value();
    CHECK(e.user.empty());
    CHECK(e.password == "s3cret");
    e = parse_url("redis://alice:p%40ss%3Aw%2Fd@h").value();
    CHECK(e.user == "alice");
    CHECK(e.password == "p@ss:w/d");
    e = parse_url("redis://onlypassword@h").value();
    CHECK(e.user.empty());
    CHECK(e.password == "onlypassword");
    e = parse_url("redis://a%20b:@h").value();
    CHECK(e.user == "a b");
    CHECK(e.password.empty());
    CHECK(e.to_log_string() == "redis://h:6379");
}

TEST_CASE("url: errors are clear and never show the password", "[redis][url]") {
    for (std::string_view bad :
         {"http://h", "redis://", "redis://:pw@", "redis://h:", "redis://h:0", "redis://h:70000",
          "redis://h:12x", "redis://h/x", "redis://h/-1", "redis://[::1", "redis://[::1]x",
          "redis://:p%zzd@h", "redis://:pw%4@h", "redis://h h"}) {
        INFO(bad);
        std::string why;
        auto r = parse_url(bad, &why);
        REQUIRE(!r);
        CHECK(r.error() == errc::bad_url);
        CHECK(!why.empty());
        CHECK(why.find("pw") == std::string::npos);
        CHECK(why.find("p%zz") == std::string::npos);
    }
}
