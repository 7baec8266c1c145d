#pragma once
// Notifications: stored once with their audience (one user, one organisation, everyone), with read
// and dismissed state kept per user. The same SQL runs on PostgreSQL and SQLite.
#include <switchboard/persistence/database.hpp>
#include <switchboard/persistence/notification.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace switchboard::persistence {

class notification_store {
public:
    notification_store(std::shared_ptr<database> db, const std::string& schema);

    boost::asio::awaitable<db_result<notification>> create(notification n);
    // Newest first, not dismissed; only unread ones when `unread_only`.
    boost::asio::awaitable<db_result<std::vector<notification>>> list(reader r, bool unread_only,
                                                                      std::optional<std::int64_t> before_id,
                                                                      std::int64_t limit);
    boost::asio::awaitable<db_result<std::int64_t>> unread_count(reader r);
    // Marks read those of `ids` the reader can see and had not read; returns their ids. Empty
    // `ids` with `all` marks every unread one.
    boost::asio::awaitable<db_result<std::vector<std::int64_t>>> mark_read(reader r,
                                                                           std::vector<std::int64_t> ids,
                                                                           bool all, std::int64_t now);
    // Hides those of `ids` the reader can see (and marks them read); returns their ids.
    boost::asio::awaitable<db_result<std::vector<std::int64_t>>> dismiss(reader r,
                                                                         std::vector<std::int64_t> ids,
                                                                         std::int64_t now);

private:
    boost::asio::awaitable<db_result<std::vector<std::int64_t>>> set_state(reader r,
                                                                           std::vector<std::int64_t> ids,
                                                                           std::int64_t now, bool dismiss);
    std::shared_ptr<database> db_;
    std::string notifications_;
    std::string state_;
};

}  // namespace switchboard::persistence
