// ws_connection over a socketpair, with a failure injected at step 1, 2, 3… of its I/O (reading,
// writing, closing: Beast's fail_count idea): every run must end the connection cleanly, report
// its end at most once, and leave nothing behind.
#include "transport/ws_connection_impl.hpp"

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace switchboard;
using namespace switchboard::server::detail;
using local_socket = asio::local::stream_protocol::socket;

namespace {

// Fails the n-th I/O step (counting every operation of the stream) with connection_reset.
struct fail_count {
    int at = 0;  // 0: never
    int seen = 0;
    bool fail() { return ++seen == at; }
};

class faulty_stream {
public:
    using executor_type = socket_stream<local_socket>::executor_type;
    faulty_stream(local_socket s, fail_count& fc) : inner_(std::move(s)), fc_(&fc) {}
    executor_type get_executor() { return inner_.get_executor(); }
    io_result try_write(const iovec* iov, std::size_t n) noexcept {
        if (fc_->fail()) return {0, asio::error::connection_reset};
        return inner_.try_write(iov, n);
    }
    io_result try_read(char* buf, std::size_t size) noexcept {
        if (fc_->fail()) return {0, asio::error::connection_reset};
        return inner_.try_read(buf, size);
    }
    template <class Handler>
    void async_wait_readable(Handler&& h) {
        if (fc_->fail())
            return asio::post(get_executor(),
                              [h = std::move(h)]() mutable { h(asio::error::connection_reset); });
        inner_.async_wait_readable(std::forward<Handler>(h));
    }
    template <class Buffers, class Condition, class Handler>
    void async_write(const Buffers& bufs, Condition&& cond, Handler&& h) {
        if (fc_->fail())
            return asio::post(get_executor(), [h = std::move(h)]() mutable {
                h(asio::error::connection_reset, std::size_t{0});
            });
        inner_.async_write(bufs, std::forward<Condition>(cond), std::forward<Handler>(h));
    }
    void shutdown_send() noexcept {
        if (!fc_->fail()) inner_.shutdown_send();
    }
    void close() noexcept { inner_.close(); }

private:
    socket_stream<local_socket> inner_;
    fail_count* fc_;
};

using test_connection = basic_ws_connection<faulty_stream>;

// Echoes every message into the connection's queue; records what the connection reports.
struct echo_handler : ws_handler {
    explicit echo_handler(io_ctx& c, const queue_policy& p) : ctx(c), queue(p) {}
    bool on_ws_message(ws_role, std::string&& data, bool binary) override {
        messages.push_back(data);
        queue.push({std::make_shared<const std::string>(std::move(data)), binary});
        if (auto c = conn.lock()) c->schedule_write(ctx);
        return true;
    }
    void on_ws_closed(ws_role) override { ++closed; }
    void on_ws_write(ws_write s) override { writes.push_back(s); }
    io_ctx& ctx;
    outbound_queue queue;
    std::weak_ptr<test_connection> conn;
    std::vector<std::string> messages;
    std::vector<ws_write> writes;
    int closed = 0;
};

// A masked client frame.
std::string client_frame(std::uint8_t opcode, std::string_view payload) {
    std::string f;
    f += static_cast<char>(0x80 | opcode);
    f += static_cast<char>(0x80 | payload.size());  // payloads under 126 bytes here
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    f.append(mask, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f += static_cast<char>(payload[i] ^ mask[i % 4]);
    return f;
}

struct run_result {
    bool fault_hit = false;
    int closed = 0;
    std::vector<std::string> messages;
    std::string client_got;
    bool leaked = false;
};

// One exchange: the server queues two packets and starts; the client sends a text, a ping and a
// close, then reads until EOF. `server_close`: the server closes (with a cut) instead.
run_result run_once(int fail_at, bool server_close) {
    io_ctx ctx(1);
    std::atomic<std::int64_t> total{0};
    queue_policy policy{16, 1 << 20, &total};
    common::counter in, out, big;
    ws_stats stats{&in, &out, &big};
    local_socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    fail_count fc{fail_at};

    auto handler = std::make_shared<echo_handler>(ctx, policy);
    std::weak_ptr<test_connection> weak;
    {
        auto conn = std::make_shared<test_connection>(faulty_stream(std::move(a), fc), 1000, stats);
        weak = conn;
        handler->conn = conn;
        conn->attach(handler->queue);
        for (const char* p : {"4first", "4second"})
            handler->queue.push({std::make_shared<const std::string>(p), false});
        conn->start(handler);
        if (server_close) conn->close(protocol::ws::close_code::normal, std::chrono::milliseconds(100));
    }
    if (!server_close) {
        std::string bytes = client_frame(1, "4hello") + client_frame(9, "p") + client_frame(8, "\x03\xe8");
        asio::write(b, asio::buffer(bytes));
    }
    run_result r;
    std::array<char, 4096> buf;
    std::function<void()> read_client = [&] {
        b.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
            if (ec) return;
            r.client_got.append(buf.data(), n);
            read_client();
        });
    };
    read_client();
    ctx.run_for(std::chrono::milliseconds(400));
    read_client = nullptr;
    r.fault_hit = fail_at != 0 && fc.seen >= fail_at;
    r.closed = handler->closed;
    r.messages = handler->messages;
    handler->conn.reset();
    r.leaked = !weak.expired() || handler.use_count() != 1;
    CHECK(total.load() == static_cast<std::int64_t>(handler->queue.size()));
    return r;
}

}  // namespace

TEST_CASE("ws_connection: a clean exchange echoes, answers the ping and the close", "[ws_connection]") {
    auto r = run_once(0, false);
    CHECK(r.closed == 1);
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0] == "4hello");
    CHECK_FALSE(r.leaked);
    // The two queued packets went out (what was queued after the peer's close is dropped).
    CHECK(r.client_got.find("4first") != std::string::npos);
    CHECK(r.client_got.find("4second") != std::string::npos);
}

TEST_CASE("ws_connection: a failure at each I/O step ends the connection cleanly", "[ws_connection]") {
    for (bool server_close : {false, true}) {
        int step = 1;
        for (; step < 100; ++step) {
            INFO("server_close " << server_close << ", failing step " << step);
            auto r = run_once(step, server_close);
            CHECK(r.closed <= 1);
            CHECK_FALSE(r.leaked);
            if (!r.fault_hit) break;  // every step has had its failure
        }
        CHECK(step > 3);
        CHECK(step < 100);
    }
}

TEST_CASE("ws_connection: a server close sends the queue, then the close frame", "[ws_connection]") {
    auto r = run_once(0, true);
    CHECK_FALSE(r.leaked);
    auto first = r.client_got.find("4first");
    auto close = r.client_got.find(std::string("\x88\x02\x03\xe8", 4));
    REQUIRE(first != std::string::npos);
    REQUIRE(close != std::string::npos);
    CHECK(first < close);
    CHECK(r.closed == 1);  // cut after 100 ms: the reader ends
}

TEST_CASE("ws_connection: with permessage-deflate, large messages go out with RSV1 both ways",
          "[ws_connection]") {
    io_ctx ctx(1);
    std::atomic<std::int64_t> total{0};
    queue_policy policy{16, 1 << 20, &total};
    common::counter in, out, big;
    ws_stats stats{&in, &out, &big};
    local_socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    fail_count fc{0};
    auto handler = std::make_shared<echo_handler>(ctx, policy);
    const std::string large = "4" + std::string(2000, 'a'), echoed = "4hello" + std::string(300, 'b');
    {
        auto conn = std::make_shared<test_connection>(faulty_stream(std::move(a), fc), 10000, stats);
        handler->conn = conn;
        conn->attach(handler->queue);
        conn->enable_deflate(protocol::ws::deflate_agreement{}, 100);
        // Written by the asynchronous path (start → pump).
        handler->queue.push({std::make_shared<const std::string>(large), false});
        handler->queue.push({std::make_shared<const std::string>("4small"), false});
        conn->start(handler);
    }
    // A compressed message from the client (echoed through write_now).
    auto z = protocol::ws::thread_deflater(15).deflate(echoed);
    REQUIRE(z.size() < 126);
    std::string bytes = client_frame(0x41, z);
    asio::write(b, asio::buffer(bytes));
    std::string got;
    std::array<char, 4096> buf;
    std::function<void()> read_client = [&] {
        b.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
            if (ec) return;
            got.append(buf.data(), n);
            read_client();
        });
    };
    read_client();
    ctx.run_for(std::chrono::milliseconds(300));
    read_client = nullptr;
    REQUIRE(handler->messages.size() == 1);
    CHECK(handler->messages[0] == echoed);
    // The server's frames: [rsv1, payload as the application sees it].
    std::vector<std::pair<bool, std::string>> frames;
    for (std::size_t at = 0; at + 2 <= got.size();) {
        auto b0 = static_cast<std::uint8_t>(got[at]);
        std::size_t len = static_cast<std::uint8_t>(got[at + 1]) & 0x7F, h = 2;
        if (len == 126) {
            len = (static_cast<std::uint8_t>(got[at + 2]) << 8) | static_cast<std::uint8_t>(got[at + 3]);
            h = 4;
        }
        REQUIRE(at + h + len <= got.size());
        std::string payload = got.substr(at + h, len);
        bool rsv1 = b0 & 0x40;
        if (rsv1) {
            std::string plain;
            REQUIRE(protocol::ws::thread_inflater().inflate(payload, 100000, plain) ==
                    protocol::ws::inflate_result::ok);
            payload = plain;
        }
        frames.emplace_back(rsv1, payload);
        at += h + len;
    }
    REQUIRE(frames.size() == 3);
    CHECK(frames[0] == std::make_pair(true, large));
    CHECK(frames[1] == std::make_pair(false, std::string("4small")));
    CHECK(frames[2] == std::make_pair(true, echoed));
    CHECK(handler->queue.bytes() == 0);
    handler->conn.reset();
}
