// Cluster message codec (libs/rooms): from_stream, from_pubsub and decode_session never crash or
// throw; what decodes re-encodes (in the same form) to something that decodes to the same message
// (for the stream's JSON form: doubles within a few ulps).
// Input: first byte picks the decoder (0: stream, 1: PUB/SUB, 2: session); for the stream, the rest
// is uid, nsp, type and data separated by 0x1f.
#include <switchboard/rooms/cluster_message.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace switchboard::rooms::cluster;

namespace {
stream_entry split(std::string_view in) {
    std::string fields[4];
    for (int i = 0; i < 3; ++i) {
        const std::size_t p = in.find('\x1f');
        fields[i] = std::string(in.substr(0, p));
        in = p == std::string_view::npos ? std::string_view() : in.substr(p + 1);
    }
    fields[3] = std::string(in);
    return {fields[0], fields[1], fields[2], fields[3]};
}

void check(bool ok) {
    if (!ok) std::abort();
}

bool close(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() || b.is_double()) {
        if (!a.is_number() || !b.is_number()) return false;
        const double x = a.to_number<double>(), y = b.to_number<double>();
        return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &p = a.get_array(), &q = b.get_array();
        if (p.size() != q.size()) return false;
        for (std::size_t i = 0; i < p.size(); ++i)
            if (!close(p[i], q[i])) return false;
        return true;
    }
    if (a.is_object()) {
        const auto &p = a.get_object(), &q = b.get_object();
        if (p.size() != q.size()) return false;
        for (const auto& kv : p) {
            const auto* other = q.if_contains(kv.key());
            if (!other || !close(kv.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

bool same_json(const std::string& x, const std::string& y) {
    boost::system::error_code e1, e2;
    auto a = boost::json::parse(x, e1);
    auto b = boost::json::parse(y, e2);
    return !e1 && !e2 && close(a, b);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string error;
    switch (data[0] % 3) {
        case 0:
            if (auto m = from_stream(split(in), error)) {
                const stream_entry e = to_stream(*m);
                auto again = from_stream(e, error);
                check(again.has_value());
                // Equal, but for doubles: Boost.JSON 1.81 does not parse every literal to the nearest
                // double, so one may come back an ulp or two off (exact through msgpack).
                check(to_pubsub(*again) == to_pubsub(*m) || same_json(to_stream(*again).data, e.data));
            } else {
                check(!error.empty());
            }
            break;
        case 1:
            if (auto m = from_pubsub(in, error)) {
                const std::string bytes = to_pubsub(*m);
                auto again = from_pubsub(bytes, error);
                check(again.has_value());
                check(to_pubsub(*again) == bytes);
            } else {
                check(!error.empty());
            }
            break;
        default:
            if (auto s = decode_session(in, error)) {
                auto again = decode_session(encode_session(*s), error);
                check(again.has_value());
                check(again->sid == s->sid && again->pid == s->pid && again->rooms == s->rooms);
            } else {
                check(!error.empty());
            }
            break;
    }
    return 0;
}
