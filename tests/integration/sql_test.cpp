// The SQL layer against both backends: errors carried per call, PostgreSQL's connection fates
// (unreachable, terminated) and its per-connection statement table.
#include <switchboard/common/metrics.hpp>
#include <switchboard/persistence/database.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "support.hpp"

#include <chrono>
#include <map>
#include <set>

namespace asio = boost::asio;
using namespace switchboard::persistence;
using namespace switchboard::persistence::testing;
using namespace std::string_literals;

namespace {

// pg_prepared_statements lists the statements of the session asking: name → SQL text.
asio::awaitable<std::map<std::string, std::string>> prepared_on(database& db) {
    auto r = co_await db.query("SELECT statement, name FROM pg_prepared_statements"s, std::vector<param>{});
    REQUIRE(r.has_value());
    std::map<std::string, std::string> out;
    for (const auto& row : r->rows)
        out[as_text(row.at(0))] = as_text(row.at(1));
    co_return out;
}

}  // namespace

TEST_CASE("persistence: an unreachable PostgreSQL fails fast with `unavailable`") {
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pg_options o;
        o.conninfo = "postgresql://nobody@127.0.0.1:1/none";
        auto db = open_postgres(ex, o);
        auto t0 = std::chrono::steady_clock::now();
        auto r = co_await db->query("SELECT 1"s, std::vector<param>{});
        CHECK(r.error() == errc::unavailable);
        auto r2 =
            co_await db->query("SELECT 1"s, std::vector<param>{});  // inside the backoff: no new attempt
        CHECK(r2.error() == errc::unavailable);
        CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
        // Each call carries why it failed (for logs): the connect error, then the backoff.
        CHECK_FALSE(r.error().detail.empty());
        CHECK(r2.error().detail.find("backing off") != std::string::npos);
    });
}

TEST_CASE("persistence: a connection PostgreSQL terminates (57P01) is `unavailable`, then replaced") {
    const char* url = std::getenv("SB_TEST_DATABASE_URL");
    if (!url || !*url) {
        WARN("SB_TEST_DATABASE_URL is not set: termination test skipped");
        return;
    }
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pg_options o;
        o.conninfo = url;
        o.pool_size = 1;  // the same connection every time
        auto db = open_postgres(ex, o);
        auto admin = open_postgres(ex, o);
        auto pid = co_await db->query("SELECT pg_backend_pid()"s, std::vector<param>{});
        REQUIRE(pid.has_value());
        REQUIRE(pid->rows.size() == 1);
        auto backend = as_opt_int(pid->rows[0][0]);
        REQUIRE(backend.has_value());
        // What a fast shutdown or an operator's pg_terminate_backend does to a live connection.
        std::vector<param> args;
        args.emplace_back(*backend);
        auto killed = co_await admin->query("SELECT pg_terminate_backend($1)"s, std::move(args));
        REQUIRE(killed.has_value());
        asio::steady_timer t(ex, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::use_awaitable);
        auto r = co_await db->query("SELECT 1"s, std::vector<param>{});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == errc::unavailable);  // "retry", not a failed statement
        auto again = co_await db->query("SELECT pg_backend_pid()"s, std::vector<param>{});
        REQUIRE(again.has_value());
        auto replaced = as_opt_int(again->rows[0][0]);
        CHECK(replaced != backend);
    });
}

TEST_CASE("persistence: each call's error carries its own detail, also when calls overlap") {
    for (auto& b : backends()) {
        SECTION(b.name) {
            run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
                using namespace asio::experimental::awaitable_operators;
                auto db = b.open(ex);
                auto both = co_await (db->query("SELEC 1"s, std::vector<param>{}) &&
                                      db->query("SELECT * FROM sb_no_such_table"s, std::vector<param>{}));
                auto& syntax = std::get<0>(both);
                auto& missing = std::get<1>(both);
                REQUIRE_FALSE(syntax.has_value());
                REQUIRE_FALSE(missing.has_value());
                CHECK(syntax.error() == errc::query_failed);
                CHECK(missing.error() == errc::query_failed);
                CHECK(syntax.error().detail.find("SELEC") != std::string::npos);
                CHECK(missing.error().detail.find("sb_no_such_table") != std::string::npos);
                if (db->kind() == backend::postgres) {
                    CHECK(syntax.error().sqlstate == "42601");   // syntax_error
                    CHECK(missing.error().sqlstate == "42P01");  // undefined_table
                }
                auto ok = co_await db->query("SELECT 1"s, std::vector<param>{});
                CHECK(ok.has_value());
                auto script = co_await db->script("SELEC 2");
                CHECK(script == errc::query_failed);
                CHECK(script.detail.find("SELEC") != std::string::npos);
                auto fine = co_await db->script("SELECT 3");
                CHECK_FALSE(fine);
                CHECK(fine.detail.empty());
            });
        }
    }
}

TEST_CASE("persistence: statement names come from the connection's table, a reconnect prepares again") {
    const char* url = std::getenv("SB_TEST_DATABASE_URL");
    if (!url || !*url) {
        WARN("SB_TEST_DATABASE_URL is not set: statement table test skipped");
        return;
    }
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        pg_options o;
        o.conninfo = url;
        o.pool_size = 1;  // one connection: every call below is on it
        auto db = open_postgres(ex, o);
        auto admin = open_postgres(ex, o);
        const auto one = "SELECT 1 AS sb_one"s, two = "SELECT 2 AS sb_two"s;
        for (const auto* sql : {&one, &two, &one}) {  // `one` again: run under its name, not prepared again
            auto r = co_await db->query(*sql, {});
            REQUIRE(r.has_value());
        }
        auto names = co_await prepared_on(*db);
        REQUIRE(names.size() == 3);  // one, two, and the listing itself
        CHECK(names[one] == "s1");
        CHECK(names[two] == "s2");
        std::set<std::string> distinct;
        for (const auto& [sql, name] : names)
            distinct.insert(name);
        CHECK(distinct.size() == names.size());  // two texts never share a name

        // The server ends the connection; the pool replaces it, and the new one starts empty.
        auto pid = co_await db->query("SELECT pg_backend_pid()"s, {});
        REQUIRE(pid.has_value());
        std::vector<param> args{as_int(pid->rows.at(0).at(0))};
        auto killed = co_await admin->query("SELECT pg_terminate_backend($1)"s, std::move(args));
        REQUIRE(killed.has_value());
        asio::steady_timer t(ex, std::chrono::milliseconds(100));
        co_await t.async_wait(asio::use_awaitable);
        auto lost = co_await db->query(two, {});
        REQUIRE_FALSE(lost.has_value());
        CHECK(lost.error() == errc::unavailable);
        auto again = co_await db->query(two, {});
        REQUIRE(again.has_value());
        CHECK(as_int(again->rows.at(0).at(0)) == 2);
        auto fresh = co_await prepared_on(*db);
        CHECK(fresh.size() == 2);  // `two`, prepared again, and the listing
        CHECK(fresh.count(one) == 0);
        CHECK(fresh[two] == "s1");
    });
}

TEST_CASE("persistence: with_metrics times each call into switchboard_db_call_seconds by statement kind") {
    for (const auto& b : backends()) {
        SECTION(b.name) {
            switchboard::common::metrics_registry m;
            bool created = false, dropped = false, selected = false, refused = false;
            int inserted = 0;
            run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
                auto db = with_metrics(b.open(ex), m);
                auto t = "sbm_" + unique_suffix();
                auto made = co_await db->script("CREATE TABLE " + t + " (v integer)");
                created = !made;
                for (std::int64_t i = 0; i < 3; ++i) {
                    std::vector<param> p{i};
                    auto r = co_await db->query("  insert INTO " + t + " (v) VALUES ($1)", std::move(p));
                    inserted += r.has_value();
                }
                auto c = co_await db->query("SELECT count(*) FROM " + t, std::vector<param>{});
                selected = c.has_value();
                auto bad = co_await db->query("SELECT nothing FROM nowhere_at_all", std::vector<param>{});
                refused = bad.has_error();  // failures are timed too
                auto d = co_await db->query("DROP TABLE " + t, std::vector<param>{});
                dropped = d.has_value();
            });
            CHECK(created);
            CHECK(inserted == 3);
            CHECK(selected);
            CHECK(refused);
            CHECK(dropped);
            auto text = m.render();
            CHECK(text.find("# TYPE switchboard_db_call_seconds histogram\n") != std::string::npos);
            CHECK(text.find("switchboard_db_call_seconds_count{op=\"script\"} 1\n") != std::string::npos);
            CHECK(text.find("switchboard_db_call_seconds_count{op=\"insert\"} 3\n") != std::string::npos);
            CHECK(text.find("switchboard_db_call_seconds_count{op=\"select\"} 2\n") != std::string::npos);
            CHECK(text.find("switchboard_db_call_seconds_count{op=\"other\"} 1\n") != std::string::npos);
            CHECK(text.find("switchboard_db_call_seconds_count{op=\"update\"} 0\n") != std::string::npos);
            CHECK(text.find("switchboard_db_call_seconds_bucket{op=\"insert\",le=\"+Inf\"} 3\n") !=
                  std::string::npos);
        }
    }
}
