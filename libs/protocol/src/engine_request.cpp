#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/errc.hpp>
#include <switchboard/protocol/ws_frame.hpp>

namespace switchboard::protocol {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding without the UTF-8 check; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

// Decoded, or the text itself when an escape is malformed; nullopt when the result is not UTF-8.
std::optional<std::string> decode_lenient(std::string_view s) {
    auto d = percent_decode(s, true);
    std::string out = d ? std::move(*d) : std::string(s);
    if (!ws::valid_utf8(out)) return std::nullopt;
    return out;
}

}  // namespace

std::optional<std::string> url_decode(std::string_view s, bool plus_as_space) {
    auto out = percent_decode(s, plus_as_space);
    if (!out || !ws::valid_utf8(*out)) return std::nullopt;
    return out;
}

boost::system::result<query_list> parse_query(std::string_view query) {
    query_list out;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto key = decode_lenient(part.substr(0, eq));
        auto value = eq == std::string_view::npos ? std::optional<std::string>(std::in_place)
                                                  : decode_lenient(part.substr(eq + 1));
        if (!key || !value) return errc::invalid_utf8;
        out.emplace_back(std::move(*key), std::move(*value));
    }
    return out;
}

const std::string* find_param(const query_list& q, std::string_view key) {
    for (const auto& [k, v] : q)
        if (k == key) return &v;
    return nullptr;
}

boost::system::result<engine_request> parse_engine_request(std::string_view query, http_verb_kind method,
                                                           bool websocket_upgrade) {
    engine_request r;
    auto q = parse_query(query);
    if (!q) return errc::bad_request;
    r.query = std::move(*q);
    const std::string* transport = find_param(r.query, "transport");
    if (!transport) return errc::unknown_transport;
    if (*transport == "polling")
        r.transport = transport_kind::polling;
    else if (*transport == "websocket")
        r.transport = transport_kind::websocket;
    else
        return errc::unknown_transport;

    const std::string* eio = find_param(r.query, "EIO");
    if (!eio || *eio != "4") return errc::unsupported_protocol_version;

    if (r.transport == transport_kind::websocket && !websocket_upgrade) return errc::bad_request;
    if (r.transport == transport_kind::polling && websocket_upgrade) return errc::bad_request;

    if (const std::string* sid = find_param(r.query, "sid")) {
        if (sid->empty()) return errc::unknown_sid;
        r.sid = *sid;
        if (r.transport == transport_kind::polling && method != http_verb_kind::get &&
            method != http_verb_kind::post)
            return errc::bad_request;
    } else if (method != http_verb_kind::get) {
        return errc::bad_handshake_method;
    }
    return r;
}

int engine_error_code(errc e) noexcept {
    switch (e) {
        case errc::unknown_transport:
            return 0;
        case errc::unknown_sid:
            return 1;
        case errc::bad_handshake_method:
            return 2;
        case errc::bad_request:
            return 3;
        case errc::forbidden:
            return 4;
        case errc::unsupported_protocol_version:
            return 5;
        default:
            return 3;
    }
}

std::string engine_error_body(errc e) {
    std::string body = "{\"code\":";
    body += std::to_string(engine_error_code(e));
    body += ",\"message\":\"";
    // The request errors' messages are Node's texts; everything else answers as code 3.
    body += engine_error_code(e) == 3 ? "Bad request" : make_error_code(e).message();
    body += "\"}";
    return body;
}

}  // namespace switchboard::protocol
