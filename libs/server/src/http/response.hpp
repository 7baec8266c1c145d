#pragma once
// HTTP answers: responses, CORS, preflights, the request's headers as routes see them.
#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/server/server.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::server::detail {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

// Which CORS answer a response gets: the Engine.IO endpoint's (credentials for a listed origin),
// another route's (never credentials), or none (the service API).
enum class cors_kind { engine, route, none };

bool origin_allowed(const server_options& o, std::string_view origin);
// The Access-Control-* headers: ALLOWED_ORIGINS "*" (or empty) gives "*" without credentials; a
// listed origin is echoed (with credentials on the Engine.IO endpoint only); any other origin, and
// `none`, get no CORS header at all (a preflight's method and header lists included).
void apply_cors(response& res, std::string_view origin, const server_options& o, cors_kind kind);

response make_response(const request& req, boost::beast::http::status status, std::string body,
                       std::string_view type = "text/plain; charset=UTF-8");
// An Engine.IO error: 403 (forbidden) or 400 with the Node server's body.
response engine_error(const request& req, protocol::errc e);
// A CORS preflight answer.
response preflight(const request& req, std::string_view allowed_headers);
// A route's reply as a response.
response from_reply(const request& req, http_reply reply);

// The request's headers with lower-case names, as handshakes and routes see them.
std::vector<std::pair<std::string, std::string>> lower_headers(const request& req);

}  // namespace switchboard::server::detail
