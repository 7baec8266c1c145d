// Cluster messages in their stream, PUB/SUB and session forms (see cluster_message.hpp and
// libs/rooms/CLUSTER-FORMAT.md).
#include "cluster_detail.hpp"

#include <switchboard/rooms/cluster_message.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <switchboard/common/json_write.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <array>
#include <exception>
#include <string>

namespace switchboard::rooms::cluster {
namespace {

namespace json = boost::json;
using detail::max_bytes;

constexpr char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<signed char, 256> b64_table() {
    std::array<signed char, 256> t{};
    for (auto& v : t)
        v = -1;
    for (int i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(b64_chars[i])] = static_cast<signed char>(i);
    return t;
}
constexpr std::array<signed char, 256> b64_values = b64_table();

bool fail(std::string& error, const char* what) {
    error = what;
    return false;
}

// Types whose data may hold binary (Node's RedisStreamsAdapter.encode uses msgpack for them).
bool may_contain_binary(message_type t) {
    return t == message_type::broadcast || t == message_type::fetch_sockets_response ||
           t == message_type::server_side_emit || t == message_type::server_side_emit_response ||
           t == message_type::broadcast_ack;
}

bool valid_type(std::int64_t t) {
    return t >= 1 && t <= 13;
}

// Strict decimal 1..13 (Node writes message.type.toString()).
bool parse_type(std::string_view s, message_type& out) {
    if (s.empty() || s.size() > 2) return false;
    std::int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    if (!valid_type(v)) return false;
    out = static_cast<message_type>(v);
    return true;
}

bool parse_json(std::string_view text, json::value& out, std::string& error) {
    json::parse_options opt;
    opt.max_depth = detail::max_depth;
    boost::system::error_code ec;
    try {
        out = json::parse(text, ec, json::storage_ptr(), opt);
    } catch (const std::exception&) {
        return fail(error, "malformed JSON data");
    }
    if (ec) return fail(error, "malformed JSON data");
    return true;
}

bool read_data(const stream_entry& e, json::value& data, std::vector<std::string>& binary,
               std::string& error) {
    if (e.data.front() == '{') return parse_json(e.data, data, error);
    std::optional<std::string> bytes = from_base64(e.data);
    if (!bytes) return fail(error, "data is neither JSON nor base64");
    return detail::msgpack_to_json(*bytes, &binary, data, error);
}

}  // namespace

stream_entry to_stream(const message& m) {
    stream_entry e{m.uid, m.nsp, std::to_string(static_cast<int>(m.type)), {}};
    detail::message_data d = detail::encode_data(m);
    if (!d.value) return e;
    if (!d.binary.empty() && may_contain_binary(m.type))
        e.data = to_base64(detail::json_to_msgpack(*d.value, d.binary));
    else
        e.data = common::json_write(*d.value);  // numbers as JSON.stringify writes them (exact)
    return e;
}

std::optional<message> from_stream(const stream_entry& e, std::string& error) {
    try {
        if (e.uid.size() + e.nsp.size() + e.data.size() > max_bytes)
            return fail(error, "entry too large"), std::nullopt;
        message m;
        m.uid = e.uid;
        m.nsp = e.nsp;
        if (!parse_type(e.type, m.type)) return fail(error, "type is not a message type"), std::nullopt;
        json::value data;
        std::vector<std::string> binary;
        if (!e.data.empty() && !read_data(e, data, binary, error)) return std::nullopt;
        if (!detail::decode_data(m, e.data.empty() ? nullptr : &data, std::move(binary), error))
            return std::nullopt;
        return m;
    } catch (const std::exception&) {  // std::bad_alloc
        error = "out of memory decoding a stream entry";
        return std::nullopt;
    }
}

std::string to_pubsub(const message& m) {
    detail::message_data d = detail::encode_data(m);
    json::object o;
    o["type"] = static_cast<int>(m.type);
    if (d.value) o["data"] = std::move(*d.value);
    o["uid"] = m.uid;
    o["nsp"] = m.nsp;
    return detail::json_to_msgpack(o, d.binary);
}

std::optional<message> from_pubsub(std::string_view bytes, std::string& error) {
    try {
        json::value v;
        std::vector<std::string> binary;
        if (!detail::msgpack_to_json(bytes, &binary, v, error)) return std::nullopt;
        if (!v.is_object()) return fail(error, "message is not a map"), std::nullopt;
        const json::object& o = v.get_object();
        const json::value* uid = o.if_contains("uid");
        const json::value* nsp = o.if_contains("nsp");
        const json::value* type = o.if_contains("type");
        if (uid == nullptr || !uid->is_string() || nsp == nullptr || !nsp->is_string())
            return fail(error, "uid or nsp missing or not a string"), std::nullopt;
        if (type == nullptr || !type->is_int64() || !valid_type(type->get_int64()))
            return fail(error, "type is not a message type"), std::nullopt;
        message m;
        m.uid = uid->get_string();
        m.nsp = nsp->get_string();
        m.type = static_cast<message_type>(type->get_int64());
        if (!detail::decode_data(m, o.if_contains("data"), std::move(binary), error)) return std::nullopt;
        return m;
    } catch (const std::exception&) {
        error = "out of memory decoding a message";
        return std::nullopt;
    }
}

std::string encode_session(const stored_session& s) {
    json::array rooms;
    for (const std::string& r : s.rooms)
        rooms.emplace_back(r);
    json::object o{{"sid", s.sid}, {"pid", s.pid}, {"rooms", std::move(rooms)}, {"data", s.data}};
    return to_base64(detail::json_to_msgpack(o, {}));
}

std::optional<stored_session> decode_session(std::string_view base64, std::string& error) {
    try {
        if (base64.size() > max_bytes) return fail(error, "session too large"), std::nullopt;
        std::optional<std::string> bytes = from_base64(base64);
        if (!bytes) return fail(error, "session is not base64"), std::nullopt;
        json::value v;
        if (!detail::msgpack_to_json(*bytes, nullptr, v, error)) return std::nullopt;
        if (!v.is_object()) return fail(error, "session is not a map"), std::nullopt;
        const json::object& o = v.get_object();
        const json::value* sid = o.if_contains("sid");
        const json::value* pid = o.if_contains("pid");
        const json::value* rooms = o.if_contains("rooms");
        if (sid == nullptr || !sid->is_string() || pid == nullptr || !pid->is_string())
            return fail(error, "session sid or pid missing or not a string"), std::nullopt;
        stored_session s{std::string(sid->get_string()), std::string(pid->get_string()), {}, nullptr};
        if (rooms != nullptr && !rooms->is_array())
            return fail(error, "session rooms not an array"), std::nullopt;
        for (const json::value& r : rooms != nullptr ? rooms->get_array() : json::array()) {
            if (!r.is_string()) return fail(error, "session rooms not strings"), std::nullopt;
            s.rooms.emplace_back(r.get_string());
        }
        if (const json::value* d = o.if_contains("data")) s.data = *d;
        return s;  // other fields (e.g. missedPackets) are tolerated and dropped
    } catch (const std::exception&) {
        error = "out of memory decoding a session";
        return std::nullopt;
    }
}

std::string to_base64(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        auto n = (unsigned(static_cast<unsigned char>(bytes[i])) << 16) |
                 (unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
        for (int s = 18; s >= 0; s -= 6)
            out.push_back(b64_chars[(n >> s) & 63]);
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        unsigned n = unsigned(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) n |= unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out.push_back(b64_chars[(n >> 18) & 63]);
        out.push_back(b64_chars[(n >> 12) & 63]);
        out.push_back(rest == 2 ? b64_chars[(n >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

// Standard alphabet; padding optional (Node's Buffer.from(s, "base64") accepts both); anything
// else (whitespace, URL-safe letters, a lone trailing sextet) is rejected.
std::optional<std::string> from_base64(std::string_view text) {
    std::size_t pad = 0;
    while (!text.empty() && text.back() == '=' && pad < 2) {
        text.remove_suffix(1);
        ++pad;
    }
    if ((pad > 0 && (text.size() + pad) % 4 != 0) || text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        const signed char v = b64_values[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

}  // namespace switchboard::rooms::cluster
