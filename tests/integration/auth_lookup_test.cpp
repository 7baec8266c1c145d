// auth::authenticate over persistence::django_user_lookup: a Django key is resolved in the
// database; a database that cannot answer is "retry later", its detail given to the log hook only.
#include <switchboard/auth/authenticate.hpp>
#include <switchboard/persistence/django_user_lookup.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

namespace asio = boost::asio;
using namespace switchboard;
using namespace switchboard::persistence;
using namespace std::string_literals;

namespace {

const std::string good_key = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";  // 40 hex digits
const std::string unknown_key = "ffffffffffffffffffffffffffffffffffffffff";

// Authenticates `key` (Token scheme) and runs the context until the answer came.
auth::auth_outcome authenticate_key(asio::io_context& ioc, auth::user_lookup& users, const std::string& key) {
    auth::authenticate_options opts;
    opts.users = &users;
    std::optional<auth::auth_outcome> out;
    auth::authenticate(auth::found_token{key, "Token", "header"}, opts, 1700000000,
                       [&](auth::auth_outcome o) { out = std::move(o); });
    ioc.run();
    ioc.restart();
    REQUIRE(out.has_value());
    return std::move(*out);
}

}  // namespace

TEST_CASE("django_user_lookup: a store that cannot answer is `retry later`, detail to the log hook only") {
    auto dir = std::filesystem::temp_directory_path() / ("sb-sqlite-lookup-" + testing::unique_suffix());
    auto db = open_sqlite((dir / "switchboard.db").string());
    REQUIRE(db.has_value());
    asio::io_context ioc;
    std::vector<db_error> logged;
    // Django tokens need PostgreSQL: on SQLite every lookup fails (bad_config).
    django_user_lookup users(ioc.get_executor(), std::make_shared<django_users>(*db, "public", ""),
                             [&](const db_error& e) { logged.push_back(e); });
    auto o = authenticate_key(ioc, users, good_key);
    CHECK_FALSE(o.accepted());
    CHECK(o.refused.retry_later);
    CHECK(o.refused.message == "Authentication temporarily unavailable, please retry");
    CHECK(o.refused.message.find("PostgreSQL") == std::string::npos);  // the detail is not the client's
    REQUIRE(logged.size() == 1);
    CHECK(logged[0] == errc::bad_config);
    CHECK_FALSE(logged[0].detail.empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("django_user_lookup: authenticate finds a Django key's user (PostgreSQL)") {
    const char* url = std::getenv("SB_TEST_DATABASE_URL");
    if (!url || !*url) {
        WARN("SB_TEST_DATABASE_URL is not set: django_user_lookup test skipped");
        return;
    }
    const std::string django = "sbdjango_" + testing::unique_suffix();
    asio::io_context ioc;
    pg_options o;
    o.conninfo = url;
    auto db = open_postgres(ioc.get_executor(), o);
    auto setup = asio::co_spawn(
        ioc,
        db->script("CREATE SCHEMA " + django + "; CREATE TABLE " + django +
                   ".accounts_user (id BIGSERIAL PRIMARY KEY, email TEXT, is_active BOOLEAN, "
                   "is_superuser BOOLEAN, is_staff BOOLEAN, college_id INTEGER); CREATE TABLE " +
                   django +
                   ".authtoken_token (key VARCHAR(40) PRIMARY KEY, user_id BIGINT, created TIMESTAMPTZ); "
                   "INSERT INTO " +
                   django +
                   ".accounts_user VALUES (7, 'a@x', true, true, false, 42); "
                   "INSERT INTO " +
                   django + ".authtoken_token VALUES ('" + good_key + "', 7, now());"),
        asio::use_future);
    ioc.run();
    ioc.restart();
    REQUIRE_FALSE(setup.get());
    django_user_lookup users(ioc.get_executor(), std::make_shared<django_users>(db, django, "college_id"));

    auto found = authenticate_key(ioc, users, good_key);
    REQUIRE(found.accepted());
    CHECK(found.who->user_id == "7");
    CHECK(found.who->college_id == "42");
    CHECK(found.who->role == "admin");
    CHECK(found.who->super_admin);
    CHECK(found.who->source == "drf");
    CHECK(found.drf_key == good_key);

    auto unknown = authenticate_key(ioc, users, unknown_key);
    CHECK_FALSE(unknown.accepted());
    CHECK(unknown.refused.reason == "unknown_token");
    CHECK(unknown.refused.message == "Invalid or expired token");

    auto drop = asio::co_spawn(ioc, db->script("DROP SCHEMA " + django + " CASCADE"), asio::use_future);
    ioc.run();
    CHECK_FALSE(drop.get());
}
