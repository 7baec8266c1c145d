#include <switchboard/common/json_write.hpp>

#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>

namespace switchboard::common {
namespace {

// The length of the well-formed UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when the bytes
// there are not one (stray continuation, overlong, surrogate, past U+10FFFF, truncated).
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    std::size_t len = c >= 0xC2 && c <= 0xDF   ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
        if ((b(k) & 0xC0) != 0x80) return 0;
    // The second byte's narrower ranges exclude overlongs, surrogates and code points past U+10FFFF.
    if (c == 0xE0 && b(1) < 0xA0) return 0;
    if (c == 0xED && b(1) > 0x9F) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;
    if (c == 0xF4 && b(1) > 0x8F) return 0;
    return len;
}

void append_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[32];
    if (d == std::floor(d) && std::fabs(d) < 1e21) {
        // JavaScript prints integral numbers below 1e21 without exponent or fraction.
        auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, 0);
        std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
        if (s == "-0") s = "0";
        out += s;
        return;
    }
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    // std::to_chars writes "1e-07"; JavaScript writes "1e-7".
    auto e = s.find('e');
    if (e == std::string_view::npos) {
        out += s;
        return;
    }
    out += s.substr(0, e + 2);  // mantissa, 'e', sign
    auto digits = s.substr(e + 2);
    while (digits.size() > 1 && digits.front() == '0')
        digits.remove_prefix(1);
    out += digits;
}

}  // namespace

void json_append_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            // Well-formed UTF-8 is copied; each byte that is not part of it becomes U+FFFD, so the
            // output is always valid UTF-8 (a WebSocket text frame with invalid UTF-8 closes the
            // receiver's connection).
            if (auto len = utf8_sequence(s, i)) {
                i += len - 1;
                continue;
            }
            out.append(s.data() + run, i - run);
            run = i + 1;
            out += "\xEF\xBF\xBD";
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
        }
    }
    out.append(s.data() + run, s.size() - run);
    out += '"';
}

void json_append(std::string& out, const boost::json::value& v) {
    char buf[24];
    switch (v.kind()) {
        case boost::json::kind::null:
            out += "null";
            break;
        case boost::json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            break;
        case boost::json::kind::int64: {
            auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
            out.append(buf, r.ptr);
            break;
        }
        case boost::json::kind::uint64: {
            auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
            out.append(buf, r.ptr);
            break;
        }
        case boost::json::kind::double_:
            append_double(out, v.get_double());
            break;
        case boost::json::kind::string:
            json_append_string(out, v.get_string());
            break;
        case boost::json::kind::array:
            json_append(out, v.get_array());
            break;
        case boost::json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) out += ',';
                first = false;
                json_append_string(out, kv.key());
                out += ':';
                json_append(out, kv.value());
            }
            out += '}';
            break;
        }
    }
}

void json_append(std::string& out, const boost::json::array& a) {
    out += '[';
    bool first = true;
    for (const auto& e : a) {
        if (!first) out += ',';
        first = false;
        json_append(out, e);
    }
    out += ']';
}

std::string json_write(const boost::json::value& v) {
    std::string s;
    json_append(s, v);
    return s;
}

}  // namespace switchboard::common
