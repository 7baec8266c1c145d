// redis::client over TLS (rediss://) against a redis-server with a self-signed certificate made by
// the openssl CLI: verified with tls_ca_file, refused with the system CAs, accepted with tls_insecure.
#include "redis_fixture.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <fstream>

using namespace sb_test;

namespace {

class tls_redis {
public:
    tls_redis() {
        char tmpl[] = "/tmp/sb-redis-tls-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
        std::string req =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext "
            "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
            dir_ + "/key.pem -out " + dir_ + "/cert.pem >/dev/null 2>&1";
        REQUIRE(std::system(req.c_str()) == 0);
        port_ = free_port();
        std::string start = "redis-server --port 0 --tls-port " + std::to_string(port_) +
                            " --tls-cert-file " + dir_ + "/cert.pem --tls-key-file " + dir_ +
                            "/key.pem --tls-auth-clients no --bind 127.0.0.1 --daemonize yes --pidfile " +
                            dir_ + "/redis.pid --logfile " + dir_ + "/log --dir " + dir_ +
                            " --save '' --appendonly no >/dev/null 2>&1";
        REQUIRE(std::system(start.c_str()) == 0);
    }
    ~tls_redis() {
        REQUIRE(wait_until([&] { return std::filesystem::exists(dir_ + "/redis.pid"); }, 5s));
        std::ifstream f(dir_ + "/redis.pid");
        long pid = 0;
        f >> pid;
        if (pid > 0) std::system(("kill -9 " + std::to_string(pid)).c_str());
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    std::string url(const std::string& host) const {
        return "rediss://" + host + ":" + std::to_string(port_);
    }
    std::string ca_file() const { return dir_ + "/cert.pem"; }

private:
    static unsigned short free_port() {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
        return a.local_endpoint().port();
    }
    std::string dir_;
    unsigned short port_ = 0;
};

}  // namespace

TEST_CASE("redis client: TLS with a verified certificate, a refused one, and tls_insecure", "[redis][tls]") {
    tls_redis srv;
    io_thread io;
    auto verified = options_for(srv.url("localhost"));
    verified.tls_ca_file = srv.ca_file();
    auto c = started(io, verified);
    CHECK(call_sync(*c, {"PING"}).v.as_string() == "PONG");
    CHECK(!call_sync(*c, {"SET", "k", "over tls"}).ec);
    CHECK(call_sync(*c, {"GET", "k"}).v.as_string() == "over tls");

    auto refused = redis::client::create(io.executor(), options_for(srv.url("localhost")));  // system CAs
    refused->start();
    REQUIRE(wait_until([&] { return static_cast<bool>(refused->last_error()); }));
    CHECK(!refused->connected());
    refused->stop();

    auto insecure_opts = options_for(srv.url("127.0.0.1"));
    insecure_opts.tls_insecure = true;
    auto insecure = started(io, insecure_opts);
    CHECK(call_sync(*insecure, {"GET", "k"}).v.as_string() == "over tls");
}
