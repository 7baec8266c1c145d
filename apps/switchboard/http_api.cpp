// The HTTP API for backend services: broadcasts, statistics and presence queries.
#include "gateway.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>

#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/sio_packet.hpp>

#include <openssl/crypto.h>
#include <boost/json/parse.hpp>

#include <chrono>

namespace switchboard::app {

namespace json = boost::json;
using server::http_reply;
using server::http_request_view;

namespace {

const auth::address_set& loopback() {
    static const auth::address_set set = [] {
        auth::address_set s;
        s.parse({"loopback"});
        return s;
    }();
    return set;
}

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A required non-empty string field; ids may also be integers.
std::optional<http_reply> need_text(const json::object& o, std::string_view name, std::string& out,
                                    bool id = false) {
    auto* v = o.if_contains(name);
    if (!v || v->is_null()) return json_error(400, std::string(name) + " is required");
    if (id) {
        auto t = auth::id_text(*v);
        if (!t) return json_error(400, std::string(name) + " must be a non-empty string or an integer");
        out = std::move(*t);
        return std::nullopt;
    }
    if (!v->is_string()) return json_error(400, std::string(name) + " must be a string");
    if (v->get_string().empty()) return json_error(400, std::string(name) + " must not be empty");
    out = v->get_string();
    return std::nullopt;
}

// The required `event` (not one Socket.IO reserves: a client could not tell it from its own).
std::optional<http_reply> need_event(const json::object& o, std::string& event) {
    if (auto e = need_text(o, "event", event)) return e;
    if (event.size() > 256) return json_error(400, "event is longer than 256 characters");
    if (protocol::is_reserved_event(event))
        return json_error(400, "event '" + event + "' is reserved by Socket.IO");
    return std::nullopt;
}

// An optional id field (`v` may be null) → the room `prefix` + id, appended to `rooms`.
std::optional<http_reply> add_id_room(const json::value* v, std::string_view name, std::string_view prefix,
                                      std::vector<std::string>& rooms) {
    if (!v || v->is_null()) return std::nullopt;
    auto t = auth::id_text(*v);
    if (!t) return json_error(400, std::string(name) + " must be a non-empty string or an integer");
    rooms.push_back(std::string(prefix) + *t);
    return std::nullopt;
}

}  // namespace

json::array gateway::online_users() {
    std::lock_guard lock(mu_);
    json::array list;
    for (const auto& u : presence_.users())
        list.push_back(json::object{{"userId", u}, {"devices", presence_.devices(u)}});
    return list;
}

void gateway::install_http_api() {
    if (cfg_.api_key.empty() && cfg_.api_loopback_only)
        log::warn(
            "API_LOOPBACK_ONLY=true without SERVICE_API_KEY: the HTTP API answers loopback clients "
            "without a key");
    else if (cfg_.api_key.empty())
        log::warn(
            "SERVICE_API_KEY is not set: the HTTP API refuses every call (set it, or "
            "API_LOOPBACK_ONLY=true for loopback clients without a key)");

    // The service API is for services, never for browsers: no CORS headers, preflights included.
    srv_.set_no_cors([](std::string_view path) {
        if (path.starts_with(rest_prefix)) return false;
        return path.starts_with("/api/") || path == "/connected-users" || path.starts_with("/user-status/");
    });

    // The method check and the service authentication: the answer when the request fails them.
    auto refused = [this](const http_request_view& req,
                          const std::string& method) -> std::optional<http_reply> {
        m_->api_requests->inc();
        if (req.method != method) {
            auto r = json_error(405, "Method not allowed: use " + method);
            r.headers.emplace_back("Allow", method);
            return r;
        }
        if (cfg_.api_loopback_only) {
            // The client's address, not a same-host proxy's: X-Forwarded-For behind TRUSTED_PROXIES.
            auto client =
                auth::client_address(req.remote_address, req.header("x-forwarded-for"), cfg_.trusted_proxies);
            if (!loopback().contains(client)) return json_error(403, "Forbidden: loopback clients only");
            if (cfg_.api_key.empty()) return std::nullopt;
        } else if (cfg_.api_key.empty()) {
            return json_error(403, "Forbidden: the API needs SERVICE_API_KEY (or API_LOOPBACK_ONLY=true)");
        }
        std::string key(req.header("x-api-key"));
        if (key.empty())
            if (auto a = auth::parse_authorization(req.header("authorization")); a && a->first == "Bearer")
                key = std::move(a->second);
        if (key.empty()) return json_error(401, "Unauthorized: an API key is required");
        if (!same_secret(key, cfg_.api_key)) return json_error(401, "Unauthorized: invalid API key");
        return std::nullopt;
    };
    auto api = [refused](std::string method, auto handler) {
        return [refused, method, handler](const http_request_view& req) -> http_reply {
            if (auto r = refused(req, method)) return *r;
            return handler(req);
        };
    };

    // Notifications from backend services: stored, then notification:new to the audience.
    for (bool broadcast : {false, true}) {
        srv_.route_async(
            broadcast ? "/api/broadcast" : "/api/notify",
            [this, refused, broadcast](server::http_request req, server::http_responder respond) {
                if (auto r = refused(req.view(), "POST")) return respond(std::move(*r));
                json::object b;
                if (auto e = parse_body(req, b)) return respond(std::move(*e));
                comm_.service_notify(broadcast, std::move(b),
                                     [respond](outcome o) { respond(json_reply(o.status, o.body)); });
            });
    }

    // Broadcasts: validated whole before anything is sent, so a bad request sends nothing.
    auto send = [this](rooms::broadcast_options to, const std::string& event, json::value data) {
        return srv_.broadcast("/", to, event, one(std::move(data)));
    };
    // The generic broadcasts send the body's `data` (null when absent).
    auto data_of = [](const json::object& b) {
        auto* d = b.if_contains("data");
        return d ? *d : json::value(nullptr);
    };

    srv_.route(
        "/api/broadcast/room", api("POST", [send, data_of](const http_request_view& req) {
            json::object b;
            if (auto e = parse_body(req, b)) return *e;
            std::string room, event;
            if (auto e = need_text(b, "room", room)) return *e;
            if (!auth::valid_room_name(room))
                return json_error(
                    400, "room must be ids joined by ':' (1-128 characters of A-Z a-z 0-9 . _ - @ + :)");
            if (auto e = need_event(b, event)) return *e;
            rooms::broadcast_options to;
            to.rooms = {room};
            auto n = send(to, event, data_of(b));
            return json_reply(200, {{"success", true}, {"room", room}, {"event", event}, {"recipients", n}});
        }));
    srv_.route("/api/broadcast/user", api("POST", [send, data_of](const http_request_view& req) {
                   json::object b;
                   if (auto e = parse_body(req, b)) return *e;
                   std::string user, event;
                   if (auto e = need_text(b, "userId", user, true)) return *e;
                   if (auto e = need_event(b, event)) return *e;
                   rooms::broadcast_options to;
                   to.rooms = {"user:" + user};
                   auto n = send(to, event, data_of(b));
                   return json_reply(
                       200, {{"success", true}, {"userId", user}, {"event", event}, {"recipients", n}});
               }));
    srv_.route("/api/broadcast/global", api("POST", [send, data_of](const http_request_view& req) {
                   json::object b;
                   if (auto e = parse_body(req, b)) return *e;
                   std::string event;
                   if (auto e = need_event(b, event)) return *e;
                   rooms::broadcast_options to;
                   to.rooms = {"global"};
                   auto n = send(to, event, data_of(b));
                   return json_reply(200, {{"success", true}, {"event", event}, {"recipients", n}});
               }));
    // The survey service's two typed broadcasts: to survey:{id} and project:{id}, each socket once.
    srv_.route(
        "/api/broadcast/survey-response", api("POST", [send](const http_request_view& req) {
            json::object b;
            if (auto e = parse_body(req, b)) return *e;
            std::string survey;
            if (auto e = need_text(b, "surveyId", survey, true)) return *e;
            json::object out{{"type", "response.new"}, {"surveyId", b["surveyId"]}};
            for (auto key : {"responseId", "response", "metadata"})
                if (auto* v = b.if_contains(key)) out[key] = *v;
            rooms::broadcast_options to;
            to.rooms = {"survey:" + survey};
            const json::value* project = b.if_contains("projectId");
            if (auto* m = b.if_contains("metadata"); !project && m && m->is_object())
                project = m->get_object().if_contains("projectId");
            if (auto e = add_id_room(project, "projectId", "project:", to.rooms)) return *e;
            out["timestamp"] = now_iso();
            auto rooms_sent = json::array(to.rooms.begin(), to.rooms.end());
            auto n = send(to, "response.new", std::move(out));
            return json_reply(200, {{"success", true}, {"rooms", std::move(rooms_sent)}, {"recipients", n}});
        }));
    srv_.route(
        "/api/broadcast/location", api("POST", [send](const http_request_view& req) {
            json::object b;
            if (auto e = parse_body(req, b)) return *e;
            std::string surveyor;
            if (auto e = need_text(b, "surveyorId", surveyor, true)) return *e;
            auto* loc = b.if_contains("location");
            if (!loc || loc->is_null()) return json_error(400, "location is required");
            if (!loc->is_object()) return json_error(400, "location must be an object");
            rooms::broadcast_options to;
            if (auto e = add_id_room(b.if_contains("surveyId"), "surveyId", "survey:", to.rooms)) return *e;
            if (auto e = add_id_room(b.if_contains("projectId"), "projectId", "project:", to.rooms))
                return *e;
            if (to.rooms.empty()) return json_error(400, "surveyId or projectId is required");
            json::object out{{"type", "surveyor.location"}, {"surveyorId", b["surveyorId"]}};
            for (auto key : {"surveyId", "projectId", "location", "metadata"})
                if (auto* v = b.if_contains(key)) out[key] = *v;
            out["timestamp"] = now_iso();
            auto rooms_sent = json::array(to.rooms.begin(), to.rooms.end());
            auto n = send(to, "surveyor.location", std::move(out));
            return json_reply(200, {{"success", true}, {"rooms", std::move(rooms_sent)}, {"recipients", n}});
        }));

    srv_.route("/api/stats", api("GET", [this](const http_request_view&) {
                   json::object stats;
                   {
                       std::lock_guard lock(mu_);
                       stats["totalConnections"] = presence_.connections();
                       stats["authenticatedConnections"] = presence_.authenticated();
                       stats["anonymousConnections"] = presence_.anonymous();
                       stats["uniqueUsers"] = presence_.unique_users();
                   }
                   auto sizes = srv_.of("/").room_sizes();
                   stats["totalRooms"] = sizes.size();
                   json::array room_stats;
                   for (const auto& [name, n] : sizes)
                       room_stats.push_back(json::object{{"name", name}, {"connections", n}});
                   stats["roomStats"] = std::move(room_stats);
                   return json_reply(200, {{"success", true}, {"stats", std::move(stats)}});
               }));
    auto users = [this](const http_request_view&) {
        std::lock_guard lock(mu_);
        auto list = presence_.users();
        return json_reply(200, {{"success", true},
                                {"data", json::object{{"count", list.size()},
                                                      {"users", json::array(list.begin(), list.end())}}}});
    };
    srv_.route("/connected-users", api("GET", users));
    srv_.route("/api/online-users", api("GET", [this](const http_request_view&) {
                   auto list = online_users();
                   auto n = list.size();
                   return json_reply(200, {{"success", true},
                                           {"data", json::object{{"count", n}, {"users", std::move(list)}}}});
               }));
    srv_.route("/api/disconnect-user",
               api("POST", [this](const http_request_view& req) { return disconnect_user_route(req); }));
    srv_.route_prefix(
        "/user-status/", api("GET", [this](const http_request_view& req) {
            auto id = protocol::url_decode(req.path.substr(std::string_view("/user-status/").size()), false);
            if (!id || !auth::valid_id(*id))
                return json_error(
                    400, std::string("userId is required: /user-status/{userId}, ") + auth::id_rule_text);
            std::lock_guard lock(mu_);
            return json_reply(200, {{"success", true},
                                    {"data", json::object{{"userId", *id},
                                                          {"isConnected", presence_.online(*id)},
                                                          {"devices", presence_.devices(*id)}}}});
        }));
}

}  // namespace switchboard::app
