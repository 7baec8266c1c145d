#pragma once
// Versioned schema migrations, applied at start-up (or by `switchboard migrate`). On PostgreSQL
// each runs in a transaction under an advisory lock, so instances starting together do not race;
// every step is idempotent (IF NOT EXISTS, ON CONFLICT DO NOTHING), so one that waited on the lock
// re-applies nothing harmful. On SQLite BEGIN IMMEDIATE serialises writers.
#include <switchboard/persistence/database.hpp>

namespace switchboard::persistence {

// Applies every migration not yet recorded; returns the schema version after.
boost::asio::awaitable<db_result<int>> migrate(database& db, const std::string& schema);
int latest_schema_version() noexcept;
// A PostgreSQL schema name we accept: [A-Za-z_][A-Za-z0-9_]{0,62}.
bool valid_schema_name(std::string_view s) noexcept;

}  // namespace switchboard::persistence
