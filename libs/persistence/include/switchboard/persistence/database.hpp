#pragma once
// The system of record behind one small interface, with two backends: PostgreSQL (libpq,
// non-blocking, driven by Asio) and the embedded default, SQLite (on a thread of its own). SQL is
// written once with $1..$n placeholders; both backends bind them. Every call has a deadline and
// never blocks an I/O thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace switchboard::common {
class metrics_registry;
}

namespace switchboard::persistence {

enum class errc {
    unavailable = 1,  // cannot connect (or backing off after failures)
    timeout,          // the deadline passed (connection dropped)
    query_failed,     // the database refused the statement
    constraint,       // a unique or foreign-key constraint refused it
    bad_config,       // settings that cannot work
    bad_parameter,    // a text parameter holding NUL (refused, never cut short)
};
const boost::system::error_category& category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

// What one call's failure was: `code` to branch on (and to answer clients by kind), `detail` and
// `sqlstate` for logs only (the database's own text: never sent to a client). Carried by each call's
// result, so concurrent calls on one pool never see one another's text. Tests true when it holds an
// error, like an error_code.
struct db_error {
    boost::system::error_code code;
    std::string detail;    // the database's message, or ours ("connect timed out")
    std::string sqlstate;  // PostgreSQL's SQLSTATE when it gave one; "" otherwise

    db_error() = default;
    db_error(errc e, std::string d = {}, std::string state = {})
        : code(make_error_code(e)), detail(std::move(d)), sqlstate(std::move(state)) {}
    db_error(boost::system::error_code c, std::string d = {}, std::string state = {})
        : code(c), detail(std::move(d)), sqlstate(std::move(state)) {}

    explicit operator bool() const noexcept { return static_cast<bool>(code); }
    std::string message() const { return code.message(); }
    friend bool operator==(const db_error& e, errc c) noexcept { return e.code == make_error_code(c); }
};

// boost::system::result<T, db_error>::value() throws this (a system_error of the code; the detail
// is in what()).
[[noreturn]] void throw_exception_from_error(const db_error& e, const boost::source_location& loc);

template <class T>
using db_result = boost::system::result<T, db_error>;

using param = std::variant<std::nullptr_t, std::int64_t, std::string>;
using cell = std::optional<std::string>;  // text form; nullopt is SQL NULL

struct result_set {
    std::vector<std::vector<cell>> rows;
    std::int64_t affected = 0;
};

// Column helpers for rows read from either backend.
std::int64_t as_int(const cell& c, std::int64_t fallback = 0);
std::optional<std::int64_t> as_opt_int(const cell& c);
const std::string& as_text(const cell& c);
// "$first, $first+1, …" (n of them): an IN list of bound parameters.
std::string sql_placeholders(std::size_t first, std::size_t n);

enum class backend { postgres, sqlite };

class database {
public:
    virtual ~database() = default;
    virtual backend kind() const noexcept = 0;
    // One statement with parameters. A failure carries its own detail (see db_error).
    virtual boost::asio::awaitable<db_result<result_set>> query(std::string sql,
                                                                std::vector<param> params) = 0;
    // Several statements without parameters (migrations), in the order given. An empty (false)
    // db_error on success.
    virtual boost::asio::awaitable<db_error> script(std::string sql) = 0;
};

struct pg_options {
    std::string conninfo;  // a libpq URL or key=value string
    std::string schema = "switchboard";
    std::size_t pool_size = 10;
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds query_timeout{2000};
};

// PostgreSQL: a pool of up to pool_size connections, created on demand; a failed connect backs
// off (100 ms doubling to 5 s) and, meanwhile, calls fail fast with `unavailable`.
std::shared_ptr<database> open_postgres(boost::asio::any_io_executor ex, pg_options opts);

// A text parameter both backends can carry whole: no NUL byte (PostgreSQL's text cannot hold one,
// and libpq would cut the value there).
bool storable_text(std::string_view s) noexcept;

// SQLite in `path` (created with its directory), WAL mode, on its own thread. Each call has the
// deadline `query_timeout`: one still queued then is not run, one running is interrupted.
boost::system::result<std::shared_ptr<database>> open_sqlite(
    const std::string& path, std::string* why = nullptr,
    std::chrono::milliseconds query_timeout = std::chrono::milliseconds(2000));

// `db` with each call timed into switchboard_db_call_seconds{op} of `m` (registered here, once).
std::shared_ptr<database> with_metrics(std::shared_ptr<database> db, common::metrics_registry& m);

}  // namespace switchboard::persistence

template <>
struct boost::system::is_error_code_enum<switchboard::persistence::errc> : std::true_type {};
