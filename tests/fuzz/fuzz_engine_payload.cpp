// Polling payload decoder: never crashes; what decodes re-encodes and decodes to the same packets.
#include <switchboard/protocol/engine_packet.hpp>
#include <switchboard/protocol/ws_frame.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace switchboard::protocol;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto r = decode_payload(in, payload_limits{1 << 20, 1000});
    if (!r) return 0;
    // What decodes is text from UTF-8 (audit #3): every text packet's data is well-formed UTF-8.
    for (const auto& p : *r)
        if (!p.binary && !ws::valid_utf8(p.data)) std::abort();
    std::string body;
    for (const auto& p : *r) {
        if (p.binary)
            append_payload(body, p.data, true);
        else
            append_payload(body, encode_engine_text(p.type, p.data), false);
    }
    auto again = decode_payload(body, payload_limits{1 << 22, 1000});
    if (!again || *again != *r) std::abort();
    return 0;
}
