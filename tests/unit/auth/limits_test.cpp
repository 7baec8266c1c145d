#include <switchboard/auth/limits.hpp>

#include <catch2/catch.hpp>

using namespace switchboard::auth;
using v = rate_window::verdict;

TEST_CASE("limits: rate window passes max, warns once, drops, then disconnects") {
    rate_window w(1000, 3, 2);
    CHECK(w.hit(0) == v::pass);
    CHECK(w.hit(10) == v::pass);
    CHECK(w.hit(20) == v::pass);
    CHECK(w.hit(30) == v::drop_and_warn);
    CHECK(w.retry_after(30) == 970);
    CHECK(w.hit(40) == v::drop);
    CHECK(w.hit(50) == v::disconnect);
}

TEST_CASE("limits: a new window starts afresh") {
    rate_window w(1000, 1, 5);
    CHECK(w.hit(0) == v::pass);
    CHECK(w.hit(1) == v::drop_and_warn);
    CHECK(w.hit(1000) == v::pass);
    CHECK(w.hit(1001) == v::drop_and_warn);
    CHECK(w.retry_after(5000) == 0);
}

TEST_CASE("limits: address sets") {
    address_set s;
    std::string bad;
    REQUIRE(s.parse({"10.0.0.0/8", "192.168.1.5", "fd00::/8", " loopback "}, &bad));
    CHECK(s.contains("10.1.2.3"));
    CHECK_FALSE(s.contains("11.0.0.1"));
    CHECK(s.contains("192.168.1.5"));
    CHECK_FALSE(s.contains("192.168.1.6"));
    CHECK(s.contains("fd12::1"));
    CHECK(s.contains("127.0.0.1"));
    CHECK(s.contains("::1"));
    CHECK(s.contains("::ffff:10.9.9.9"));
    CHECK_FALSE(s.contains("garbage"));
    CHECK_FALSE(s.parse({"10.0.0.0/33"}, &bad));
    CHECK(bad == "10.0.0.0/33");
    CHECK_FALSE(s.parse({"example.com"}, &bad));
    CHECK_FALSE(s.parse({"1.2.3.4/"}, &bad));
}

TEST_CASE("limits: client address behind trusted proxies") {
    address_set trusted;
    REQUIRE(trusted.parse({"127.0.0.1", "10.0.0.0/8"}));
    CHECK(client_address("127.0.0.1", "", trusted) == "127.0.0.1");
    CHECK(client_address("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9");
    CHECK(client_address("127.0.0.1", "1.1.1.1, 203.0.113.9, 10.0.0.2", trusted) == "203.0.113.9");
    CHECK(client_address("198.51.100.1", "203.0.113.9", trusted) == "198.51.100.1");  // untrusted peer
    CHECK(client_address("127.0.0.1", "not-an-ip", trusted) == "127.0.0.1");
    CHECK(client_address("127.0.0.1", "10.0.0.3", trusted) == "10.0.0.3");  // only proxies: the first hop
    CHECK(client_address("127.0.0.1", "203.0.113.9", address_set{}) == "127.0.0.1");
}

TEST_CASE("audit #11: per-address limits count an IPv6 client by its /64", "[audit-11]") {
    using switchboard::auth::address_key;
    CHECK(address_key("10.1.2.3") == "10.1.2.3");
    CHECK(address_key("::ffff:10.1.2.3") == "::ffff:10.1.2.3");
    CHECK(address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
    CHECK(address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9"));
    CHECK(address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1"));
    CHECK(address_key("::1") == "::/64");
    CHECK(address_key("not an address") == "not an address");
}
