// permessage-deflate (libs/protocol/ws_deflate): the first byte picks what the rest goes through.
//   0: the Sec-WebSocket-Extensions parser: never crashes; an agreement's own answer, offered back,
//      gives the same agreement.
//   1: inflate with a limit: never holds more than the limit; what it gives deflates and inflates
//      back to itself.
//   2: the frame decoder with deflate agreed: the same events and verdict whole or in chunks, every
//      message within the limit.
//   3: deflate then inflate at a window size from the second byte: the message comes back.
#include <switchboard/protocol/ws_deflate.hpp>
#include <switchboard/protocol/ws_frame.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace switchboard::protocol::ws;

namespace {
constexpr std::size_t limit = 4096;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
    switch (data[0] % 4) {
        case 0: {
            auto a = negotiate_deflate(in);
            if (a) {
                auto again = negotiate_deflate(a->response());
                if (!again || again->server_max_window_bits != a->server_max_window_bits) std::abort();
            }
            break;
        }
        case 1: {
            std::string out;
            auto r = thread_inflater().inflate(in, limit, out);
            if (out.size() > limit) std::abort();
            if (r == inflate_result::ok) {
                std::string back;
                if (thread_inflater().inflate(thread_deflater(15).deflate(out), limit, back) !=
                        inflate_result::ok ||
                    back != out)
                    std::abort();
            } else if (!out.empty()) {
                std::abort();
            }
            break;
        }
        case 2: {
            std::size_t chunk = 1 + data[1] % 17;
            decoder whole(limit);
            whole.enable_deflate();
            std::vector<frame_event> a;
            auto va = whole.feed(in, a);
            decoder parts(limit);
            parts.enable_deflate();
            std::vector<frame_event> b;
            std::optional<std::uint16_t> vb;
            for (std::size_t i = 0; i < in.size() && !vb; i += chunk)
                vb = parts.feed(in.substr(i, chunk), b);
            if (va != vb || a.size() != b.size()) std::abort();
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].code != b[i].code) std::abort();
                if (a[i].type == frame_event::kind::text && !valid_utf8(a[i].data)) std::abort();
                if (a[i].data.size() > limit) std::abort();
            }
            break;
        }
        default: {
            int bits = 9 + data[1] % 7;
            auto z = thread_deflater(bits).deflate(in);
            std::string out;
            if (thread_inflater().inflate(z, in.size(), out) != inflate_result::ok || out != in) std::abort();
            break;
        }
    }
    return 0;
}
