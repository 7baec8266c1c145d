// HTTP answers: responses, CORS, preflights.
#include "response.hpp"

#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <cctype>

namespace switchboard::server::detail {

namespace http = boost::beast::http;

namespace {
bool any_origin(const server_options& o) {
    return o.allowed_origins.empty() ||
           std::find(o.allowed_origins.begin(), o.allowed_origins.end(), "*") != o.allowed_origins.end();
}
}  // namespace

bool origin_allowed(const server_options& o, std::string_view origin) {
    if (origin.empty() || any_origin(o)) return true;
    return std::find(o.allowed_origins.begin(), o.allowed_origins.end(), origin) != o.allowed_origins.end();
}

void apply_cors(response& res, std::string_view origin, const server_options& o, cors_kind kind) {
    res.erase(http::field::access_control_allow_origin);
    res.erase(http::field::access_control_allow_credentials);
    bool allow = false;
    if (kind != cors_kind::none) {
        if (any_origin(o)) {
            res.set(http::field::access_control_allow_origin, "*");
            allow = true;
        } else if (!origin.empty() && origin_allowed(o, origin)) {
            res.set(http::field::access_control_allow_origin, origin);
            if (kind == cors_kind::engine) res.set(http::field::access_control_allow_credentials, "true");
            allow = true;
        }
        if (!any_origin(o)) res.set(http::field::vary, "Origin");
    }
    if (!allow) {
        res.erase(http::field::access_control_allow_methods);
        res.erase(http::field::access_control_allow_headers);
    }
}

response make_response(const request& req, http::status status, std::string body, std::string_view type) {
    response res{status, req.version()};
    res.set(http::field::server, "switchboard");
    res.set(http::field::content_type, type);
    res.body() = std::move(body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    return res;
}

response engine_error(const request& req, protocol::errc e) {
    auto status = e == protocol::errc::forbidden ? http::status::forbidden : http::status::bad_request;
    return make_response(req, status, protocol::engine_error_body(e), "application/json");
}

response preflight(const request& req, std::string_view allowed_headers) {
    auto res = make_response(req, http::status::no_content, "");
    res.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    res.set(http::field::access_control_allow_headers, allowed_headers);
    return res;
}

response from_reply(const request& req, http_reply reply) {
    auto res = make_response(req, static_cast<http::status>(reply.status), std::move(reply.body),
                             reply.content_type);
    for (const auto& [k, v] : reply.headers)
        res.set(k, v);
    return res;
}

std::vector<std::pair<std::string, std::string>> lower_headers(const request& req) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : req) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        out.emplace_back(std::move(name), std::string(f.value()));
    }
    return out;
}

}  // namespace switchboard::server::detail
