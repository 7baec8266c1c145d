// PostgreSQL backend: libpq in non-blocking mode, its socket watched by Asio (no thread ever waits
// on a query), a pool of connections made on demand, statements prepared once per connection,
// a deadline on every call (a connection that misses one is dropped), capped backoff after a
// failed connect during which calls fail fast.
#include <switchboard/common/log.hpp>
#include <switchboard/persistence/database.hpp>
#include <switchboard/persistence/sql/statement_table.hpp>

#include <libpq-fe.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <functional>
#include <mutex>

namespace switchboard::persistence {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

struct pg_conn {
    PGconn* c = nullptr;
    std::unique_ptr<asio::posix::stream_descriptor> sd;
    int fd = -1;
    // This connection's statements: a name per distinct SQL text, never a hash of it (two texts
    // with one hash would run the wrong statement); a new connection starts with an empty table.
    statement_table statements;

    ~pg_conn() {
        if (sd) sd->release();  // the socket belongs to libpq
        if (c) PQfinish(c);
    }
    // libpq may change sockets while connecting (another host or address).
    void watch(const asio::any_io_executor& ex) {
        int now = PQsocket(c);
        if (now == fd && sd) return;
        if (sd) sd->release();
        fd = now;
        sd = std::make_unique<asio::posix::stream_descriptor>(ex, fd);
    }
};

// Waits until the socket is readable (or writable); false on deadline or error.
asio::awaitable<bool> wait(pg_conn& pc, bool write, clock_type::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer t(co_await asio::this_coro::executor, deadline);
    auto kind = write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read;
    auto r =
        co_await (pc.sd->async_wait(kind, as_tuple(use_awaitable)) || t.async_wait(as_tuple(use_awaitable)));
    if (r.index() == 1) co_return false;
    auto [ec] = std::get<0>(r);
    co_return !ec;
}

std::string sql_state(const PGresult* r) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    return s ? s : "";
}

// libpq's messages end in a newline.
std::string trimmed(const char* text) {
    std::string e = text ? text : "";
    while (!e.empty() && (e.back() == '\n' || e.back() == ' '))
        e.pop_back();
    return e;
}

// The connection's own message (a failed send, a lost socket).
db_error conn_error(errc e, PGconn* c) {
    return {e, trimmed(c ? PQerrorMessage(c) : "out of memory")};
}

// How a refused statement is reported. Classes that mean "the server, not the statement": 08
// connection exception, 53 insufficient resources, 57 operator intervention (57P01 shutdown,
// 57P03 starting up), 40 rollback (serialization failure, deadlock): the caller may retry.
errc classify(const std::string& state) {
    if (state.starts_with("23")) return errc::constraint;
    for (const char* transient : {"08", "53", "57", "40"})
        if (state.starts_with(transient)) return errc::unavailable;
    return errc::query_failed;
}

class pg_database final : public database, public std::enable_shared_from_this<pg_database> {
public:
    pg_database(asio::any_io_executor ex, pg_options o) : ex_(std::move(ex)), opts_(std::move(o)) {}
    backend kind() const noexcept override { return backend::postgres; }

    asio::awaitable<db_result<result_set>> query(std::string sql, std::vector<param> params) override {
        auto deadline = clock_type::now() + opts_.query_timeout;
        auto conn = co_await acquire(deadline);
        if (!conn) co_return conn.error();
        auto r = co_await run(**conn, sql, params, deadline);
        release(std::move(*conn), r.has_value() || r.error() != errc::timeout);
        co_return r;
    }

    asio::awaitable<db_error> script(std::string sql) override {
        auto deadline = clock_type::now() + std::chrono::seconds(60);  // migrations may wait on a lock
        auto conn = co_await acquire(deadline);
        if (!conn) co_return conn.error();
        auto& pc = **conn;
        db_error failure;
        // The connection's statement_timeout (DB_QUERY_TIMEOUT) is for calls, not migrations, which
        // may wait on the migration lock or build an index: off here, and the connection is
        // dropped afterwards so no pooled connection keeps it off.
        sql = "SET statement_timeout = 0;\n" + sql;
        if (!PQsendQuery(pc.c, sql.c_str())) {
            failure = conn_error(errc::unavailable, pc.c);
        } else {
            auto r = co_await finish(pc, deadline);
            if (!r) failure = r.error();
        }
        release(std::move(*conn), false);
        co_return failure;
    }

private:
    // A connection from the pool, a new one, or a wait for one, within the deadline.
    // Someone waiting for a pooled connection; woken on its own executor (timers are not
    // thread-safe): `woken`, then the timer made to expire at once.
    struct waiter {
        explicit waiter(asio::any_io_executor ex, clock_type::time_point deadline)
            : timer(std::move(ex), deadline) {}
        asio::steady_timer timer;
        bool woken = false;
    };

    asio::awaitable<db_result<std::unique_ptr<pg_conn>>> acquire(clock_type::time_point deadline) {
        auto ex = co_await asio::this_coro::executor;
        for (;;) {
            std::shared_ptr<waiter> w;
            bool create = false;
            {
                std::lock_guard lock(mu_);
                if (!idle_.empty()) {
                    auto c = std::move(idle_.back());
                    idle_.pop_back();
                    co_return c;
                }
                if (total_ < opts_.pool_size) {
                    if (clock_type::now() < retry_at_)
                        co_return db_error{errc::unavailable,
                                           "backing off after a failed connect: " + connect_error_};
                    ++total_;
                    create = true;
                } else {
                    w = std::make_shared<waiter>(ex, deadline);
                    waiters_.push_back(w);
                }
            }
            if (create) {
                auto c = co_await connect(std::min(deadline, clock_type::now() + opts_.connect_timeout));
                std::lock_guard lock(mu_);
                if (!c) {
                    --total_;
                    failures_ = std::min(failures_ + 1, 6);
                    retry_at_ =
                        clock_type::now() + std::chrono::milliseconds(100 << (failures_ - 1));  // ≤ 3.2 s
                    connect_error_ = c.error().detail;
                    wake_one();
                    co_return db_error{errc::unavailable, std::move(c.error().detail)};
                }
                failures_ = 0;
                co_return std::move(*c);
            }
            co_await w->timer.async_wait(as_tuple(use_awaitable));
            if (!w->woken) {
                std::lock_guard lock(mu_);
                std::erase(waiters_, w);
                if (!w->woken)
                    co_return db_error{errc::timeout, "no pooled connection free before the deadline"};
            }
        }
    }

    void wake_one() {  // with mu_ held
        if (waiters_.empty()) return;
        auto w = std::move(waiters_.front());
        waiters_.pop_front();
        asio::post(w->timer.get_executor(), [w] {
            w->woken = true;
            w->timer.expires_at(clock_type::time_point::min());
        });
    }

    void release(std::unique_ptr<pg_conn> c, bool reusable) {
        std::lock_guard lock(mu_);
        if (reusable && c && PQstatus(c->c) == CONNECTION_OK && PQtransactionStatus(c->c) == PQTRANS_IDLE)
            idle_.push_back(std::move(c));
        else
            --total_;  // dropped: a new one is made on demand
        wake_one();
    }

    asio::awaitable<db_result<std::unique_ptr<pg_conn>>> connect(clock_type::time_point deadline) {
        auto pc = std::make_unique<pg_conn>();
        // statement_timeout: the server ends a statement by itself at our deadline, so a call we
        // gave up on does not keep running (and committing) long after its caller was answered.
        std::string options = "-c search_path=\"" + opts_.schema +
                              "\",public -c statement_timeout=" + std::to_string(opts_.query_timeout.count());
        const char* keys[] = {"dbname", "options", "application_name", nullptr};
        const char* values[] = {opts_.conninfo.c_str(), options.c_str(), "switchboard", nullptr};
        pc->c = PQconnectStartParams(keys, values, 1);
        if (!pc->c || PQstatus(pc->c) == CONNECTION_BAD) co_return conn_error(errc::unavailable, pc->c);
        PQsetNoticeProcessor(
            pc->c, [](void*, const char*) {}, nullptr);  // NOTICEs are not errors
        bool write = true;  // as if PQconnectPoll had answered PGRES_POLLING_WRITING
        for (;;) {
            if (PQsocket(pc->c) < 0) co_return conn_error(errc::unavailable, pc->c);
            pc->watch(ex_);
            if (!co_await wait(*pc, write, deadline))
                co_return db_error{errc::unavailable, "connect timed out"};
            auto st = PQconnectPoll(pc->c);
            if (st == PGRES_POLLING_OK) break;
            if (st == PGRES_POLLING_FAILED) co_return conn_error(errc::unavailable, pc->c);
            write = st == PGRES_POLLING_WRITING;
        }
        pc->watch(ex_);
        if (PQsetnonblocking(pc->c, 1) != 0) co_return conn_error(errc::unavailable, pc->c);
        co_return std::move(pc);
    }

    // Flushes what was sent, then collects results until libpq has none left.
    asio::awaitable<db_result<result_set>> finish(pg_conn& pc, clock_type::time_point deadline) {
        for (;;) {
            int f = PQflush(pc.c);
            if (f == 0) break;
            if (f < 0) co_return conn_error(errc::unavailable, pc.c);
            if (!co_await wait(pc, true, deadline))
                co_return db_error{errc::timeout, "deadline passed sending"};
        }
        result_set out;
        db_error failure;
        for (;;) {
            if (PQisBusy(pc.c)) {
                if (!co_await wait(pc, false, deadline))
                    co_return db_error{errc::timeout, "deadline passed awaiting the result"};
                if (!PQconsumeInput(pc.c)) co_return conn_error(errc::unavailable, pc.c);
                continue;
            }
            PGresult* r = PQgetResult(pc.c);
            if (!r) break;
            auto st = PQresultStatus(r);
            if (st == PGRES_TUPLES_OK) {
                int rows = PQntuples(r), cols = PQnfields(r);
                for (int i = 0; i < rows; ++i) {
                    std::vector<cell> row;
                    row.reserve(static_cast<std::size_t>(cols));
                    for (int j = 0; j < cols; ++j)
                        row.emplace_back(
                            PQgetisnull(r, i, j)
                                ? cell{}
                                : cell{std::string(PQgetvalue(r, i, j),
                                                   static_cast<std::size_t>(PQgetlength(r, i, j)))});
                    out.rows.push_back(std::move(row));
                }
                out.affected = rows;
            } else if (st == PGRES_COMMAND_OK) {
                const char* n = PQcmdTuples(r);
                out.affected = n && *n ? std::atoll(n) : 0;
            } else if (!failure) {
                auto state = sql_state(r);
                failure = db_error{classify(state), trimmed(PQresultErrorMessage(r)), state};
            }
            PQclear(r);
        }
        if (PQstatus(pc.c) != CONNECTION_OK) {
            if (!failure) co_return conn_error(errc::unavailable, pc.c);
            failure.code = make_error_code(errc::unavailable);  // the statement's text, the connection's fate
            co_return failure;
        }
        if (failure) co_return failure;
        co_return out;
    }

    asio::awaitable<db_result<result_set>> run(pg_conn& pc, const std::string& sql,
                                               const std::vector<param>& params,
                                               clock_type::time_point deadline) {
        // A text parameter holding NUL is refused: libpq reads text parameters up to their first NUL
        // (the lengths below are for the record; libpq uses them only for binary ones).
        std::vector<std::string> text(params.size());
        std::vector<const char*> values(params.size());
        std::vector<int> lengths(params.size(), 0);
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (std::holds_alternative<std::nullptr_t>(params[i])) {
                values[i] = nullptr;
                continue;
            }
            if (auto* v = std::get_if<std::int64_t>(&params[i]))
                text[i] = std::to_string(*v);
            else
                text[i] = std::get<std::string>(params[i]);
            if (!storable_text(text[i]) || text[i].size() > static_cast<std::size_t>(INT32_MAX))
                co_return db_error{errc::bad_parameter,
                                   "parameter $" + std::to_string(i + 1) + " holds a NUL byte"};
            values[i] = text[i].c_str();
            lengths[i] = static_cast<int>(text[i].size());
        }
        // Prepared on this connection on first use, under this connection's own name for the text.
        auto st = pc.statements.find(sql);
        if (!st.prepared) {
            if (!PQsendPrepare(pc.c, st.name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr))
                co_return conn_error(errc::unavailable, pc.c);
            auto r = co_await finish(pc, deadline);
            if (!r) co_return r.error();
            pc.statements.prepared(sql, st.name);
        }
        if (!PQsendQueryPrepared(pc.c, st.name.c_str(), static_cast<int>(params.size()), values.data(),
                                 lengths.data(), nullptr, 0))
            co_return conn_error(errc::unavailable, pc.c);
        co_return co_await finish(pc, deadline);
    }

    asio::any_io_executor ex_;
    pg_options opts_;
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<pg_conn>> idle_;
    std::deque<std::shared_ptr<waiter>> waiters_;
    std::size_t total_ = 0;
    int failures_ = 0;
    clock_type::time_point retry_at_{};
    std::string connect_error_;  // why the last connect failed (told to calls during the backoff)
};

}  // namespace

std::shared_ptr<database> open_postgres(asio::any_io_executor ex, pg_options opts) {
    return std::make_shared<pg_database>(std::move(ex), std::move(opts));
}

}  // namespace switchboard::persistence
