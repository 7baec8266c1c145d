// The per-connection table of prepared statement names (PostgreSQL's driver keeps one per
// connection): a name per distinct SQL text, in first-use order; a new table starts over.
#include <switchboard/persistence/sql/statement_table.hpp>

#include <catch2/catch.hpp>

#include <set>

using switchboard::persistence::statement_table;

TEST_CASE("statement_table: each text gets its own name, and keeps it") {
    statement_table t;
    auto a = t.find("SELECT 1");
    CHECK_FALSE(a.prepared);
    CHECK(a.name == "s1");
    t.prepared("SELECT 1", a.name);
    auto b = t.find("SELECT 2");
    CHECK_FALSE(b.prepared);
    CHECK(b.name == "s2");
    t.prepared("SELECT 2", b.name);
    auto again = t.find("SELECT 1");
    CHECK(again.prepared);
    CHECK(again.name == "s1");
    CHECK(t.size() == 2);
}

TEST_CASE("statement_table: many texts, never a shared name (no hashing)") {
    statement_table t;
    std::set<std::string> names;
    for (int i = 0; i < 1000; ++i) {
        auto sql = "SELECT " + std::to_string(i);
        auto e = t.find(sql);
        REQUIRE_FALSE(e.prepared);
        t.prepared(sql, e.name);
        names.insert(e.name);
    }
    CHECK(names.size() == 1000);
    CHECK(t.find("SELECT 999").name == "s1000");
}

TEST_CASE("statement_table: a failed prepare leaves the name free, a new connection starts over") {
    statement_table t;
    auto bad = t.find("SELEC 1");
    CHECK(bad.name == "s1");  // the server refused it: not recorded
    auto good = t.find("SELECT 1");
    CHECK(good.name == "s1");
    t.prepared("SELECT 1", good.name);
    CHECK(t.find("SELEC 1").name == "s2");
    statement_table reconnected;  // what a new connection holds
    CHECK_FALSE(reconnected.find("SELECT 1").prepared);
    CHECK(reconnected.find("SELECT 1").name == "s1");
    CHECK(reconnected.size() == 0);
}
