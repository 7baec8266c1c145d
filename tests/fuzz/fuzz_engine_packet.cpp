// Engine.IO packet decoder: never crashes; a decoded text packet re-encodes to the same frame, and
// the owned-message decoder (the WebSocket path) agrees with the view decoders.
#include <switchboard/protocol/engine_packet.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto p = switchboard::protocol::decode_engine_text(in);
    if (p && switchboard::protocol::encode_engine_text(p->type, p->data) != in) std::abort();
    auto b = switchboard::protocol::decode_engine_binary(in);
    if (b.data != in) std::abort();
    auto m = switchboard::protocol::decode_engine_message(std::string(in), false);
    if (m.has_value() != p.has_value() || (m && !(*m == *p)) || (!m && m.error() != p.error())) std::abort();
    auto mb = switchboard::protocol::decode_engine_message(std::string(in), true);
    if (!mb || !(*mb == b)) std::abort();
    return 0;
}
