#pragma once
// A notification as stored and read back: plain data, free of Asio, so input checks that fill one
// (apps/switchboard/input.cpp) need only this header.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace switchboard::persistence
