// The REST API for apps, /api/v1/communication/: the chat and notification operations of the
// socket events, for a user identified by a JWT (Bearer) or a DRF token (Token), with
// Django-style paths and snake_case names accepted.
#include "gateway.hpp"
#include "util.hpp"

#include <switchboard/auth/ids.hpp>
#include <switchboard/common/json_write.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/protocol/engine_request.hpp>

#include <chrono>
#include <variant>

namespace switchboard::app {

namespace json = boost::json;
using server::http_reply;

void gateway::install_rest_api() {
    srv_.route_async(
        std::string(rest_prefix),
        [this](server::http_request req, server::http_responder respond) {
            auto route = resolve_rest(req.path, req.method);
            if (auto* r = std::get_if<outcome>(&route)) {
                auto reply = json_reply(r->status, r->body);
                if (!r->allow.empty()) reply.headers.emplace_back("Allow", r->allow);
                return respond(std::move(reply));
            }
            auto ep = std::get<rest_endpoint>(std::move(route));

            // Arguments: the query string, then the JSON body, then the path (which wins).
            auto parsed = protocol::parse_query(req.query);
            if (!parsed) return respond(json_error(400, "Query string must be valid UTF-8"));
            const auto& query = *parsed;
            json::object args;
            for (const auto& [k, v] : query)
                if (k != "token") args[k] = v;
            if (ep.method == std::string_view("POST") && !req.body.empty()) {
                json::object body;
                if (auto e = parse_body(req, body)) return respond(std::move(*e));
                for (auto& [k, x] : body)
                    args[k] = std::move(x);
            }
            for (auto& [k, x] : ep.path_args)
                args[k] = std::move(x);

            // The user: a JWT (Bearer, or ?token=) or a DRF token (Token), as sockets present them.
            auto token = auth::find_token(json::object{}, query, req.header("authorization"));
            if (!token) return respond(json_error(401, "Authentication required"));
            // Django keys cost a lookup: an address past CONNECT_REFUSALS_PER_ADDRESS refused ones
            // in the window gets none until it ends, as on the socket path (audit #8).
            bool lookup = drf_token(*token) && auth::valid_drf_key(token->value);
            auto address =
                auth::client_address(req.remote_address, req.header("x-forwarded-for"), cfg_.trusted_proxies);
            if (lookup && !lookups_allowed(address)) {
                m_->refused->inc("connect_refusals");
                return respond(json_error(429, "Too many failed attempts, retry later"));
            }
            auto go = [this, ep, args = std::move(args), respond](const auth::principal& who) mutable {
                if (ep.op == operation::online_users) {
                    auto list = online_users();
                    auto n = list.size();
                    return respond(
                        json_reply(200, {{"success", true}, {"count", n}, {"users", std::move(list)}}));
                }
                comm_.run(ep.op, caller_of(who), std::move(args),
                          [respond](outcome o) { respond(json_reply(o.status, o.body)); });
            };
            identify(*token, [this, respond, go, lookup, address](identity id) mutable {
                if (!id.who) {
                    if (!id.unavailable) credential_refused({}, address, lookup);
                    return respond(json_error(id.unavailable ? 503 : 401, id.refusal));
                }
                // The socket path's window, per user (audit #13).
                std::int64_t wait_ms;
                {
                    std::lock_guard lock(mu_);
                    wait_ms = rest_rates_.hit(id.who->user_id, steady_ms());
                }
                if (wait_ms > 0) {
                    m_->rate_limited->inc("rest");
                    auto reply = json_error(429, "Too many requests");
                    reply.headers.emplace_back("Retry-After", std::to_string((wait_ms + 999) / 1000));
                    return respond(std::move(reply));
                }
                go(*id.who);
            });
        },
        true);
}

}  // namespace switchboard::app
