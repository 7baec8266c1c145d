#pragma once
// What the integration tests share: a coroutine runner and the backends under test (SQLite in a
// temp dir always; PostgreSQL when SB_TEST_DATABASE_URL names one).
#include <switchboard/persistence/database.hpp>
#include <switchboard/persistence/migrations.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace switchboard::persistence::testing {

namespace asio = boost::asio;

// Runs a coroutine to completion on a fresh io_context.
template <class F>
inline void run(F f) {
    asio::io_context ioc;
    auto fut = asio::co_spawn(ioc, f(ioc.get_executor()), asio::use_future);
    ioc.run();
    fut.get();
}

inline std::string unique_suffix() {
    std::random_device rd;
    return std::to_string(rd() % 1000000000);
}

struct backend_under_test {
    std::string name;
    std::function<std::shared_ptr<database>(asio::any_io_executor)> open;
    std::string schema;
};

inline std::vector<backend_under_test> backends() {
    std::vector<backend_under_test> out;
    auto dir = std::filesystem::temp_directory_path() / ("sb-sqlite-" + unique_suffix());
    out.push_back({"sqlite",
                   [dir](asio::any_io_executor) {
                       auto db = open_sqlite((dir / "switchboard.db").string());
                       REQUIRE(db.has_value());
                       return *db;
                   },
                   "switchboard"});
    if (const char* url = std::getenv("SB_TEST_DATABASE_URL"); url && *url) {
        // A schema per run, so runs never see each other's rows.
        std::string schema = "sbtest_" + unique_suffix();
        out.push_back({"postgres",
                       [url, schema](asio::any_io_executor ex) {
                           pg_options o;
                           o.conninfo = url;
                           o.schema = schema;
                           o.pool_size = 4;
                           return open_postgres(ex, o);
                       },
                       schema});
    } else {
        WARN("SB_TEST_DATABASE_URL is not set: PostgreSQL repository tests skipped (scripts/test sets it)");
    }
    return out;
}

// The backend's database with the migrations applied.
inline asio::awaitable<std::shared_ptr<database>> open_migrated(const backend_under_test& b,
                                                                asio::any_io_executor ex) {
    auto db = b.open(ex);
    auto migrated = co_await migrate(*db, b.schema);
    REQUIRE(migrated.has_value());
    co_return db;
}

}  // namespace switchboard::persistence::testing
