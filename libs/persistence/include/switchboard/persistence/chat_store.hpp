#pragma once
// Direct chat messages: stored once, idempotent by (sender, clientMessageId), delivery and read
// state per message, keyset-paginated history, conversations with unread counts, search.
// The same SQL runs on PostgreSQL and SQLite. A conversation is always addressed by its two
// participants, the caller first, and every read or change of messages checks in SQL that the
// caller takes part (sender or receiver), whatever the caller passed.
#include <switchboard/persistence/conversation.hpp>
#include <switchboard/persistence/database.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace switchboard::persistence {

struct chat_message {
    std::int64_t id = 0;
    std::string conversation_id;
    std::string sender_id;
    std::string receiver_id;
    std::string body;
    std::string attachments = "[]";  // JSON array text, validated by the caller
    std::optional<std::string> client_message_id;
    std::int64_t created_at = 0;  // ms since the epoch
    std::optional<std::int64_t> delivered_at;
    std::optional<std::int64_t> read_at;
};

struct conversation_summary {
    std::string conversation_id;
    std::string other_user;
    chat_message last;
    std::int64_t unread = 0;
};

struct sent_message {
    chat_message message;
    bool created = true;  // false: a retry returned the stored message
};

class chat_store {
public:
    chat_store(std::shared_ptr<database> db, const std::string& schema);

    boost::asio::awaitable<db_result<sent_message>> send(chat_message m);
    // The messages between `reader` and `other`, newest first; up to `limit` older than
    // `before_id` (when set). Only rows `reader` sent or received.
    boost::asio::awaitable<db_result<std::vector<chat_message>>> history(
        std::string reader, std::string other, std::optional<std::int64_t> before_id, std::int64_t limit);
    // The receiver's undelivered messages, oldest first.
    boost::asio::awaitable<db_result<std::vector<chat_message>>> undelivered(std::string receiver,
                                                                             std::int64_t limit);
    // Marks the given messages to `receiver` delivered; returns those that changed.
    boost::asio::awaitable<db_result<std::vector<chat_message>>> mark_delivered(std::string receiver,
                                                                                std::vector<std::int64_t> ids,
                                                                                std::int64_t now);
    // Marks read the messages `other` sent to `reader`: the given ids, or all up to `up_to_id`, or
    // all. Returns those that changed.
    boost::asio::awaitable<db_result<std::vector<chat_message>>> mark_read(
        std::string reader, std::string other, std::vector<std::int64_t> ids,
        std::optional<std::int64_t> up_to_id, std::int64_t now);
    boost::asio::awaitable<db_result<std::vector<conversation_summary>>> conversations(std::string user);
    // conversation → unread count for `user`.
    boost::asio::awaitable<db_result<std::vector<std::pair<std::string, std::int64_t>>>> unread(
        std::string user);
    boost::asio::awaitable<db_result<std::vector<chat_message>>> search(std::string user, std::string q,
                                                                        std::int64_t limit);

private:
    std::string table(const char* name) const;
    std::shared_ptr<database> db_;
    std::string prefix_;
};

}  // namespace switchboard::persistence
