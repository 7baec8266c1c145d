// JWT verification against vectors made by npm jsonwebtoken (tests/vectors/make-jwt-vectors.mjs).
#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/jwt.hpp>

#include "../test_support.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <switchboard/protocol/header_list.hpp>

#include <fstream>
#include <sstream>

using namespace switchboard::auth;
namespace json = boost::json;

namespace {

json::object load_vectors() {
    std::ifstream f(SB_VECTORS_DIR "/jwt.json");
    REQUIRE(f);
    std::stringstream ss;
    ss << f.rdbuf();
    return json::parse(ss.str()).as_object();
}

key_set make_keys(const json::object& ks) {
    key_set k;
    if (auto* s = ks.if_contains("secret")) REQUIRE_FALSE(k.add_secret(std::string(s->as_string())));
    if (auto* p = ks.if_contains("pem")) REQUIRE_FALSE(k.add_pem(p->as_string()));
    if (auto* j = ks.if_contains("jwks")) REQUIRE_FALSE(k.add_jwks(j->as_string()));
    return k;
}

std::string outcome(const boost::system::result<verified_token>& r) {
    if (r) return "ok";
    return std::string(reason_label(static_cast<errc>(r.error().value())));
}

// The vector file names outcomes by our errc names; map them to reason labels.
std::string expected_label(std::string e) {
    if (e == "ok") return "ok";
    if (e == "unsupported_algorithm") return "algorithm";
    if (e == "malformed_token") return "malformed";
    if (e == "bad_issuer") return "issuer";
    if (e == "bad_audience") return "audience";
    return e;
}

}  // namespace

TEST_CASE("jwt: every vector from jsonwebtoken gets the expected verdict") {
    auto file = load_vectors();
    auto now = file.at("now").as_int64();
    const auto& keysets = file.at("keysets").as_object();
    std::size_t checked = 0;
    for (const auto& v : file.at("vectors").as_array()) {
        const auto& o = v.as_object();
        std::string name(o.at("name").as_string());
        std::string expect(o.at("expect").as_string());
        verify_options opts;
        if (expect.ends_with("_iss")) {
            opts.issuer = "erp";
            expect.resize(expect.size() - 4);
        }
        if (expect.ends_with("_aud")) {
            opts.audience = "gateway";
            expect.resize(expect.size() - 4);
        }
        auto keys = make_keys(keysets.at(o.at("keyset").as_string()).as_object());
        auto r = verify_jwt(o.at("token").as_string(), keys, opts, now);
        INFO(name);
        CHECK(outcome(r) == expected_label(expect));
        if (r) {
            auto p = principal_from_claims(r->claims);
            REQUIRE(p.has_value());
            CHECK(p->user_id == "u-42");
        }
        ++checked;
    }
    CHECK(checked >= 30);
}

TEST_CASE("jwt: claims of a verified token become the principal") {
    auto file = load_vectors();
    const auto& first = file.at("vectors").as_array()[0].as_object();
    auto keys = make_keys(file.at("keysets").at("secret").as_object());
    auto r = verify_jwt(first.at("token").as_string(), keys, {}, file.at("now").as_int64());
    REQUIRE(r.has_value());
    auto p = principal_from_claims(r->claims);
    REQUIRE(p.has_value());
    CHECK_FALSE(p->anonymous);
    CHECK(p->email == "a@example.com");
    CHECK(p->role == "admin");
    CHECK(p->college_id == "7");
    CHECK(p->shop_ids == std::vector<std::string>{"s1", "2"});
    REQUIRE(p->expires_at);
    CHECK(*p->expires_at == file.at("now").as_int64() + 3600);
}

TEST_CASE("jwt: key material that cannot be used is refused at load") {
    key_set k;
    CHECK(k.add_secret("") == errc::bad_key);
    CHECK(k.add_pem("not a pem") == errc::bad_key);
    CHECK(k.add_jwks("{}") == errc::bad_key);
    CHECK(k.add_jwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})") == errc::bad_key);
    CHECK(k.add_jwks(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]})") == errc::bad_key);
    CHECK(k.empty());
}

TEST_CASE("jwt: base64url round trip and strictness") {
    for (std::string s : {"", "f", "fo", "foo", "foob", "\xff\xfe\x00\x01"}) {
        auto e = base64url_encode(s);
        CHECK(e.find('=') == std::string::npos);
        auto d = base64url_decode(e);
        REQUIRE(d);
        CHECK(*d == s);
    }
    CHECK_FALSE(base64url_decode("ab+c"));
    CHECK_FALSE(base64url_decode("ab/c"));
    CHECK_FALSE(base64url_decode("abc="));
    CHECK_FALSE(base64url_decode("a"));
}

TEST_CASE("identity: where the token is found, in order") {
    json::object auth{{"token", "A"}};
    std::vector<std::pair<std::string, std::string>> q{{"token", "B"}};
    std::string_view h = "Bearer C";
    CHECK(find_token(auth, q, h)->value == "A");
    CHECK(find_token({}, q, h)->value == "B");
    auto t = find_token({}, {}, h);
    REQUIRE(t);
    CHECK(t->value == "C");
    CHECK(t->scheme == "Bearer");
    auto drf = find_token({}, {}, "Token abc");
    REQUIRE(drf);
    CHECK(drf->scheme == "Token");
    CHECK(find_token(json::object{{"token", "Bearer X"}}, {}, {})->value == "X");
    CHECK_FALSE(find_token(json::object{{"token", 5}}, {}, "Basic x"));
    CHECK_FALSE(find_token({}, {}, ""));
}

TEST_CASE("header list: one string, lower-case names, in order, first match found") {
    switchboard::protocol::header_list h;
    CHECK(h.empty());
    CHECK(h.begin() == h.end());
    h.reserve(64, 3);
    h.add("Host", "example.org");
    h.add("X-Forwarded-For", "10.0.0.1, 192.168.1.2");
    h.add("x-forwarded-for", "second");
    h.add("Empty", "");
    CHECK(h.size() == 4);
    CHECK(h.find("host") == "example.org");
    CHECK(h.find("Host").empty());  // lookups take lower-case names
    CHECK(h.find("x-forwarded-for") == "10.0.0.1, 192.168.1.2");
    CHECK(h.find("empty").empty());
    CHECK(h.find("missing").empty());
    std::vector<std::pair<std::string, std::string>> seen;
    for (const auto& [k, v] : h)
        seen.emplace_back(k, v);
    CHECK(seen ==
          std::vector<std::pair<std::string, std::string>>{{"host", "example.org"},
                                                           {"x-forwarded-for", "10.0.0.1, 192.168.1.2"},
                                                           {"x-forwarded-for", "second"},
                                                           {"empty", ""}});
    std::string big(70000, 'v');
    h.add("Big", big);
    CHECK(h.find("big").size() == 0xffff);  // cut, never overflowing its length field
    switchboard::protocol::header_list init{{"A", "1"}, {"b", "2"}};
    CHECK(init.find("a") == "1");
    CHECK(init.find("b") == "2");
}

TEST_CASE("identity: user id from userId, user_id or sub, numbers as text") {
    CHECK(principal_from_claims(json::object{{"sub", "s"}})->user_id == "s");
    CHECK(principal_from_claims(json::object{{"user_id", 12}, {"sub", "s"}})->user_id == "12");
    CHECK(principal_from_claims(json::object{{"userId", "u"}, {"user_id", 1}})->user_id == "u");
    CHECK(principal_from_claims(json::object{{"email", "x"}}).error() == errc::no_user_id);
    CHECK(principal_from_claims(json::object{{"userId", ""}}).error() == errc::no_user_id);
    CHECK(principal_from_claims(json::object{{"userId", json::array{}}}).error() == errc::no_user_id);
    CHECK(principal_from_claims(json::object{{"sub", "a"}, {"role", "super_admin"}})->super_admin);
    CHECK(principal_from_claims(json::object{{"sub", "a"}, {"isSuperAdmin", true}})->super_admin);
}

TEST_CASE("audit #16: a huge exp is clamped, never converted out of range", "[audit-16]") {
    using namespace switchboard::auth;
    for (auto exp :
         {boost::json::value(1e300), boost::json::value(9.3e18), boost::json::value(18446744073709551615ull),
          boost::json::value(std::int64_t{9223372036854775807})}) {
        boost::json::object claims{{"sub", "7"}, {"exp", exp}};
        auto p = principal_from_claims(claims);
        REQUIRE(p);
        REQUIRE(p->expires_at);
        CHECK(*p->expires_at == max_expiry_s);
    }
    auto neg = principal_from_claims(boost::json::object{{"sub", "7"}, {"exp", -1e300}});
    REQUIRE(neg);
    CHECK(*neg->expires_at == 0);
    auto ok = principal_from_claims(boost::json::object{{"sub", "7"}, {"exp", 1700000000.5}});
    REQUIRE(ok);
    CHECK(*ok->expires_at == 1700000000);
}

TEST_CASE("jwt: sign_hs256 makes a token verify_jwt accepts with the secret, and only with it") {
    const std::string secret(40, 's');
    json::object claims{{"userId", "ana"}, {"exp", 2000000000}};
    auto token = sign_hs256(claims, secret);
    key_set keys;
    keys.add_secret(secret);
    auto r = verify_jwt(token, keys, {}, 1700000000);
    REQUIRE(r);
    CHECK(r->claims.at("userId") == "ana");
    CHECK(r->header.at("alg") == "HS256");
    key_set other;
    other.add_secret(std::string(40, 't'));
    CHECK(!verify_jwt(token, other, {}, 1700000000));
    CHECK(!verify_jwt(token, keys, {}, 2000000100));  // expired past the leeway
}
