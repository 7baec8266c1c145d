#pragma once
// The domain's own records: who asks, chat messages, notifications. Plain data; the repository
// adapters translate the stores' rows into these.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::domain {

// Who is asking.
struct caller {
    std::string user_id;
    std::string college_id;
    std::string role;
    bool super_admin = false;
    bool anonymous = true;
    std::string socket_id;  // "" for REST calls and services
};

// A direct conversation's name: "dm:" smaller ":" larger. User ids hold no ':' (auth::valid_id),
// so a name stands for exactly one pair.
inline std::string dm_conversation(std::string_view a, std::string_view b) {
    auto lo = a < b ? a : b, hi = a < b ? b : a;
    std::string out = "dm:";
    out.append(lo).append(":").append(hi);
    return out;
}

struct chat_message {
    std::int64_t id = 0;
    std::string conversation_id;
    std::string sender_id;
    std::string receiver_id;
    std::string body;
    std::string attachments = "[]";  // JSON array text, validated by commands
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

enum class audience { user, college, global };
std::string_view audience_name(audience a) noexcept;

struct notification {
    std::int64_t id = 0;
    audience to = audience::user;
    std::string audience_id;  // the user or college id; empty for global
    std::string type;
    std::string title;
    std::string message;
    std::string priority = "normal";      // low, normal, high, urgent
    std::string metadata = "{}";          // JSON object text, validated by commands
    std::string sender_id;                // a user, or "" for a backend service
    std::int64_t created_at = 0;          // ms since the epoch
    std::optional<std::int64_t> read_at;  // the reader's state (when read through a reader)
};

// Whose notifications: a user and the organisation they belong to ("" for none).
struct reader {
    std::string user_id;
    std::string college_id;
};

}  // namespace switchboard::domain
