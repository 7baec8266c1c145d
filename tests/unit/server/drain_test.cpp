// server::drain: stops accepting, /ready goes false, tells the sessions to go in batches, and finishes
// when no session and no HTTP request is left (an idle keep-alive connection does not count), or at
// its deadline.
#include <switchboard/server/runtime.hpp>
#include <switchboard/server/server.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

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

namespace {
// One HTTP/1.1 exchange on `s`: writes `req`, reads until the answer's end (Content-Length) or EOF.
std::string exchange(boost::asio::ip::tcp::socket& s, const std::string& req) {
    boost::asio::write(s, boost::asio::buffer(req));
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        auto n = s.read_some(boost::asio::buffer(buf), ec);
        got.append(buf, n);
        if (ec) break;
        auto head = got.find("\r\n\r\n");
        auto cl = got.find("Content-Length: ");
        if (head != std::string::npos && cl != std::string::npos && cl < head) {
            auto len = std::stoul(got.substr(cl + 16));
            if (got.size() >= head + 4 + len) break;
        }
    }
    return got;
}

boost::asio::ip::tcp::socket dial(boost::asio::io_context& io, std::uint16_t port) {
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    return s;
}
}  // namespace

TEST_CASE("drain: an idle keep-alive connection does not hold it; a request in flight does", "[drain]") {
    server::server srv(local_options());
    std::mutex mu;
    std::vector<server::http_responder> parked;  // answers held back by the test
    srv.route_async("/slow", [&](server::http_request, server::http_responder r) {
        std::lock_guard lock(mu);
        parked.push_back(std::move(r));
    });
    running r(srv);
    boost::asio::io_context io;
    auto idle = dial(io, r.port);
    auto first = exchange(idle, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(first.find("200 OK") != std::string::npos);
    auto busy = dial(io, r.port);
    boost::asio::write(busy, boost::asio::buffer(std::string("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")));
    for (int i = 0; i < 200; ++i) {
        {
            std::lock_guard lock(mu);
            if (!parked.empty()) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::promise<void> done;
    auto finished = done.get_future();
    srv.drain(std::chrono::seconds(20), [&] { done.set_value(); });
    // The request in flight holds the drain (the idle connection does not)...
    CHECK(finished.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
    {
        std::lock_guard lock(mu);
        REQUIRE(parked.size() == 1);
        parked[0]({200, "text/plain", "late"});
    }
    // ...until it is answered, without keep-alive now.
    std::string answer;
    char buf[1024];
    boost::system::error_code ec;
    for (;;) {
        auto n = busy.read_some(boost::asio::buffer(buf), ec);
        answer.append(buf, n);
        if (ec) break;
    }
    CHECK(answer.find("late") != std::string::npos);
    CHECK(answer.find("Connection: close") != std::string::npos);
    REQUIRE(finished.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
}

TEST_CASE("drain: a request that is never answered holds it until the deadline", "[drain]") {
    server::server srv(local_options());
    std::vector<server::http_responder> parked;
    std::mutex mu;
    srv.route_async("/never", [&](server::http_request, server::http_responder r) {
        std::lock_guard lock(mu);
        parked.push_back(std::move(r));
    });
    running r(srv);
    boost::asio::io_context io;
    auto s = dial(io, r.port);
    boost::asio::write(s, boost::asio::buffer(std::string("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")));
    for (int i = 0; i < 200; ++i) {
        {
            std::lock_guard lock(mu);
            if (!parked.empty()) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::promise<void> done;
    auto start = clock_type::now();
    srv.drain(std::chrono::milliseconds(300), [&] { done.set_value(); });
    REQUIRE(done.get_future().wait_for(std::chrono::seconds(3)) == std::future_status::ready);
    CHECK(clock_type::now() - start >= std::chrono::milliseconds(290));
}

TEST_CASE("drain: every polling session is told to go (a close packet), in batches, and new ones are refused",
          "[drain]") {
    auto o = local_options();
    o.drain_batch = 2;
    o.drain_interval = std::chrono::milliseconds(20);
    server::server srv(o);
    running r(srv);
    boost::asio::io_context io;
    constexpr int n = 7;
    std::vector<std::string> sids;
    for (int i = 0; i < n; ++i) {
        auto s = dial(io, r.port);
        auto open = exchange(s, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
        auto at = open.find("\"sid\":\"");
        REQUIRE(at != std::string::npos);
        sids.push_back(open.substr(at + 7, open.find('"', at + 7) - at - 7));
    }
    // Each session's next poll waits for data.
    std::vector<boost::asio::ip::tcp::socket> polls;
    for (const auto& sid : sids) {
        polls.push_back(dial(io, r.port));
        boost::asio::write(polls.back(), boost::asio::buffer("GET /socket.io/?EIO=4&transport=polling&sid=" +
                                                             sid + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the polls are parked
    REQUIRE(srv.connection_count() == static_cast<std::size_t>(n));
    auto spare = dial(io, r.port);  // open (and accepted) before the drain, used after it
    REQUIRE(exchange(spare, "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n").find("200 OK") != std::string::npos);
    std::promise<void> done;
    auto finished = done.get_future();
    srv.drain(std::chrono::seconds(10), [&] { done.set_value(); });
    REQUIRE(finished.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(srv.connection_count() == 0);
    for (auto& p : polls) {
        std::string got;
        char buf[1024];
        boost::system::error_code ec;
        for (;;) {
            auto k = p.read_some(boost::asio::buffer(buf), ec);
            got.append(buf, k);
            if (ec || (got.find("\r\n\r\n") != std::string::npos && got.back() == '1')) break;
        }
        // The payload's last packet is the Engine.IO close: the client reconnects.
        CHECK(got.find("200 OK") != std::string::npos);
        CHECK(got.substr(got.size() - 1) == "1");
    }
    auto late = exchange(spare, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(late.find("200 OK") == std::string::npos);
    CHECK(late.find("\"sid\"") == std::string::npos);
}
