// server::drain: stops accepting, /ready goes false, and finishes early when nothing is open, or at
// its deadline while a connection stays.
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace switchboard;
using clock_type = std::chrono::steady_clock;

namespace {
server::server_options local_options() {
    server::server_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    return o;
}

// Runs the server on its runtime in a thread until stopped; returns the port.
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
}  // namespace

TEST_CASE("drain: nothing open, done at once, not ready, the runtime keeps running", "[drain]") {
    server::runtime rt(1);
    server::server srv(local_options(), rt);
    running r(srv);
    CHECK(srv.ready());
    std::promise<void> done;
    auto start = clock_type::now();
    srv.drain(std::chrono::seconds(5), [&] { done.set_value(); });
    REQUIRE(done.get_future().wait_for(std::chrono::seconds(2)) == std::future_status::ready);
    CHECK(clock_type::now() - start < std::chrono::seconds(1));
    CHECK_FALSE(srv.ready());
    // No more connections are accepted.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), r.port}, ec);
    CHECK(ec);
}

TEST_CASE("drain: an open connection holds it until the deadline", "[drain]") {
    server::server srv(local_options());
    running r(srv);
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), r.port});
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // accepted
    std::promise<void> done;
    auto start = clock_type::now();
    srv.drain(std::chrono::milliseconds(300), [&] { done.set_value(); });
    REQUIRE(done.get_future().wait_for(std::chrono::seconds(3)) == std::future_status::ready);
    CHECK(clock_type::now() - start >= std::chrono::milliseconds(290));
}
