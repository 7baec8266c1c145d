// The HTTP API for backend services (thin: key check and body parse, then push_service or
// presence): notifications, broadcasts, statistics and presence queries.
#include "gateway.hpp"
#include "gateway_state.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/auth/jwt.hpp>
#include <switchboard/common/clock.hpp>

#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/protocol/engine_request.hpp>

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

}  // namespace

json::array gateway::online_users() {
    std::lock_guard lock(mu_);
    json::array list;
    for (const auto& u : presence_.users())
        list.push_back(json::object{{"userId", u}, {"devices", presence_.devices(u)}});
    return list;
}

// The method check and the service authentication: the answer when the request fails them.
std::optional<http_reply> gateway::api_refused(const http_request_view& req, const std::string& method) {
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
}

server::http_route gateway::api_route(std::string method, server::http_route handler) {
    return [this, method, handler](const http_request_view& req) -> http_reply {
        if (auto r = api_refused(req, method)) return *r;
        return handler(req);
    };
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

    // Notifications from backend services: stored, then notification:new to the audience.
    for (bool broadcast : {false, true}) {
        srv_.route_async(broadcast ? "/api/broadcast" : "/api/notify",
                         [this, broadcast](server::http_request req, server::http_responder respond) {
                             if (auto r = api_refused(req.view(), "POST")) return respond(std::move(*r));
                             json::object b;
                             if (auto e = parse_body(req, b)) return respond(std::move(*e));
                             comm_.service_notify(broadcast, std::move(b), [respond](outcome o) {
                                 respond(json_reply(o.status, o.body));
                             });
                         });
    }

    // Broadcasts (push_service): validated whole before anything is sent, so a bad request sends nothing.
    using push_call = outcome (domain::push_service::*)(const json::object&) const;
    auto push = [this](const char* path, push_call call) {
        srv_.route(path, api_route("POST", [this, call](const http_request_view& req) {
                       json::object b;
                       if (auto e = parse_body(req, b)) return *e;
                       auto o = (comm_.push().*call)(b);
                       return json_reply(o.status, o.body);
                   }));
    };
    push("/api/broadcast/room", &domain::push_service::to_room);
    push("/api/broadcast/user", &domain::push_service::to_user);
    push("/api/broadcast/global", &domain::push_service::to_everyone);
    // The survey service's two typed broadcasts: to survey:{id} and project:{id}, each socket once.
    push("/api/broadcast/survey-response", &domain::push_service::survey_response);
    push("/api/broadcast/location", &domain::push_service::location);
    install_presence_api();
    install_dev_api();
    install_demo();
}

// Development mode: a token for any name, so a person can try the service (and /demo/) without a
// backend that issues tokens. Never on unless DEV_MODE=true.
void gateway::install_dev_api() {
    if (!cfg_.dev_mode) return;
    log::warn("DEV MODE: POST /dev/token mints a token for any name; never run this in production",
              {{"url", cfg_.dev_url}});
    srv_.route(
        "/dev/token",
        [this](const http_request_view& req) {
            json::object b;
            if (auto e = parse_body(req, b)) return *e;
            const auto* name = b.if_contains("name");
            if (!name || !name->is_string() || !auth::valid_id(name->as_string()))
                return json_error(400, std::string("name is required: ") + auth::id_rule_text);
            std::string id(name->as_string());
            auto now = common::wall_s();
            auto exp = now + 12 * 3600;
            json::object claims{{"userId", id}, {"name", id}, {"iat", now}, {"exp", exp}};
            auto token = auth::sign_hs256(claims, cfg_.dev_secret);
            return json_reply(200, {{"success", true},
                                    {"token", token},
                                    {"userId", id},
                                    {"expiresAt", log::iso_time(exp * 1000)}});
        },
        "POST");
}

// Presence queries and the disconnect of a user's sockets. In a cluster (shared presence) the
// counts, the user lists and a user's status are the whole cluster's; rooms are this node's.
void gateway::install_presence_api() {
    auto api = [this](std::string method, server::http_route handler) {
        return api_route(std::move(method), std::move(handler));
    };
    // A query answered by the shared presence in a cluster, by this node's registry otherwise.
    auto async_api = [this](const char* path, bool prefix,
                            std::function<void(const http_request_view&, server::http_responder)> shared,
                            server::http_route local) {
        auto handler = [this, shared, local](server::http_request req, server::http_responder respond) {
            auto view = req.view();
            if (auto r = api_refused(view, "GET")) return respond(std::move(*r));
            if (!shared_) return respond(local(view));
            shared(view, std::move(respond));
        };
        if (prefix)
            srv_.route_async(path, handler, true);
        else
            srv_.route_async(path, handler);
    };
    auto unavailable = [] {
        return json_error(503, "Presence is unavailable (Redis does not answer), try again");
    };

    srv_.route("/api/stats", api("GET", [this](const http_request_view&) {
                   json::object stats;
                   presence::cluster_counts mine = local_counts();
                   std::optional<presence::cluster_counts> all;
                   if (shared_) all = shared_->counts();
                   const auto& c = all ? *all : mine;
                   stats["totalConnections"] = c.connections;
                   stats["authenticatedConnections"] = c.authenticated;
                   stats["anonymousConnections"] = c.anonymous;
                   stats["uniqueUsers"] = c.users;
                   auto sizes = srv_.of("/").room_sizes();
                   json::array room_stats;
                   for (const auto& [name, n] : sizes)
                       if (!watch_room(name))
                           room_stats.push_back(json::object{{"name", name}, {"connections", n}});
                   stats["totalRooms"] = room_stats.size();
                   stats["roomStats"] = std::move(room_stats);
                   if (shared_) {
                       // The totals above are the cluster's (as of its last beat) when `scope` says
                       // so (this instance's while the shared presence does not answer); `node`
                       // and the rooms are this instance's.
                       stats["scope"] = all ? "cluster" : "node";
                       stats["instances"] = all ? all->instances : 1;
                       stats["node"] = json::object{{"connections", mine.connections},
                                                    {"authenticatedConnections", mine.authenticated},
                                                    {"anonymousConnections", mine.anonymous},
                                                    {"uniqueUsers", mine.users}};
                   }
                   return json_reply(200, {{"success", true}, {"stats", std::move(stats)}});
               }));

    auto user_list = [](const std::vector<std::string>& list) {
        return json_reply(200, {{"success", true},
                                {"data", json::object{{"count", list.size()},
                                                      {"users", json::array(list.begin(), list.end())}}}});
    };
    auto device_list = [](json::array list) {
        auto n = list.size();
        return json_reply(
            200, {{"success", true}, {"data", json::object{{"count", n}, {"users", std::move(list)}}}});
    };
    async_api(
        "/connected-users", false,
        [this, user_list, unavailable](const http_request_view&, server::http_responder respond) {
            shared_->online_users([respond, user_list, unavailable](auto users) {
                if (!users) return respond(unavailable());
                std::vector<std::string> ids;
                for (auto& [u, n] : *users)
                    ids.push_back(u);
                respond(user_list(ids));
            });
        },
        [this, user_list](const http_request_view&) {
            std::lock_guard lock(mu_);
            return user_list(presence_.users());
        });
    async_api(
        "/api/online-users", false,
        [this, device_list, unavailable](const http_request_view&, server::http_responder respond) {
            shared_->online_users([respond, device_list, unavailable](auto users) {
                if (!users) return respond(unavailable());
                json::array list;
                for (auto& [u, n] : *users)
                    list.push_back(json::object{{"userId", u}, {"devices", n}});
                respond(device_list(std::move(list)));
            });
        },
        [this, device_list](const http_request_view&) { return device_list(online_users()); });
    srv_.route("/api/disconnect-user",
               api("POST", [this](const http_request_view& req) { return disconnect_user_route(req); }));

    auto user_id = [](const http_request_view& req) {
        return protocol::url_decode(req.path.substr(std::string_view("/user-status/").size()), false);
    };
    auto bad_id = [] {
        return json_error(400,
                          std::string("userId is required: /user-status/{userId}, ") + auth::id_rule_text);
    };
    async_api(
        "/user-status/", true,
        [this, user_id, bad_id, unavailable](const http_request_view& req, server::http_responder respond) {
            auto id = user_id(req);
            if (!id || !auth::valid_id(*id)) return respond(bad_id());
            shared_->status(*id, [respond, id = *id, unavailable](std::optional<presence::user_status> st) {
                if (!st) return respond(unavailable());
                json::object data{{"userId", id}, {"isConnected", st->devices > 0}, {"devices", st->devices}};
                if (st->devices == 0 && st->last_seen_ms > 0)
                    data["lastSeen"] = log::iso_time(st->last_seen_ms);
                respond(json_reply(200, {{"success", true}, {"data", std::move(data)}}));
            });
        },
        [this, user_id, bad_id](const http_request_view& req) {
            auto id = user_id(req);
            if (!id || !auth::valid_id(*id)) return bad_id();
            std::lock_guard lock(mu_);
            return json_reply(200, {{"success", true},
                                    {"data", json::object{{"userId", *id},
                                                          {"isConnected", presence_.online(*id)},
                                                          {"devices", presence_.devices(*id)}}}});
        });
}

}  // namespace switchboard::app
