#include <switchboard/auth/ids.hpp>

namespace switchboard::auth {

namespace {

bool alnum(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool b64url(char c) noexcept {
    return alnum(c) || c == '-' || c == '_';
}

// 1..max bytes of id bytes and ':', no ':' at either end and no empty segment.
bool colon_separated(std::string_view s, std::size_t max) noexcept {
    if (s.empty() || s.size() > max || s.front() == ':' || s.back() == ':') return false;
    char prev = 0;
    for (char c : s) {
        if (c == ':') {
            if (prev == ':') return false;
        } else if (!is_id_char(c)) {
            return false;
        }
        prev = c;
    }
    return true;
}

}  // namespace

bool is_id_char(char c) noexcept {
    return alnum(c) || c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
}

bool valid_id(std::string_view s) noexcept {
    if (s.empty() || s.size() > max_id_length) return false;
    for (char c : s)
        if (!is_id_char(c)) return false;
    return true;
}

bool valid_room_name(std::string_view s, std::size_t max) noexcept {
    return colon_separated(s, max);
}

bool valid_client_message_id(std::string_view s) noexcept {
    return colon_separated(s, max_id_length);
}

bool valid_drf_key(std::string_view s) noexcept {
    if (s.size() != drf_key_length) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
    return true;
}

bool valid_jwt_shape(std::string_view s) noexcept {
    if (s.empty() || s.size() > max_jwt_length) return false;
    int dots = 0;
    std::size_t segment = 0;
    for (char c : s) {
        if (c == '.') {
            if (segment == 0) return false;
            ++dots;
            segment = 0;
        } else if (!b64url(c)) {
            return false;
        } else {
            ++segment;
        }
    }
    return dots == 2 && segment > 0;
}

}  // namespace switchboard::auth
