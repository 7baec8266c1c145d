// The gateway's pure rules: room requests, answers, and the token expiry plan.
#include <switchboard/domain/gateway_rules.hpp>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace switchboard::domain;
namespace json = boost::json;

TEST_CASE("gateway_rules: subscriptions, typing requests and refresh tokens") {
    CHECK(rules::subscription_room("order:", json::parse(R"(7)")) == "order:7");
    CHECK(rules::subscription_room("product:", json::parse(R"({"productId":"p1"})")) == "product:p1");
    CHECK(!rules::subscription_room("order:", json::parse(R"({"x":1})")));
    auto t = rules::typing_of(json::parse(R"({"roomId":"r1","isTyping":false})"), true);
    REQUIRE(t);
    CHECK(!t->start);
    CHECK(!rules::typing_of(json::parse("null"), true));
    CHECK(rules::refresh_token_of(json::parse(R"({"token":"abc"})")) == "abc");
    CHECK(rules::refresh_token_of(json::parse(R"("abc")")) == "abc");
    CHECK(!rules::refresh_token_of(json::parse(R"({"token":""})")));
    CHECK(rules::online_status_ids(json::parse(R"({"userIds":["a",2,{}]})")) ==
          std::vector<std::string>{"a", "2"});
    CHECK(!rules::online_status_ids(json::parse(R"({"userIds":"a"})")));
}

TEST_CASE("gateway_rules: room events carry no socket id (audit #2)") {
    switchboard::auth::principal p;
    p.user_id = "u1";
    p.anonymous = false;
    auto e = rules::room_event(p, "r", "ts");
    CHECK(e == json::object{{"userId", "u1"}, {"room", "r"}, {"timestamp", "ts"}});
    p.anonymous = true;
    CHECK(rules::room_event(p, "r", "ts").at("userId").is_null());
    CHECK(rules::session_owner(p).empty());
    CHECK(rules::refusal("No") == json::object{{"success", false}, {"message", "No"}, {"error", "No"}});
}

TEST_CASE("gateway_rules: Django keys are told from JWTs") {
    switchboard::auth::found_token jwt{"a.b.c", "", "auth"}, key{"0123", "", "auth"},
        tok{"a.b.c", "Token", "header"};
    CHECK(!rules::is_drf_token(jwt, true));
    CHECK(rules::is_drf_token(key, true));
    CHECK(rules::is_drf_token(tok, true));
    CHECK(!rules::is_drf_token(key, false));
}

TEST_CASE("gateway_rules: the expiry plan warns once, then ends at exp + leeway") {
    rules::expiry_settings s{300, 10};
    bool warned = false;
    std::int64_t exp_s = 10000;
    // Long before the warning: look again at the warning time.
    auto a = rules::plan_expiry(exp_s, warned, 1000 * 1000, s);
    CHECK(!a.warn_expires_in_s);
    CHECK(a.next == rules::expiry_step::then::look_again);
    CHECK(a.wait_ms == (exp_s - 300) * 1000 - 1000 * 1000);
    // At the warning: warn (seconds to exp), then end at exp + leeway.
    auto b = rules::plan_expiry(exp_s, warned, (exp_s - 300) * 1000, s);
    CHECK(b.warn_expires_in_s == 300);
    CHECK(warned);
    CHECK(b.next == rules::expiry_step::then::end);
    CHECK(b.wait_ms == 310 * 1000);
    // Within the leeway: no second warning; ends when the leeway does.
    auto c = rules::plan_expiry(exp_s, warned, (exp_s + 5) * 1000, s);
    CHECK(!c.warn_expires_in_s);
    CHECK(c.wait_ms == 5000);
    // No expiry: nothing to do. Far away: capped at a day.
    CHECK(rules::plan_expiry(std::nullopt, warned, 0, s).next == rules::expiry_step::then::nothing);
    bool w2 = false;
    auto far = rules::plan_expiry(exp_s * 1000, w2, 0, {0, 0});
    CHECK(far.wait_ms == 86400000);
}
