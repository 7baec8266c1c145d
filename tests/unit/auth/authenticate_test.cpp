// authenticate: credentials → principal | refusal, scripted. JWTs are signed here (HS256); Django
// keys go to a scripted user_lookup that answers when the test says so.
#include <switchboard/auth/authenticate.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <deque>

using namespace switchboard::auth;
namespace json = boost::json;

namespace {

constexpr std::int64_t now_s = 1700000000;
const std::string drf_key = "0123456789abcdef0123456789abcdef01234567";  // 40 hex digits

std::string hs256(const json::object& claims, std::string_view secret) {
    auto input =
        base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(json::serialize(claims));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(mac), len));
}

// Records what is asked; answers only when the test calls answer().
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

struct fixture {
    key_set keys;
    scripted_lookup users;
    authenticate_options opts;
    std::vector<auth_outcome> outcomes;

    explicit fixture(bool lookups = true) {
        REQUIRE_FALSE(keys.add_secret("test-secret"));
        opts.keys = &keys;
        opts.users = lookups ? &users : nullptr;
    }
    void run(std::optional<found_token> t) {
        authenticate(t, opts, now_s, [this](auth_outcome o) { outcomes.push_back(std::move(o)); });
    }
    void run(std::string value, std::string scheme = "") {
        run(found_token{std::move(value), std::move(scheme), "auth"});
    }
};

void check_refused(const auth_outcome& o, std::string_view message, std::string_view reason) {
    CHECK_FALSE(o.accepted());
    CHECK(o.refused.message == message);
    CHECK(o.refused.reason == reason);
}

}  // namespace

TEST_CASE("authenticate: a valid JWT gives its principal at once, without a lookup") {
    fixture f;
    f.run(hs256({{"userId", "u1"}, {"collegeId", "c9"}, {"exp", now_s + 600}}, "test-secret"), "Bearer");
    REQUIRE(f.outcomes.size() == 1);
    const auto& o = f.outcomes[0];
    REQUIRE(o.accepted());
    CHECK(o.who->user_id == "u1");
    CHECK(o.who->college_id == "c9");
    CHECK(o.who->source == "jwt");
    CHECK(o.who->expires_at == now_s + 600);
    CHECK(o.drf_key.empty());
    CHECK(f.users.asked.empty());
}

TEST_CASE("authenticate: an expired JWT is refused as invalid or expired") {
    fixture f;
    f.run(hs256({{"userId", "u1"}, {"exp", now_s - 31}}, "test-secret"));  // past the 30 s leeway
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Invalid or expired token", "expired");
    CHECK(f.outcomes[0].refused.why == errc::expired);
    CHECK_FALSE(f.outcomes[0].refused.retry_later);
}

TEST_CASE("authenticate: a JWT signed with another secret is refused (bad signature)") {
    fixture f;
    f.run(hs256({{"userId", "u1"}}, "not-the-secret"));
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Invalid or expired token", "bad_signature");
    CHECK(f.users.asked.empty());
}

TEST_CASE("authenticate: no token is refused, or anonymous when allowed") {
    fixture f;
    f.run(std::nullopt);
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Authentication required", "missing_token");
    f.opts.allow_anonymous = true;
    f.run(std::nullopt);
    REQUIRE(f.outcomes.size() == 2);
    REQUIRE(f.outcomes[1].accepted());
    CHECK(f.outcomes[1].who->anonymous);
    CHECK(f.outcomes[1].who->user_id.empty());
}

TEST_CASE("authenticate: a Django key is looked up, and accepted with its key when found") {
    fixture f;
    f.run(drf_key, "Token");
    CHECK(f.outcomes.empty());  // waits for the lookup
    REQUIRE(f.users.asked == std::vector<std::string>{drf_key});
    principal p;
    p.user_id = "42";
    p.anonymous = false;
    p.source = "drf";
    f.users.answer(std::optional<principal>{p});
    REQUIRE(f.outcomes.size() == 1);
    REQUIRE(f.outcomes[0].accepted());
    CHECK(f.outcomes[0].who->user_id == "42");
    CHECK(f.outcomes[0].drf_key == drf_key);
}

TEST_CASE("authenticate: a Django key no user holds is refused as invalid") {
    fixture f;
    f.run(drf_key);  // no scheme and no dots: a Django key when lookups are on
    REQUIRE(f.users.asked.size() == 1);
    f.users.answer(std::optional<principal>{});
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Invalid or expired token", "unknown_token");
    CHECK_FALSE(f.outcomes[0].refused.retry_later);
}

TEST_CASE("authenticate: a lookup the database cannot answer asks the client to retry later") {
    fixture f;
    f.run(drf_key, "Token");
    f.users.answer(make_error_code(boost::system::errc::timed_out));
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Authentication temporarily unavailable, please retry", "store_unavailable");
    CHECK(f.outcomes[0].refused.retry_later);
    CHECK(f.outcomes[0].refused.why == boost::system::errc::timed_out);
}

TEST_CASE("authenticate: a Django credential of the wrong shape is refused before any lookup") {
    fixture f;
    f.run("not-forty-hex", "Token");
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Invalid or expired token", "malformed_token");
    CHECK(f.users.asked.empty());
    CHECK_FALSE(needs_lookup(found_token{"not-forty-hex", "Token", "auth"}, f.opts));
    CHECK(needs_lookup(found_token{drf_key, "Token", "auth"}, f.opts));
}

TEST_CASE("authenticate: with lookups off every credential is a JWT") {
    fixture f(false);
    f.run(drf_key, "Token");
    REQUIRE(f.outcomes.size() == 1);
    check_refused(f.outcomes[0], "Invalid or expired token", "malformed");
    CHECK(f.users.asked.empty());
    CHECK_FALSE(needs_lookup(found_token{drf_key, "Token", "auth"}, f.opts));
}

TEST_CASE("authenticate: which credentials are Django keys") {
    CHECK(is_django_key({"a.b.c", "Token", "header"}, true));       // the scheme says so
    CHECK_FALSE(is_django_key({"abc", "Bearer", "header"}, true));  // the scheme says JWT
    CHECK_FALSE(is_django_key({"a.b.c", "", "auth"}, true));        // three segments: a JWT
    CHECK(is_django_key({"abc", "", "query"}, true));
    CHECK_FALSE(is_django_key({"abc", "Token", "header"}, false));  // lookups off
}
