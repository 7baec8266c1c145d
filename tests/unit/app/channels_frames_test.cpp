// The Channels-style frames (apps/switchboard/channels_frames.cpp): client frames → operations with
// the Socket.IO events' arguments, bad frames → error frames, outcomes and domain events → frames.
#include "../../../apps/switchboard/channels_frames.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

using namespace switchboard::app::channels;
using switchboard::domain::operation;
namespace json = boost::json;
namespace domain = switchboard::domain;

namespace {
client_request request(endpoint ep, std::string_view text) {
    auto r = parse_client_frame(ep, text);
    if (auto* e = std::get_if<frame_error>(&r)) FAIL("refused: " << e->message);
    return std::get<client_request>(r);
}
frame_error refusal(endpoint ep, std::string_view text) {
    auto r = parse_client_frame(ep, text);
    if (std::holds_alternative<client_request>(r)) FAIL("accepted: " << text);
    return std::get<frame_error>(r);
}
json::object obj(const std::string& text) {
    return json::parse(text).as_object();
}
}  // namespace

TEST_CASE("channels: the seed's message frame becomes chat:send", "[channels]") {
    auto r = request(endpoint::chat, R"({"type":"message","receiver_id":2,"message":"Test"})");
    CHECK(r.type == "message");
    CHECK_FALSE(r.ping);
    CHECK(r.op == operation::chat_send);
    CHECK(r.args.at("receiverId") == 2);
    CHECK(r.args.at("message") == "Test");
    CHECK_FALSE(r.args.contains("clientMessageId"));

    auto full = request(endpoint::chat, R"({"type":"message","receiver_id":"ana","message":"Hi 👋",
        "client_message_id":"c-1","attachments":[{"url":"/f.png"}]})");
    CHECK(full.args.at("receiverId") == "ana");
    CHECK(full.args.at("message") == "Hi 👋");
    CHECK(full.args.at("clientMessageId") == "c-1");
    CHECK(full.args.at("attachments").as_array().size() == 1);
}

TEST_CASE("channels: typing and read become chat:typing and chat:markRead", "[channels]") {
    auto t = request(endpoint::chat, R"({"type":"typing","receiver_id":5})");
    CHECK(t.op == operation::chat_typing);
    CHECK(t.args.at("receiverId") == 5);
    CHECK(t.args.at("isTyping") == true);
    CHECK(request(endpoint::chat, R"({"type":"typing","receiver_id":5,"is_typing":false})")
              .args.at("isTyping") == false);

    auto r = request(endpoint::chat, R"({"type":"read","sender_id":"ben","message_ids":[1,2]})");
    CHECK(r.op == operation::chat_mark_read);
    CHECK(r.args.at("userId") == "ben");
    CHECK(r.args.at("messageIds") == json::array{1, 2});
    auto one = request(endpoint::chat, R"({"type":"read","user_id":3,"message_id":9})");
    CHECK(one.args.at("userId") == 3);
    CHECK(one.args.at("messageIds") == json::array{9});
    auto conv = request(endpoint::chat, R"({"type":"read","conversation_id":"dm:1:2","up_to_id":40})");
    CHECK(conv.args.at("conversationId") == "dm:1:2");
    CHECK(conv.args.at("upToId") == 40);
    CHECK_FALSE(conv.args.contains("messageIds"));
}

TEST_CASE("channels: ping answers pong on both endpoints", "[channels]") {
    CHECK(request(endpoint::chat, R"({"type":"ping"})").ping);
    CHECK(request(endpoint::notifications, R"({"type":"ping"})").ping);
    auto pong = obj(pong_frame("2026-01-01T00:00:00.000Z"));
    CHECK(pong.at("type") == "pong");
    CHECK(pong.at("timestamp") == "2026-01-01T00:00:00.000Z");
}

TEST_CASE("channels: notification frames", "[channels]") {
    auto m = request(endpoint::notifications, R"({"type":"mark_read","notification_id":7})");
    CHECK(m.op == operation::notification_mark_read);
    CHECK(m.args.at("ids") == json::array{7});
    CHECK(request(endpoint::notifications, R"({"type":"mark_read","ids":[1,2]})").args.at("ids") ==
          json::array{1, 2});
    CHECK(request(endpoint::notifications, R"({"type":"mark_all_read"})").op ==
          operation::notification_mark_all_read);
    CHECK(request(endpoint::notifications, R"({"type":"dismiss","ids":[3]})").op ==
          operation::notification_dismiss);
    CHECK(request(endpoint::notifications, R"({"type":"get_unread_count"})").op ==
          operation::notification_unread_count);
    // Each endpoint takes its own frames only.
    CHECK(refusal(endpoint::notifications, R"({"type":"message","receiver_id":1,"message":"x"})").code ==
          frame_errc::unknown_type);
    CHECK(refusal(endpoint::chat, R"({"type":"mark_all_read"})").code == frame_errc::unknown_type);
}

TEST_CASE("channels: bad frames are refused with a reason, never thrown", "[channels]") {
    CHECK(refusal(endpoint::chat, "not json").code == frame_errc::invalid_json);
    CHECK(refusal(endpoint::chat, "").code == frame_errc::invalid_json);
    CHECK(refusal(endpoint::chat, "[1,2]").code == frame_errc::invalid_frame);
    CHECK(refusal(endpoint::chat, R"({"message":"no type"})").code == frame_errc::invalid_frame);
    CHECK(refusal(endpoint::chat, R"({"type":7})").code == frame_errc::invalid_frame);
    auto unknown = refusal(endpoint::chat, R"({"type":"shout"})");
    CHECK(unknown.code == frame_errc::unknown_type);
    CHECK(unknown.request_type == "shout");
    CHECK(refusal(endpoint::chat, R"({"type":"message","message":"x"})").message ==
          "receiver_id is required");
    CHECK(refusal(endpoint::chat, R"({"type":"message","receiver_id":1})").message == "message is required");
    CHECK(refusal(endpoint::chat, R"({"type":"message","receiver_id":{},"message":"x"})").code ==
          frame_errc::invalid_field);
    CHECK(refusal(endpoint::chat, R"({"type":"message","receiver_id":1,"message":5})").code ==
          frame_errc::invalid_field);
    CHECK(refusal(endpoint::chat, R"({"type":"typing"})").code == frame_errc::invalid_field);
    CHECK(refusal(endpoint::chat, R"({"type":"typing","receiver_id":1,"is_typing":"yes"})").code ==
          frame_errc::invalid_field);
    CHECK(refusal(endpoint::chat, R"({"type":"read"})").code == frame_errc::invalid_field);
    CHECK(refusal(endpoint::chat, R"({"type":"read","sender_id":1,"message_ids":3})").code ==
          frame_errc::invalid_field);
    CHECK(refusal(endpoint::notifications, R"({"type":"mark_read"})").code == frame_errc::invalid_field);
    // Deep nesting and huge frames stop early.
    CHECK(refusal(endpoint::chat, std::string(100, '[') + std::string(100, ']')).code ==
          frame_errc::invalid_json);
    CHECK(refusal(endpoint::chat, std::string(max_frame_bytes + 1, ' ')).code == frame_errc::invalid_frame);
    // A type with control bytes is echoed printable.
    auto ctl = refusal(endpoint::chat, "{\"type\":\"a\\u0001b\"}");
    CHECK(ctl.request_type == "a?b");

    auto e = obj(error_frame({frame_errc::invalid_field, "receiver_id is required", "message"}));
    CHECK(e.at("type") == "error");
    CHECK(e.at("error") == "receiver_id is required");
    CHECK(e.at("code") == "invalid_field");
    CHECK(e.at("request_type") == "message");
    CHECK_FALSE(obj(error_frame({frame_errc::invalid_json, "x", {}})).contains("request_type"));
    CHECK(errc_name(frame_errc::unauthorized) == "unauthorized");
    CHECK(errc_name(frame_errc::binary_frame) == "binary_frame");
}

TEST_CASE("channels: outcomes become answer frames", "[channels]") {
    auto send = request(endpoint::chat, R"({"type":"message","receiver_id":2,"message":"Hi"})");
    auto sent = obj(*answer_frame(send, domain::ok({{"message", json::object{{"id", 11},
                                                                             {"senderId", "1"},
                                                                             {"receiverId", "2"},
                                                                             {"conversationId", "dm:1:2"},
                                                                             {"clientMessageId", "k"}}}},
                                                   201)));
    CHECK(sent.at("type") == "message_sent");
    CHECK(sent.at("message").at("id") == 11);
    CHECK(sent.at("message").at("sender_id") == "1");
    CHECK(sent.at("message").at("conversation_id") == "dm:1:2");
    CHECK(sent.at("message").at("client_message_id") == "k");

    auto failed = obj(*answer_frame(send, domain::fail(400, "receiverId is required")));
    CHECK(failed.at("type") == "error");
    CHECK(failed.at("error") == "receiver_id is required");
    CHECK(failed.at("code") == "request_failed");
    CHECK(failed.at("request_type") == "message");
    auto unknown = domain::fail(503, "Outcome unknown: retry with the same clientMessageId");
    unknown.body["clientMessageId"] = "k";
    auto u = obj(*answer_frame(send, unknown));
    CHECK(u.at("code") == "unavailable");
    CHECK(u.at("error") == "Outcome unknown: retry with the same client_message_id");
    CHECK(u.at("client_message_id") == "k");

    auto typing = request(endpoint::chat, R"({"type":"typing","receiver_id":2})");
    CHECK_FALSE(answer_frame(typing, domain::ok({{"receiverId", "2"}, {"isTyping", true}})));

    auto read = request(endpoint::chat, R"({"type":"read","sender_id":2})");
    auto ack = obj(*answer_frame(
        read,
        domain::ok(
            {{"conversationId", "dm:1:2"}, {"messageIds", json::array{4}}, {"count", 1}, {"readAt", "t"}})));
    CHECK(ack.at("type") == "messages_read");
    CHECK(ack.at("message_ids") == json::array{4});
    CHECK(ack.at("conversation_id") == "dm:1:2");
    CHECK(ack.at("read_at") == "t");

    auto count = request(endpoint::notifications, R"({"type":"get_unread_count"})");
    auto c = obj(*answer_frame(count, domain::ok({{"count", 3}})));
    CHECK(c.at("type") == "unread_count");
    CHECK(c.at("count") == 3);
    auto all = request(endpoint::notifications, R"({"type":"mark_all_read"})");
    auto a = obj(*answer_frame(all, domain::ok({{"ids", json::array{1}}, {"count", 1}})));
    CHECK(a.at("type") == "notifications_read");
    CHECK(a.at("ids") == json::array{1});
}

TEST_CASE("channels: domain events become the endpoint's frames", "[channels]") {
    json::value msg = json::object{{"id", 5}, {"senderId", "1"}, {"message", "yo"}, {"createdAt", "t"}};
    auto m = obj(*event_frame(endpoint::chat, "chat:message", msg));
    CHECK(m.at("type") == "chat_message");
    CHECK(m.at("message").at("sender_id") == "1");
    CHECK(m.at("message").at("created_at") == "t");
    CHECK_FALSE(event_frame(endpoint::notifications, "chat:message", msg));

    auto t =
        obj(*event_frame(endpoint::chat, "chat:typing", json::object{{"senderId", "1"}, {"isTyping", true}}));
    CHECK(t.at("type") == "typing");
    CHECK(t.at("sender_id") == "1");
    CHECK(t.at("is_typing") == true);
    CHECK(json::serialize(t).starts_with(R"({"type":"typing")"));

    auto rr = obj(*event_frame(endpoint::chat, "chat:readReceipt",
                               json::object{{"readerId", "2"},
                                            {"conversationId", "dm:1:2"},
                                            {"messageIds", json::array{5}},
                                            {"readAt", "t"}}));
    CHECK(rr.at("type") == "read_receipt");
    CHECK(rr.at("reader_id") == "2");
    CHECK(rr.at("message_ids") == json::array{5});
    auto d = obj(*event_frame(endpoint::chat, "chat:delivered",
                              json::object{{"messageIds", json::array{5}}, {"receiverId", "2"}}));
    CHECK(d.at("type") == "message_delivered");
    CHECK(d.at("receiver_id") == "2");
    auto on =
        obj(*event_frame(endpoint::chat, "user:offline", json::object{{"userId", "2"}, {"lastSeen", "t"}}));
    CHECK(on.at("type") == "user_status");
    CHECK(on.at("is_online") == false);
    CHECK(on.at("last_seen") == "t");

    json::value note =
        json::object{{"id", 9}, {"recipientId", "1"}, {"metadata", json::object{{"courseId", 4}}}};
    auto n = obj(*event_frame(endpoint::notifications, "notification:new", note));
    CHECK(n.at("type") == "notification");
    CHECK(n.at("notification").at("recipient_id") == "1");
    CHECK(n.at("notification").at("metadata").at("courseId") == 4);  // metadata keeps its keys
    auto nr = obj(*event_frame(endpoint::notifications, "notification:read",
                               json::object{{"ids", json::array{9}}, {"at", "t"}}));
    CHECK(nr.at("type") == "notification_read");
    CHECK_FALSE(event_frame(endpoint::chat, "notification:new", note));

    CHECK_FALSE(event_frame(endpoint::chat, "user_joined", json::object{}));
    CHECK_FALSE(event_frame(endpoint::chat, "chat:message", json::value("not an object")));
    CHECK(carries(endpoint::chat, "chat:typing"));
    CHECK_FALSE(carries(endpoint::chat, "response.new"));
}

TEST_CASE("channels: the welcome frame", "[channels]") {
    auto w = obj(welcome_frame(endpoint::notifications, "42"));
    CHECK(w.at("type") == "connection_established");
    CHECK(w.at("endpoint") == "notifications");
    CHECK(w.at("user_id") == "42");
}
