// The seed 002 messages → events (see messages.hpp).
#include <switchboard/kafka/messages.hpp>

#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/ids.hpp>
#include <switchboard/common/log.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>

namespace switchboard::kafka {

namespace json = boost::json;

namespace {

using result = boost::system::result<decision>;

struct reader {
    const json::object& o;
    std::string* field;

    boost::system::error_code fail(errc e, std::string_view name) const {
        if (field) *field = std::string(name);
        return e;
    }
    // A present, non-null value, or nullptr.
    const json::value* get(std::string_view name) const {
        auto* v = o.if_contains(name);
        return v && !v->is_null() ? v : nullptr;
    }
    // An optional id field → `prefix` + id added to `rooms` (absent or null: nothing).
    boost::system::error_code add_room(const json::value* v, std::string_view name, std::string_view prefix,
                                       std::vector<std::string>& rooms) const {
        if (!v || v->is_null()) return {};
        auto t = auth::id_text(*v);
        if (!t) return fail(errc::bad_id, name);
        auto room = std::string(prefix) + *t;
        if (!auth::valid_room_name(room)) return fail(errc::bad_id, name);  // a 128-byte id and its prefix
        if (std::find(rooms.begin(), rooms.end(), room) == rooms.end()) rooms.push_back(std::move(room));
        return {};
    }
    // An optional string field: copied into `out` as `as` (absent or null: `fallback`, if any).
    boost::system::error_code text(std::string_view name, json::object& out, std::string_view as,
                                   const char* fallback = nullptr) const {
        auto* v = get(name);
        if (!v) {
            if (fallback) out[as] = fallback;
            return {};
        }
        if (!v->is_string()) return fail(errc::bad_field, name);
        out[as] = *v;
        return {};
    }
    void copy(json::object& out, std::initializer_list<std::string_view> keys) const {
        for (auto k : keys)
            if (auto* v = o.if_contains(k)) out[k] = *v;
    }
};

// survey.responses: as push_service::survey_response (POST /api/broadcast/survey-response).
result responses(const reader& r, decision d) {
    auto* survey = r.get("surveyId");
    if (!survey) return r.fail(errc::missing_field, "surveyId");
    if (auto ec = r.add_room(survey, "surveyId", "survey:", d.rooms)) return ec;
    const json::value* project = r.o.if_contains("projectId");
    if (auto* m = r.o.if_contains("metadata"); !project && m && m->is_object())
        project = m->get_object().if_contains("projectId");
    if (auto ec = r.add_room(project, "projectId", "project:", d.rooms)) return ec;
    d.payload["surveyId"] = *survey;
    r.copy(d.payload, {"responseId", "response", "metadata"});
    return d;
}

// survey.analytics: {surveyId, projectId?, analytics, type?} → {surveyId, analytics, updateType}.
result analytics(const reader& r, decision d) {
    if (auto ec = r.add_room(r.get("surveyId"), "surveyId", "survey:", d.rooms)) return ec;
    if (auto ec = r.add_room(r.get("projectId"), "projectId", "project:", d.rooms)) return ec;
    if (d.rooms.empty()) return r.fail(errc::missing_field, "surveyId");
    r.copy(d.payload, {"surveyId", "projectId"});
    d.payload["analytics"] = r.get("analytics") ? *r.get("analytics") : json::value(json::object{});
    if (auto ec = r.text("type", d.payload, "updateType", "realtime")) return ec;
    return d;
}

// surveyor.locations: as push_service::location (POST /api/broadcast/location).
result locations(const reader& r, decision d) {
    auto* surveyor = r.get("surveyorId");
    if (!surveyor) return r.fail(errc::missing_field, "surveyorId");
    if (!auth::id_text(*surveyor)) return r.fail(errc::bad_id, "surveyorId");
    auto* loc = r.get("location");
    if (!loc) return r.fail(errc::missing_field, "location");
    if (!loc->is_object()) return r.fail(errc::bad_field, "location");
    if (auto ec = r.add_room(r.o.if_contains("surveyId"), "surveyId", "survey:", d.rooms)) return ec;
    if (auto ec = r.add_room(r.o.if_contains("projectId"), "projectId", "project:", d.rooms)) return ec;
    if (d.rooms.empty()) return r.fail(errc::no_room, "surveyId");
    d.payload["surveyorId"] = *surveyor;
    r.copy(d.payload, {"surveyId", "projectId", "location", "metadata"});
    return d;
}

// system.notifications: {userId?, type, title, message, priority, metadata} → notification to
// user:{userId}, or to everyone without a userId.
result notifications(const reader& r, decision d) {
    if (auto ec = r.add_room(r.get("userId"), "userId", "user:", d.rooms)) return ec;
    if (d.rooms.empty()) d.rooms.emplace_back("global");
    if (!r.get("title") && !r.get("message")) return r.fail(errc::missing_field, "message");
    if (auto* u = r.get("userId")) d.payload["userId"] = *u;
    if (auto ec = r.text("type", d.payload, "notificationType", "info")) return ec;
    if (auto ec = r.text("title", d.payload, "title")) return ec;
    if (auto ec = r.text("message", d.payload, "message")) return ec;
    if (auto ec = r.text("priority", d.payload, "priority", "normal")) return ec;
    r.copy(d.payload, {"metadata"});
    return d;
}

const char* event_of(topic_kind k) {
    switch (k) {
        case topic_kind::responses:
            return "response.new";
        case topic_kind::analytics:
            return "analytics.update";
        case topic_kind::locations:
            return "surveyor.location";
        case topic_kind::notifications:
            return "notification";
    }
    return "";
}

}  // namespace

std::string_view to_string(topic_kind k) noexcept {
    switch (k) {
        case topic_kind::responses:
            return "responses";
        case topic_kind::analytics:
            return "analytics";
        case topic_kind::locations:
            return "locations";
        case topic_kind::notifications:
            return "notifications";
    }
    return "unknown";
}

std::optional<topic_kind> topic_names::kind_of(std::string_view topic) const {
    for (auto k :
         {topic_kind::responses, topic_kind::analytics, topic_kind::locations, topic_kind::notifications})
        if (name_of(k) == topic) return k;
    return std::nullopt;
}

const std::string& topic_names::name_of(topic_kind k) const {
    switch (k) {
        case topic_kind::responses:
            return responses;
        case topic_kind::analytics:
            return analytics;
        case topic_kind::locations:
            return locations;
        case topic_kind::notifications:
            break;
    }
    return notifications;
}

std::vector<std::string> topic_names::all() const {
    std::vector<std::string> out;
    for (const auto* t : {&responses, &analytics, &locations, &notifications})
        if (!t->empty() && std::find(out.begin(), out.end(), *t) == out.end()) out.push_back(*t);
    return out;
}

boost::system::result<decision> decide(topic_kind kind, std::string_view value, std::int64_t wall_ms,
                                       const limits& l, std::string* field) {
    if (value.size() > l.max_bytes) return make_error_code(errc::too_large);
    json::parse_options po;
    po.max_depth = l.max_depth;
    boost::system::error_code ec;
    auto doc = json::parse(value, ec, {}, po);
    if (ec) return make_error_code(errc::not_json);
    if (!doc.is_object()) return make_error_code(errc::not_an_object);
    reader r{doc.get_object(), field};
    decision d;
    d.event = event_of(kind);
    d.payload["type"] = d.event;
    result out = make_error_code(errc::unknown_topic);
    switch (kind) {
        case topic_kind::responses:
            out = responses(r, std::move(d));
            break;
        case topic_kind::analytics:
            out = analytics(r, std::move(d));
            break;
        case topic_kind::locations:
            out = locations(r, std::move(d));
            break;
        case topic_kind::notifications:
            out = notifications(r, std::move(d));
            break;
    }
    if (out) out->payload["timestamp"] = log::iso_time(wall_ms);
    return out;
}

}  // namespace switchboard::kafka
