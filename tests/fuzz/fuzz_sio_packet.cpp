// Socket.IO decoder: never crashes or throws; a decoded packet re-encodes to one that decodes the same.
#include <switchboard/protocol/json_write.hpp>
#include <switchboard/protocol/sio_packet.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

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
    std::string out;
    append_sio_packet(out, p->type, p->nsp, p->id, p->has_data ? &p->data : nullptr, p->attachment_count);
    auto q = decode_sio_text(out);
    if (!q || q->type != p->type || q->nsp != p->nsp || q->id != p->id || q->has_data != p->has_data ||
        q->attachment_count != p->attachment_count)
        std::abort();
    if (p->has_data && json_write(q->data) != json_write(p->data)) std::abort();
    return 0;
}
