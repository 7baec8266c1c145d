// Cluster message codec (libs/rooms): from_stream, from_pubsub and decode_session never crash or
// throw; what decodes re-encodes (in the same form) to something that decodes to the same message.
// Input: first byte picks the decoder (0: stream, 1: PUB/SUB, 2: session); for the stream, the rest
// is uid, nsp, type and data separated by 0x1f.
#include <switchboard/rooms/cluster_message.hpp>

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
                check(to_pubsub(*again) == to_pubsub(*m));
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
