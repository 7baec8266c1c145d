// SQLite backend: one connection on one thread of its own (SQLite calls block), results handed
// back to the caller's executor by co_spawn. Statements are prepared once and cached.
#include <switchboard/persistence/database.hpp>

#include <sqlite3.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <unordered_map>

namespace switchboard::persistence {

namespace asio = boost::asio;

namespace {

class sqlite_database final : public database {
public:
    sqlite_database(sqlite3* db, std::chrono::milliseconds timeout) : db_(db), timeout_(timeout), thread_(1) {
        // Interrupts a statement past its deadline (checked every 1,000 virtual machine steps).
        sqlite3_progress_handler(
            db_, 1000,
            [](void* self) -> int {
                return std::chrono::steady_clock::now() > static_cast<sqlite_database*>(self)->deadline_;
            },
            this);
    }
    ~sqlite_database() override {
        thread_.join();
        for (auto& [sql, st] : cache_)
            sqlite3_finalize(st);
        sqlite3_close_v2(db_);
    }
    backend kind() const noexcept override { return backend::sqlite; }

    // Not coroutines themselves: each hands a coroutine to the SQLite thread and returns the
    // awaitable of its result (GCC 12 mishandles lambdas that capture a coroutine's parameters).
    asio::awaitable<db_result<result_set>> query(std::string sql, std::vector<param> params) override {
        auto deadline = std::chrono::steady_clock::now() + timeout_;
        return asio::co_spawn(thread_, run_query(this, std::move(sql), std::move(params), deadline),
                              asio::use_awaitable);
    }

    asio::awaitable<db_error> script(std::string sql) override {
        return asio::co_spawn(thread_, run_script(this, std::move(sql)), asio::use_awaitable);
    }

private:
    static asio::awaitable<db_result<result_set>> run_query(sqlite_database* self, std::string sql,
                                                            std::vector<param> params,
                                                            std::chrono::steady_clock::time_point deadline) {
        // Still queued at its deadline (the thread was busy): not run at all, so the answer
        // "timeout" means exactly that nothing was written.
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) co_return db_error{errc::timeout, "deadline passed before the statement ran"};
        self->deadline_ = deadline;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        sqlite3_busy_timeout(self->db_, static_cast<int>(std::max<std::int64_t>(1, left.count())));
        auto r = self->run(sql, params);
        self->deadline_ = std::chrono::steady_clock::time_point::max();
        co_return r;
    }

    static asio::awaitable<db_error> run_script(sqlite_database* self, std::string sql) {
        self->deadline_ = std::chrono::steady_clock::time_point::max();  // migrations: no deadline
        sqlite3_busy_timeout(self->db_, 60000);
        char* err = nullptr;
        int rc = sqlite3_exec(self->db_, sql.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            db_error failure{errc::query_failed, err ? err : sqlite3_errmsg(self->db_)};
            sqlite3_free(err);
            sqlite3_exec(self->db_, "ROLLBACK", nullptr, nullptr, nullptr);
            co_return failure;
        }
        co_return db_error{};
    }

    db_result<result_set> run(const std::string& sql, const std::vector<param>& params) {
        sqlite3_stmt* st = nullptr;
        if (auto it = cache_.find(sql); it != cache_.end()) {
            st = it->second;
        } else {
            if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                   &st, nullptr) != SQLITE_OK)
                return db_error{errc::query_failed, sqlite3_errmsg(db_)};
            cache_.emplace(sql, st);
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        int n = sqlite3_bind_parameter_count(st);
        for (int i = 1; i <= n; ++i) {
            const char* name = sqlite3_bind_parameter_name(st, i);  // "$3"
            std::size_t k = 0;
            if (!name || name[0] != '$' ||
                std::from_chars(name + 1, name + std::strlen(name), k).ec != std::errc{} || k == 0 ||
                k > params.size())
                return db_error{errc::query_failed,
                                "parameter " + std::string(name ? name : "?") + " has no value"};
            const auto& p = params[k - 1];
            if (std::holds_alternative<std::nullptr_t>(p))
                sqlite3_bind_null(st, i);
            else if (auto* v = std::get_if<std::int64_t>(&p))
                sqlite3_bind_int64(st, i, *v);
            else {
                const auto& s = std::get<std::string>(p);
                if (!storable_text(s))
                    return db_error{errc::bad_parameter,
                                    "parameter " + std::string(name) + " holds a NUL byte"};
                sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
            }
        }
        result_set out;
        for (;;) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                std::string detail = sqlite3_errmsg(db_);
                int ext = sqlite3_extended_errcode(db_);
                sqlite3_reset(st);
                if ((ext & 0xff) == SQLITE_CONSTRAINT) return db_error{errc::constraint, std::move(detail)};
                if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_INTERRUPT)
                    return db_error{errc::timeout, std::move(detail)};
                return db_error{errc::query_failed, std::move(detail)};
            }
            int cols = sqlite3_column_count(st);
            std::vector<cell> row;
            row.reserve(static_cast<std::size_t>(cols));
            for (int c = 0; c < cols; ++c) {
                if (sqlite3_column_type(st, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
                    row.emplace_back(std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
                }
            }
            out.rows.push_back(std::move(row));
        }
        out.affected = sqlite3_changes64(db_);
        sqlite3_reset(st);
        return out;
    }

    sqlite3* db_;
    std::chrono::milliseconds timeout_;
    // The running call's deadline (read by the progress handler on the SQLite thread only).
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
    asio::thread_pool thread_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;  // used on thread_ only
};

}  // namespace

boost::system::result<std::shared_ptr<database>> open_sqlite(const std::string& path, std::string* why,
                                                             std::chrono::milliseconds query_timeout) {
    std::error_code fec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, fec);
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        if (why) *why = db ? sqlite3_errmsg(db) : "cannot open";
        sqlite3_close_v2(db);
        return errc::bad_config;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", nullptr,
                 nullptr, nullptr);
    return std::shared_ptr<database>(std::make_shared<sqlite_database>(db, query_timeout));
}

}  // namespace switchboard::persistence
