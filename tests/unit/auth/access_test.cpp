#include <switchboard/auth/access.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace switchboard::auth;
namespace json = boost::json;

namespace {
principal user(std::string id) {
    principal p;
    p.user_id = std::move(id);
    p.anonymous = false;
    p.college_id = "7";
    p.company_id = "c1";
    p.shop_ids = {"s1", "s2"};
    p.role = "staff";
    return p;
}
}  // namespace

TEST_CASE("access: auto rooms from the claims") {
    auto p = user("42");
    CHECK(auto_rooms(p) == std::vector<std::string>{"global", "user:42", "college:7", "company:c1", "shop:s1",
                                                    "shop:s2", "role:staff"});
    p.super_admin = true;
    CHECK(auto_rooms(p).back() == "super_admin");
    CHECK(auto_rooms(principal{}) == std::vector<std::string>{"global"});
}

TEST_CASE("access: default rules") {
    room_rules r;
    auto p = user("42");
    CHECK(check_join(r, p, "user:42") == join_verdict::allowed);
    CHECK(check_join(r, p, "user:43") == join_verdict::forbidden);
    CHECK(check_join(r, p, "user:") == join_verdict::forbidden);
    CHECK(check_join(r, p, "college:7") == join_verdict::allowed);
    CHECK(check_join(r, p, "college:8") == join_verdict::forbidden);
    CHECK(check_join(r, p, "company:c2") == join_verdict::forbidden);
    CHECK(check_join(r, p, "shop:s2") == join_verdict::allowed);
    CHECK(check_join(r, p, "shop:s3") == join_verdict::forbidden);
    CHECK(check_join(r, p, "role:admin") == join_verdict::forbidden);
    CHECK(check_join(r, p, "super_admin") == join_verdict::forbidden);
    CHECK(check_join(r, p, "survey:1") == join_verdict::allowed);
    CHECK(check_join(r, p, "chat-room") == join_verdict::allowed);
    CHECK(check_join(r, p, "") == join_verdict::invalid_name);
    CHECK(check_join(r, p, std::string(129, 'a')) == join_verdict::invalid_name);
    CHECK(check_join(r, p, "bad\nname") == join_verdict::invalid_name);
    CHECK(check_join(r, p, "x", r.max_rooms_per_socket) == join_verdict::too_many_rooms);
    principal anon;
    CHECK(check_join(r, anon, "global") == join_verdict::allowed);
    CHECK(check_join(r, anon, "survey:1") == join_verdict::anonymous_denied);
    auto admin = user("1");
    admin.super_admin = true;
    CHECK(check_join(r, admin, "college:99") == join_verdict::allowed);
    CHECK(check_join(r, admin, "super_admin") == join_verdict::allowed);
    CHECK(check_join(r, admin, "user:2") == join_verdict::forbidden);  // bypass never covers "self"
}

TEST_CASE("access: a rules file replaces what it names, and rejects what it cannot use") {
    auto r =
        parse_rules(R"({"anonymousRooms":["global","public:*"],"prefixes":{"survey":"deny","college":"open"},
                             "default":"deny","superAdminBypass":false,"maxRoomsPerSocket":3})");
    REQUIRE(r.has_value());
    principal anon;
    CHECK(check_join(*r, anon, "public:news") == join_verdict::allowed);
    CHECK(check_join(*r, anon, "public:") == join_verdict::anonymous_denied);
    CHECK(check_join(*r, anon, "publicx") == join_verdict::anonymous_denied);
    auto p = user("42");
    CHECK(check_join(*r, p, "survey:1") == join_verdict::forbidden);
    CHECK(check_join(*r, p, "college:99") == join_verdict::allowed);
    CHECK(check_join(*r, p, "other:1") == join_verdict::forbidden);
    CHECK(check_join(*r, p, "user:42") == join_verdict::allowed);
    CHECK(check_join(*r, p, "user:42", 3) == join_verdict::too_many_rooms);
    std::string why;
    CHECK_FALSE(parse_rules(R"({"prefixes":{"x":"maybe"}})", &why).has_value());
    CHECK(why.find("prefixes.x") != std::string::npos);
    CHECK_FALSE(parse_rules(R"({"colour":"blue"})", &why).has_value());
    CHECK(why == "unknown key colour");
    CHECK_FALSE(parse_rules("[1]").has_value());
    CHECK_FALSE(parse_rules(R"({"default":"self"})").has_value());
    CHECK_FALSE(parse_rules(R"({"maxRoomsPerSocket":0})").has_value());
}

TEST_CASE("access: room names from event arguments") {
    CHECK(room_from_arg(json::value("a")) == "a");
    CHECK(room_from_arg(json::parse(R"({"room":"b"})")) == "b");
    CHECK(room_from_arg(json::parse(R"({"roomType":"survey","roomId":12})")) == "survey:12");
    CHECK(room_from_arg(json::parse(R"({"roomId":"chat-room","isTyping":true})")) == "chat-room");
    CHECK_FALSE(room_from_arg(json::parse(R"({"room":5})")));
    CHECK_FALSE(room_from_arg(json::parse(R"({"roomType":"",  "roomId":1})")));
    CHECK_FALSE(room_from_arg(json::parse("null")));
    CHECK_FALSE(room_from_arg(json::value("")));
}
