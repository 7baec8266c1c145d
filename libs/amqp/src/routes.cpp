// The EVENT_ROUTES model (see routes.hpp): parsing the file, topic matching, room templates.
#include <switchboard/amqp/routes.hpp>

#include <switchboard/auth/ids.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>

namespace switchboard::amqp {

namespace json = boost::json;

namespace {

bool fail(std::string* error, std::string text) {
    if (error) *error = std::move(text);
    return false;
}

bool valid_event(std::string_view e) {
    if (e.empty() || e.size() > 256) return false;
    for (auto r :
         {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
        if (e == r) return false;
    return std::all_of(e.begin(), e.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
}

bool parse_template(std::string_view text, room_template& out, const limits& l, std::string* error) {
    if (text.empty()) return fail(error, "a room is empty");
    if (text.size() > l.max_template) return fail(error, "a room is longer than the limit");
    out.text = std::string(text);
    std::size_t i = 0;
    while (i < text.size()) {
        auto open = text.find('{', i);
        if (text.find('}', i) < open) return fail(error, "room '" + out.text + "': '}' without '{'");
        if (open == std::string_view::npos) {
            out.parts.push_back({std::string(text.substr(i)), {}});
            break;
        }
        if (open > i) out.parts.push_back({std::string(text.substr(i, open - i)), {}});
        auto close = text.find('}', open);
        if (close == std::string_view::npos) return fail(error, "room '" + out.text + "': '{' without '}'");
        auto path = text.substr(open + 1, close - open - 1);
        if (path.find('{') != std::string_view::npos)
            return fail(error, "room '" + out.text + "': nested '{'");
        auto words = split_words(path);
        if (words.size() > l.max_path_depth) return fail(error, "room '" + out.text + "': path too deep");
        for (const auto& w : words)
            if (w.empty())
                return fail(error,
                            "room '" + out.text + "': an empty field name in {" + std::string(path) + "}");
        out.parts.push_back({{}, std::move(words)});
        i = close + 1;
    }
    return true;
}

bool parse_emit(const json::object& o, emit_spec& out, const limits& l, std::string* error) {
    auto* ev = o.if_contains("event");
    if (!ev || !ev->is_string()) return fail(error, "\"event\" must be a string");
    out.event = std::string(ev->get_string());
    if (!valid_event(out.event))
        return fail(error,
                    "event '" + out.event + "' is empty, too long, reserved or has control characters");
    auto* rooms = o.if_contains("rooms");
    if (!rooms || !rooms->is_array() || rooms->get_array().empty())
        return fail(error, "event '" + out.event + "': \"rooms\" must be a non-empty array");
    if (rooms->get_array().size() > l.max_rooms)
        return fail(error, "event '" + out.event + "': too many rooms");
    for (const auto& r : rooms->get_array()) {
        if (!r.is_string()) return fail(error, "event '" + out.event + "': each room must be a string");
        room_template t;
        if (!parse_template(r.get_string(), t, l, error)) return false;
        out.rooms.push_back(std::move(t));
    }
    return true;
}

bool valid_exchange(std::string_view x) {
    return !x.empty() && x.size() <= 255 && std::all_of(x.begin(), x.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
    });
}

bool valid_pattern(const std::string& p) {
    return !p.empty() && p.size() <= 255 &&
           std::all_of(p.begin(), p.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    for (;;) {
        auto dot = s.find('.', i);
        out.emplace_back(s.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i));
        if (dot == std::string_view::npos) break;
        i = dot + 1;
    }
    return out;
}

bool topic_matches(const std::vector<std::string>& p, std::string_view routing_key) {
    if (routing_key.size() > 255) return false;
    auto k = split_words(routing_key);
    // can[i][j]: pattern words [i..) match key words [j..); filled from the end (O(|p|·|k|)).
    const std::size_t n = p.size(), m = k.size();
    std::vector<char> can((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> char& { return can[i * (m + 1) + j]; };
    at(n, m) = 1;
    for (std::size_t i = n; i-- > 0;)
        for (std::size_t j = m + 1; j-- > 0;) {
            if (p[i] == "#")
                at(i, j) = at(i + 1, j) || (j < m && at(i, j + 1));
            else
                at(i, j) = j < m && (p[i] == "*" || p[i] == k[j]) && at(i + 1, j + 1);
        }
    return at(0, 0) != 0;
}

std::vector<std::string> event_routes::exchanges() const {
    std::vector<std::string> out;
    for (const auto& r : routes)
        if (std::find(out.begin(), out.end(), r.exchange) == out.end()) out.push_back(r.exchange);
    return out;
}

const route* event_routes::match(std::string_view routing_key) const {
    for (const auto& r : routes)
        if (topic_matches(r.words, routing_key)) return &r;
    return nullptr;
}

std::optional<event_routes> parse_routes(std::string_view text, std::string* error, const limits& l) {
    if (text.size() > l.max_file_bytes) return fail(error, "the file is larger than 1 MiB"), std::nullopt;
    json::parse_options po;
    po.max_depth = 16;
    boost::system::error_code ec;
    auto doc = json::parse(text, ec, {}, po);
    if (ec) return fail(error, "not JSON: " + ec.message()), std::nullopt;
    if (!doc.is_object())
        return fail(error, "the file must be a JSON object {\"routes\": [...]}"), std::nullopt;
    const auto& top = doc.get_object();
    for (const auto& kv : top)
        if (kv.key() != "exchange" && kv.key() != "routes" && kv.key() != "description")
            return fail(error, "unknown key '" + std::string(kv.key()) + "'"), std::nullopt;
    std::string default_exchange = "events";
    if (auto* x = top.if_contains("exchange")) {
        if (!x->is_string() || !valid_exchange(x->get_string()))
            return fail(error, "\"exchange\" must be a name (A-Z a-z 0-9 - _ . :)"), std::nullopt;
        default_exchange = std::string(x->get_string());
    }
    auto* rs = top.if_contains("routes");
    if (!rs || !rs->is_array() || rs->get_array().empty())
        return fail(error, "\"routes\" must be a non-empty array"), std::nullopt;
    if (rs->get_array().size() > l.max_routes) return fail(error, "too many routes"), std::nullopt;
    event_routes out;
    std::size_t index = 0;
    for (const auto& rv : rs->get_array()) {
        ++index;
        auto where = "route " + std::to_string(index) + ": ";
        if (!rv.is_object()) return fail(error, where + "must be an object"), std::nullopt;
        const auto& ro = rv.get_object();
        for (const auto& kv : ro)
            if (kv.key() != "pattern" && kv.key() != "exchange" && kv.key() != "event" &&
                kv.key() != "rooms" && kv.key() != "emit" && kv.key() != "description")
                return fail(error, where + "unknown key '" + std::string(kv.key()) + "'"), std::nullopt;
        route r;
        auto* p = ro.if_contains("pattern");
        if (!p || !p->is_string() || !valid_pattern(std::string(p->get_string())))
            return fail(error,
                        where + "\"pattern\" must be a routing-key pattern (1-255 printable characters)"),
                   std::nullopt;
        r.pattern = std::string(p->get_string());
        r.words = split_words(r.pattern);
        r.exchange = default_exchange;
        if (auto* x = ro.if_contains("exchange")) {
            if (!x->is_string() || !valid_exchange(x->get_string()))
                return fail(error, where + "\"exchange\" must be a name"), std::nullopt;
            r.exchange = std::string(x->get_string());
        }
        std::string why;
        if (auto* em = ro.if_contains("emit")) {
            if (ro.contains("event") || ro.contains("rooms"))
                return fail(error, where + "either \"emit\" or \"event\" and \"rooms\""), std::nullopt;
            if (!em->is_array() || em->get_array().empty() || em->get_array().size() > l.max_emits)
                return fail(error, where + "\"emit\" must be a non-empty array (16 at most)"), std::nullopt;
            for (const auto& e : em->get_array()) {
                emit_spec s;
                if (!e.is_object()) return fail(error, where + "each emit must be an object"), std::nullopt;
                if (!parse_emit(e.get_object(), s, l, &why)) return fail(error, where + why), std::nullopt;
                r.emits.push_back(std::move(s));
            }
        } else {
            emit_spec s;
            if (!parse_emit(ro, s, l, &why)) return fail(error, where + why), std::nullopt;
            r.emits.push_back(std::move(s));
        }
        out.routes.push_back(std::move(r));
    }
    return out;
}

std::optional<std::string> render_room(const room_template& t, const json::value& payload) {
    std::string out;
    for (const auto& part : t.parts) {
        if (part.path.empty()) {
            out += part.literal;
            continue;
        }
        const json::value* v = &payload;
        for (const auto& key : part.path) {
            const auto* o = v->if_object();
            if (!o) return std::nullopt;
            v = o->if_contains(key);
            if (!v) return std::nullopt;
        }
        if (v->is_string()) {
            if (v->get_string().empty()) return std::nullopt;
            out += v->get_string();
        } else if (v->is_int64()) {
            out += std::to_string(v->get_int64());
        } else if (v->is_uint64()) {
            out += std::to_string(v->get_uint64());
        } else {
            return std::nullopt;
        }
        if (out.size() > auth::max_room_length) return std::nullopt;
    }
    if (!auth::valid_room_name(out)) return std::nullopt;
    return out;
}

verdict route_message(const event_routes& routes, std::string_view routing_key, std::string_view body,
                      const limits& l) {
    verdict v;
    if (body.size() > l.max_body_bytes) {
        v.poison = "body larger than the limit";
        return v;
    }
    json::parse_options po;
    po.max_depth = l.max_body_depth;
    boost::system::error_code ec;
    auto doc = json::parse(body, ec, {}, po);
    if (ec) {
        v.poison = "body is not JSON";
        return v;
    }
    const route* r = routes.match(routing_key);
    if (!r) {
        v.poison = "no route matches the routing key";
        return v;
    }
    routed_message m;
    m.matched = r;
    for (const auto& spec : r->emits) {
        emission e{spec.event, {}};
        for (const auto& t : spec.rooms) {
            auto room = render_room(t, doc);
            if (!room) {
                ++v.rooms_skipped;
                continue;
            }
            if (std::find(e.rooms.begin(), e.rooms.end(), *room) == e.rooms.end())
                e.rooms.push_back(std::move(*room));
        }
        if (!e.rooms.empty()) m.emits.push_back(std::move(e));
    }
    if (m.emits.empty()) {
        v.poison = "no room: the payload lacks the fields route '" + r->pattern + "' needs";
        return v;
    }
    m.body = std::move(doc);
    v.routed = std::move(m);
    return v;
}

}  // namespace switchboard::amqp
