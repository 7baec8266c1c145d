#include <switchboard/domain/push_service.hpp>

#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/ids.hpp>
#include <switchboard/common/log.hpp>
#include <switchboard/protocol/sio_packet.hpp>

namespace switchboard::domain {

namespace json = boost::json;

namespace {

// A required non-empty string field; ids may also be integers.
check need_text(const json::object& o, std::string_view name, std::string& out, bool id = false) {
    auto* v = o.if_contains(name);
    if (!v || v->is_null()) return fail(400, std::string(name) + " is required");
    if (id) {
        auto t = auth::id_text(*v);
        if (!t) return fail(400, std::string(name) + " must be a non-empty string or an integer");
        out = std::move(*t);
        return std::nullopt;
    }
    if (!v->is_string()) return fail(400, std::string(name) + " must be a string");
    if (v->get_string().empty()) return fail(400, std::string(name) + " must not be empty");
    out = v->get_string();
    return std::nullopt;
}

// The required `event` (not one Socket.IO reserves: a client could not tell it from its own).
check need_event(const json::object& o, std::string& event) {
    if (auto e = need_text(o, "event", event)) return e;
    if (event.size() > 256) return fail(400, "event is longer than 256 characters");
    if (protocol::is_reserved_event(event))
        return fail(400, "event '" + event + "' is reserved by Socket.IO");
    return std::nullopt;
}

// An optional id field (`v` may be null) → the room `prefix` + id, appended to `rooms`.
check add_id_room(const json::value* v, std::string_view name, std::string_view prefix,
                  std::vector<std::string>& rooms) {
    if (!v || v->is_null()) return std::nullopt;
    auto t = auth::id_text(*v);
    if (!t) return fail(400, std::string(name) + " must be a non-empty string or an integer");
    auto room = std::string(prefix) + *t;
    if (!auth::valid_room_name(room))
        return fail(400, std::string(name) +
                             " makes a room name past 128 characters or with characters a room cannot hold");
    rooms.push_back(std::move(room));
    return std::nullopt;
}

// The generic broadcasts send the body's `data` (null when absent).
json::value data_of(const json::object& b) {
    auto* d = b.if_contains("data");
    return d ? *d : json::value(nullptr);
}

}  // namespace

task<outcome> push_service::notify(json::object body, bool broadcast) {
    auto a = camel_keys(std::move(body));
    notification n;
    if (auto e = decode(a, broadcast, n)) co_return *e;
    auto o = co_await notes_.create(std::move(n), {});
    if (o.status == 201) o.status = 200;
    co_return o;
}

outcome push_service::to_room(const json::object& b) const {
    std::string room, event;
    if (auto e = need_text(b, "room", room)) return *e;
    if (!auth::valid_room_name(room))
        return fail(400, "room must be ids joined by ':' (1-128 characters of A-Z a-z 0-9 . _ - @ + :)");
    if (auto e = need_event(b, event)) return *e;
    auto n = out_.to_room(room, event, data_of(b));
    return ok({{"room", room}, {"event", event}, {"recipients", n}});
}

outcome push_service::to_rooms(const json::object& b) const {
    std::string event;
    auto* rs = b.if_contains("rooms");
    if (!rs || !rs->is_array() || rs->get_array().empty())
        return fail(400, "rooms must be a non-empty array");
    if (rs->get_array().size() > 100) return fail(400, "rooms has more than 100 entries");
    target to;
    for (const auto& r : rs->get_array()) {
        if (!r.is_string() || !auth::valid_room_name(r.get_string()))
            return fail(400,
                        "each room must be ids joined by ':' (1-128 characters of A-Z a-z 0-9 . _ - @ + :)");
        to.rooms.emplace_back(r.get_string());
    }
    if (auto e = need_event(b, event)) return *e;
    auto n = out_.send(to, event, data_of(b));
    return ok({{"rooms", *rs}, {"event", event}, {"recipients", n}});
}

outcome push_service::to_user(const json::object& b) const {
    std::string user, event;
    if (auto e = need_text(b, "userId", user, true)) return *e;
    if (!auth::valid_room_name("user:" + user))
        return fail(400,
                    "userId makes a room name past 128 characters or with characters a room cannot hold");
    if (auto e = need_event(b, event)) return *e;
    auto n = out_.to_room("user:" + user, event, data_of(b));
    return ok({{"userId", user}, {"event", event}, {"recipients", n}});
}

outcome push_service::to_everyone(const json::object& b) const {
    std::string event;
    if (auto e = need_event(b, event)) return *e;
    auto n = out_.to_room("global", event, data_of(b));
    return ok({{"event", event}, {"recipients", n}});
}

outcome push_service::survey_response(const json::object& b) const {
    target to;
    if (!b.if_contains("surveyId") || b.at("surveyId").is_null()) return fail(400, "surveyId is required");
    if (auto e = add_id_room(b.if_contains("surveyId"), "surveyId", "survey:", to.rooms)) return *e;
    json::object out{{"type", "response.new"}, {"surveyId", b.at("surveyId")}};
    for (auto key : {"responseId", "response", "metadata"})
        if (auto* v = b.if_contains(key)) out[key] = *v;
    const json::value* project = b.if_contains("projectId");
    if (auto* m = b.if_contains("metadata"); !project && m && m->is_object())
        project = m->get_object().if_contains("projectId");
    if (auto e = add_id_room(project, "projectId", "project:", to.rooms)) return *e;
    out["timestamp"] = log::iso_time(clock_.wall_ms());
    auto rooms_sent = json::array(to.rooms.begin(), to.rooms.end());
    auto n = out_.send(to, "response.new", std::move(out));
    return ok({{"rooms", std::move(rooms_sent)}, {"recipients", n}});
}

outcome push_service::location(const json::object& b) const {
    std::string surveyor;
    if (auto e = need_text(b, "surveyorId", surveyor, true)) return *e;
    auto* loc = b.if_contains("location");
    if (!loc || loc->is_null()) return fail(400, "location is required");
    if (!loc->is_object()) return fail(400, "location must be an object");
    target to;
    if (auto e = add_id_room(b.if_contains("surveyId"), "surveyId", "survey:", to.rooms)) return *e;
    if (auto e = add_id_room(b.if_contains("projectId"), "projectId", "project:", to.rooms)) return *e;
    if (to.rooms.empty()) return fail(400, "surveyId or projectId is required");
    json::object out{{"type", "surveyor.location"}, {"surveyorId", b.at("surveyorId")}};
    for (auto key : {"surveyId", "projectId", "location", "metadata"})
        if (auto* v = b.if_contains(key)) out[key] = *v;
    out["timestamp"] = log::iso_time(clock_.wall_ms());
    auto rooms_sent = json::array(to.rooms.begin(), to.rooms.end());
    auto n = out_.send(to, "surveyor.location", std::move(out));
    return ok({{"rooms", std::move(rooms_sent)}, {"recipients", n}});
}

}  // namespace switchboard::domain
