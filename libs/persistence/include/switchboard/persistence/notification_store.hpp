#pragma once
// Notifications: stored once with their audience (one user, one organisation, everyone), with read
// and dismissed state kept per user. The same SQL runs on PostgreSQL and SQLite.
#include <switchboard/persistence/database.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace switchboard::persistence {

enum class audience { user, college, global };
std::string_view audience_name(audience a) noexcept;

struct notification {
    std::int64_t id = 0;
    audience to = audience::user;
    std::string audience_id;  // the user or college id; empty for global
    std::string type;
    std::string title;
    std::string message;
    std::string priority = "normal";  // low, normal, high, urgent
    std::string metadata = "{}";      // JSON object text, validated by the caller
    std::string sender_id;            // who sent it (a user, or "" for a backend service)
    std::int64_t created_at = 0;      // ms since the epoch
    // The reader's state (when read through a reader).
    std::optional<std::int64_t> read_at;
};

// Whose notifications: a user and the organisation they belong to ("" for none).
struct reader {
    std::string user_id;
    std::string college_id;
};

class notification_store {
public:
    notification_store(std::shared_ptr<database> db, const std::string& schema);

    boost::asio::awaitable<boost::system::result<notification>> create(notification n);
    // Newest first, not dismissed; only unread ones when `unread_only`.
    boost::asio::awaitable<boost::system::result<std::vector<notification>>> list(
        reader r, bool unread_only, std::optional<std::int64_t> before_id, std::int64_t limit);
    boost::asio::awaitable<boost::system::result<std::int64_t>> unread_count(reader r);
    // Marks read those of `ids` the reader can see and had not read; returns their ids. Empty
    // `ids` with `all` marks every unread one.
    boost::asio::awaitable<boost::system::result<std::vector<std::int64_t>>> mark_read(
        reader r, std::vector<std::int64_t> ids, bool all, std::int64_t now);
    // Hides those of `ids` the reader can see (and marks them read); returns their ids.
    boost::asio::awaitable<boost::system::result<std::vector<std::int64_t>>> dismiss(
        reader r, std::vector<std::int64_t> ids, std::int64_t now);

private:
    boost::asio::awaitable<boost::system::result<std::vector<std::int64_t>>> set_state(
        reader r, std::vector<std::int64_t> ids, std::int64_t now, bool dismiss);
    std::shared_ptr<database> db_;
    std::string notifications_;
    std::string state_;
};

}  // namespace switchboard::persistence
