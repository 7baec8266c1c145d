// The REST API for apps, /api/v1/communication/: the chat and notification operations of the
// socket events, for a user identified by a JWT (Bearer) or a DRF token (Token), with
// Django-style paths and snake_case names accepted.
#include "gateway.hpp"
#include "util.hpp"

#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/json_write.hpp>
#include <switchboard/server/log.hpp>

#include <boost/json/parse.hpp>

#include <variant>

namespace switchboard::app {

namespace json = boost::json;
using server::http_reply;

namespace {

constexpr std::string_view prefix = "/api/v1/communication/";

http_reply answer(unsigned status, const json::object& o) {
    return http_reply{status, "application/json", protocol::json_write(o)};
}
http_reply failure(unsigned status, std::string_view message) {
    return answer(status, json::object{{"success", false}, {"error", message}});
}

// Path segments after the prefix, without empty ones ("chats/conversation/7/" → chats, conversation, 7).
std::vector<std::string> segments(std::string_view path) {
    std::vector<std::string> out;
    path.remove_prefix(std::min(path.size(), prefix.size()));
    while (!path.empty()) {
        auto slash = path.find('/');
        auto part = path.substr(0, slash);
        if (!part.empty()) out.emplace_back(protocol::url_decode(part, false).value_or(std::string{}));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

struct endpoint {
    const char* method;
    operation op;
    json::object extra;  // arguments from the path
    bool online_users = false;
};

// The route for a path, or the error to answer (404, or 405 with the method it takes).
std::variant<endpoint, http_reply> resolve(const std::vector<std::string>& p, std::string_view method) {
    auto is = [&](std::initializer_list<std::string_view> want) {
        if (p.size() != want.size()) return false;
        std::size_t i = 0;
        for (auto w : want) {
            if (w != "*" && p[i] != w) return false;
            ++i;
        }
        return true;
    };
    std::optional<endpoint> e;
    if (is({"chats"}))
        e = endpoint{"POST", operation::chat_send, {}};
    else if (is({"chats", "conversations"}))
        e = endpoint{"GET", operation::chat_get_conversations, {}};
    else if (is({"chats", "conversation", "*"}))
        e = endpoint{"GET", operation::chat_get_messages, {{"userId", p[2]}}};
    else if (is({"chats", "mark-read"}))
        e = endpoint{"POST", operation::chat_mark_read, {}};
    else if (is({"chats", "typing"}))
        e = endpoint{"POST", operation::chat_typing, {}};
    else if (is({"chats", "unread-count"}))
        e = endpoint{"GET", operation::chat_unread_count, {}};
    else if (is({"chats", "search"}))
        e = endpoint{"GET", operation::chat_search, {}};
    else if (is({"chats", "online-users"}))
        e = endpoint{"GET", operation::chat_search, {}, true};
    else if (is({"notifications"}))
        e = endpoint{"GET", operation::notification_list, {}};
    else if (is({"notifications", "unread"}))
        e = endpoint{"GET", operation::notification_unread, {}};
    else if (is({"notifications", "unread-count"}))
        e = endpoint{"GET", operation::notification_unread_count, {}};
    else if (is({"notifications", "mark-all-read"}))
        e = endpoint{"POST", operation::notification_mark_all_read, {}};
    else if (is({"notifications", "send"}))
        e = endpoint{"POST", operation::notification_send, {}};
    else if (is({"notifications", "broadcast"}))
        e = endpoint{"POST", operation::notification_broadcast, {}};
    else if (is({"notifications", "*", "mark-read"}))
        e = endpoint{"POST", operation::notification_mark_read, {{"ids", json::array{json::value(p[1])}}}};
    else if (is({"notifications", "*", "dismiss"}))
        e = endpoint{"POST", operation::notification_dismiss, {{"ids", json::array{json::value(p[1])}}}};
    if (!e) return failure(404, "Not found");
    if (method != e->method) {
        auto r = failure(405, std::string("Method not allowed: use ") + e->method);
        r.headers.emplace_back("Allow", e->method);
        return r;
    }
    return std::move(*e);
}

}  // namespace

void gateway::install_rest_api() {
    srv_.route_async(
        std::string(prefix),
        [this](server::http_request req, server::http_responder respond) {
            auto route = resolve(segments(req.path), req.method);
            if (auto* r = std::get_if<http_reply>(&route)) return respond(std::move(*r));
            auto ep = std::get<endpoint>(std::move(route));

            // Arguments: the query string, then the JSON body, then the path (which wins).
            json::object args;
            for (auto& [k, v] : protocol::parse_query(req.query))
                if (k != "token") args[k] = v;
            if (ep.method == std::string_view("POST") && !req.body.empty()) {
                boost::system::error_code ec;
                json::parse_options po;
                po.max_depth = 64;
                auto v = json::parse(req.body, ec, {}, po);
                if (ec || !v.is_object()) return respond(failure(400, "Request body must be a JSON object"));
                for (auto& [k, x] : v.get_object())
                    args[k] = std::move(x);
            }
            for (auto& [k, x] : ep.extra)
                args[k] = std::move(x);

            // The user: a JWT (Bearer, or ?token=) or a DRF token (Token), as sockets present them.
            auto token = auth::find_token(json::object{}, protocol::parse_query(req.query), req.headers);
            if (!token) return respond(failure(401, "Authentication required"));
            auto go = [this, ep, args = std::move(args), respond](const auth::principal& who) mutable {
                if (ep.online_users) {
                    std::lock_guard lock(mu_);
                    json::array list;
                    for (const auto& u : presence_.users())
                        list.push_back(json::object{{"userId", u}, {"devices", presence_.devices(u)}});
                    auto n = list.size();
                    return respond(
                        answer(200, {{"success", true}, {"count", n}, {"users", std::move(list)}}));
                }
                comm_.run(ep.op, caller_of(who), std::move(args),
                          [respond](outcome o) { respond(answer(o.status, o.body)); });
            };
            if (is_drf_token(*token)) {
                comm_.lookup_drf_token(token->value, [respond, go](auto r) mutable {
                    if (!r)
                        return respond(failure(503, "Authentication temporarily unavailable, please retry"));
                    if (!*r) return respond(failure(401, "Invalid or expired token"));
                    go(**r);
                });
                return;
            }
            auto p = auth::principal_from_jwt(token->value, cfg_.keys, cfg_.verify, wall_s());
            if (!p) return respond(failure(401, "Invalid or expired token"));
            go(*p);
        },
        true);
}

}  // namespace switchboard::app
