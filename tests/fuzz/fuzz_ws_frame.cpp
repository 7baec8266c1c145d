// The WebSocket frame decoder (libs/protocol/ws_frame): never crashes on any bytes, and gives the
// same events and verdict whether the bytes arrive at once or in chunks (sizes from the first byte).
#include <switchboard/protocol/ws_frame.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

using namespace switchboard::protocol::ws;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t chunk = 1 + data[0] % 17;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    decoder whole(4096);
    std::vector<frame_event> a;
    auto va = whole.feed(in, a);
    decoder parts(4096);
    std::vector<frame_event> b;
    std::optional<std::uint16_t> vb;
    for (std::size_t i = 0; i < in.size() && !vb; i += chunk)
        vb = parts.feed(in.substr(i, chunk), b);
    if (va != vb || a.size() != b.size()) std::abort();
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].code != b[i].code) std::abort();
        if (a[i].type == frame_event::kind::text && !valid_utf8(a[i].data)) std::abort();
        if (a[i].data.size() > 4096) std::abort();
    }
    return 0;
}
