#pragma once
// A small HTTP/1.1 client for calls from the server to a backend (the room check of ROOM_AUTH_URL):
// plain http:// URLs, a JSON body POSTed, one connection per request, an overall deadline, a bounded
// answer. It runs its own I/O thread; callbacks run there. The header stays free of Asio.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::server {

struct http_url {
    std::string host;
    std::string port;    // "80" when the URL names none
    std::string target;  // path and query, "/" when empty
};
// http://host[:port][/path[?query]] → its parts; nullopt for any other form (https is not supported).
std::optional<http_url> parse_http_url(std::string_view url);

class http_client {
public:
    // At most `max_in_flight` requests at once; more are answered at once with status 0.
    explicit http_client(std::size_t max_in_flight = 256);
    ~http_client();  // stops the thread; requests in flight are dropped without a callback
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    struct response {
        unsigned status = 0;  // 0: no answer (connect error, timeout, too large, overloaded)
        std::string body;
    };
    // POSTs `body` (application/json) to `url`; `done` gets the answer (bodies over 64 KiB count as
    // none) within `timeout`, on the client's thread.
    void post_json(const http_url& url, std::string body, std::chrono::milliseconds timeout,
                   std::function<void(response)> done);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace switchboard::server
