// The Channels-style frames (seed 001): client frames → domain operations, outcomes and domain
// events → frames. Pure: Boost.JSON only, never throws on any input.
#include "channels_frames.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>

namespace switchboard::app::channels {

namespace json = boost::json;
using domain::operation;

std::string_view errc_name(frame_errc e) noexcept {
    switch (e) {
        case frame_errc::invalid_json:
            return "invalid_json";
        case frame_errc::invalid_frame:
            return "invalid_frame";
        case frame_errc::unknown_type:
            return "unknown_type";
        case frame_errc::invalid_field:
            return "invalid_field";
        case frame_errc::binary_frame:
            return "binary_frame";
        case frame_errc::rate_limited:
            return "rate_limited";
        case frame_errc::request_failed:
            return "request_failed";
        case frame_errc::unavailable:
            return "unavailable";
        case frame_errc::unauthorized:
            return "unauthorized";
    }
    return "request_failed";
}

namespace {

const json::value* present(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

bool id_like(const json::value& v) {
    return v.is_string() || v.is_int64() || v.is_uint64();
}

frame_error bad_field(std::string type, std::string message) {
    return {frame_errc::invalid_field, std::move(message), std::move(type)};
}

// Copies `from` (snake_case, as sent) to `to` (camelCase, as the operation reads it) when present.
void carry(const json::object& in, std::string_view from, json::object& out, std::string_view to) {
    if (auto* v = present(in, from)) out[to] = *v;
}

std::variant<client_request, frame_error> chat_request(client_request r, const json::object& in) {
    auto& a = r.args;
    if (r.type == "message") {
        r.op = operation::chat_send;
        auto* to = present(in, "receiver_id");
        if (!to) return bad_field(r.type, "receiver_id is required");
        if (!id_like(*to)) return bad_field(r.type, "receiver_id must be a user id (a string or an integer)");
        auto* text = present(in, "message");
        if (!text) return bad_field(r.type, "message is required");
        if (!text->is_string()) return bad_field(r.type, "message must be a string");
        a["receiverId"] = *to;
        a["message"] = *text;
        carry(in, "client_message_id", a, "clientMessageId");
        carry(in, "attachments", a, "attachments");
        return r;
    }
    if (r.type == "typing") {
        r.op = operation::chat_typing;
        auto* to = present(in, "receiver_id");
        if (!to) return bad_field(r.type, "receiver_id is required");
        if (!id_like(*to)) return bad_field(r.type, "receiver_id must be a user id (a string or an integer)");
        bool on = true;
        if (auto* t = present(in, "is_typing")) {
            if (!t->is_bool()) return bad_field(r.type, "is_typing must be true or false");
            on = t->get_bool();
        }
        a["receiverId"] = *to;
        a["isTyping"] = on;
        return r;
    }
    if (r.type == "read") {
        r.op = operation::chat_mark_read;
        if (auto* c = present(in, "conversation_id")) {
            if (!c->is_string()) return bad_field(r.type, "conversation_id must be a string");
            a["conversationId"] = *c;
        } else if (auto* u = present(in, "sender_id") ? present(in, "sender_id") : present(in, "user_id")) {
            if (!id_like(*u))
                return bad_field(r.type, "sender_id must be a user id (a string or an integer)");
            a["userId"] = *u;
        } else {
            return bad_field(r.type, "sender_id (or conversation_id) is required");
        }
        if (auto* ids = present(in, "message_ids")) {
            if (!ids->is_array()) return bad_field(r.type, "message_ids must be an array of message ids");
            a["messageIds"] = *ids;
        } else if (auto* id = present(in, "message_id")) {
            json::array one;
            one.push_back(*id);
            a["messageIds"] = std::move(one);
        }
        carry(in, "up_to_id", a, "upToId");
        return r;
    }
    return frame_error{frame_errc::unknown_type, "unknown type: expected message, typing, read or ping",
                       r.type};
}

std::variant<client_request, frame_error> notification_request(client_request r, const json::object& in) {
    auto& a = r.args;
    if (r.type == "mark_read" || r.type == "dismiss") {
        r.op = r.type == "dismiss" ? operation::notification_dismiss : operation::notification_mark_read;
        if (auto* ids = present(in, "ids") ? present(in, "ids") : present(in, "notification_ids")) {
            if (!ids->is_array()) return bad_field(r.type, "ids must be an array of notification ids");
            a["ids"] = *ids;
        } else if (auto* id = present(in, "notification_id")) {
            json::array one;
            one.push_back(*id);
            a["ids"] = std::move(one);
        } else {
            return bad_field(r.type, "notification_id (or ids) is required");
        }
        return r;
    }
    if (r.type == "mark_all_read") {
        r.op = operation::notification_mark_all_read;
        return r;
    }
    if (r.type == "get_unread_count") {
        r.op = operation::notification_unread_count;
        return r;
    }
    return frame_error{frame_errc::unknown_type,
                       "unknown type: expected mark_read, mark_all_read, dismiss, get_unread_count or ping",
                       r.type};
}

// The type as sent, bounded and printable, for the answer's request_type.
std::string type_text(std::string_view t) {
    std::string out;
    for (char c : t.substr(0, 64))
        out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    return out;
}

std::string to_text(json::object o) {
    return json::serialize(o);
}

// The domain names its arguments in camelCase; a Channels client sent them in snake_case.
std::string snake_message(std::string m) {
    static const std::pair<std::string_view, std::string_view> names[] = {
        {"receiverId", "receiver_id"},
        {"clientMessageId", "client_message_id"},
        {"conversationId", "conversation_id"},
        {"messageIds", "message_ids"},
        {"upToId", "up_to_id"},
        {"userId", "sender_id"}};
    for (const auto& [camel, snake] : names)
        for (auto pos = m.find(camel); pos != std::string::npos; pos = m.find(camel, pos + snake.size()))
            m.replace(pos, camel.size(), snake);
    return m;
}

json::value snake_value(const json::value& v) {
    return v.is_object() ? json::value(snake_keys(v.get_object())) : v;
}

}  // namespace

json::object snake_keys(const json::object& o) {
    json::object out;
    out.reserve(o.size());
    for (const auto& [k, v] : o) {
        std::string key;
        for (char c : std::string_view(k)) {
            if (std::isupper(static_cast<unsigned char>(c))) {
                key += '_';
                key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            } else {
                key += c;
            }
        }
        out[key] = v;
    }
    return out;
}

std::variant<client_request, frame_error> parse_client_frame(endpoint ep, std::string_view text) {
    if (text.size() > max_frame_bytes) return frame_error{frame_errc::invalid_frame, "frame too large", {}};
    boost::system::error_code ec;
    json::parse_options po;
    po.max_depth = 16;
    auto v = json::parse(text, ec, {}, po);
    if (ec) return frame_error{frame_errc::invalid_json, "frame is not valid JSON", {}};
    if (!v.is_object()) return frame_error{frame_errc::invalid_frame, "frame must be a JSON object", {}};
    const auto& in = v.get_object();
    auto* t = present(in, "type");
    if (!t || !t->is_string())
        return frame_error{frame_errc::invalid_frame, "frame must have a string \"type\"", {}};
    client_request r;
    r.type = type_text(t->get_string());
    if (r.type == "ping") {
        r.ping = true;
        return r;
    }
    return ep == endpoint::chat ? chat_request(std::move(r), in) : notification_request(std::move(r), in);
}

std::string error_frame(const frame_error& e) {
    json::object o{{"type", "error"}, {"error", e.message}, {"code", errc_name(e.code)}};
    if (!e.request_type.empty()) o["request_type"] = e.request_type;
    return to_text(std::move(o));
}

std::string welcome_frame(endpoint ep, std::string_view user_id) {
    return to_text({{"type", "connection_established"},
                    {"endpoint", ep == endpoint::chat ? "chat" : "notifications"},
                    {"user_id", user_id},
                    {"message", ep == endpoint::chat ? "Connected to chat" : "Connected to notifications"}});
}

std::string pong_frame(std::string_view timestamp) {
    return to_text({{"type", "pong"}, {"timestamp", timestamp}});
}

std::optional<std::string> answer_frame(const client_request& r, const domain::outcome& o) {
    const auto& b = o.body;
    if (!domain::succeeded(o)) {
        auto* err = b.if_contains("error");
        std::string text = err && err->is_string() ? std::string(err->get_string()) : "Request failed";
        frame_error e{o.status == 503 ? frame_errc::unavailable : frame_errc::request_failed,
                      snake_message(text), r.type};
        json::object f{
            {"type", "error"}, {"error", e.message}, {"code", errc_name(e.code)}, {"request_type", r.type}};
        if (auto* key = b.if_contains("clientMessageId")) f["client_message_id"] = *key;
        return to_text(std::move(f));
    }
    auto copy = [&](json::object& f, std::string_view from, std::string_view to) {
        if (auto* v = b.if_contains(from)) f[to] = *v;
    };
    json::object f;
    switch (r.op) {
        case operation::chat_send:
            f["type"] = "message_sent";
            if (auto* m = b.if_contains("message")) f["message"] = snake_value(*m);
            if (auto* d = b.if_contains("duplicate")) f["duplicate"] = *d;
            break;
        case operation::chat_typing:
            return std::nullopt;
        case operation::chat_mark_read:
            f["type"] = "messages_read";
            copy(f, "conversationId", "conversation_id");
            copy(f, "messageIds", "message_ids");
            copy(f, "count", "count");
            copy(f, "readAt", "read_at");
            break;
        case operation::notification_unread_count:
            f["type"] = "unread_count";
            copy(f, "count", "count");
            break;
        default:
            f["type"] =
                r.op == operation::notification_dismiss ? "notifications_dismissed" : "notifications_read";
            copy(f, "ids", "ids");
            copy(f, "count", "count");
            break;
    }
    return to_text(std::move(f));
}

bool carries(endpoint ep, std::string_view event) noexcept {
    if (ep == endpoint::chat)
        return event == "chat:message" || event == "chat:delivered" || event == "chat:readReceipt" ||
               event == "chat:typing" || event == "user:online" || event == "user:offline";
    return event == "notification:new" || event == "notification:read" || event == "notification:dismissed";
}

std::optional<std::string> event_frame(endpoint ep, std::string_view event, const json::value& arg) {
    if (!carries(ep, event) || !arg.is_object()) return std::nullopt;
    const auto& a = arg.get_object();
    if (event == "chat:message") return to_text({{"type", "chat_message"}, {"message", snake_keys(a)}});
    if (event == "user:online" || event == "user:offline") {
        json::object f{{"type", "user_status"}, {"is_online", event == "user:online"}};
        if (auto* u = a.if_contains("userId")) f["user_id"] = *u;
        if (auto* s = a.if_contains("lastSeen")) f["last_seen"] = *s;
        return to_text(std::move(f));
    }
    if (event == "notification:new")
        return to_text({{"type", "notification"}, {"notification", snake_keys(a)}});
    const char* type = event == "chat:delivered"      ? "message_delivered"
                       : event == "chat:readReceipt"  ? "read_receipt"
                       : event == "chat:typing"       ? "typing"
                       : event == "notification:read" ? "notification_read"
                                                      : "notification_dismissed";
    json::object f{{"type", type}};
    for (auto& [k, v] : snake_keys(a))
        if (k != "type") f[k] = v;
    return to_text(std::move(f));
}

}  // namespace switchboard::app::channels
