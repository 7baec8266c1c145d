#include <switchboard/protocol/ws_deflate.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>

namespace switchboard::protocol::ws {

namespace {

// ---- Sec-WebSocket-Extensions (RFC 6455 9.1): 1#( token *( ";" token [ "=" (token | quoted) ] ) )

bool tchar(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

struct cursor {
    std::string_view s;
    std::size_t i = 0;

    void ows() noexcept {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
    }
    bool eat(char c) noexcept {
        ows();
        if (i < s.size() && s[i] == c) return ++i, true;
        return false;
    }
    bool at_end() noexcept { return ows(), i == s.size(); }
    std::optional<std::string_view> token() noexcept {
        ows();
        auto b = i;
        while (i < s.size() && tchar(s[i]))
            ++i;
        if (i == b) return std::nullopt;
        return s.substr(b, i - b);
    }
    // A token or a quoted-string (unescaped into `buf`).
    std::optional<std::string_view> value(std::string& buf) {
        ows();
        if (i < s.size() && s[i] == '"') {
            buf.clear();
            for (++i; i < s.size(); ++i) {
                char c = s[i];
                if (c == '"') return ++i, std::string_view(buf);
                if (c == '\\') {
                    if (++i == s.size()) return std::nullopt;
                    c = s[i];
                }
                buf.push_back(c);
            }
            return std::nullopt;  // unterminated
        }
        return token();
    }
};

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
        auto x = a[k], y = b[k];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// 8..15 in decimal without leading zeros (RFC 7692 7.1.2), else 0.
int window_bits(std::string_view v) noexcept {
    if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
    if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
    return 0;
}

// One permessage-deflate offer's parameters as the parser meets them.
struct offer_check {
    bool ok = true;
    bool seen_snct = false, seen_cnct = false, seen_smwb = false, seen_cmwb = false;
    deflate_agreement agreed;
    bool asked_server_bits = false;

    void param(std::string_view name, std::optional<std::string_view> value) {
        auto once = [&](bool& seen) {
            if (seen) ok = false;
            seen = true;
        };
        if (iequals(name, "server_no_context_takeover")) {
            once(seen_snct);
            if (value) ok = false;
        } else if (iequals(name, "client_no_context_takeover")) {
            once(seen_cnct);
            if (value) ok = false;
        } else if (iequals(name, "server_max_window_bits")) {
            once(seen_smwb);
            int bits = value ? window_bits(*value) : 0;
            // 8 is valid but zlib's raw deflate cannot keep to a 256-byte window: decline.
            if (bits < 9) ok = false;
            agreed.server_max_window_bits = bits;
            asked_server_bits = true;
        } else if (iequals(name, "client_max_window_bits")) {
            once(seen_cmwb);
            // No value: the client could limit its window if asked. We inflate with 2^15, which
            // decodes any window, so we never ask.
            if (value && window_bits(*value) == 0) ok = false;
        } else {
            ok = false;
        }
    }
};

// zlib's allocations, counted (for the memory figures) and failing cleanly.
struct counted_alloc {
    std::size_t bytes = 0;
    static void* alloc(void* opaque, uInt items, uInt size) {
        auto n = static_cast<std::size_t>(items) * size;
        auto* p = static_cast<std::max_align_t*>(std::malloc(n + sizeof(std::max_align_t)));
        if (!p) return Z_NULL;
        std::memcpy(p, &n, sizeof n);
        static_cast<counted_alloc*>(opaque)->bytes += n;
        return p + 1;
    }
    static void release(void* opaque, void* address) {
        if (!address) return;
        auto* p = static_cast<std::max_align_t*>(address) - 1;
        std::size_t n;
        std::memcpy(&n, p, sizeof n);
        static_cast<counted_alloc*>(opaque)->bytes -= n;
        std::free(p);
    }
    void attach(z_stream& z) noexcept {
        z.zalloc = &counted_alloc::alloc;
        z.zfree = &counted_alloc::release;
        z.opaque = this;
    }
};

constexpr unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};

}  // namespace

std::string deflate_agreement::response() const {
    std::string r = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    if (server_max_window_bits < 15)
        r += "; server_max_window_bits=" + std::to_string(server_max_window_bits);
    return r;
}

std::optional<deflate_agreement> negotiate_deflate(std::string_view offers) {
    cursor c{offers};
    std::string buf;
    std::optional<deflate_agreement> chosen;
    if (c.at_end()) return std::nullopt;
    for (;;) {
        auto name = c.token();
        if (!name) return std::nullopt;  // malformed: no extension at all
        bool ours = iequals(*name, "permessage-deflate");
        offer_check check;
        while (c.eat(';')) {
            auto pname = c.token();
            if (!pname) return std::nullopt;
            std::optional<std::string_view> value;
            if (c.eat('=')) {
                value = c.value(buf);
                if (!value) return std::nullopt;
            }
            if (ours) check.param(*pname, value);
        }
        if (ours && check.ok && !chosen) chosen = check.agreed;
        if (c.at_end()) break;
        if (!c.eat(',')) return std::nullopt;
        // Empty list elements (", ,") are allowed by the #rule.
        while (c.eat(','))
            ;
        if (c.at_end()) break;
    }
    return chosen;
}

// ---- inflate

struct inflater::state {
    counted_alloc mem;
    z_stream z{};
    bool ready = false;
};

inflater::inflater() : s_(std::make_unique<state>()) {
    s_->mem.attach(s_->z);
    if (inflateInit2(&s_->z, -15) != Z_OK) throw std::bad_alloc();
    s_->ready = true;
}

inflater::~inflater() {
    if (s_ && s_->ready) inflateEnd(&s_->z);
}

inflate_result inflater::inflate(std::string_view compressed, std::size_t limit, std::string& out) {
    auto& z = s_->z;
    out.clear();
    std::size_t have = 0;
    auto result = inflate_result::ok;
    bool ended = false;
    // Runs `n` bytes through the stream; false once the message is refused or has ended.
    auto run = [&](const unsigned char* p, std::size_t n) -> bool {
        z.next_in = const_cast<unsigned char*>(p);
        z.avail_in = static_cast<uInt>(n);
        for (;;) {
            if (have == out.size()) {
                if (out.size() > limit) return result = inflate_result::too_big, false;
                // Grow geometrically, never past limit + 1 (one byte over is enough to refuse).
                out.resize(std::min(std::max<std::size_t>(out.size() * 2, 4096), limit + 1));
            }
            z.next_out = reinterpret_cast<unsigned char*>(out.data() + have);
            z.avail_out = static_cast<uInt>(out.size() - have);
            int rc = ::inflate(&z, Z_SYNC_FLUSH);
            have = out.size() - z.avail_out;
            if (have > limit) return result = inflate_result::too_big, false;
            if (rc == Z_STREAM_END) return ended = true, false;
            if (rc == Z_BUF_ERROR && z.avail_out != 0) return true;  // all input taken
            if (rc != Z_OK && rc != Z_BUF_ERROR) return result = inflate_result::bad_data, false;
            if (z.avail_in == 0 && z.avail_out != 0) return true;
        }
    };
    if (run(reinterpret_cast<const unsigned char*>(compressed.data()), compressed.size()))
        run(tail, sizeof tail);
    inflateReset(&z);
    if (result != inflate_result::ok) {
        std::string().swap(out);
        return result;
    }
    (void)ended;  // a final block (BFINAL) ends the message early: what follows it is ignored
    out.resize(have);
    return inflate_result::ok;
}

std::size_t inflater::zlib_bytes() const noexcept {
    return s_->mem.bytes;
}

// ---- deflate

struct deflater::state {
    counted_alloc mem;
    z_stream z{};
    bool ready = false;
};

deflater::deflater(int window_bits, int level) : s_(std::make_unique<state>()) {
    s_->mem.attach(s_->z);
    if (deflateInit2(&s_->z, level, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
    s_->ready = true;
}

deflater::~deflater() {
    if (s_ && s_->ready) deflateEnd(&s_->z);
}

std::string deflater::deflate(std::string_view message) {
    auto& z = s_->z;
    std::string out;
    out.resize(deflateBound(&z, static_cast<uLong>(message.size())) + 16);
    z.next_in = reinterpret_cast<unsigned char*>(const_cast<char*>(message.data()));
    z.avail_in = static_cast<uInt>(message.size());
    std::size_t have = 0;
    for (;;) {
        z.next_out = reinterpret_cast<unsigned char*>(out.data() + have);
        z.avail_out = static_cast<uInt>(out.size() - have);
        ::deflate(&z, Z_SYNC_FLUSH);
        have = out.size() - z.avail_out;
        if (z.avail_out != 0) break;
        out.resize(out.size() * 2);
    }
    deflateReset(&z);
    if (have >= 4 && std::memcmp(out.data() + have - 4, tail, 4) == 0) have -= 4;
    out.resize(have);
    return out;
}

std::size_t deflater::zlib_bytes() const noexcept {
    return s_->mem.bytes;
}

// ---- per-thread streams

inflater& thread_inflater() {
    static thread_local inflater i;
    return i;
}

deflater& thread_deflater(int window_bits) {
    static thread_local std::array<std::unique_ptr<deflater>, 7> by_bits;  // 9..15
    window_bits = std::clamp(window_bits, 9, 15);
    auto& d = by_bits[static_cast<std::size_t>(window_bits - 9)];
    if (!d) d = std::make_unique<deflater>(window_bits);
    return *d;
}

}  // namespace switchboard::protocol::ws
