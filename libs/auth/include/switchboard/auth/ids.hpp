#pragma once
// The identifiers clients and backends hand us, each with a strict character set and length,
// checked at every entry (socket events, REST paths and queries, JWT claims, the push API). What
// passes here can be used in SQL parameters, room names and log lines without any further escaping,
// and can never be confused with another identifier: no NUL, no control or non-ASCII byte, and
// no ':' inside an id, so "prefix:id" and "dm:a:b" always split one way.
#include <cstddef>
#include <string_view>

namespace switchboard::auth {

inline constexpr std::size_t max_id_length = 128;
inline constexpr std::size_t max_room_length = 128;
inline constexpr std::size_t max_jwt_length = 8192;
inline constexpr std::size_t drf_key_length = 40;

// A byte of an id: A-Z a-z 0-9 and . _ - @ + (emails and UUIDs are ids).
bool is_id_char(char c) noexcept;
// A user, college, company, shop or other entity id: 1..128 id bytes.
bool valid_id(std::string_view s) noexcept;
// A room name: 1..max bytes of id bytes and ':' (":" separates a prefix from its id), not
// starting or ending with ':' and without "::".
bool valid_room_name(std::string_view s, std::size_t max = max_room_length) noexcept;
// A client's message id (the retry key of chat:send): 1..128 bytes of id bytes and ':'.
bool valid_client_message_id(std::string_view s) noexcept;
// A Django REST Framework token key: exactly 40 hexadecimal digits.
bool valid_drf_key(std::string_view s) noexcept;
// The shape of a compact JWS: three base64url segments joined by '.', at most 8 KiB.
bool valid_jwt_shape(std::string_view s) noexcept;
// What the rules above say about `s`, for error messages.
inline constexpr const char* id_rule_text = "1-128 characters of A-Z a-z 0-9 . _ - @ +";

}  // namespace switchboard::auth
