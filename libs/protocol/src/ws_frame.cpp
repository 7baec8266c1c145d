#include <switchboard/protocol/base64.hpp>
#include <switchboard/protocol/ws_deflate.hpp>
#include <switchboard/protocol/ws_frame.hpp>

#include <array>
#include <cstring>

namespace switchboard::protocol::ws {

namespace {

bool valid_close_code(std::uint16_t c) noexcept {
    if (c >= 3000 && c <= 4999) return true;
    return c >= 1000 && c <= 1014 && c != 1004 && c != 1005 && c != 1006;
}

// Unmasks `n` bytes of `src` into `dst` (which may be the same) with the frame's 4-byte key.
void unmask(char* dst, const char* src, std::size_t n, const std::uint8_t key[4]) noexcept {
    for (std::size_t i = 0; i < n; ++i)
        dst[i] = static_cast<char>(static_cast<std::uint8_t>(src[i]) ^ key[i & 3]);
}

}  // namespace

std::size_t decoder::one_frame(std::string_view in, std::vector<frame_event>& out,
                               std::optional<std::uint16_t>& err) {
    if (in.size() < 2) return 0;
    auto b0 = static_cast<std::uint8_t>(in[0]), b1 = static_cast<std::uint8_t>(in[1]);
    bool fin = b0 & 0x80;
    auto op = b0 & 0x0F;
    // RSV2, RSV3: no extension defines them; RSV1: permessage-deflate, on a message's first frame.
    bool rsv1 = b0 & 0x40;
    if (b0 & 0x30) return err = close_code::protocol_error, 0;
    if (rsv1 && (!deflate_ || op == 0 || (op & 0x08))) return err = close_code::protocol_error, 0;
    if (!(b1 & 0x80)) return err = close_code::protocol_error, 0;  // clients must mask
    std::uint64_t len = b1 & 0x7F;
    std::size_t at = 2;
    if (len == 126) {
        if (in.size() < 4) return 0;
        len = (std::uint64_t{static_cast<std::uint8_t>(in[2])} << 8) | static_cast<std::uint8_t>(in[3]);
        if (len < 126) return err = close_code::protocol_error, 0;  // not the shortest form
        at = 4;
    } else if (len == 127) {
        if (in.size() < 10) return 0;
        len = 0;
        for (int i = 2; i < 10; ++i)
            len = (len << 8) | static_cast<std::uint8_t>(in[i]);
        if (len >> 63 || len < 65536) return err = close_code::protocol_error, 0;
        at = 10;
    }
    bool control = op & 0x08;
    if (control) {
        if (!fin || len > 125) return err = close_code::protocol_error, 0;
        if (op != 8 && op != 9 && op != 10) return err = close_code::protocol_error, 0;
    } else {
        if (op > 2) return err = close_code::protocol_error, 0;
        if (op == 0 && !in_message_) return err = close_code::protocol_error, 0;  // nothing to continue
        if (op != 0 && in_message_) return err = close_code::protocol_error, 0;   // unfinished message
        std::uint64_t so_far = in_message_ ? message_.size() : 0;
        if (len > max_ || so_far + len > max_) return err = close_code::too_big, 0;
    }
    if (in.size() < at + 4 || in.size() - at - 4 < len) return 0;
    std::uint8_t key[4];
    std::memcpy(key, in.data() + at, 4);
    at += 4;
    auto n = static_cast<std::size_t>(len);
    const char* payload = in.data() + at;
    if (control) {
        frame_event e;
        e.data.resize(n);
        unmask(e.data.data(), payload, n, key);
        if (op == 8) {
            e.type = frame_event::kind::close;
            if (n == 1) return err = close_code::protocol_error, 0;
            if (n >= 2) {
                e.code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(e.data[0]) << 8) |
                                                    static_cast<std::uint8_t>(e.data[1]));
                e.data.erase(0, 2);
                if (!valid_close_code(e.code)) return err = close_code::protocol_error, 0;
                if (!valid_utf8(e.data)) return err = close_code::invalid_payload, 0;
            } else {
                e.code = 1005;  // no status received
            }
        } else {
            e.type = op == 9 ? frame_event::kind::ping : frame_event::kind::pong;
        }
        out.push_back(std::move(e));
        return at + n;
    }
    if (op != 0) {
        in_message_ = true;
        message_text_ = op == 1;
        message_compressed_ = rsv1;
    }
    std::string data;
    if (op != 0 && fin) {
        // The common case: one frame, one message, unmasked straight into its own string.
        data.resize(n);
        unmask(data.data(), payload, n, key);
    } else {
        auto old = message_.size();
        message_.resize(old + n);
        unmask(message_.data() + old, payload, n, key);
        if (!fin) return at + n;
        data = std::move(message_);
        message_.clear();
    }
    in_message_ = false;
    if (message_compressed_) {
        std::string inflated;
        auto r = thread_inflater().inflate(data, max_, inflated);
        if (r == inflate_result::too_big) return err = close_code::too_big, 0;
        if (r != inflate_result::ok) return err = close_code::invalid_payload, 0;
        data = std::move(inflated);
    }
    if (message_text_ && !valid_utf8(data)) return err = close_code::invalid_payload, 0;
    frame_event e;
    e.type = message_text_ ? frame_event::kind::text : frame_event::kind::binary;
    e.data = std::move(data);
    out.push_back(std::move(e));
    return at + n;
}

std::optional<std::uint16_t> decoder::feed(std::string_view bytes, std::vector<frame_event>& out) {
    std::optional<std::uint16_t> err;
    // A frame begun in an earlier chunk: continue from the kept bytes (frames are bounded by
    // max_message, so this never holds more than one frame and the chunk).
    if (!partial_.empty() && !bytes.empty()) {
        partial_.append(bytes);
        bytes = {};
        std::string_view in(partial_);
        std::size_t used = 0;
        for (;;) {
            auto n = one_frame(in.substr(used), out, err);
            if (err) return err;
            if (n == 0) break;
            used += n;
        }
        partial_.erase(0, used);
    }
    while (!bytes.empty()) {
        auto n = one_frame(bytes, out, err);
        if (err) return err;
        if (n == 0) {
            partial_.assign(bytes);
            break;
        }
        bytes.remove_prefix(n);
    }
    return std::nullopt;
}

std::size_t encode_header(opcode op, std::uint64_t size, std::uint8_t out[10], bool compressed) noexcept {
    out[0] = static_cast<std::uint8_t>(0x80 | (compressed ? 0x40 : 0) | static_cast<std::uint8_t>(op));
    if (size < 126) {
        out[1] = static_cast<std::uint8_t>(size);
        return 2;
    }
    if (size <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<std::uint8_t>(size >> 8);
        out[3] = static_cast<std::uint8_t>(size);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i)
        out[2 + i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
    return 10;
}

std::string encode_frame(opcode op, std::string_view payload) {
    std::uint8_t h[10];
    auto n = encode_header(op, payload.size(), h);
    std::string out(reinterpret_cast<const char*>(h), n);
    out.append(payload);
    return out;
}

std::string close_frame(std::uint16_t code) {
    char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return encode_frame(opcode::close, std::string_view(body, 2));
}

bool valid_utf8(std::string_view s) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size(), i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

namespace {

// SHA-1 (FIPS 180-4), only for the handshake's accept key.
std::array<std::uint8_t, 20> sha1(std::string_view msg) {
    std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    auto rol = [](std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); };
    std::string m(msg);
    std::uint64_t bits = static_cast<std::uint64_t>(msg.size()) * 8;
    m.push_back(static_cast<char>(0x80));
    while (m.size() % 64 != 56)
        m.push_back('\0');
    for (int i = 7; i >= 0; --i)
        m.push_back(static_cast<char>(bits >> (8 * i)));
    for (std::size_t off = 0; off < m.size(); off += 64) {
        std::uint32_t w[80];
        for (int t = 0; t < 16; ++t)
            w[t] = (std::uint32_t{static_cast<std::uint8_t>(m[off + 4 * t])} << 24) |
                   (std::uint32_t{static_cast<std::uint8_t>(m[off + 4 * t + 1])} << 16) |
                   (std::uint32_t{static_cast<std::uint8_t>(m[off + 4 * t + 2])} << 8) |
                   std::uint32_t{static_cast<std::uint8_t>(m[off + 4 * t + 3])};
        for (int t = 16; t < 80; ++t)
            w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int t = 0; t < 80; ++t) {
            std::uint32_t f, k;
            if (t < 20) {
                f = (b & c) | (~b & d);
                k = 0x5A827999;
            } else if (t < 40) {
                f = b ^ c ^ d;
                k = 0x6ED9EBA1;
            } else if (t < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8F1BBCDC;
            } else {
                f = b ^ c ^ d;
                k = 0xCA62C1D6;
            }
            std::uint32_t tmp = rol(a, 5) + f + e + k + w[t];
            e = d;
            d = c;
            c = rol(b, 30);
            b = a;
            a = tmp;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
    std::array<std::uint8_t, 20> out{};
    for (int i = 0; i < 5; ++i)
        for (int k = 0; k < 4; ++k)
            out[static_cast<std::size_t>(4 * i + k)] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * k));
    return out;
}

}  // namespace

std::string accept_key(std::string_view client_key) {
    std::string s(client_key);
    s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    auto d = sha1(s);
    std::string out;
    base64_append(out, std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    return out;
}

bool valid_client_key(std::string_view key) noexcept {
    if (key.size() != 24 || !key.ends_with("==")) return false;
    auto d = base64_decode(key);
    return d && d->size() == 16;
}

}  // namespace switchboard::protocol::ws
