// RESP parser and Redis URL parser: never crash or throw on any input.
// Byte 0 picks the mode. RESP: the input fed whole and in chunks (byte 1 sets the chunk size) must
// give the same replies and the same error; an array of bulk strings re-encoded by append_command
// parses back to itself. URL: a failure always says why; the loggable form (no credentials)
// parses back to the same endpoint.
#include <switchboard/redis/resp.hpp>
#include <switchboard/redis/url.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace switchboard::redis;

namespace {

parser_limits small_limits() {
    parser_limits l;
    l.max_bulk = 1 << 16;
    l.max_elements = 1 << 12;
    l.max_line = 1 << 10;
    l.max_buffered = 1 << 18;
    return l;
}

struct outcome {
    std::vector<std::string> replies;
    boost::system::error_code ec;
};

void drain(parser& p, outcome& o) {
    while (!o.ec) {
        auto r = p.next();
        if (!r) {
            o.ec = r.error();
            return;
        }
        if (!*r) return;
        o.replies.push_back(debug_string(**r));
        const value& v = **r;
        if (v.type == kind::array) {
            std::vector<std::string> args;
            bool all_bulk = true;
            for (const auto& e : v.elements) {
                if (e.type != kind::bulk_string) all_bulk = false;
                args.push_back(e.str);
            }
            if (all_bulk) {
                std::string wire;
                append_command(wire, args);
                parser again;
                again.feed(wire);
                auto back = again.next();
                if (!back || !*back || debug_string(**back) != debug_string(v)) std::abort();
            }
        }
    }
}

void fuzz_resp(std::string_view in, std::size_t chunk) {
    outcome whole, split;
    parser a(small_limits());
    a.feed(in);
    drain(a, whole);
    parser b(small_limits());
    for (std::size_t i = 0; i < in.size() && !split.ec; i += chunk) {
        b.feed(in.substr(i, chunk));
        drain(b, split);
    }
    // Errors may be found earlier when fed whole (e.g. a line limit), but replies before must agree.
    std::size_t n = std::min(whole.replies.size(), split.replies.size());
    for (std::size_t i = 0; i < n; ++i)
        if (whole.replies[i] != split.replies[i]) std::abort();
    if (!whole.ec && !split.ec && whole.replies.size() != split.replies.size()) std::abort();
}

void fuzz_url(std::string_view in) {
    std::string why;
    auto r = parse_url(in, &why);
    if (!r) {
        if (why.empty()) std::abort();
        return;
    }
    if (r->host.empty() || r->port == 0 || r->db < 0) std::abort();
    // The loggable form carries no credentials and parses back to the same endpoint.
    auto back = parse_url(r->to_log_string());
    if (!back || back->host != r->host || back->port != r->port || back->db != r->db || back->tls != r->tls ||
        !back->user.empty() || !back->password.empty())
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
    if (data[0] % 8 == 7) {
        fuzz_url(in);
    } else {
        fuzz_resp(in, 1 + data[1] % 16);
    }
    return 0;
}
