// The gateway's input checks (libs/domain/src/commands.cpp): what is accepted, what each refusal
// says, and the REST routes.
#include <switchboard/domain/commands.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace switchboard::domain;
namespace json = boost::json;

namespace {
json::object obj(std::string_view text) {
    return json::parse(text).as_object();
}
std::string error_of(const check& c) {
    REQUIRE(c);
    return std::string(c->body.at("error").as_string());
}
}  // namespace

TEST_CASE("input: snake_case keys become camelCase unless both are given") {
    auto o = camel_keys(
        obj(R"({"receiver_id":1,"message_ids":[2],"up_to_id":3,"_x":4,"userId":"a","user_id":"b"})"));
    CHECK(o.at("receiverId") == 1);
    CHECK(o.at("messageIds") == json::array{2});
    CHECK(o.at("upToId") == 3);
    CHECK(o.at("x") == 4);
    CHECK(o.at("userId") == "a");
    CHECK(o.at("user_id") == "b");  // kept: the camelCase one was given too
}

TEST_CASE("input: ids, integers, limits") {
    std::string id;
    CHECK_FALSE(need_user(obj(R"({"u":42})"), "u", id));
    CHECK(id == "42");
    CHECK(error_of(need_user(obj(R"({"u":null})"), "u", id)) == "u is required");
    const std::string not_an_id =
        "u must be a user id (an integer, or 1-128 characters of A-Z a-z 0-9 . _ - @ +)";
    CHECK(error_of(need_user(obj(R"({"u":1.5})"), "u", id)) == not_an_id);
    CHECK(error_of(need_user(obj(R"({"u":""})"), "u", id)) == not_an_id);
    std::optional<std::int64_t> n;
    CHECK_FALSE(opt_int(obj(R"({"b":"17"})"), "b", n));  // query strings carry text
    CHECK(n == 17);
    CHECK_FALSE(opt_int(obj(R"({"b":3.0})"), "b", n));
    CHECK(n == 3);
    CHECK(error_of(opt_int(obj(R"({"b":0})"), "b", n)) == "b must be an integer from 1 up");
    CHECK(error_of(opt_int(obj(R"({"b":"1e3"})"), "b", n)) == "b must be an integer from 1 up");
    CHECK(error_of(opt_int(obj(R"({"b":18446744073709551615})"), "b", n)) ==
          "b must be an integer from 1 up");
    std::int64_t limit = 0;
    CHECK_FALSE(limit_of(obj("{}"), 20, 100, limit));
    CHECK(limit == 20);
    CHECK(error_of(limit_of(obj(R"({"limit":101})"), 20, 100, limit)) ==
          "limit must be an integer from 1 to 100");
    std::vector<std::int64_t> ids;
    CHECK_FALSE(id_list(obj(R"({"ids":[1,"2"]})"), "ids", ids, false));
    CHECK(ids == std::vector<std::int64_t>{1, 2});
    ids.clear();
    CHECK_FALSE(id_list(obj(R"({"ids":7})"), "ids", ids, false));
    CHECK(ids == std::vector<std::int64_t>{7});
    CHECK(error_of(id_list(obj(R"({"ids":[]})"), "ids", ids, false)) ==
          "ids must be an array of positive integer ids (at most 500)");
    CHECK_FALSE(id_list(obj("{}"), "ids", ids, true));
}

TEST_CASE("input: message text counts characters, not bytes") {
    std::string out;
    CHECK(utf8_length("é🚀a") == 3);
    auto five = obj(R"({"m":"ééééé"})");
    CHECK_FALSE(need_string(five, "m", 5, out));
    CHECK(error_of(need_string(five, "m", 4, out)) == "m is longer than 4 characters");
    CHECK(error_of(need_string(obj(R"({"m":" \n\t"})"), "m", 5, out)) == "m must not be empty");
}

TEST_CASE("input: attachments are validated and normalised") {
    std::string out;
    CHECK_FALSE(attachments_of(obj("{}"), out));
    CHECK(out == "[]");
    CHECK_FALSE(
        attachments_of(obj(R"({"attachments":[{"url":"/f/1","name":"a.png","size":5,"x":1}]})"), out));
    CHECK(out == R"([{"url":"/f/1","name":"a.png","size":5}])");
    CHECK(error_of(attachments_of(obj(R"({"attachments":[{"url":"ftp://x"}]})"), out)) ==
          "attachments[0].url must be an http(s) URL or an absolute path");
    CHECK(error_of(attachments_of(obj(R"({"attachments":[1,2,3,4,5,6,7,8,9,10,11]})"), out)) ==
          "attachments: at most 10");
}

TEST_CASE("input: a conversation must be the caller's") {
    caller me{"b", "", "", false, false, ""};
    std::string conv, other;
    CHECK(dm_conversation("b", "a") == "dm:a:b");
    CHECK_FALSE(conversation_of(obj(R"({"conversationId":"dm:a:b"})"), me, conv, other));
    CHECK(other == "a");
    CHECK_FALSE(conversation_of(obj(R"({"conversationId":"dm:b:c"})"), me, conv, other));
    CHECK(other == "c");
    CHECK(error_of(conversation_of(obj(R"({"conversationId":"dm:c:b"})"), me, conv, other)) ==
          "conversationId is not one of your conversations");  // not in canonical order
    CHECK(error_of(conversation_of(obj(R"({"conversationId":"dm:a:c"})"), me, conv, other)) ==
          "conversationId is not one of your conversations");
    CHECK_FALSE(conversation_of(obj(R"({"userId":7})"), me, conv, other));
    CHECK(conv == "dm:7:b");
}

TEST_CASE("audit #1: ids with NUL or ':' are refused at every check, conversations split one way",
          "[audit-1]") {
    caller nine{"9", "", "", false, false, ""};
    std::string conv, other, id;
    // The audit's probe: {userId: "12:345\u0000"} from user 9 named the 12-345 conversation.
    CHECK(error_of(conversation_of(obj(R"({"userId":"12:345\u0000"})"), nine, conv, other))
              .starts_with("userId must be a user id"));
    CHECK(error_of(need_user(obj(R"({"receiverId":"12:345"})"), "receiverId", id))
              .starts_with("receiverId must be a user id"));
    CHECK(error_of(need_user(obj(R"({"receiverId":"a\u0000"})"), "receiverId", id))
              .starts_with("receiverId must be a user id"));
    CHECK(error_of(need_user(obj(R"({"receiverId":"x y"})"), "receiverId", id))
              .starts_with("receiverId must be a user id"));
    CHECK_FALSE(need_user(obj(R"({"receiverId":"ann.lee+1@example.com"})"), "receiverId", id));
    // conversationId: "dm:" two ids; the caller one of them.
    CHECK(error_of(conversation_of(obj(R"({"conversationId":"dm:12:345"})"), nine, conv, other)) ==
          "conversationId is not one of your conversations");
    CHECK(error_of(conversation_of(obj(R"({"conversationId":"dm:12:345:9"})"), nine, conv, other)) ==
          "conversationId must be dm:<userId>:<userId>");
    CHECK(error_of(conversation_of(obj(R"({"conversationId":"dm:9:9"})"), nine, conv, other)) ==
          "conversationId is not one of your conversations");
    CHECK(error_of(conversation_of(obj(R"({"conversationId":"dm:12\u0000:9"})"), nine, conv, other)) ==
          "conversationId must be dm:<userId>:<userId>");
    CHECK_FALSE(conversation_of(obj(R"({"conversationId":"dm:12:9"})"), nine, conv, other));
    CHECK(other == "12");
    // A conversation with oneself does not exist (found by fuzz_requests).
    CHECK(error_of(conversation_of(obj(R"({"userId":"9"})"), nine, conv, other)) ==
          "userId must be another user");
    // Free text: NUL refused (PostgreSQL's text cannot hold it; libpq cut the value there).
    std::string text;
    CHECK(error_of(need_string(obj(R"({"message":"hi\u0000there"})"), "message", 100, text)) ==
          "message must not contain NUL characters");
    // clientMessageId: the id set plus ':'.
    std::optional<std::string> key;
    CHECK_FALSE(client_message_id(obj(R"({"clientMessageId":"web:1:2"})"), key));
    CHECK(key == "web:1:2");
    key.reset();
    CHECK_FALSE(client_message_id(obj(R"({"clientMessageId":17})"), key));
    CHECK(key == "17");
    CHECK(client_message_id(obj(R"({"clientMessageId":"a\u0000"})"), key));
    CHECK(client_message_id(obj(R"({"clientMessageId":""})"), key));
    CHECK(client_message_id(obj(R"({"clientMessageId":{}})"), key));
}

TEST_CASE("input: notifications") {
    switchboard::domain::notification n;
    CHECK_FALSE(notification_audience(obj(R"({"global":true})"), true, n));
    CHECK(n.to == switchboard::domain::audience::global);
    CHECK_FALSE(notification_audience(obj(R"({"collegeId":9})"), true, n));
    CHECK(n.to == switchboard::domain::audience::college);
    CHECK(n.audience_id == "9");
    CHECK(error_of(notification_audience(obj(R"({"global":"yes"})"), true, n)) ==
          "global must be true or false");
    CHECK_FALSE(notification_fields(obj(R"({"title":"t","message":"m","metadata":{"a":1}})"), n));
    CHECK(n.type == "general");
    CHECK(n.priority == "normal");
    CHECK(n.metadata == R"({"a":1})");
    CHECK(error_of(notification_fields(obj(R"({"title":"t","message":"m","priority":"HIGH"})"), n)) ==
          "priority must be one of low, normal, high, urgent");
}

TEST_CASE("input: REST routes") {
    auto ep = [](std::string_view path, std::string_view method) { return resolve_rest(path, method); };
    auto send = ep("/api/v1/communication/chats/", "POST");
    REQUIRE(std::holds_alternative<rest_endpoint>(send));
    CHECK(std::get<rest_endpoint>(send).op == operation::chat_send);
    auto conv = ep("/api/v1/communication/chats/conversation/u%2F7", "GET");  // no trailing slash, decoded id
    REQUIRE(std::holds_alternative<rest_endpoint>(conv));
    CHECK(std::get<rest_endpoint>(conv).path_args.at("userId") == "u/7");
    auto mark = ep("/api/v1/communication/notifications/12/mark-read/", "POST");
    REQUIRE(std::holds_alternative<rest_endpoint>(mark));
    CHECK(std::get<rest_endpoint>(mark).path_args.at("ids") == json::array{"12"});
    auto wrong = ep("/api/v1/communication/chats/", "GET");
    REQUIRE(std::holds_alternative<outcome>(wrong));
    CHECK(std::get<outcome>(wrong).status == 405);
    CHECK(std::get<outcome>(wrong).allow == "POST");
    CHECK(std::get<outcome>(ep("/api/v1/communication/chats/x/y/z/", "GET")).status == 404);
}

TEST_CASE("audit #3: REST path segments must decode to UTF-8, else 400", "[audit-3]") {
    auto status = [](std::string_view path, std::string_view method) {
        auto r = resolve_rest(path, method);
        return std::holds_alternative<outcome>(r) ? std::get<outcome>(r).status : 200u;
    };
    auto conv = resolve_rest("/api/v1/communication/chats/conversation/%C3%A9l%C3%A9", "GET");
    REQUIRE(std::holds_alternative<rest_endpoint>(conv));
    CHECK(std::get<rest_endpoint>(conv).path_args.at("userId") == "\xC3\xA9l\xC3\xA9");
    CHECK(status("/api/v1/communication/chats/conversation/%FF", "GET") == 400);
    CHECK(status("/api/v1/communication/chats/conversation/a%C3", "GET") == 400);
    CHECK(status("/api/v1/communication/chats/conversation/\xED\xA0\x80", "GET") == 400);
    CHECK(status("/api/v1/communication/notifications/%C0%AF/mark-read/", "POST") == 400);
    CHECK(status("/api/v1/communication/chats/conversation/%4", "GET") == 400);
    auto bad = std::get<outcome>(resolve_rest("/api/v1/communication/chats/%FE/", "GET"));
    CHECK(bad.body.at("success") == false);
}
