// The input checks of the chat and notification operations and the REST routes
// (libs/domain/src/commands.cpp): never crash or throw on any input; every refusal is a 4xx with a
// non-empty message; what is accepted keeps to the identifier rules (switchboard/auth/ids.hpp).
// First byte: which checks; the rest is a JSON object, a REST path, or raw identifier bytes.
#include <switchboard/domain/commands.hpp>

#include <switchboard/auth/ids.hpp>
#include <switchboard/protocol/engine_request.hpp>
#include <switchboard/protocol/ws_frame.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace switchboard::domain;

namespace {

void expect_refusal(const check& c) {
    if (!c) return;
    const auto* e = c->body.if_contains("error");
    if (c->status < 400 || c->status > 499 || !e || !e->is_string() || e->get_string().empty()) std::abort();
    if (c->body.at("success") != false) std::abort();
}

// Every accepted identifier: bounded, only id bytes (and ':' between segments where allowed).
void check_identifiers(std::string_view s) {
    using namespace switchboard::auth;
    auto only_id_bytes = [](std::string_view x, bool colons) {
        for (char c : x)
            if (!(is_id_char(c) || (colons && c == ':'))) std::abort();
    };
    if (valid_id(s)) {
        if (s.empty() || s.size() > max_id_length) std::abort();
        only_id_bytes(s, false);
    }
    for (bool room : {true, false}) {
        if (!(room ? valid_room_name(s) : valid_client_message_id(s))) continue;
        if (s.empty() || s.size() > 128) std::abort();
        only_id_bytes(s, true);
        // Splits into non-empty segments that are ids.
        std::size_t start = 0;
        for (;;) {
            auto colon = s.find(':', start);
            if (!valid_id(s.substr(start, colon - start))) std::abort();
            if (colon == std::string_view::npos) break;
            start = colon + 1;
        }
    }
    if (valid_drf_key(s) && s.size() != drf_key_length) std::abort();
    if (valid_jwt_shape(s)) {
        if (s.size() > max_jwt_length || std::count(s.begin(), s.end(), '.') != 2) std::abort();
        only_id_bytes(s, false);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    check_identifiers(in);
    if (data[0] % 4 == 0) {
        // A REST request: "METHOD path".
        auto sp = in.find(' ');
        auto method = in.substr(0, sp);
        auto path = sp == std::string_view::npos ? std::string_view{} : in.substr(sp + 1);
        auto r = resolve_rest(path, method);
        if (auto* o = std::get_if<outcome>(&r)) {
            if (o->status != 400 && o->status != 404 && o->status != 405) std::abort();
            if (o->status == 405 && o->allow.empty()) std::abort();
            // 400 only for a path that is not UTF-8 once decoded (or has a malformed escape).
            if (o->status == 400 && switchboard::protocol::url_decode(path, false)) std::abort();
        } else {
            // What a path gives the operations is well-formed UTF-8 (audit #3).
            for (const auto& [k, v] : std::get<rest_endpoint>(r).path_args) {
                const auto& s = v.is_array() ? v.get_array().at(0) : v;
                if (!s.is_string() || !switchboard::protocol::ws::valid_utf8(s.get_string())) std::abort();
            }
        }
        // The same bytes as a query string: whatever parses is UTF-8 throughout.
        if (auto q = switchboard::protocol::parse_query(path))
            for (const auto& [k, v] : *q)
                if (!switchboard::protocol::ws::valid_utf8(k) || !switchboard::protocol::ws::valid_utf8(v))
                    std::abort();
        return 0;
    }
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 64;
    auto v = boost::json::parse(in, ec, {}, po);
    if (ec || !v.is_object()) return 0;
    auto args = camel_keys(v.get_object());
    caller who{"u1", "c1", "staff", false, data[0] % 4 == 3, "sid"};
    std::string text, conv, other;
    std::optional<std::int64_t> n;
    std::int64_t limit = 0;
    std::vector<std::int64_t> ids;
    expect_refusal(need_member(who));
    expect_refusal(need_user(args, "receiverId", text));
    if (!need_user(args, "receiverId", text) && !switchboard::auth::valid_id(text)) std::abort();
    expect_refusal(opt_int(args, "before", n));
    if (!opt_int(args, "before", n) && n && *n < 1) std::abort();
    expect_refusal(limit_of(args, 20, 100, limit));
    if (!limit_of(args, 20, 100, limit) && (limit < 1 || limit > 100)) std::abort();
    expect_refusal(id_list(args, "messageIds", ids, data[0] % 2 == 0));
    for (auto id : ids)
        if (id < 1) std::abort();
    expect_refusal(need_string(args, "message", 5000, text));
    if (!need_string(args, "message", 5000, text) && text.find('\0') != std::string::npos) std::abort();
    std::optional<std::string> key;
    expect_refusal(client_message_id(args, key));
    if (key && !switchboard::auth::valid_client_message_id(*key)) std::abort();
    expect_refusal(attachments_of(args, text));
    if (!attachments_of(args, text)) {
        auto parsed = boost::json::parse(text, ec);
        if (ec || !parsed.is_array() || parsed.get_array().size() > 10) std::abort();
    }
    expect_refusal(conversation_of(args, who, conv, other));
    if (!conversation_of(args, who, conv, other) &&
        (conv != dm_conversation(who.user_id, other) || !switchboard::auth::valid_id(other) ||
         other == who.user_id))
        std::abort();
    switchboard::domain::notification note;
    expect_refusal(notification_audience(args, data[0] % 2 == 1, note));
    expect_refusal(notification_fields(args, note));
    return 0;
}
