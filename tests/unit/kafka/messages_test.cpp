// The seed 002 Kafka messages → events: each topic's documented message, its rooms and payload;
// the payloads of response.new and surveyor.location equal what the HTTP push API sends for the
// same body; poison gets the errc that says why.
#include "../domain/fakes.hpp"

#include <switchboard/domain/notification_service.hpp>
#include <switchboard/domain/push_service.hpp>
#include <switchboard/kafka/messages.hpp>

#include <catch2/catch.hpp>

using namespace sbtest;
namespace kafka = switchboard::kafka;
using kafka::errc;
using kafka::topic_kind;

namespace {

constexpr std::int64_t now_ms = 1700000000000;  // fixed_clock's wall time
const char* now_iso = "2023-11-14T22:13:20.000Z";

kafka::decision ok(topic_kind k, std::string_view text) {
    auto d = kafka::decide(k, text, now_ms);
    REQUIRE(d.has_value());
    return *d;
}

boost::system::error_code refused(topic_kind k, std::string_view text, std::string* field = nullptr) {
    auto d = kafka::decide(k, text, now_ms, {}, field);
    REQUIRE_FALSE(d.has_value());
    return d.error();
}

using rooms = std::vector<std::string>;

struct push_fixture {
    boost::asio::io_context ctx;
    memory_notifications repo;
    recording_delivery out;
    fixed_clock clock;
    domain::failures errors{clock, nullptr};
    domain::notification_service notes{repo, out, clock, errors, {"admin"}};
    domain::push_service push{notes, out, clock};
};

}  // namespace

TEST_CASE("kafka messages: survey.responses → response.new to survey and project rooms") {
    auto d = ok(topic_kind::responses,
                R"({"surveyId":"survey123","responseId":"response456","response":{"q1":"a1"},
                    "metadata":{"projectId":"project789","timestamp":"2024-01-01T00:00:00.000Z"}})");
    CHECK(d.event == "response.new");
    CHECK(d.rooms == rooms{"survey:survey123", "project:project789"});
    CHECK(d.payload ==
          json::object{{"type", "response.new"},
                       {"surveyId", "survey123"},
                       {"responseId", "response456"},
                       {"response", {{"q1", "a1"}}},
                       {"metadata", {{"projectId", "project789"}, {"timestamp", "2024-01-01T00:00:00.000Z"}}},
                       {"timestamp", now_iso}});
    // The seed's test message (empty metadata): the survey room only; integer ids are ids.
    CHECK(ok(topic_kind::responses,
             R"({"surveyId":"test123","responseId":"resp456","response":{},"metadata":{}})")
              .rooms == rooms{"survey:test123"});
    CHECK(ok(topic_kind::responses, R"({"surveyId":7,"projectId":8})").rooms ==
          rooms{"survey:7", "project:8"});
}

TEST_CASE("kafka messages: survey.analytics → analytics.update") {
    auto d =
        ok(topic_kind::analytics,
           R"({"surveyId":"survey123","projectId":"project789","analytics":{"count":3},"type":"realtime"})");
    CHECK(d.event == "analytics.update");
    CHECK(d.rooms == rooms{"survey:survey123", "project:project789"});
    CHECK(d.payload == json::object{{"type", "analytics.update"},
                                    {"surveyId", "survey123"},
                                    {"projectId", "project789"},
                                    {"analytics", {{"count", 3}}},
                                    {"updateType", "realtime"},
                                    {"timestamp", now_iso}});
    auto daily = ok(topic_kind::analytics, R"({"surveyId":"s","type":"daily"})");
    CHECK(daily.payload.at("updateType") == "daily");
    CHECK(daily.payload.at("analytics") == json::object{});
    CHECK(ok(topic_kind::analytics, R"({"surveyId":"s"})").payload.at("updateType") == "realtime");
}

TEST_CASE("kafka messages: surveyor.locations → surveyor.location") {
    auto d = ok(topic_kind::locations,
                R"({"surveyorId":"surveyor123","surveyId":"survey456","projectId":"project789",
                    "location":{"coordinates":{"latitude":25.2048,"longitude":55.2708},"accuracy":10},
                    "metadata":{"battery":80}})");
    CHECK(d.event == "surveyor.location");
    CHECK(d.rooms == rooms{"survey:survey456", "project:project789"});
    CHECK(d.payload.at("type") == "surveyor.location");
    CHECK(d.payload.at("surveyorId") == "surveyor123");
    CHECK(d.payload.at("location").at("accuracy") == 10);
    CHECK(d.payload.at("metadata") == json::object{{"battery", 80}});
    CHECK(d.payload.at("timestamp") == now_iso);
}

TEST_CASE("kafka messages: system.notifications → notification to a user or everyone") {
    auto d =
        ok(topic_kind::notifications,
           R"({"userId":"user123","type":"info","title":"Notification Title","message":"Notification message",
                    "priority":"high","metadata":{"k":1}})");
    CHECK(d.event == "notification");
    CHECK(d.rooms == rooms{"user:user123"});
    CHECK(d.payload == json::object{{"type", "notification"},
                                    {"userId", "user123"},
                                    {"notificationType", "info"},
                                    {"title", "Notification Title"},
                                    {"message", "Notification message"},
                                    {"priority", "high"},
                                    {"metadata", {{"k", 1}}},
                                    {"timestamp", now_iso}});
    auto all = ok(topic_kind::notifications, R"({"title":"System Notification","message":"m"})");
    CHECK(all.rooms == rooms{"global"});
    CHECK(all.payload.at("notificationType") == "info");
    CHECK(all.payload.at("priority") == "normal");
    CHECK_FALSE(all.payload.contains("userId"));
    CHECK(ok(topic_kind::notifications, R"({"userId":null,"message":"m"})").rooms == rooms{"global"});
}

TEST_CASE("kafka messages: response.new and surveyor.location as the HTTP push API sends them") {
    push_fixture f;
    const char* resp =
        R"({"surveyId":"s1","responseId":"r1","response":{"a":1},"metadata":{"projectId":"p1"}})";
    REQUIRE(f.push.survey_response(obj(resp)).status == 200);
    auto d = ok(topic_kind::responses, resp);
    CHECK(f.out.log.back().event == d.event);
    CHECK(f.out.log.back().to.rooms == d.rooms);
    CHECK(f.out.log.back().arg == d.payload);
    const char* loc = R"({"surveyorId":9,"surveyId":"s1","location":{"coordinates":{}},"metadata":{}})";
    REQUIRE(f.push.location(obj(loc)).status == 200);
    auto l = ok(topic_kind::locations, loc);
    CHECK(f.out.log.back().event == l.event);
    CHECK(f.out.log.back().to.rooms == l.rooms);
    CHECK(f.out.log.back().arg == l.payload);
}

TEST_CASE("kafka messages: poison says why") {
    std::string field;
    CHECK(refused(topic_kind::responses, "{not json") == errc::not_json);
    CHECK(refused(topic_kind::responses, "") == errc::not_json);
    CHECK(refused(topic_kind::responses, "[1,2]") == errc::not_an_object);
    CHECK(refused(topic_kind::responses, R"({"responseId":"r"})", &field) == errc::missing_field);
    CHECK(field == "surveyId");
    CHECK(refused(topic_kind::responses, R"({"surveyId":"a b"})", &field) == errc::bad_id);
    CHECK(refused(topic_kind::responses, R"({"surveyId":"s","metadata":{"projectId":{}}})", &field) ==
          errc::bad_id);
    CHECK(field == "projectId");
    // A valid id whose room is past 128 bytes (found by fuzz_kafka_messages).
    CHECK(refused(topic_kind::analytics, R"({"surveyId":"s","projectId":")" + std::string(128, 'v') + "\"}",
                  &field) == errc::bad_id);
    CHECK(field == "projectId");
    CHECK(refused(topic_kind::analytics, R"({"analytics":{}})") == errc::missing_field);
    CHECK(refused(topic_kind::analytics, R"({"surveyId":"s","type":5})", &field) == errc::bad_field);
    CHECK(field == "type");
    CHECK(refused(topic_kind::locations, R"({"location":{}})", &field) == errc::missing_field);
    CHECK(field == "surveyorId");
    CHECK(refused(topic_kind::locations, R"({"surveyorId":"x","surveyId":"s"})", &field) ==
          errc::missing_field);
    CHECK(field == "location");
    CHECK(refused(topic_kind::locations, R"({"surveyorId":"x","surveyId":"s","location":[1]})") ==
          errc::bad_field);
    CHECK(refused(topic_kind::locations, R"({"surveyorId":"x","location":{}})") == errc::no_room);
    CHECK(refused(topic_kind::notifications, R"({"userId":"u"})") == errc::missing_field);
    CHECK(refused(topic_kind::notifications, R"({"userId":"u:1","message":"m"})") == errc::bad_id);
    CHECK(refused(topic_kind::notifications, R"({"message":7})") == errc::bad_field);
    kafka::limits small;
    small.max_bytes = 10;
    CHECK(kafka::decide(topic_kind::responses, R"({"surveyId":"survey123"})", now_ms, small).error() ==
          errc::too_large);
    small = {};
    small.max_depth = 2;
    CHECK(kafka::decide(topic_kind::responses, R"({"surveyId":"s","m":{"a":{"b":1}}})", now_ms, small)
              .error() == errc::not_json);
    CHECK(make_error_code(errc::no_room).message() == "the message names no room");
}

TEST_CASE("kafka messages: topic names") {
    kafka::topic_names t;
    CHECK(t.kind_of("survey.responses") == topic_kind::responses);
    CHECK(t.kind_of("survey.analytics") == topic_kind::analytics);
    CHECK(t.kind_of("surveyor.locations") == topic_kind::locations);
    CHECK(t.kind_of("system.notifications") == topic_kind::notifications);
    CHECK_FALSE(t.kind_of("other"));
    CHECK(t.all() ==
          rooms{"survey.responses", "survey.analytics", "surveyor.locations", "system.notifications"});
    t.analytics = t.responses;
    CHECK(t.all().size() == 3);
    CHECK(t.kind_of("survey.responses") == topic_kind::responses);
    CHECK(kafka::to_string(topic_kind::locations) == "locations");
}
