#include <switchboard/persistence/migrations.hpp>

#include <chrono>

namespace switchboard::persistence {

namespace {

// {S} is the schema prefix ("switchboard." on PostgreSQL, nothing on SQLite); {ID} the
// auto-increment key.
struct migration {
    int version;
    const char* sql;
};

constexpr migration migrations[] = {
    {1, R"sql(
CREATE TABLE IF NOT EXISTS {S}chat_messages (
  id {ID},
  conversation_id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  receiver_id TEXT NOT NULL,
  body TEXT NOT NULL,
  attachments TEXT NOT NULL DEFAULT '[]',
  client_message_id TEXT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT,
  read_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS chat_messages_client_id ON {S}chat_messages (sender_id, client_message_id);
CREATE INDEX IF NOT EXISTS chat_messages_conversation ON {S}chat_messages (conversation_id, id);
CREATE INDEX IF NOT EXISTS chat_messages_undelivered ON {S}chat_messages (receiver_id, id) WHERE delivered_at IS NULL;
CREATE INDEX IF NOT EXISTS chat_messages_unread ON {S}chat_messages (receiver_id, conversation_id) WHERE read_at IS NULL;
)sql"},
    {2, R"sql(
CREATE TABLE IF NOT EXISTS {S}notifications (
  id {ID},
  audience TEXT NOT NULL CHECK (audience IN ('user', 'college', 'global')),
  audience_id TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  message TEXT NOT NULL,
  priority TEXT NOT NULL DEFAULT 'normal',
  metadata TEXT NOT NULL DEFAULT '{}',
  sender_id TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_audience ON {S}notifications (audience, audience_id, id);
CREATE TABLE IF NOT EXISTS {S}notification_state (
  notification_id BIGINT NOT NULL,
  user_id TEXT NOT NULL,
  read_at BIGINT,
  dismissed_at BIGINT,
  PRIMARY KEY (notification_id, user_id)
);
)sql"},
};

std::string expand(std::string sql, backend b, const std::string& schema) {
    auto replace_all = [&](std::string_view from, const std::string& to) {
        for (auto pos = sql.find(from); pos != std::string::npos; pos = sql.find(from, pos + to.size()))
            sql.replace(pos, from.size(), to);
    };
    replace_all("{S}", b == backend::postgres ? "\"" + schema + "\"." : std::string{});
    replace_all("{ID}",
                b == backend::postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT");
    return sql;
}

constexpr const char* lock_id = "727001";  // pg_advisory_xact_lock key of Switchboard's migrations

}  // namespace

int latest_schema_version() noexcept {
    return migrations[std::size(migrations) - 1].version;
}

bool valid_schema_name(std::string_view s) noexcept {
    if (s.empty() || s.size() > 63) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok =
            c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

boost::asio::awaitable<db_result<int>> migrate(database& db, const std::string& schema) {
    if (!valid_schema_name(schema)) co_return db_error{errc::bad_config, "invalid schema name"};
    auto b = db.kind();
    std::string begin = b == backend::postgres
                            ? std::string("BEGIN; SELECT pg_advisory_xact_lock(") + lock_id + ");\n"
                            : std::string("BEGIN IMMEDIATE;\n");
    std::string setup = begin;
    if (b == backend::postgres) setup += "CREATE SCHEMA IF NOT EXISTS \"" + schema + "\";\n";
    setup += expand(
        "CREATE TABLE IF NOT EXISTS {S}schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT "
        "NULL);\nCOMMIT;",
        b, schema);
    if (auto ec = co_await db.script(setup)) co_return ec;
    auto applied = co_await db.query(
        expand("SELECT COALESCE(MAX(version), 0) FROM {S}schema_migrations", b, schema), {});
    if (!applied) co_return applied.error();
    int current = static_cast<int>(as_int(applied->rows.at(0).at(0)));
    for (const auto& m : migrations) {
        if (m.version <= current) continue;
        auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        std::string sql =
            begin + expand(m.sql, b, schema) +
            expand("INSERT INTO {S}schema_migrations (version, applied_at) VALUES (", b, schema) +
            std::to_string(m.version) + ", " + std::to_string(now) + ") ON CONFLICT DO NOTHING;\nCOMMIT;";
        if (auto ec = co_await db.script(sql)) co_return ec;
        current = m.version;
    }
    co_return current;
}

}  // namespace switchboard::persistence
