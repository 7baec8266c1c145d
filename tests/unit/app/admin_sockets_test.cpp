// What the admin dashboard is shown of a socket (apps/switchboard/admin_sockets.cpp): upstream's
// shape, and no secret (token, password, session id, authorization or cookie header, a token in
// the query or the URL, the Engine.IO session id).
#include "../../../apps/switchboard/admin_ui.hpp"

#include <catch2/catch.hpp>

#include <boost/json/serialize.hpp>

using namespace switchboard::app;
namespace json = boost::json;

TEST_CASE("admin dashboard: a socket as upstream serializes it, without its secrets", "[admin]") {
    json::object handshake{
        {"headers",
         {{"authorization", "Bearer secret-1"},
          {"cookie", "sid=secret-2"},
          {"x-api-key", "secret-3"},
          {"user-agent", "node"},
          {"x-forwarded-for", "203.0.113.9"}}},
        {"time", "2026-12-05T11:00:00.000Z"},
        {"address", "127.0.0.1"},
        {"xdomain", false},
        {"secure", false},
        {"issued", 1796470000000},
        {"url", "/socket.io/?EIO=4&token=secret-4&lang=pt&transport=polling&access_token=secret-5"},
        {"query", {{"EIO", "4"}, {"token", "secret-4"}, {"lang", "pt"}, {"access_token", "secret-5"}}},
        {"auth",
         {{"token", "secret-6"}, {"password", "secret-7"}, {"sessionId", "secret-8"}, {"room", "a"}}}};
    json::object data{{"userId", "ana"}};
    auto o =
        admin_socket_json("sock1", "0123456789ab", "websocket", "/", data, handshake, {"sock1", "room:1"});

    CHECK(o.at("id") == "sock1");
    CHECK(o.at("clientId") == "0123456789ab");
    CHECK(o.at("transport") == "websocket");
    CHECK(o.at("nsp") == "/");
    CHECK(o.at("data") == json::value(data));
    CHECK(o.at("rooms") == json::value(json::array{"sock1", "room:1"}));
    const auto& h = o.at("handshake").as_object();
    CHECK(h.at("address") == "203.0.113.9");  // the forwarded client, as upstream shows it
    CHECK(h.at("url") == "/socket.io/?EIO=4&lang=pt&transport=polling");
    CHECK(h.at("query") == json::value(json::object{{"EIO", "4"}, {"lang", "pt"}}));
    CHECK(h.at("auth") == json::value(json::object{{"room", "a"}}));
    CHECK(h.at("headers") ==
          json::value(json::object{{"user-agent", "node"}, {"x-forwarded-for", "203.0.113.9"}}));
    CHECK(h.at("issued") == 1796470000000);
    auto text = json::serialize(o);
    for (int i = 1; i <= 8; ++i)
        CHECK(text.find("secret-" + std::to_string(i)) == std::string::npos);

    // A remote socket (a cluster's fetch_sockets) with no client id or transport known here.
    auto remote = admin_socket_json("sock2", "", "", "/chat", {}, {}, {"sock2"});
    CHECK(!remote.contains("clientId"));
    CHECK(!remote.contains("transport"));
    CHECK(remote.at("handshake") == json::value(json::object{}));
}

TEST_CASE("admin dashboard: token parameters leave the URL, whatever their spelling", "[admin]") {
    CHECK(admin_url_without_secrets("/socket.io/") == "/socket.io/");
    CHECK(admin_url_without_secrets("/socket.io/?token=x") == "/socket.io/");
    CHECK(admin_url_without_secrets("/socket.io/?a=1&%74oken=x&b=2") == "/socket.io/?a=1&b=2");
    CHECK(admin_url_without_secrets("/socket.io/?access_token=x&EIO=4") == "/socket.io/?EIO=4");
    CHECK(admin_url_without_secrets("/socket.io/?tokens=1&token") == "/socket.io/?tokens=1");
    CHECK(admin_url_without_secrets("/x?a=1&&b=%") == "/x?a=1&&b=%");
}

TEST_CASE("admin dashboard: the client id is a digest of the session id, not the id", "[admin]") {
    auto id = admin_client_id("abcdefghijklmnopqrst");
    CHECK(id.size() == 12);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(id == admin_client_id("abcdefghijklmnopqrst"));
    CHECK(id != admin_client_id("abcdefghijklmnopqrsu"));
    CHECK(id.find("abcdef") == std::string::npos);
}
