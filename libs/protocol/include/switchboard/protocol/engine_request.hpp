#pragma once
// Validation of an Engine.IO HTTP request (handshake, poll, post, WebSocket upgrade) before any
// session is touched, with the error answers the Node server gives.
#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::protocol {

enum class errc;

enum class transport_kind : std::uint8_t { polling, websocket };

using query_list = std::vector<std::pair<std::string, std::string>>;

// Percent-decoding; `plus_as_space` for query strings. nullopt on a malformed escape, or when the
// decoded text is not well-formed UTF-8.
std::optional<std::string> url_decode(std::string_view s, bool plus_as_space);
// All parameters in order, keys and values decoded; malformed escapes are kept literally.
// errc::invalid_utf8 when a decoded key or value is not well-formed UTF-8.
boost::system::result<query_list> parse_query(std::string_view query);
const std::string* find_param(const query_list& q, std::string_view key);

enum class http_verb_kind : std::uint8_t { get, post, options, other };

struct engine_request {
    transport_kind transport = transport_kind::polling;
    std::string sid;  // empty: a new session is asked for
    query_list query;
};

// `query` is the part after '?'. Checks EIO, transport, method (and that the query is UTF-8:
// bad_request otherwise); does not look the sid up.
boost::system::result<engine_request> parse_engine_request(std::string_view query, http_verb_kind method,
                                                           bool websocket_upgrade);

// The Node server's numeric code for an error answer, and its JSON body {"code":N,"message":"..."}.
int engine_error_code(errc e) noexcept;
std::string engine_error_body(errc e);

}  // namespace switchboard::protocol
