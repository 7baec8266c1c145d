// chat_service (and the dispatcher in front of it) over fake ports: what is stored, who is told,
// what the caller is answered, and which participant checks reach the repository.
#include "fakes.hpp"

#include <switchboard/domain/dispatcher.hpp>

#include <catch2/catch.hpp>

using namespace sbtest;
using switchboard::domain::operation;

namespace {

struct chat_fixture {
    boost::asio::io_context ctx;
    memory_chat repo;
    memory_notifications notes_repo;
    recording_delivery out;
    fixed_clock clock;
    loop_tasks bg{ctx};
    domain::failures errors{clock, nullptr};
    domain::chat_service chat{repo, out, clock, bg, errors, {20, 5000}};
    domain::notification_service notes{notes_repo, out, clock, errors, {"admin"}};
    domain::dispatcher dispatch{chat, notes};

    domain::outcome call(operation op, domain::caller who, std::string_view args) {
        return run(ctx, dispatch.run(op, std::move(who), obj(args)));
    }
};

std::string error_of(const domain::outcome& o) {
    REQUIRE(o.body.contains("error"));
    return std::string(o.body.at("error").as_string());
}

}  // namespace

TEST_CASE("chat_service: send stores once, tells the receiver and the sender's other sockets") {
    chat_fixture f;
    auto o = f.call(operation::chat_send, user("alice", "s1"), R"({"receiverId":"bob","message":"hi"})");
    CHECK(o.status == 201);
    CHECK(o.body.at("success") == true);
    auto& m = o.body.at("message").as_object();
    CHECK(m.at("message") == "hi");
    CHECK(m.at("conversationId") == "dm:alice:bob");
    CHECK(m.at("clientMessageId").as_string().starts_with("sb-"));  // made here when not given
    auto told = f.out.events("chat:message");
    REQUIRE(told.size() == 2);
    CHECK(told[0].to.rooms == std::vector<std::string>{"user:bob"});
    CHECK(told[0].to.except.empty());
    CHECK(told[1].to.rooms == std::vector<std::string>{"user:alice"});
    CHECK(told[1].to.except == std::vector<std::string>{"s1"});
    // The receiver was reached: marked delivered, the sender told chat:delivered.
    auto delivered = f.out.events("chat:delivered");
    REQUIRE(delivered.size() == 1);
    CHECK(delivered[0].to.rooms == std::vector<std::string>{"user:alice"});
    CHECK(delivered[0].arg.at("messageIds") == json::array{1});
    CHECK(f.repo.rows[0].delivered_at == f.clock.wall);
}

TEST_CASE("chat_service: a retry with the same clientMessageId is a duplicate, stored and told once") {
    chat_fixture f;
    auto args = R"({"receiverId":"bob","message":"hi","clientMessageId":"k-1"})";
    CHECK(f.call(operation::chat_send, user("alice"), args).status == 201);
    auto again = f.call(operation::chat_send, user("alice"), args);
    CHECK(again.status == 200);
    CHECK(again.body.at("duplicate") == true);
    CHECK(again.body.at("message").at("id") == 1);
    CHECK(f.repo.rows.size() == 1);
    CHECK(f.out.events("chat:message").size() == 2);  // the first send's two; the retry tells no one
}

TEST_CASE("chat_service: a retry of a stored but undelivered message delivers it once") {
    chat_fixture f;
    f.out.reach["user:bob"] = 0;  // bob offline: stays undelivered
    auto args = R"({"receiverId":"bob","message":"hi","clientMessageId":"k-2"})";
    f.call(operation::chat_send, user("alice"), args);
    CHECK(!f.repo.rows[0].delivered_at);
    f.out.reach["user:bob"] = 1;
    f.out.log.clear();
    f.call(operation::chat_send, user("alice"), args);
    auto told = f.out.events("chat:message");
    REQUIRE(told.size() == 1);  // to the receiver only
    CHECK(told[0].to.rooms == std::vector<std::string>{"user:bob"});
    CHECK(f.repo.rows[0].delivered_at);
}

TEST_CASE("chat_service: refusals name the problem and reach no repository") {
    chat_fixture f;
    domain::caller anon;
    CHECK(error_of(f.call(operation::chat_send, anon, R"({"receiverId":"bob","message":"x"})")) ==
          "Authentication required");
    CHECK(error_of(f.call(operation::chat_send, user("alice"), R"({"receiverId":"alice","message":"x"})")) ==
          "receiverId must be another user");
    CHECK(error_of(f.call(operation::chat_send, user("alice"), R"({"message":"x"})")) ==
          "receiverId is required");
    auto long_text = f.call(operation::chat_send, user("alice"),
                            R"({"receiverId":"bob","message":"123456789012345678901"})");
    CHECK(long_text.status == 400);
    CHECK(f.repo.calls.empty());
}

TEST_CASE("chat_service: a store outage answers 503 with the retry key") {
    chat_fixture f;
    f.repo.fail_next = domain::store_errc::timeout;
    auto o = f.call(operation::chat_send, user("alice"),
                    R"({"receiverId":"bob","message":"hi","clientMessageId":"k-9"})");
    CHECK(o.status == 503);
    CHECK(error_of(o) == "Outcome unknown: retry with the same clientMessageId");
    CHECK(o.body.at("clientMessageId") == "k-9");
    f.repo.fail_next = domain::store_errc::failed;
    CHECK(f.call(operation::chat_get_messages, user("alice"), R"({"userId":"bob"})").status == 500);
}

TEST_CASE("chat_service: history and markRead check the participants before the repository") {
    chat_fixture f;
    CHECK(error_of(f.call(operation::chat_get_messages, user("mallory"),
                          R"({"conversationId":"dm:alice:bob"})")) ==
          "conversationId is not one of your conversations");
    CHECK(f.call(operation::chat_mark_read, user("mallory"), R"({"conversationId":"dm:alice:bob"})").status ==
          403);
    CHECK(f.repo.calls.empty());
    f.call(operation::chat_send, user("alice"), R"({"receiverId":"bob","message":"one"})");
    f.call(operation::chat_send, user("alice"), R"({"receiverId":"bob","message":"two"})");
    auto h =
        f.call(operation::chat_get_messages, user("bob"), R"({"conversationId":"dm:alice:bob","limit":1})");
    CHECK(h.status == 200);
    CHECK(h.body.at("messages").as_array().size() == 1);
    CHECK(h.body.at("hasMore") == true);
    CHECK(std::find(f.repo.calls.begin(), f.repo.calls.end(), "history bob alice") != f.repo.calls.end());
    f.out.log.clear();
    auto r = f.call(operation::chat_mark_read, user("bob"), R"({"user_id":"alice"})");  // snake_case too
    CHECK(r.body.at("count") == 2);
    CHECK(std::find(f.repo.calls.begin(), f.repo.calls.end(), "mark_read bob alice") != f.repo.calls.end());
    auto receipts = f.out.events("chat:readReceipt");
    REQUIRE(receipts.size() == 1);
    CHECK(receipts[0].to.rooms == std::vector<std::string>{"user:alice"});
    CHECK(receipts[0].arg.at("messageIds") == json::array{1, 2});
}

TEST_CASE("chat_service: unread count and catch-up of a connecting device") {
    chat_fixture f;
    f.out.reach["user:bob"] = 0;
    f.call(operation::chat_send, user("alice"), R"({"receiverId":"bob","message":"one"})");
    f.call(operation::chat_send, user("carol"), R"({"receiverId":"bob","message":"two"})");
    auto u = f.call(operation::chat_unread_count, user("bob"), "{}");
    CHECK(u.body.at("total") == 2);
    f.out.log.clear();
    run(f.ctx, f.chat.catch_up("bob", "sb1"));
    auto got = f.out.events("chat:message");
    REQUIRE(got.size() == 2);
    CHECK(got[0].socket == "sb1");
    CHECK(f.out.events("chat:delivered").size() == 2);  // one per sender
    f.out.log.clear();
    run(f.ctx, f.chat.catch_up("bob", "sb1"));
    CHECK(f.out.log.empty());  // delivered: not again
}

TEST_CASE("chat_service: chat:typing tells the receiver and ends by itself at the deadline") {
    chat_fixture f;
    auto o = f.call(operation::chat_typing, user("alice"), R"({"receiverId":"bob"})");
    CHECK(o.body.at("isTyping") == true);
    auto t = f.out.events("chat:typing");
    REQUIRE(t.size() == 1);
    CHECK(t[0].to.is_volatile);
    CHECK(t[0].arg.at("isTyping") == true);
    REQUIRE(f.bg.wake == f.clock.steady + 5000);
    f.clock.steady += 5000;
    f.bg.on_wake();
    t = f.out.events("chat:typing");
    REQUIRE(t.size() == 2);
    CHECK(t[1].arg == json::object{{"senderId", "alice"}, {"isTyping", false}});
    CHECK(error_of(f.call(operation::chat_typing, user("alice"), R"({"receiverId":"bob","isTyping":1})")) ==
          "isTyping must be true or false");
}

TEST_CASE("chat_service: a presence transition tells the watchers and the conversation partners once") {
    chat_fixture f;
    f.call(operation::chat_send, user("alice", "s1"), R"({"receiverId":"bob","message":"hi"})");
    f.call(operation::chat_send, user("carol", "s2"), R"({"receiverId":"alice","message":"yo"})");
    f.call(operation::chat_send, user("bob", "s3"), R"({"receiverId":"dave","message":"no"})");
    f.out.log.clear();
    run(f.ctx, f.chat.presence_changed("alice", true, {}));
    auto on = f.out.events("user:online");
    REQUIRE(on.size() == 1);  // one send to every room: a socket in several is told once
    CHECK(on[0].to.rooms == std::vector<std::string>{"presence:alice", "user:bob", "user:carol"});
    CHECK(on[0].arg == json::object{{"userId", "alice"}});
    CHECK(!on[0].to.is_volatile);

    f.out.log.clear();
    run(f.ctx, f.chat.presence_changed("alice", false, "2026-12-05T08:00:00.000Z"));
    auto off = f.out.events("user:offline");
    REQUIRE(off.size() == 1);
    CHECK(off[0].arg == json::object{{"userId", "alice"}, {"lastSeen", "2026-12-05T08:00:00.000Z"}});
    CHECK(f.out.events("user:online").empty());
}

TEST_CASE("chat_service: a presence transition with the store down still tells the watchers") {
    chat_fixture f;
    f.call(operation::chat_send, user("alice", "s1"), R"({"receiverId":"bob","message":"hi"})");
    f.out.log.clear();
    f.repo.fail_next = domain::store_errc::unavailable;
    run(f.ctx, f.chat.presence_changed("alice", false, {}));
    auto off = f.out.events("user:offline");
    REQUIRE(off.size() == 1);
    CHECK(off[0].to.rooms == std::vector<std::string>{"presence:alice"});
    CHECK(off[0].arg == json::object{{"userId", "alice"}});  // no lastSeen given: none sent
}

TEST_CASE("chat_service: a send is answered only after its deliveries settled (a cluster's stream)") {
    chat_fixture f;
    f.call(operation::chat_send, user("alice", "s1"),
           R"({"receiverId":"bob","message":"hi","clientMessageId":"k-9"})");
    // Settled after the receiver's and the sender's copies were sent, before the answer.
    REQUIRE(f.out.settled_after.size() == 1);
    CHECK(f.out.settled_after[0] >= 2);
    CHECK(f.out.events("chat:message").size() == 2);
    // A retry that delivers nothing does not wait.
    f.call(operation::chat_send, user("alice", "s1"),
           R"({"receiverId":"bob","message":"hi","clientMessageId":"k-9"})");
    CHECK(f.out.settled_after.size() == 1);
}

TEST_CASE("chat_service: a presence transition superseded while its partners were read is not told") {
    chat_fixture f;
    f.call(operation::chat_send, user("alice", "s1"), R"({"receiverId":"bob","message":"hi"})");
    f.out.log.clear();
    f.repo.suspend_reads = true;
    // offline then online, both in flight at once (the partners read is a suspension point).
    boost::asio::co_spawn(f.ctx, f.chat.presence_changed("alice", false, "t"), boost::asio::detached);
    boost::asio::co_spawn(f.ctx, f.chat.presence_changed("alice", true, {}), boost::asio::detached);
    f.ctx.restart();
    f.ctx.run();
    CHECK(f.out.events("user:offline").empty());
    REQUIRE(f.out.events("user:online").size() == 1);
}
