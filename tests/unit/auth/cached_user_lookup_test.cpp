// cached_user_lookup: the token cache in front of a scripted user_lookup, time driven by the test.
#include <switchboard/auth/cached_user_lookup.hpp>

#include <catch2/catch.hpp>

#include <deque>

using namespace switchboard::auth;

namespace {

struct scripted_lookup final : user_lookup {
    std::vector<std::string> asked;
    std::deque<handler> waiting;
    void by_token(std::string key, handler done) override {
        asked.push_back(std::move(key));
        waiting.push_back(std::move(done));
    }
    void answer(lookup_result r) {
        REQUIRE_FALSE(waiting.empty());
        auto h = std::move(waiting.front());
        waiting.pop_front();
        h(std::move(r));
    }
};

principal user(std::string id) {
    principal p;
    p.user_id = std::move(id);
    p.anonymous = false;
    p.source = "drf";
    return p;
}

struct fixture {
    scripted_lookup inner;
    std::int64_t now = 1000;
    cached_user_lookup cached{inner, {60000, 100, 1 << 20}, [this] { return now; }};
    std::vector<lookup_result> answers;
    void ask(const std::string& key, bool fresh = false) {
        auto h = [this](lookup_result r) { answers.push_back(std::move(r)); };
        fresh ? cached.by_token_fresh(key, h) : cached.by_token(key, h);
    }
};

}  // namespace

TEST_CASE("cached_user_lookup: an answer is cached for its TTL, then asked again") {
    fixture f;
    f.ask("k1");
    REQUIRE(f.inner.asked.size() == 1);
    CHECK(f.answers.empty());
    f.inner.answer(std::optional<principal>{user("7")});
    REQUIRE(f.answers.size() == 1);
    CHECK((*f.answers[0])->user_id == "7");
    f.ask("k1");  // from the cache, at once
    CHECK(f.inner.asked.size() == 1);
    REQUIRE(f.answers.size() == 2);
    CHECK((*f.answers[1])->user_id == "7");
    f.now += 60000;  // the TTL passed
    f.ask("k1");
    CHECK(f.inner.asked.size() == 2);
}

TEST_CASE("cached_user_lookup: unknown keys are cached, errors are not") {
    fixture f;
    f.ask("unknown");
    f.inner.answer(std::optional<principal>{});
    f.ask("unknown");
    CHECK(f.inner.asked.size() == 1);
    REQUIRE(f.answers.size() == 2);
    CHECK_FALSE(*f.answers[1]);
    f.ask("down");
    f.inner.answer(make_error_code(boost::system::errc::timed_out));
    REQUIRE(f.answers.size() == 3);
    CHECK_FALSE(f.answers[2].has_value());
    f.ask("down");  // asked again: the failure was not remembered
    CHECK(f.inner.asked.size() == 3);
}

TEST_CASE("cached_user_lookup: a fresh lookup skips the cache and replaces its entry") {
    fixture f;
    f.ask("k1");
    f.inner.answer(std::optional<principal>{user("7")});
    f.ask("k1", true);
    CHECK(f.inner.asked.size() == 2);
    f.inner.answer(std::optional<principal>{});  // revoked meanwhile
    f.ask("k1");
    CHECK(f.inner.asked.size() == 2);
    REQUIRE(f.answers.size() == 3);
    CHECK_FALSE(*f.answers[2]);
}

TEST_CASE("cached_user_lookup: forgetting a user drops their keys") {
    fixture f;
    f.ask("k1");
    f.inner.answer(std::optional<principal>{user("7")});
    f.ask("k2");
    f.inner.answer(std::optional<principal>{user("8")});
    CHECK(f.cached.size() == 2);
    CHECK(f.cached.forget_user("7") == 1);
    f.ask("k1");
    CHECK(f.inner.asked.size() == 3);
}
