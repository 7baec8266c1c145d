// A cluster message's `data` (socket.io-adapter's ClusterMessage.data) ↔ our message fields.
#include "cluster_detail.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <cmath>
#include <utility>

namespace switchboard::rooms::cluster::detail {
namespace {

namespace json = boost::json;
using mt = message_type;

json::array to_json_array(const std::vector<std::string>& strings) {
    json::array a;
    a.reserve(strings.size());
    for (const std::string& s : strings)
        a.emplace_back(s);
    return a;
}

// {rooms, except, flags}: flags holds only the set ones (Node tests `flags.volatile === undefined`).
json::object encode_opts(const broadcast_options& o) {
    json::object flags;
    if (o.is_volatile) flags["volatile"] = true;
    if (o.local) flags["local"] = true;
    if (o.timeout) flags["timeout"] = static_cast<std::int64_t>(o.timeout->count());
    return json::object{
        {"rooms", to_json_array(o.rooms)}, {"except", to_json_array(o.except)}, {"flags", flags}};
}

// [event, ...args]
json::array encode_event(const broadcast_packet& p) {
    json::array a;
    a.reserve(p.args.size() + 1);
    a.emplace_back(p.event);
    for (const json::value& v : p.args)
        a.push_back(v);
    return a;
}

json::value encode_sockets(const std::vector<socket_info>& sockets) {
    json::array a;
    a.reserve(sockets.size());
    for (const socket_info& s : sockets)
        a.emplace_back(json::object{
            {"id", s.id}, {"handshake", s.handshake}, {"rooms", to_json_array(s.rooms)}, {"data", s.data}});
    return a;
}

std::string rid(const message& m) {
    return m.request_id.value_or(std::string());
}

bool fail(std::string& error, const char* what) {
    error = what;
    return false;
}

bool read_strings(const json::value* v, std::vector<std::string>& out, bool required) {
    out.clear();
    if (v == nullptr) return !required;
    if (!v->is_array()) return false;
    out.reserve(v->get_array().size());
    for (const json::value& e : v->get_array()) {
        if (!e.is_string()) return false;
        out.emplace_back(e.get_string());
    }
    return true;
}

bool read_string(const json::object& o, std::string_view key, std::string& out) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) return false;
    out = v->get_string();
    return true;
}

// requestId: a string; absent allowed only when not `required`.
bool read_request_id(const json::object& o, std::optional<std::string>& out, bool required) {
    const json::value* v = o.if_contains("requestId");
    if (v == nullptr || v->is_null()) return !required;
    if (!v->is_string()) return false;
    out = std::string(v->get_string());
    return true;
}

// Flags we keep: volatile, local (true when set to true), timeout (ms, a non-negative number);
// others (compress, broadcast, binary...) are ignored.
void read_flags(const json::object& flags, broadcast_options& o) {
    auto is_true = [&](std::string_view k) {
        const json::value* v = flags.if_contains(k);
        return v != nullptr && v->is_bool() && v->get_bool();
    };
    o.is_volatile = is_true("volatile");
    o.local = is_true("local");
    const json::value* t = flags.if_contains("timeout");
    if (t == nullptr) return;
    if (t->is_int64() && t->get_int64() >= 0) o.timeout = std::chrono::milliseconds(t->get_int64());
    if (t->is_double() && std::isfinite(t->get_double()) && t->get_double() >= 0 && t->get_double() < 1e15)
        o.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(t->get_double()));
}

bool read_opts(const json::object& data, broadcast_options& o, std::string& error) {
    const json::value* v = data.if_contains("opts");
    if (v == nullptr || !v->is_object()) return fail(error, "opts missing or not an object");
    const json::object& opts = v->get_object();
    if (!read_strings(opts.if_contains("rooms"), o.rooms, false) ||
        !read_strings(opts.if_contains("except"), o.except, false))
        return fail(error, "opts.rooms or opts.except not an array of strings");
    const json::value* flags = opts.if_contains("flags");
    if (flags != nullptr && flags->is_object()) read_flags(flags->get_object(), o);
    return true;
}

// [event, ...args] into p.event, p.args.
bool read_event(const json::value* v, broadcast_packet& p, std::string& error) {
    if (v == nullptr || !v->is_array() || v->get_array().empty() || !v->get_array()[0].is_string())
        return fail(error, "packet data is not [event, ...args]");
    const json::array& a = v->get_array();
    p.event = a[0].get_string();
    p.args = json::array(a.begin() + 1, a.end());
    return true;
}

bool read_broadcast(message& m, const json::object& data, std::vector<std::string> binary,
                    std::string& error) {
    const json::value* pv = data.if_contains("packet");
    if (pv == nullptr || !pv->is_object()) return fail(error, "packet missing or not an object");
    const json::object& packet = pv->get_object();
    const json::value* type = packet.if_contains("type");
    if (type == nullptr || !type->is_int64() || type->get_int64() != 2)
        return fail(error, "packet is not an EVENT");
    if (!read_event(packet.if_contains("data"), m.packet, error)) return false;
    const json::value* nsp = packet.if_contains("nsp");
    m.packet.nsp = nsp != nullptr && nsp->is_string() ? std::string(nsp->get_string()) : m.nsp;
    m.packet.binary = std::move(binary);
    if (!read_request_id(data, m.request_id, false)) return fail(error, "requestId not a string");
    return read_opts(data, m.opts, error);
}

bool read_socket(const json::value& v, socket_info& s) {
    if (!v.is_object()) return false;
    const json::object& o = v.get_object();
    if (!read_string(o, "id", s.id) || !read_strings(o.if_contains("rooms"), s.rooms, false)) return false;
    // handshake and data: objects; anything else (absent, null, a Buffer's placeholder...) → {}.
    const json::value* h = o.if_contains("handshake");
    if (h != nullptr && h->is_object()) s.handshake = h->get_object();
    const json::value* d = o.if_contains("data");
    if (d != nullptr && d->is_object()) s.data = d->get_object();
    return true;
}

bool read_fetch_response(message& m, const json::object& data, std::string& error) {
    const json::value* v = data.if_contains("sockets");
    if (v == nullptr || !v->is_array()) return fail(error, "sockets missing or not an array");
    m.sockets.resize(v->get_array().size());
    for (std::size_t i = 0; i < m.sockets.size(); ++i)
        if (!read_socket(v->get_array()[i], m.sockets[i])) return fail(error, "a socket is malformed");
    return true;
}

bool read_client_count(message& m, const json::object& data, std::string& error) {
    const json::value* v = data.if_contains("clientCount");
    if (v != nullptr && v->is_int64() && v->get_int64() >= 0) {
        m.client_count = v->get_int64();
        return true;
    }
    if (v != nullptr && v->is_double() && v->get_double() >= 0 && v->get_double() < 9e15 &&
        std::floor(v->get_double()) == v->get_double()) {
        m.client_count = static_cast<std::int64_t>(v->get_double());
        return true;
    }
    return fail(error, "clientCount missing or not a count");
}

bool needs_request_id(mt t) {
    return t == mt::fetch_sockets || t == mt::fetch_sockets_response || t == mt::server_side_emit_response ||
           t == mt::broadcast_client_count || t == mt::broadcast_ack;
}

bool read_by_type(message& m, const json::object& data, std::vector<std::string> binary, std::string& error) {
    switch (m.type) {
        case mt::broadcast:
            return read_broadcast(m, data, std::move(binary), error);
        case mt::sockets_join:
        case mt::sockets_leave:
            if (!read_strings(data.if_contains("rooms"), m.rooms, true))
                return fail(error, "rooms missing or not an array of strings");
            return read_opts(data, m.opts, error);
        case mt::disconnect_sockets: {
            const json::value* c = data.if_contains("close");
            m.close = c != nullptr && c->is_bool() && c->get_bool();
            return read_opts(data, m.opts, error);
        }
        case mt::fetch_sockets:
            return read_opts(data, m.opts, error);
        case mt::fetch_sockets_response:
            return read_fetch_response(m, data, error);
        case mt::server_side_emit:
            m.packet.nsp = m.nsp;
            m.packet.binary = std::move(binary);
            return read_event(data.if_contains("packet"), m.packet, error);
        case mt::server_side_emit_response:
        case mt::broadcast_ack: {
            const json::value* p = data.if_contains("packet");
            m.response.value = p != nullptr ? *p : json::value(nullptr);
            m.response.binary = std::move(binary);
            return true;
        }
        case mt::broadcast_client_count:
            return read_client_count(m, data, error);
        default:
            return true;
    }
}

}  // namespace

message_data encode_data(const message& m) {
    message_data out;
    json::object d;
    switch (m.type) {
        case mt::broadcast:
            d["packet"] = json::object{{"type", 2}, {"data", encode_event(m.packet)}};
            if (m.request_id) d["requestId"] = *m.request_id;
            d["opts"] = encode_opts(m.opts);
            out.binary = m.packet.binary;
            break;
        case mt::sockets_join:
        case mt::sockets_leave:
            d = {{"opts", encode_opts(m.opts)}, {"rooms", to_json_array(m.rooms)}};
            break;
        case mt::disconnect_sockets:
            d = {{"opts", encode_opts(m.opts)}, {"close", m.close}};
            break;
        case mt::fetch_sockets:
            d = {{"opts", encode_opts(m.opts)}, {"requestId", rid(m)}};
            break;
        case mt::fetch_sockets_response:
            d = {{"requestId", rid(m)}, {"sockets", encode_sockets(m.sockets)}};
            break;
        case mt::server_side_emit:
            if (m.request_id) d["requestId"] = *m.request_id;
            d["packet"] = encode_event(m.packet);
            out.binary = m.packet.binary;
            break;
        case mt::server_side_emit_response:
        case mt::broadcast_ack:
            d = {{"requestId", rid(m)}, {"packet", m.response.value}};
            out.binary = m.response.binary;
            break;
        case mt::broadcast_client_count:
            d = {{"requestId", rid(m)}, {"clientCount", m.client_count}};
            break;
        default:
            return out;  // heartbeats, adapter_close: no data
    }
    out.value = std::move(d);
    return out;
}

bool decode_data(message& m, const json::value* data, std::vector<std::string> binary, std::string& error) {
    switch (m.type) {
        case mt::initial_heartbeat:
        case mt::heartbeat:
        case mt::adapter_close:
            return true;  // data, if any, is ignored
        default:
            break;
    }
    if (data == nullptr || !data->is_object()) return fail(error, "data missing or not an object");
    const json::object& d = data->get_object();
    if (!read_request_id(d, m.request_id, needs_request_id(m.type)))
        return fail(error, "requestId missing or not a string");
    return read_by_type(m, d, std::move(binary), error);
}

}  // namespace switchboard::rooms::cluster::detail
