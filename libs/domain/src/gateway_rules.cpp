#include <switchboard/domain/gateway_rules.hpp>

#include <switchboard/auth/access.hpp>
#include <switchboard/auth/ids.hpp>

#include <algorithm>

namespace switchboard::domain::rules {

namespace json = boost::json;

json::value user_id_json(const auth::principal& p) {
    return p.anonymous ? json::value(nullptr) : json::value(p.user_id);
}

std::string session_owner(const auth::principal& p) {
    return p.anonymous ? std::string{} : "user:" + p.user_id;
}

bool is_drf_token(const auth::found_token& t, bool drf_enabled) {
    return drf_enabled && (t.scheme == "Token" ||
                           (t.scheme != "Bearer" && std::count(t.value.begin(), t.value.end(), '.') != 2));
}

json::object refusal(std::string_view message) {
    return {{"success", false}, {"message", message}, {"error", message}};
}

json::object room_event(const auth::principal& who, const std::string& room, std::string timestamp) {
    return {{"userId", user_id_json(who)}, {"room", room}, {"timestamp", std::move(timestamp)}};
}

json::object joined_ack(const std::string& room) {
    return {{"success", true}, {"room", room}, {"message", "Joined room " + room}};
}

json::object left_ack(const std::string& room) {
    return {{"success", true}, {"room", room}, {"message", "Left room " + room}};
}

std::optional<std::string> subscription_room(std::string_view prefix, const json::value& a) {
    std::optional<std::string> id = auth::id_text(a);
    if (!id && a.is_object())
        for (auto key : {"orderId", "productId", "id"})
            if (auto* v = a.get_object().if_contains(key); v && !id) id = auth::id_text(*v);
    if (!id) return std::nullopt;
    return std::string(prefix) + *id;
}

std::optional<typing_request> typing_of(const json::value& a, bool start_default) {
    auto room = auth::room_from_arg(a);
    if (!room) return std::nullopt;
    bool start = start_default;
    if (a.is_object())
        if (auto* t = a.get_object().if_contains("isTyping"); t && t->is_bool())
            start = start && t->get_bool();
    return typing_request{std::move(*room), start};
}

std::optional<std::string> refresh_token_of(const json::value& a) {
    const json::value* t =
        a.is_object() ? a.get_object().if_contains("token") : (a.is_string() ? &a : nullptr);
    if (!t || !t->is_string() || t->get_string().empty()) return std::nullopt;
    return std::string(t->get_string());
}

std::optional<std::vector<std::string>> online_status_ids(const json::value& a) {
    const json::value* ids = a.is_object() ? a.get_object().if_contains("userIds") : &a;
    if (!ids || !ids->is_array() || ids->get_array().size() > 500) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : ids->get_array())
        if (auto id = auth::id_text(v)) out.push_back(std::move(*id));
    return out;
}

expiry_step plan_expiry(std::optional<std::int64_t> expires_at_s, bool& warned, std::int64_t now,
                        const expiry_settings& s) {
    // Waits longer than this are looked at again when they end: no far-away time points.
    constexpr std::int64_t max_wait_ms = 86400000;
    expiry_step step;
    if (!expires_at_s) return step;
    auto exp_ms = *expires_at_s * 1000;  // clamped to max_expiry_s at verification: no overflow
    auto end_ms = exp_ms + s.leeway_s * 1000;
    auto warn_at = exp_ms - s.warning_s * 1000;
    if (!warned && s.warning_s > 0 && now >= warn_at && now < end_ms) {
        warned = true;
        // Seconds to exp (0 within the leeway): when the client should have refreshed.
        step.warn_expires_in_s = (std::max<std::int64_t>(exp_ms - now, 0) + 999) / 1000;
    }
    if (!warned && s.warning_s > 0 && now < warn_at) {
        step.next = expiry_step::then::look_again;
        step.wait_ms = std::min(warn_at - now, max_wait_ms);
        return step;
    }
    if (end_ms - now > max_wait_ms) {
        step.next = expiry_step::then::look_again;
        step.wait_ms = max_wait_ms;
        return step;
    }
    step.next = expiry_step::then::end;
    step.wait_ms = std::max<std::int64_t>(0, end_ms - now);
    return step;
}

}  // namespace switchboard::domain::rules
