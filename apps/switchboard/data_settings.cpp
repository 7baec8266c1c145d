// The data settings (DATABASE_URL, DB_*, DRF_*, NOTIFY_ROLES, CHAT_*, TYPING_TIMEOUT), opening
// the store, and `switchboard migrate`.
#include "data_settings.hpp"

#include <switchboard/persistence/migrations.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <iostream>
#include <stdexcept>

namespace switchboard::app {

namespace asio = boost::asio;
namespace db = persistence;

// ---- settings ---------------------------------------------------------------------------------

std::vector<common::setting> data_settings_table() {
    using k = common::setting::kind;
    return {
        {"DATABASE_URL",
         {},
         "database-url",
         "",
         "PostgreSQL URL (empty: DB_HOST…, else SQLite in DATA_DIR)",
         k::string,
         0,
         0,
         true},
        {"DB_HOST", {}, "db-host", "", "PostgreSQL host, when DATABASE_URL is not set"},
        {"DB_PORT", {}, "db-port", "5432", "PostgreSQL port", k::integer, 1, 65535},
        {"DB_NAME", {}, "db-name", "", "PostgreSQL database name"},
        {"DB_USER", {}, "db-user", "", "PostgreSQL user"},
        {"DB_PASSWORD", {}, "db-password", "", "PostgreSQL password", k::string, 0, 0, true},
        {"DB_SCHEMA", {}, "db-schema", "switchboard", "Schema of Switchboard's tables (PostgreSQL)"},
        {"DB_POOL_SIZE", {}, "db-pool-size", "10", "PostgreSQL connections at most", k::integer, 1, 200},
        {"DB_QUERY_TIMEOUT",
         {},
         "db-query-timeout",
         "2000",
         "Deadline of one database call, ms",
         k::integer,
         100,
         60000},
        {"DATA_DIR", {}, "data-dir", "./var", "Directory of the embedded SQLite database"},
        {"DRF_TOKEN_AUTH",
         {},
         "drf-token-auth",
         "false",
         "Accept Django REST Framework tokens (looked up in PostgreSQL)",
         k::boolean},
        {"DRF_TOKEN_CACHE_TTL",
         {},
         "drf-token-cache-ttl",
         "60",
         "Seconds a looked-up DRF token is trusted; connected DRF sockets are re-checked this often "
         "(0: no cache, re-checked every 60 s) and disconnected when the key is gone or the user inactive",
         k::integer,
         0,
         86400},
        {"DRF_TOKEN_CACHE_MAX_BYTES",
         {},
         "drf-token-cache-max-bytes",
         "8388608",
         "Memory the DRF token cache may use, bytes (entries closest to their end are dropped first)",
         k::integer,
         0,
         1073741824},
        {"DRF_TOKEN_CACHE_MAX_ENTRIES",
         {},
         "drf-token-cache-max-entries",
         "10000",
         "DRF tokens cached at most",
         k::integer,
         0,
         10000000},
        {"DRF_USER_COLLEGE_COLUMN",
         {},
         "drf-user-college-column",
         "college_id",
         "accounts_user column of the user's organisation (used when it exists)"},
        {"DJANGO_DB_SCHEMA",
         {},
         "django-db-schema",
         "public",
         "Schema of Django's tables (authtoken_token…)"},
        {"NOTIFY_ROLES",
         {},
         "notify-roles",
         "admin,staff",
         "Roles allowed notification:send / notification:broadcast"},
        {"CHAT_MAX_MESSAGE_LENGTH",
         {},
         "chat-max-message-length",
         "5000",
         "Characters a chat message may have",
         k::integer,
         1,
         1000000},
        {"TYPING_TIMEOUT",
         {},
         "typing-timeout",
         "5000",
         "A chat:typing without a refresh ends after this, ms",
         k::integer,
         500,
         600000},
    };
}

namespace {

// A libpq key=value string from the DB_* names ('…' quoted, \ and ' escaped).
std::string conninfo_from_parts(const common::config& c) {
    auto quote = [](const std::string& v) {
        std::string out = "'";
        for (char ch : v) {
            if (ch == '\'' || ch == '\\') out += '\\';
            out += ch;
        }
        return out + "'";
    };
    std::string s = "host=" + quote(c.str("DB_HOST")) + " port=" + std::to_string(c.integer("DB_PORT"));
    if (!c.str("DB_NAME").empty()) s += " dbname=" + quote(c.str("DB_NAME"));
    if (!c.str("DB_USER").empty()) s += " user=" + quote(c.str("DB_USER"));
    if (!c.str("DB_PASSWORD").empty()) s += " password=" + quote(c.str("DB_PASSWORD"));
    return s;
}

}  // namespace

std::optional<std::string> load_data_settings(const common::config& c, data_settings& out) {
    out.conninfo = c.str("DATABASE_URL");
    if (out.conninfo.empty() && !c.str("DB_HOST").empty()) out.conninfo = conninfo_from_parts(c);
    if (!out.conninfo.empty() && !out.conninfo.starts_with("postgres://") &&
        !out.conninfo.starts_with("postgresql://") && out.conninfo.find('=') == std::string::npos)
        return "DATABASE_URL: expected postgresql://user:password@host:port/dbname";
    out.schema = c.str("DB_SCHEMA");
    if (!db::valid_schema_name(out.schema))
        return "DB_SCHEMA: '" + out.schema + "' is not a valid schema name (letters, digits, _)";
    out.pool_size = static_cast<std::size_t>(c.integer("DB_POOL_SIZE"));
    out.query_timeout_ms = c.integer("DB_QUERY_TIMEOUT");
    out.data_dir = c.str("DATA_DIR");
    if (out.data_dir.empty()) return "DATA_DIR: must not be empty";
    out.drf = c.boolean("DRF_TOKEN_AUTH");
    if (out.drf && out.conninfo.empty())
        return "DRF_TOKEN_AUTH: Django tokens live in PostgreSQL; set DATABASE_URL or DB_HOST";
    out.drf_cache_ttl_s = c.integer("DRF_TOKEN_CACHE_TTL");
    out.drf_cache_max_bytes = static_cast<std::size_t>(c.integer("DRF_TOKEN_CACHE_MAX_BYTES"));
    out.drf_cache_max_entries = static_cast<std::size_t>(c.integer("DRF_TOKEN_CACHE_MAX_ENTRIES"));
    out.drf_college_column = c.str("DRF_USER_COLLEGE_COLUMN");
    if (!out.drf_college_column.empty() && !db::valid_schema_name(out.drf_college_column))
        return "DRF_USER_COLLEGE_COLUMN: '" + out.drf_college_column + "' is not a column name";
    out.django_schema = c.str("DJANGO_DB_SCHEMA");
    if (!db::valid_schema_name(out.django_schema))
        return "DJANGO_DB_SCHEMA: '" + out.django_schema + "' is not a valid schema name";
    out.notify_roles = c.list("NOTIFY_ROLES");
    out.max_message_length = static_cast<std::size_t>(c.integer("CHAT_MAX_MESSAGE_LENGTH"));
    out.typing_timeout_ms = c.integer("TYPING_TIMEOUT");
    return std::nullopt;
}

std::string describe_store(const data_settings& s) {
    if (s.conninfo.empty()) return "sqlite " + s.data_dir + "/switchboard.db";
    // Host, port and database only: never the password.
    std::string where = s.conninfo;
    if (auto at = where.rfind('@'); at != std::string::npos && where.starts_with("postgres"))
        where = where.substr(at + 1);
    else if (where.find('=') != std::string::npos)
        where = "(DB_HOST settings)";
    if (auto q = where.find('?'); q != std::string::npos) where.resize(q);
    return "postgresql " + where + " schema " + s.schema;
}

std::shared_ptr<db::database> open_store(asio::any_io_executor ex, const data_settings& s) {
    if (!s.conninfo.empty()) {
        db::pg_options o;
        o.conninfo = s.conninfo;
        o.schema = s.schema;
        o.pool_size = s.pool_size;
        o.query_timeout = std::chrono::milliseconds(s.query_timeout_ms);
        return db::open_postgres(std::move(ex), o);
    }
    std::string why;
    auto r =
        db::open_sqlite(s.data_dir + "/switchboard.db", &why, std::chrono::milliseconds(s.query_timeout_ms));
    if (!r) throw std::runtime_error("cannot open " + s.data_dir + "/switchboard.db: " + why);
    return *r;
}

int migrate_and_exit(const data_settings& s) {
    asio::io_context ctx;
    std::shared_ptr<db::database> store;
    try {
        store = open_store(ctx.get_executor(), s);
    } catch (const std::exception& e) {
        std::cerr << "switchboard migrate: " << e.what() << "\n";
        return 1;
    }
    auto fut = asio::co_spawn(ctx, db::migrate(*store, s.schema), asio::use_future);
    ctx.run();
    auto r = fut.get();
    if (!r) {
        std::cerr << "switchboard migrate: " << describe_store(s) << ": " << r.error().message() << ": "
                  << r.error().detail << "\n";
        return 1;
    }
    std::cout << "switchboard migrate: " << describe_store(s) << " at schema version " << *r << "\n";
    return 0;
}

}  // namespace switchboard::app
