#include <switchboard/server/http_client.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::server;

TEST_CASE("audit #12: ROOM_AUTH_URL forms: http://host[:port][/path]", "[audit-12]") {
    auto u = parse_http_url("http://127.0.0.1:8080/rooms/check?x=1");
    REQUIRE(u);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == "8080");
    CHECK(u->target == "/rooms/check?x=1");
    u = parse_http_url("http://backend");
    REQUIRE(u);
    CHECK(u->port == "80");
    CHECK(u->target == "/");
    u = parse_http_url("http://[::1]:9000/a");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->port == "9000");
    for (auto bad : {"https://backend/", "backend/x", "http://", "http://:80/", "http://h:port/",
                     "http://u@h/", "http://h/a b", "http://[::1/"})
        CHECK_FALSE(parse_http_url(bad));
}
