// Token and credential parsers of libs/auth: never crash or throw on any input.
// First byte picks the parser: JWT verification (HS key), JWKS loading, rules file, room argument,
// address list / X-Forwarded-For (and the same bytes as a header list). Invariants: base64url decode∘encode
// is the identity; a verified token's claims always map to a principal or to no_user_id.
#include <switchboard/auth/access.hpp>
#include <switchboard/auth/identity.hpp>
#include <switchboard/auth/jwt.hpp>
#include <switchboard/auth/limits.hpp>
#include <switchboard/protocol/header_list.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace switchboard::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
        case 0: {
            static const key_set keys = [] {
                key_set k;
                k.add_secret("fuzz-secret");
                return k;
            }();
            verify_options opts;
            opts.audience = "gw";
            auto r = verify_jwt(in, keys, opts, 1900000000);
            if (r) {
                auto p = principal_from_claims(r->claims);
                if (!p && p.error() != errc::no_user_id) std::abort();
            }
            if (auto d = base64url_decode(in)) {
                if (base64url_decode(base64url_encode(*d)) != *d) std::abort();
            }
            break;
        }
        case 1: {
            key_set k;
            (void)k.add_jwks(in);
            (void)k.add_pem(in);
            break;
        }
        case 2: {
            std::string why;
            auto r = parse_rules(in, &why);
            if (r) {
                principal p;
                p.user_id = "u";
                p.anonymous = false;
                (void)check_join(*r, p, "user:u");
                (void)check_join(*r, principal{}, in.substr(0, 64));
            } else if (why.empty()) {
                std::abort();  // a refusal always says why
            }
            break;
        }
        case 3: {
            boost::system::error_code ec;
            auto v = boost::json::parse(in, ec);
            if (!ec)
                if (auto room = room_from_arg(v); room && room->empty()) std::abort();
            break;
        }
        case 4: {
            auto comma = in.find('|');
            std::string list(in.substr(0, comma));
            address_set s;
            std::vector<std::string> entries;
            std::size_t pos = 0;
            while (pos <= list.size()) {
                auto c = list.find(',', pos);
                entries.push_back(list.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
                if (c == std::string::npos) break;
                pos = c + 1;
            }
            s.parse(entries);
            std::string_view xff =
                comma == std::string_view::npos ? std::string_view{} : in.substr(comma + 1);
            auto a = client_address("127.0.0.1", xff, s);
            if (a.empty()) std::abort();
            // The same bytes as request headers ("name:value" lines) in a header_list: every
            // field comes back in order, name lower-cased, both cut at 65,535 bytes; find gives
            // the first of a name; the Authorization value goes to find_token.
            switchboard::protocol::header_list h;
            std::vector<std::pair<std::string, std::string>> added;
            for (std::size_t at = 0; at < in.size();) {
                auto nl = in.find('\n', at);
                auto line = in.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
                auto colon = line.find(':');
                auto name = line.substr(0, colon);
                auto value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
                h.add(name, value);
                std::string lower(name.substr(0, 0xffff));
                for (auto& c : lower)
                    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
                added.emplace_back(std::move(lower), std::string(value.substr(0, 0xffff)));
                if (nl == std::string_view::npos) break;
                at = nl + 1;
            }
            std::size_t i = 0;
            for (const auto& [k, v] : h) {
                if (i >= added.size() || k != added[i].first || v != added[i].second) std::abort();
                ++i;
            }
            if (i != added.size() || h.size() != added.size()) std::abort();
            for (const auto& field : added) {
                const auto& name = field.first;
                auto first =
                    std::find_if(added.begin(), added.end(), [&](const auto& f) { return f.first == name; });
                if (h.find(name) != first->second) std::abort();
            }
            (void)find_token(boost::json::object{}, {}, h.find("authorization"));
            break;
        }
    }
    return 0;
}
