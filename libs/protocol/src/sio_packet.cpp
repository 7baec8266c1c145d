#include <switchboard/common/json_write.hpp>
#include <switchboard/protocol/errc.hpp>
#include <switchboard/protocol/sio_packet.hpp>

#include <boost/json/parse.hpp>

#include <charconv>

namespace switchboard::protocol {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool payload_valid(const sio_packet& p) {
    switch (p.type) {
        case sio_type::connect:
            return !p.has_data || p.data.is_object();
        case sio_type::disconnect:
            return !p.has_data;
        case sio_type::connect_error:
            return p.has_data && (p.data.is_object() || p.data.is_string());
        case sio_type::event:
        case sio_type::binary_event: {
            if (!p.has_data || !p.data.is_array()) return false;
            const auto& a = p.data.get_array();
            if (a.empty()) return false;
            return a[0].is_string() || a[0].is_number();
        }
        case sio_type::ack:
        case sio_type::binary_ack:
            return p.has_data && p.data.is_array();
    }
    return false;
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace

bool is_reserved_event(std::string_view name) noexcept {
    return name == "connect" || name == "connect_error" || name == "disconnect" || name == "disconnecting" ||
           name == "newListener" || name == "removeListener";
}

boost::system::result<sio_packet> decode_sio_text(std::string_view s, const sio_limits& limits) {
    if (s.empty()) return errc::empty_packet;
    if (s[0] < '0' || s[0] > '6') return errc::unknown_packet_type;
    sio_packet p;
    p.type = static_cast<sio_type>(s[0] - '0');
    std::size_t i = 1;

    if (p.type == sio_type::binary_event || p.type == sio_type::binary_ack) {
        std::size_t start = i;
        while (i < s.size() && is_digit(s[i]))
            ++i;
        if (i == start || i >= s.size() || s[i] != '-' || i - start > 6) return errc::bad_attachment_count;
        std::size_t n = 0;
        std::from_chars(s.data() + start, s.data() + i, n);
        if (n > limits.max_attachments) return errc::too_many_attachments;
        p.attachment_count = n;
        ++i;
    }

    if (i < s.size() && s[i] == '/') {
        std::size_t start = i;
        while (i < s.size() && s[i] != ',')
            ++i;
        p.nsp.assign(s.substr(start, i - start));
        if (i < s.size()) ++i;  // the comma
    }

    if (i < s.size() && is_digit(s[i])) {
        std::size_t start = i;
        while (i < s.size() && is_digit(s[i]))
            ++i;
        if (i - start > 15) return errc::bad_ack_id;  // JavaScript's safe integers
        std::uint64_t id = 0;
        std::from_chars(s.data() + start, s.data() + i, id);
        p.id = id;
    }

    if (i < s.size()) {
        boost::json::parse_options opt;
        opt.max_depth = limits.max_depth;
        boost::system::error_code ec;
        p.data = boost::json::parse(s.substr(i), ec, {}, opt);
        if (ec) return ec == boost::json::error::too_deep ? errc::json_too_deep : errc::bad_json;
        p.has_data = true;
    }

    if (!payload_valid(p)) return errc::invalid_payload;
    if ((p.type == sio_type::event || p.type == sio_type::binary_event) &&
        p.data.get_array()[0].is_string() && is_reserved_event(p.data.get_array()[0].get_string()))
        return errc::reserved_event;
    if ((p.type == sio_type::binary_event || p.type == sio_type::binary_ack) &&
        !placeholders_valid(p.data, p.attachment_count))
        return errc::bad_placeholder;
    return p;
}

std::optional<std::size_t> placeholder_index(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (!o || o->size() != 2) return std::nullopt;
    const auto* ph = o->if_contains("_placeholder");
    const auto* num = o->if_contains("num");
    if (!ph || !num || !ph->is_bool() || !ph->get_bool()) return std::nullopt;
    if (num->is_int64() && num->get_int64() >= 0) return static_cast<std::size_t>(num->get_int64());
    if (num->is_uint64()) return static_cast<std::size_t>(num->get_uint64());
    return std::nullopt;
}

bool placeholders_valid(const boost::json::value& v, std::size_t count) {
    if (const auto* o = v.if_object()) {
        if (o->contains("_placeholder")) {
            auto idx = placeholder_index(v);
            return idx && *idx < count;
        }
        for (const auto& kv : *o)
            if (!placeholders_valid(kv.value(), count)) return false;
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (!placeholders_valid(e, count)) return false;
    }
    return true;
}

boost::json::value make_placeholder(std::size_t n) {
    return boost::json::object{{"_placeholder", true}, {"num", static_cast<std::int64_t>(n)}};
}

boost::system::result<bool> sio_decoder::feed_text(std::string_view text) {
    if (awaiting_)
        return {boost::system::in_place_error,
                errc::unexpected_binary};  // a text packet while attachments were due
    auto p = decode_sio_text(text, limits_);
    if (!p) return {boost::system::in_place_error, p.error()};
    pending_ = std::move(*p);
    pending_.attachments.clear();
    awaiting_ = pending_.attachment_count > 0;
    if (awaiting_) pending_.attachments.reserve(pending_.attachment_count);
    return !awaiting_;
}

boost::system::result<bool> sio_decoder::feed_binary(std::string_view bytes) {
    if (!awaiting_) return {boost::system::in_place_error, errc::unexpected_binary};
    pending_.attachments.emplace_back(bytes);
    if (pending_.attachments.size() == pending_.attachment_count) {
        awaiting_ = false;
        return true;
    }
    return false;
}

void append_sio_header(std::string& out, sio_type type, std::string_view nsp, std::optional<std::uint64_t> id,
                       std::size_t attachments) {
    if (attachments > 0) {
        if (type == sio_type::event) type = sio_type::binary_event;
        if (type == sio_type::ack) type = sio_type::binary_ack;
    }
    out += static_cast<char>('0' + static_cast<int>(type));
    if (type == sio_type::binary_event || type == sio_type::binary_ack) {
        append_uint(out, attachments);
        out += '-';
    }
    if (!nsp.empty() && nsp != "/") {
        out += nsp;
        out += ',';
    }
    if (id) append_uint(out, *id);
}

void append_sio_packet(std::string& out, sio_type type, std::string_view nsp, std::optional<std::uint64_t> id,
                       const boost::json::value* data, std::size_t attachments) {
    append_sio_header(out, type, nsp, id, attachments);
    if (data) common::json_append(out, *data);
}

void append_sio_event(std::string& out, std::string_view nsp, std::optional<std::uint64_t> id,
                      std::string_view event, const boost::json::array& args, std::size_t attachments,
                      std::string_view trailing_string) {
    append_sio_header(out, sio_type::event, nsp, id, attachments);
    out += '[';
    common::json_append_string(out, event);
    for (const auto& a : args) {
        out += ',';
        common::json_append(out, a);
    }
    if (!trailing_string.empty()) {
        out += ',';
        common::json_append_string(out, trailing_string);
    }
    out += ']';
}

}  // namespace switchboard::protocol
