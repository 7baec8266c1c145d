// push_service over fake ports: the services' notifications and broadcasts, validated whole
// before anything is sent.
#include "fakes.hpp"

#include <switchboard/domain/push_service.hpp>

#include <catch2/catch.hpp>

using namespace sbtest;

namespace {

struct push_fixture {
    boost::asio::io_context ctx;
    memory_notifications repo;
    recording_delivery out;
    fixed_clock clock;
    domain::failures errors{clock, nullptr};
    domain::notification_service notes{repo, out, clock, errors, {"admin"}};
    domain::push_service push{notes, out, clock};
};

std::string error_of(const domain::outcome& o) {
    REQUIRE(o.body.contains("error"));
    return std::string(o.body.at("error").as_string());
}

}  // namespace

TEST_CASE("push_service: notify stores and tells without a role check, answering 200") {
    push_fixture f;
    auto o = run(f.ctx, f.push.notify(obj(R"({"recipient_id":"u1","title":"t","message":"m"})"), false));
    CHECK(o.status == 200);
    CHECK(o.body.at("notification").at("senderId").is_null());
    REQUIRE(f.out.events("notification:new").size() == 1);
    CHECK(f.out.events("notification:new")[0].to.rooms == std::vector<std::string>{"user:u1"});
    auto b = run(f.ctx, f.push.notify(obj(R"({"global":true,"title":"t","message":"m"})"), true));
    CHECK(b.body.at("notification").at("audience") == "global");
    auto bad = run(f.ctx, f.push.notify(obj(R"({"title":"t","message":"m"})"), false));
    CHECK(bad.status == 400);
    CHECK(error_of(bad) == "recipientId is required");
    CHECK(f.repo.rows.size() == 2);
}

TEST_CASE("push_service: broadcasts to a room, a user and everyone") {
    push_fixture f;
    f.out.reach["order:7"] = 3;
    auto r = f.push.to_room(obj(R"({"room":"order:7","event":"order.updated","data":{"x":1}})"));
    CHECK(
        r.body ==
        json::object{{"success", true}, {"room", "order:7"}, {"event", "order.updated"}, {"recipients", 3}});
    CHECK(f.out.log.back().arg == json::object{{"x", 1}});
    auto u = f.push.to_user(obj(R"({"userId":42,"event":"e"})"));
    CHECK(u.body.at("userId") == "42");
    CHECK(f.out.log.back().to.rooms == std::vector<std::string>{"user:42"});
    CHECK(f.out.log.back().arg.is_null());  // no data: null
    f.push.to_everyone(obj(R"({"event":"e"})"));
    CHECK(f.out.log.back().to.rooms == std::vector<std::string>{"global"});
}

TEST_CASE("push_service: to_rooms sends once to several rooms, validated whole") {
    push_fixture f;
    auto r = f.push.to_rooms(
        obj(R"({"rooms":["user:1","order:7"],"event":"order:status_updated","data":{"x":1}})"));
    CHECK(r.status == 200);
    CHECK(r.body.at("rooms") == json::array{"user:1", "order:7"});
    REQUIRE(f.out.log.size() == 1);
    CHECK(f.out.log.back().to.rooms == std::vector<std::string>{"user:1", "order:7"});
    CHECK(f.out.log.back().arg == json::object{{"x", 1}});
    CHECK(f.push.to_rooms(obj(R"({"rooms":[],"event":"e"})")).status == 400);
    CHECK(f.push.to_rooms(obj(R"({"rooms":["ok","a b"],"event":"e"})")).status == 400);
    CHECK(f.push.to_rooms(obj(R"({"rooms":["ok"],"event":"disconnect"})")).status == 400);
    CHECK(f.out.log.size() == 1);
}

TEST_CASE("push_service: validation errors send nothing") {
    push_fixture f;
    CHECK(error_of(f.push.to_room(obj(R"({"event":"e"})"))) == "room is required");
    CHECK(f.push.to_room(obj(R"({"room":"a b","event":"e"})")).status == 400);
    CHECK(error_of(f.push.to_room(obj(R"({"room":"r","event":"connect"})"))) ==
          "event 'connect' is reserved by Socket.IO");
    CHECK(error_of(f.push.to_user(obj(R"({"userId":"","event":"e"})"))) ==
          "userId must be a non-empty string or an integer");
    CHECK(error_of(f.push.location(obj(R"({"surveyorId":1,"location":{}})"))) ==
          "surveyId or projectId is required");
    CHECK(error_of(f.push.location(obj(R"({"surveyorId":1,"location":3,"surveyId":1})"))) ==
          "location must be an object");
    CHECK(error_of(f.push.survey_response(obj(R"({"surveyId":1,"projectId":[]})"))) ==
          "projectId must be a non-empty string or an integer");
    // A 128-character id is a valid id, but its room (prefix + id) would be past 128 characters.
    const std::string long_id(128, 'a');
    CHECK(f.push.survey_response(obj(R"({"surveyId":")" + long_id + R"("})")).status == 400);
    CHECK(f.push.location(obj(R"({"surveyorId":1,"location":{},"projectId":")" + long_id + R"("})")).status ==
          400);
    CHECK(f.push.to_user(obj(R"({"userId":")" + long_id + R"(","event":"e"})")).status == 400);
    CHECK(f.out.log.empty());
}

TEST_CASE("push_service: the survey service's typed broadcasts") {
    push_fixture f;
    auto s = f.push.survey_response(obj(R"({"surveyId":5,"responseId":9,"metadata":{"projectId":"p"}})"));
    CHECK(s.body.at("rooms") == json::array{"survey:5", "project:p"});
    CHECK(f.out.log.back().event == "response.new");
    CHECK(f.out.log.back().arg.at("type") == "response.new");
    CHECK(f.out.log.back().arg.at("responseId") == 9);
    auto l = f.push.location(obj(R"({"surveyorId":"s1","location":{"lat":1},"projectId":2})"));
    CHECK(l.body.at("rooms") == json::array{"project:2"});
    CHECK(f.out.log.back().event == "surveyor.location");
}
