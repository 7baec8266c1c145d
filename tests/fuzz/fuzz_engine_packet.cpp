// Engine.IO packet decoder: never crashes; a decoded text packet re-encodes to the same frame.
#include <switchboard/protocol/engine_packet.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto p = switchboard::protocol::decode_engine_text(in);
    if (p && switchboard::protocol::encode_engine_text(p->type, p->data) != in) std::abort();
    auto b = switchboard::protocol::decode_engine_binary(in);
    if (b.data != in) std::abort();
    return 0;
}
