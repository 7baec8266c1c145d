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
    CHECK(check_join(r, p, "user:") == join_verdict::invalid_name);  // ids.hpp: no trailing colon
    CHECK(check_join(r, p, "college:7") == join_verdict::allowed);
    CHECK(check_join(r, p, "college:8") == join_verdict::forbidden);
    CHECK(check_join(r, p, "company:c2") == join_verdict::forbidden);
    CHECK(check_join(r, p, "shop:s2") == join_verdict::allowed);
    CHECK(check_join(r, p, "shop:s3") == join_verdict::forbidden);
    CHECK(check_join(r, p, "role:admin") == join_verdict::forbidden);
    CHECK(check_join(r, p, "super_admin") == join_verdict::forbidden);
    CHECK(check_join(r, p, "survey:1") == join_verdict::forbidden);   // no rule: denied (audit #12)
    CHECK(check_join(r, p, "chat-room") == join_verdict::forbidden);  // a bare name not listed
    CHECK(check_join(r, p, "") == join_verdict::invalid_name);
    CHECK(check_join(r, p, std::string(129, 'a')) == join_verdict::invalid_name);
    CHECK(check_join(r, p, "bad\nname") == join_verdict::invalid_name);
    CHECK(check_join(r, p, "user:42", r.max_rooms_per_socket) == join_verdict::too_many_rooms);
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
    CHECK(check_join(*r, anon, "public:") == join_verdict::invalid_name);
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

TEST_CASE("audit #2: bare room names (socket ids) are unnameable unless listed", "[audit-2]") {
    room_rules r;
    auto p = user("42");
    CHECK(check_join(r, p, "Xk3pQ9aZ_b-1") == join_verdict::forbidden);  // a socket id's shape
    CHECK(check_join(r, p, "global") == join_verdict::allowed);
    auto open = parse_rules(R"({"default":"open"})");
    REQUIRE(open.has_value());
    CHECK(check_join(*open, p, "Xk3pQ9aZ_b-1") == join_verdict::forbidden);  // default open: prefix:id only
    CHECK(check_join(*open, p, "survey:1") == join_verdict::allowed);
    auto listed = parse_rules(R"({"prefixes":{"lobby":"open"}})");
    REQUIRE(listed.has_value());
    CHECK(check_join(*listed, p, "lobby") == join_verdict::allowed);
    principal anon;
    CHECK(check_join(r, anon, "Xk3pQ9aZ_b-1") == join_verdict::anonymous_denied);
    CHECK(check_join(r, p, "bad name") == join_verdict::invalid_name);  // ids.hpp character set
    CHECK(check_join(r, p, "a::b") == join_verdict::invalid_name);
}

TEST_CASE("audit #12: prefixes without a rule are denied, claim:<name> and backend rules", "[audit-12]") {
    room_rules r;
    auto p = user("42");
    CHECK(check_join(r, p, "survey:77") == join_verdict::forbidden);
    CHECK(check_join(r, p, "project:5") == join_verdict::forbidden);
    CHECK(open_rules(r).empty());  // the built-in rules open nothing but global

    auto rules =
        parse_rules(R"({"prefixes":{"survey":"claim:surveyIds","project":"backend","lobby":"open"}})");
    REQUIRE(rules.has_value());
    p.claims = {{"surveyIds", {"3", "77"}}};
    CHECK(check_join(*rules, p, "survey:77") == join_verdict::allowed);
    CHECK(check_join(*rules, p, "survey:78") == join_verdict::forbidden);
    CHECK(check_join(*rules, user("43"), "survey:77") == join_verdict::forbidden);  // no such claim
    CHECK(check_join(*rules, p, "project:5") == join_verdict::ask_backend);
    CHECK(check_join(*rules, p, "project") == join_verdict::forbidden);  // no id to ask about
    CHECK(uses_backend(*rules));
    CHECK_FALSE(uses_backend(r));
    CHECK(open_rules(*rules) == std::vector<std::string>{"prefix lobby open"});
    CHECK(open_rules(*parse_rules(R"({"default":"open"})")) == std::vector<std::string>{"default open"});
    CHECK_FALSE(parse_rules(R"({"prefixes":{"x":"claim:"}})").has_value());
    CHECK_FALSE(parse_rules(R"({"prefixes":{"x":"claim:a b"}})").has_value());

    // The claim comes from the token: one id or an array of ids, other claims ignored.
    auto one = principal_from_claims(json::parse(R"({"userId":"9","surveyIds":77,"exp":5})").as_object());
    REQUIRE(one.has_value());
    CHECK(check_join(*rules, *one, "survey:77") == join_verdict::allowed);
    auto many = principal_from_claims(json::parse(R"({"userId":"9","surveyIds":["1",2,"x y"]})").as_object());
    REQUIRE(many.has_value());
    CHECK(check_join(*rules, *many, "survey:2") == join_verdict::allowed);
    CHECK(check_join(*rules, *many, "survey:77") == join_verdict::forbidden);
}
