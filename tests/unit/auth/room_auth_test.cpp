#include <switchboard/auth/room_auth.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace switchboard::auth;
namespace json = boost::json;

TEST_CASE("audit #12: the backend room check: request, decision, cache", "[audit-12]") {
    principal p;
    p.user_id = "42";
    p.anonymous = false;
    p.college_id = "7";
    auto req = json::parse(room_auth_request(p, "project:5")).as_object();
    CHECK(req.at("userId") == "42");
    CHECK(req.at("room") == "project:5");
    CHECK(req.at("prefix") == "project");
    CHECK(req.at("id") == "5");
    CHECK(req.at("collegeId") == "7");
    CHECK_FALSE(req.contains("companyId"));

    CHECK(room_auth_decision(200, R"({"allowed":true})") == true);
    CHECK(room_auth_decision(200, R"({"allowed":false})") == false);
    CHECK_FALSE(room_auth_decision(200, R"({"allowed":"yes"})"));
    CHECK_FALSE(room_auth_decision(200, "not json"));
    CHECK_FALSE(room_auth_decision(500, R"({"allowed":true})"));
    CHECK_FALSE(room_auth_decision(403, R"({"allowed":true})"));

    room_auth_cache c(1000, 2);
    CHECK_FALSE(c.find("42", "project:5", 0));
    c.put("42", "project:5", true, 0);
    c.put("43", "project:5", false, 10);
    CHECK(c.find("42", "project:5", 999) == true);
    CHECK(c.find("43", "project:5", 999) == false);
    CHECK_FALSE(c.find("42", "project:5", 1000));  // expired
    c.put("44", "project:5", true, 1005);
    c.put("45", "project:5", true, 1006);  // bounded: the oldest goes
    CHECK(c.size() == 2);
    CHECK_FALSE(c.find("43", "project:5", 1006));
    CHECK(c.find("45", "project:5", 1006) == true);
    room_auth_cache off(0, 10);  // TTL 0: nothing cached
    off.put("42", "project:5", true, 0);
    CHECK(off.size() == 0);
}
