// Identifier character sets (audit finding #1: ids with NUL or ':' reached SQL and room names).
#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/ids.hpp>

#include <catch2/catch.hpp>

#include <boost/json/value.hpp>

#include <string>

using namespace switchboard::auth;
using namespace std::string_literals;

TEST_CASE("audit #1: user ids are 1-128 bytes of A-Z a-z 0-9 . _ - @ +", "[auth][ids][audit-1]") {
    CHECK(valid_id("12"));
    CHECK(valid_id("user-7_a.b+tag@example.com"));
    CHECK(valid_id(std::string(128, 'a')));
    CHECK_FALSE(valid_id(""));
    CHECK_FALSE(valid_id(std::string(129, 'a')));
    CHECK_FALSE(valid_id("12:345"));
    CHECK_FALSE(valid_id("345\0"s));
    CHECK_FALSE(valid_id("a b"));
    CHECK_FALSE(valid_id("a/b"));
    CHECK_FALSE(valid_id("a%00"));
    CHECK_FALSE(valid_id("\xc3\xa9"));
}

TEST_CASE("audit #1: id_text refuses what is not an id", "[auth][ids][audit-1]") {
    CHECK(id_text(boost::json::value("12")) == "12");
    CHECK(id_text(boost::json::value(12)) == "12");
    CHECK_FALSE(id_text(boost::json::value("12:345\0"s)));
    CHECK_FALSE(id_text(boost::json::value("12:345")));
    CHECK_FALSE(id_text(boost::json::value("")));
    CHECK_FALSE(id_text(boost::json::value(1.5)));
}

TEST_CASE("audit #1: room names split one way", "[auth][ids][audit-1]") {
    CHECK(valid_room_name("global"));
    CHECK(valid_room_name("user:12"));
    CHECK(valid_room_name("survey:77:answers"));
    CHECK_FALSE(valid_room_name(""));
    CHECK_FALSE(valid_room_name(":x"));
    CHECK_FALSE(valid_room_name("x:"));
    CHECK_FALSE(valid_room_name("a::b"));
    CHECK_FALSE(valid_room_name("room one"));
    CHECK_FALSE(valid_room_name("a\0b"s));
    CHECK_FALSE(valid_room_name(std::string(129, 'r')));
    CHECK(valid_room_name(std::string(20, 'r'), 20));
    CHECK_FALSE(valid_room_name(std::string(21, 'r'), 20));
}

TEST_CASE("audit #1: client message ids, DRF keys and JWT shapes", "[auth][ids][audit-1]") {
    CHECK(valid_client_message_id("3f2a1c9e-0b7d-4c1e-9a55-1b2c3d4e5f60"));
    CHECK(valid_client_message_id("web:1700000000:1"));
    CHECK_FALSE(valid_client_message_id("x\0"s));
    CHECK_FALSE(valid_client_message_id(std::string(129, 'x')));
    CHECK(valid_drf_key("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"));
    CHECK_FALSE(valid_drf_key("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4"));
    CHECK_FALSE(valid_drf_key("9944b09199c62bcf9418ad846dd0e4bbdfc6ee4g"));
    CHECK_FALSE(valid_drf_key(std::string(900 * 1024, 'a')));
    CHECK(valid_jwt_shape("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
    CHECK_FALSE(valid_jwt_shape("a.b"));
    CHECK_FALSE(valid_jwt_shape("a..c"));
    CHECK_FALSE(valid_jwt_shape("a.b.c.d"));
    CHECK_FALSE(valid_jwt_shape("a.b.c="));
    CHECK_FALSE(valid_jwt_shape(std::string(8193, 'a')));
}
