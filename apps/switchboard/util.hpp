#pragma once
// Small helpers shared by the gateway's event handlers and its HTTP API.
#include <switchboard/common/clock.hpp>
#include <switchboard/common/ids.hpp>
#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/server/server.hpp>

#include <boost/json/parse.hpp>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace switchboard::app {

using common::now_iso;
using common::random_hex;
using common::steady_ms;  // a monotonic clock in ms (rate windows, caches, refusal windows)
using common::wall_ms;
using common::wall_s;

// A payload of one JSON argument.
inline server::payload one(boost::json::value v) {
    server::payload p;
    p.args.push_back(std::move(v));
    return p;
}

// HTTP answers: a JSON object, or {success:false, error}.
inline server::http_reply json_reply(unsigned status, const boost::json::object& o) {
    return server::http_reply{status, "application/json", common::json_write(o)};
}
inline server::http_reply json_error(unsigned status, std::string_view message) {
    return json_reply(status, boost::json::object{{"success", false}, {"error", message}});
}

// A Content-Type of application/json (parameters such as charset allowed, case ignored).
inline bool is_json_type(std::string_view type) {
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    constexpr std::string_view json = "application/json";
    if (type.size() != json.size()) return false;
    for (std::size_t i = 0; i < json.size(); ++i)
        if (static_cast<char>(std::tolower(static_cast<unsigned char>(type[i]))) != json[i]) return false;
    return true;
}

// A request body that must be a JSON object sent as application/json (a browser cannot send that
// cross-origin without a preflight): the object, or the 415 / 400 to answer.
template <class Request>
std::optional<server::http_reply> parse_body(const Request& req, boost::json::object& out) {
    std::string_view body = req.body;
    if (!is_json_type(req.header("content-type")))
        return json_error(415, "Content-Type must be application/json");
    if (body.empty()) return json_error(400, "Request body must be a JSON object");
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 64;
    auto v = boost::json::parse(body, ec, {}, po);
    if (ec) return json_error(400, "Invalid JSON body");
    if (!v.is_object()) return json_error(400, "Request body must be a JSON object");
    out = std::move(v.get_object());
    return std::nullopt;
}

}  // namespace switchboard::app
