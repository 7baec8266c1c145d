#pragma once
// Where the data lives and the chat / notification limits: settings, opening the store, migrations.
#include <switchboard/common/config.hpp>
#include <switchboard/persistence/database.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchboard::app {

struct data_settings {
    std::string conninfo;  // empty: SQLite in data_dir
    std::string schema = "switchboard";
    std::size_t pool_size = 10;
    std::int64_t query_timeout_ms = 2000;
    std::string data_dir = "./var";
    bool drf = false;
    std::int64_t drf_cache_ttl_s = 60;
    std::size_t drf_cache_max_bytes = 8u << 20;
    std::size_t drf_cache_max_entries = 10000;
    std::string drf_college_column = "college_id";
    std::string django_schema = "public";
    std::vector<std::string> notify_roles{"admin", "staff"};
    std::size_t max_message_length = 5000;
    std::int64_t typing_timeout_ms = 5000;
};

std::vector<common::setting> data_settings_table();
std::optional<std::string> load_data_settings(const common::config& c, data_settings& out);
// Where the data lives, for logs ("postgresql host:port/db schema" or "sqlite path"), without secrets.
std::string describe_store(const data_settings& s);
// PostgreSQL (connecting on first use) or SQLite; throws std::runtime_error when SQLite cannot be opened.
std::shared_ptr<persistence::database> open_store(boost::asio::any_io_executor ex, const data_settings& s);

// `switchboard migrate`: applies the migrations and returns the exit code.
int migrate_and_exit(const data_settings& s);

}  // namespace switchboard::app
