#include <switchboard/auth/refresh.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace switchboard::auth;
using v = refresh_plan::verdict;

namespace {
principal user(std::string id, std::string role, std::string college, std::optional<std::int64_t> exp) {
    principal p;
    p.user_id = std::move(id);
    p.anonymous = false;
    p.role = std::move(role);
    p.college_id = std::move(college);
    p.expires_at = exp;
    return p;
}
bool has(const std::vector<std::string>& r, const std::string& x) {
    return std::find(r.begin(), r.end(), x) != r.end();
}
}  // namespace

TEST_CASE("audit #6: a refresh replaces the principal and its rooms follow", "[audit-6]") {
    room_rules rules;
    auto old = user("7", "admin", "1", 1000);
    auto next = user("7", "student", "2", 2000);
    auto plan = plan_refresh(rules, old, next, {"global", "user:7", "college:1", "role:admin"});
    CHECK(plan.result == v::replace);
    CHECK(has(plan.leave, "college:1"));
    CHECK(has(plan.leave, "role:admin"));
    CHECK_FALSE(has(plan.leave, "global"));
    CHECK_FALSE(has(plan.leave, "user:7"));
    CHECK(has(plan.join, "college:2"));
    CHECK(has(plan.join, "role:student"));
    CHECK_FALSE(has(plan.join, "global"));
}

TEST_CASE("audit #6: rooms joined by request are checked again under the new principal", "[audit-6]") {
    room_rules rules;
    auto old = user("7", "", "1", 1000);
    auto next = user("7", "", "", 2000);
    // college:1 was an auto-room; order:5 and user:7 by request.
    auto plan = plan_refresh(rules, old, next, {"global", "user:7", "college:1", "order:5"});
    CHECK(plan.result == v::replace);
    CHECK(has(plan.leave, "college:1"));
    CHECK(has(plan.leave, "order:5") == (check_join(rules, next, "order:5") != join_verdict::allowed));
    CHECK(plan.join.empty());
}

TEST_CASE("audit #6: a refresh for another user, or without exp for a session with one, is refused",
          "[audit-6]") {
    room_rules rules;
    auto old = user("7", "", "", 1000);
    CHECK(plan_refresh(rules, old, user("8", "", "", 2000), {}).result == v::other_user);
    CHECK(plan_refresh(rules, old, user("7", "", "", std::nullopt), {}).result == v::drops_expiry);
    CHECK(plan_refresh(rules, principal{}, user("7", "", "", 2000), {}).result == v::anonymous);
    // A session without exp (a DRF key) may take a token with or without one.
    auto forever = user("7", "", "", std::nullopt);
    CHECK(plan_refresh(rules, forever, user("7", "", "", std::nullopt), {}).result == v::replace);
    CHECK(plan_refresh(rules, forever, user("7", "", "", 5), {}).result == v::replace);
}

TEST_CASE("audit #6: backend-decided rooms are kept on refresh and asked again, not left", "[audit-6]") {
    room_rules rules;
    rules.prefixes.emplace_back("survey", room_rule::backend);
    auto old = user("7", "", "1", 1000);
    auto next = user("7", "", "1", 2000);
    auto plan = plan_refresh(rules, old, next, {"global", "user:7", "college:1", "survey:77"});
    CHECK(plan.result == v::replace);
    CHECK_FALSE(has(plan.leave, "survey:77"));
    CHECK(plan.recheck == std::vector<std::string>{"survey:77"});
}
