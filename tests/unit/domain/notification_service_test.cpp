// notification_service over fake ports: the role check, the audience told, per-reader state.
#include "fakes.hpp"

#include <switchboard/domain/dispatcher.hpp>

#include <catch2/catch.hpp>

using namespace sbtest;
using switchboard::domain::operation;

namespace {

struct note_fixture {
    boost::asio::io_context ctx;
    memory_chat chat_repo;
    memory_notifications repo;
    recording_delivery out;
    fixed_clock clock;
    loop_tasks bg{ctx};
    domain::failures errors{clock, nullptr};
    domain::chat_service chat{chat_repo, out, clock, bg, errors, {}};
    domain::notification_service notes{repo, out, clock, errors, {"admin", "staff"}};
    domain::dispatcher dispatch{chat, notes};

    domain::outcome call(operation op, domain::caller who, std::string_view args) {
        return run(ctx, dispatch.run(op, std::move(who), obj(args)));
    }
};

}  // namespace

TEST_CASE("notification_service: only NOTIFY_ROLES (or a super admin) may send") {
    note_fixture f;
    auto refused = f.call(operation::notification_send, user("u1", "", "student"),
                          R"({"recipientId":"u2","title":"t","message":"m"})");
    CHECK(refused.status == 403);
    CHECK(refused.body.at("error") == "Insufficient permissions to send notifications");
    CHECK(f.repo.rows.empty());
    auto boss = user("u9");
    boss.super_admin = true;
    CHECK(f.call(operation::notification_send, boss, R"({"recipientId":"u2","title":"t","message":"m"})")
              .status == 201);
}

TEST_CASE("notification_service: send and broadcast tell their audience's room") {
    note_fixture f;
    auto o = f.call(operation::notification_send, user("admin1", "", "staff"),
                    R"({"recipientId":"u2","title":"Hello","message":"m","priority":"high"})");
    CHECK(o.status == 201);
    CHECK(o.body.at("recipients") == 1);
    auto& n = o.body.at("notification").as_object();
    CHECK(n.at("recipientId") == "u2");
    CHECK(n.at("senderId") == "admin1");
    CHECK(n.at("priority") == "high");
    auto told = f.out.events("notification:new");
    REQUIRE(told.size() == 1);
    CHECK(told[0].to.rooms == std::vector<std::string>{"user:u2"});
    f.call(operation::notification_broadcast, user("admin1", "", "staff"),
           R"({"collegeId":"c1","title":"t","message":"m"})");
    f.call(operation::notification_broadcast, user("admin1", "", "staff"),
           R"({"global":true,"title":"t","message":"m"})");
    told = f.out.events("notification:new");
    REQUIRE(told.size() == 3);
    CHECK(told[1].to.rooms == std::vector<std::string>{"college:c1"});
    CHECK(told[2].to.rooms == std::vector<std::string>{"global"});
    auto bad = f.call(operation::notification_broadcast, user("admin1", "", "staff"),
                      R"({"collegeId":"c1","global":true,"title":"t","message":"m"})");
    CHECK(bad.body.at("error") == "collegeId and global:true exclude each other");
}

TEST_CASE("notification_service: unread counts, mark read, and the reader's other devices told") {
    note_fixture f;
    auto staff = user("admin1", "", "staff");
    f.call(operation::notification_send, staff, R"({"recipientId":"u2","title":"a","message":"m"})");
    f.call(operation::notification_broadcast, staff, R"({"collegeId":"c1","title":"b","message":"m"})");
    f.call(operation::notification_broadcast, staff, R"({"collegeId":"other","title":"c","message":"m"})");
    CHECK(f.call(operation::notification_unread_count, user("u2"), "{}").body.at("count") == 2);
    auto page = f.call(operation::notification_list, user("u2"), R"({"limit":1})");
    CHECK(page.body.at("notifications").as_array().size() == 1);
    CHECK(page.body.at("hasMore") == true);
    f.out.log.clear();
    auto r = f.call(operation::notification_mark_read, user("u2", "sx"), R"({"notificationIds":[1]})");
    CHECK(r.body.at("ids") == json::array{1});
    auto told = f.out.events("notification:read");
    REQUIRE(told.size() == 1);
    CHECK(told[0].to.rooms == std::vector<std::string>{"user:u2"});
    CHECK(told[0].to.except == std::vector<std::string>{"sx"});
    CHECK(
        f.call(operation::notification_unread, user("u2"), "{}").body.at("notifications").as_array().size() ==
        1);
    CHECK(f.call(operation::notification_mark_all_read, user("u2"), "{}").body.at("count") == 1);
    CHECK(f.call(operation::notification_unread_count, user("u2"), "{}").body.at("count") == 0);
    CHECK(f.call(operation::notification_mark_read, user("u2"), "{}").body.at("error") == "ids is required");
}

TEST_CASE(
    "notification_service: markRead with an empty list is a successful no-op; dismiss still needs ids") {
    note_fixture f;
    f.out.log.clear();
    auto r = f.call(operation::notification_mark_read, user("u2", "sx"), R"({"ids":[]})");
    CHECK(r.status == 200);
    CHECK(r.body.at("success") == true);
    CHECK(r.body.at("ids") == json::array{});
    CHECK(r.body.at("count") == 0);
    CHECK(f.out.log.empty());  // nobody told
    CHECK(
        f.call(operation::notification_mark_read, user("u2"), R"({"notificationIds":[]})").body.at("count") ==
        0);
    CHECK(f.call(operation::notification_dismiss, user("u2"), R"({"ids":[]})").status == 400);
    CHECK(f.call(operation::notification_mark_read, user("u2"), R"({"ids":"x"})").status == 400);
}
