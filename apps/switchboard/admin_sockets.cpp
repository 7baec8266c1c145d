// How the admin dashboard is shown a socket (upstream's SerializedSocket), with no secret in it.
#include "admin_ui.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <iterator>

namespace switchboard::app {

namespace {

constexpr std::string_view secret_params[] = {"token", "access_token"};

// A query parameter's name, percent-decoded as the server's query parser does.
std::string param_name(std::string_view raw) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
            out += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
            i += 2;
        } else {
            out += raw[i] == '+' ? ' ' : raw[i];
        }
    }
    return out;
}

}  // namespace

// `url` without the query parameters that carry a token.
std::string admin_url_without_secrets(std::string_view url) {
    auto q = url.find('?');
    if (q == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, q));
    char sep = '?';
    auto rest = url.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto param = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        auto name = param_name(param.substr(0, param.find('=')));
        if (std::find(std::begin(secret_params), std::end(secret_params), name) != std::end(secret_params))
            continue;
        out += sep;
        out += param;
        sep = '&';
    }
    return out;
}

std::string admin_client_id(std::string_view session_id) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(session_id.data()), session_id.size(), d);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 6; ++i) {
        out += hex[d[i] >> 4];
        out += hex[d[i] & 15];
    }
    return out;
}

boost::json::object admin_socket_json(std::string_view id, std::string_view client_id,
                                      std::string_view transport, std::string_view nsp,
                                      const boost::json::object& data, boost::json::object handshake,
                                      const std::vector<std::string>& rooms) {
    if (auto* h = handshake.if_contains("headers"); h && h->is_object()) {
        auto& headers = h->get_object();
        for (const char* secret : {"authorization", "cookie", "x-api-key", "proxy-authorization"})
            headers.erase(secret);
        // Upstream shows the forwarded client when there is one.
        if (const auto* xff = headers.if_contains("x-forwarded-for"); xff && xff->is_string()) {
            boost::json::value forwarded = *xff;
            handshake["address"] = std::move(forwarded);
        }
    }
    if (auto* a = handshake.if_contains("auth"); a && a->is_object())
        for (const char* secret : {"token", "password", "sessionId", "refreshToken"})
            a->get_object().erase(secret);
    if (auto* q = handshake.if_contains("query"); q && q->is_object())
        for (auto secret : secret_params)
            q->get_object().erase(secret);
    if (auto* u = handshake.if_contains("url"); u && u->is_string()) {
        auto clean =
            admin_url_without_secrets(std::string_view(u->get_string().data(), u->get_string().size()));
        *u = clean;
    }
    boost::json::array room_list;
    for (const auto& r : rooms)
        room_list.emplace_back(r);
    boost::json::object o{{"id", id},
                          {"nsp", nsp},
                          {"data", data},
                          {"handshake", std::move(handshake)},
                          {"rooms", std::move(room_list)}};
    if (!client_id.empty()) o["clientId"] = client_id;
    if (!transport.empty()) o["transport"] = transport;
    return o;
}

}  // namespace switchboard::app
