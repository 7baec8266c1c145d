// Socket.IO decoder: never crashes or throws; a decoded packet re-encodes to one that decodes the same.
#include <switchboard/common/json_write.hpp>
#include <switchboard/protocol/sio_packet.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
// Structural equality; infinities as null; doubles within a relative 1e-12 (Boost 1.81's JSON parser is not
// correctly rounded for mantissas past ~17 digits, so a re-parse may move the last digit).
bool same(const boost::json::value& a, const boost::json::value& b) {
    // An overflowing number parses to infinity, written as null: JSON.stringify(Infinity) is "null".
    if (a.is_double() && !std::isfinite(a.get_double())) return b.is_null();
    if (a.is_number() && b.is_number()) {
        if (a.kind() == b.kind() && !a.is_double()) return a == b;
        double x = a.to_number<double>(), y = b.to_number<double>();
        return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!same(x[i], y[i])) return false;
        return true;
    }
    if (a.is_object()) {
        const auto &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size()) return false;
        auto i = x.begin();
        auto j = y.begin();
        for (; i != x.end(); ++i, ++j)
            if (i->key() != j->key() || !same(i->value(), j->value())) return false;
        return true;
    }
    return a == b;
}
bool has_nonfinite(const boost::json::value& v) {
    if (v.is_double()) return !std::isfinite(v.get_double());
    if (v.is_array())
        for (const auto& e : v.get_array())
            if (has_nonfinite(e)) return true;
    if (v.is_object())
        for (const auto& kv : v.get_object())
            if (has_nonfinite(kv.value())) return true;
    return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace switchboard::protocol;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    // The stream decoder: text, then treat the rest as attachments split at 0x00.
    sio_decoder d;
    auto nl = in.find('\n');
    auto r = d.feed_text(in.substr(0, nl));
    if (r && !*r && nl != std::string_view::npos) {
        std::string_view rest = in.substr(nl + 1);
        while (d.awaiting_attachments()) {
            auto z = rest.find('\0');
            auto rr = d.feed_binary(rest.substr(0, z));
            if (!rr) std::abort();  // attachments are always accepted while due
            if (z == std::string_view::npos) break;
            rest = rest.substr(z + 1);
        }
    }
    auto p = decode_sio_text(in);
    if (!p) return 0;
    // Infinity is written as null (as JSON.stringify does), which may not re-validate (["ev"] → [null]).
    if (p->has_data && has_nonfinite(p->data)) return 0;
    std::string out;
    append_sio_packet(out, p->type, p->nsp, p->id, p->has_data ? &p->data : nullptr, p->attachment_count);
    auto q = decode_sio_text(out);
    if (!q || q->type != p->type || q->nsp != p->nsp || q->id != p->id || q->has_data != p->has_data ||
        q->attachment_count != p->attachment_count)
        std::abort();
    if (p->has_data && !same(p->data, q->data)) std::abort();  // original first
    return 0;
}
