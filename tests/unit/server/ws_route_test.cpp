// server::websocket_route: a plain WebSocket endpoint on the Engine.IO transport's connection. Over
// loopback with a hand-written client: the upgrade and the request the handler sees, messages both
// ways, the app's close code, backpressure (a full queue closes with 1013, volatile messages are
// dropped instead), and a plain GET answered 426.
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

using namespace switchboard;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct running {
    explicit running(server::server& s) : srv(s) {
        std::promise<std::uint16_t> p;
        auto f = p.get_future();
        t = std::thread([&] { srv.run([&](std::uint16_t port) { p.set_value(port); }); });
        port = f.get();
    }
    ~running() {
        srv.stop();
        t.join();
    }
    server::server& srv;
    std::thread t;
    std::uint16_t port = 0;
};

server::server_options local_options() {
    server::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    return o;
}

// A client frame: final, masked with a fixed key.
std::string client_frame(std::uint8_t opcode, std::string_view payload) {
    std::string f;
    f += static_cast<char>(0x80 | opcode);
    const std::uint8_t key[4] = {1, 2, 3, 4};
    if (payload.size() < 126) {
        f += static_cast<char>(0x80 | payload.size());
    } else {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xff);
    }
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f += static_cast<char>(payload[i] ^ key[i % 4]);
    return f;
}

struct server_frame {
    std::uint8_t opcode = 0;
    std::string payload;
    std::uint16_t close_code() const {
        return payload.size() >= 2 ? static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                                                static_cast<std::uint8_t>(payload[1]))
                                   : 0;
    }
};

class client {
public:
    explicit client(std::uint16_t port) : sock_(io_) {
        sock_.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    // Writes `req` and reads the answer's head (and what came with it).
    std::string request(const std::string& req) {
        asio::write(sock_, asio::buffer(req));
        for (;;) {
            if (auto end = buf_.find("\r\n\r\n"); end != std::string::npos) {
                auto head = buf_.substr(0, end + 4);
                buf_.erase(0, end + 4);
                return head;
            }
            if (!fill()) return buf_;
        }
    }
    std::string upgrade(const std::string& target) {
        return request("GET " + target +
                       " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    }
    void send(std::uint8_t opcode, std::string_view payload) {
        asio::write(sock_, asio::buffer(client_frame(opcode, payload)));
    }
    // The next server frame; opcode 0 at EOF.
    server_frame next() {
        for (;;) {
            if (buf_.size() >= 2) {
                auto b1 = static_cast<std::uint8_t>(buf_[1]) & 0x7f;
                std::size_t head = 2, len = b1;
                bool known = true;
                if (b1 == 126) {
                    known = buf_.size() >= 4;
                    head = 4;
                    if (known)
                        len = (static_cast<std::uint8_t>(buf_[2]) << 8) | static_cast<std::uint8_t>(buf_[3]);
                }
                if (known && buf_.size() >= head + len) {
                    server_frame f{static_cast<std::uint8_t>(buf_[0] & 0x0f), buf_.substr(head, len)};
                    buf_.erase(0, head + len);
                    return f;
                }
            }
            if (!fill()) return {};
        }
    }

private:
    bool fill() {
        char tmp[65536];
        boost::system::error_code ec;
        auto n = sock_.read_some(asio::buffer(tmp), ec);
        buf_.append(tmp, n);
        return !ec || n > 0;
    }
    asio::io_context io_;
    tcp::socket sock_;
    std::string buf_;
};

}  // namespace

TEST_CASE("websocket_route: upgrade, messages both ways, the app's close code", "[ws_route]") {
    server::runtime rt(1);
    server::server srv(local_options(), rt);
    std::mutex mu;
    std::string seen_path, seen_query, seen_header;
    std::promise<void> closed;
    srv.websocket_route("/echo/", [&](const server::http_request& req, const server::ws_peer_ptr& peer) {
        {
            std::lock_guard lock(mu);
            seen_path = req.path;
            seen_query = req.query;
            seen_header = std::string(req.header("x-test"));
        }
        peer->send_text("hello " + peer->id());
        server::ws_callbacks cb;
        cb.on_message = [peer](std::string&& data, bool binary) {
            if (data == "bye") return peer->close(4001);
            // From another thread, as the app's domain thread sends.
            std::thread([peer, data = std::string(binary ? "bin:" : "txt:") + data] {
                peer->send_text(data);
            }).join();
        };
        cb.on_close = [&closed] { closed.set_value(); };
        return cb;
    });
    running r(srv);
    client c(r.port);
    auto head = c.request(
        "GET /echo/?token=abc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Test: "
        "yes\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    REQUIRE(head.starts_with("HTTP/1.1 101"));
    CHECK(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);
    auto hello = c.next();
    CHECK(hello.opcode == 1);
    CHECK(hello.payload.starts_with("hello w"));
    {
        std::lock_guard lock(mu);
        CHECK(seen_path == "/echo/");
        CHECK(seen_query == "token=abc");
        CHECK(seen_header == "yes");
    }
    c.send(1, "hi");
    CHECK(c.next().payload == "txt:hi");
    c.send(2, std::string(300, 'b'));
    CHECK(c.next().payload == "bin:" + std::string(300, 'b'));
    c.send(1, "bye");
    auto close = c.next();
    CHECK(close.opcode == 8);
    CHECK(close.close_code() == 4001);
    c.send(8, std::string("\x0f\xa1", 2));  // the client's close answer
    CHECK(closed.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
}

TEST_CASE("websocket_route: a full queue closes with 1013; volatile messages are dropped instead",
          "[ws_route]") {
    auto o = local_options();
    o.max_queue_packets = 8;
    server::runtime rt(1);
    server::server srv(o, rt);
    std::atomic<int> volatile_queued{0}, queued{0};
    srv.websocket_route("/flood/", [&](const server::http_request&, const server::ws_peer_ptr& peer) {
        server::ws_callbacks cb;
        cb.on_message = [&, peer](std::string&& data, bool) {
            // All in one handler call: the writer runs only once the round is over.
            if (data == "ping") return (void)peer->send_text("still open");
            bool is_volatile = data == "volatile";
            for (int i = 0; i < 100; ++i)
                if (peer->send_text(std::string(100, 'x'), is_volatile))
                    ++(is_volatile ? volatile_queued : queued);
        };
        return cb;
    });
    running r(srv);
    {
        client c(r.port);
        REQUIRE(c.upgrade("/flood/").starts_with("HTTP/1.1 101"));
        c.send(1, "volatile");
        for (int i = 0; i < 8; ++i)
            CHECK(c.next().payload == std::string(100, 'x'));
        c.send(1, "ping");
        CHECK(c.next().payload == "still open");
        CHECK(volatile_queued == 8);
    }
    client c(r.port);
    REQUIRE(c.upgrade("/flood/").starts_with("HTTP/1.1 101"));
    c.send(1, "flood");
    server_frame f;
    int texts = 0;
    while ((f = c.next()).opcode == 1)
        ++texts;
    CHECK(texts == 8);
    CHECK(queued == 8);
    CHECK(f.opcode == 8);
    CHECK(f.close_code() == server::ws_close::try_again_later);
}

TEST_CASE("websocket_route: a plain GET gets 426, another method 405", "[ws_route]") {
    server::runtime rt(1);
    server::server srv(local_options(), rt);
    srv.websocket_route("/ws/", [](const server::http_request&, const server::ws_peer_ptr&) {
        return server::ws_callbacks{};
    });
    running r(srv);
    client a(r.port);
    CHECK(a.request("GET /ws/ HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 426"));
    client b(r.port);
    CHECK(
        b.request("POST /ws/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").starts_with("HTTP/1.1 405"));
}
