// tls_engine against an OpenSSL client over memory BIOs, the bytes carried by the test (no
// sockets): the handshake, data both ways across many records, the peer's close_notify, garbage
// in place of a ClientHello; tls_context::load and what it says about bad files.
#include "transport/tls_engine.hpp"

#include <boost/asio/error.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

using namespace switchboard::server::detail;
namespace fs = std::filesystem;

namespace {

// A self-signed EC P-256 certificate and its key, written as PEM into a fresh directory.
struct cert_files {
    fs::path dir, cert, key;
    explicit cert_files(const char* name) {
        dir = fs::temp_directory_path() / ("sb-tls-unit-" + std::to_string(::getpid()) + "-" + name);
        fs::create_directories(dir);
        cert = dir / "cert.pem";
        key = dir / "key.pem";
        EVP_PKEY* pkey = EVP_EC_gen("P-256");
        X509* x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, pkey);
        X509_NAME* n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name), -1,
                                   -1, 0);
        X509_set_issuer_name(x, n);
        X509_sign(x, pkey, EVP_sha256());
        std::FILE* f = std::fopen(cert.c_str(), "w");
        PEM_write_X509(f, x);
        std::fclose(f);
        f = std::fopen(key.c_str(), "w");
        PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(f);
        X509_free(x);
        EVP_PKEY_free(pkey);
    }
    ~cert_files() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

// A TLS client over two memory BIOs (no verification: the test trusts what it made).
struct client {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = nullptr;
    explicit client(int max_version = 0) {
        if (max_version) SSL_CTX_set_max_proto_version(ctx, max_version);
        ssl = SSL_new(ctx);
        BIO* in = BIO_new(BIO_s_mem());
        BIO* out = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(ssl, in, out);
        SSL_set_connect_state(ssl);
    }
    ~client() {
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    std::string output() {
        std::string s(BIO_ctrl_pending(SSL_get_wbio(ssl)), '\0');
        if (!s.empty()) BIO_read(SSL_get_wbio(ssl), s.data(), static_cast<int>(s.size()));
        return s;
    }
    void input(const std::string& s) { BIO_write(SSL_get_rbio(ssl), s.data(), static_cast<int>(s.size())); }
};

// Carries the bytes each way until both ends are done; returns the number of round trips.
int handshake(client& c, tls_engine& e) {
    for (int round = 1; round <= 10; ++round) {
        SSL_do_handshake(c.ssl);
        auto to_server = c.output();
        e.put_input(to_server.data(), to_server.size());
        boost::system::error_code ec;
        auto st = e.handshake(ec);
        REQUIRE(st != tls_engine::status::failed);
        std::string to_client;
        e.take_output(to_client);
        c.input(to_client);
        if (st == tls_engine::status::ok) {
            REQUIRE(SSL_do_handshake(c.ssl) == 1);
            return round;
        }
    }
    FAIL("handshake did not finish");
    return 0;
}

std::string read_all(tls_engine& e, std::size_t want) {
    std::string got;
    char buf[5000];
    while (got.size() < want) {
        auto r = e.read(buf, sizeof buf);
        if (r.n == 0) break;
        got.append(buf, r.n);
    }
    return got;
}

}  // namespace

TEST_CASE("tls_engine: handshake, then data both ways across many records", "[tls]") {
    cert_files files("engine");
    std::string why;
    auto ctx = tls_context::load(files.cert.string(), files.key.string(), why);
    REQUIRE(ctx);
    for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
        CAPTURE(version);
        tls_engine e(*ctx);
        client c(version);
        CHECK(handshake(c, e) == 2);
        CHECK(SSL_version(c.ssl) == version);

        // Client → server: 100 KB (7 records), read through a buffer smaller than a record.
        std::string up(100000, 'u');
        for (std::size_t i = 0; i < up.size(); ++i)
            up[i] = static_cast<char>('a' + i % 26);
        REQUIRE(SSL_write(c.ssl, up.data(), static_cast<int>(up.size())) == static_cast<int>(up.size()));
        auto cipher = c.output();
        CHECK_FALSE(e.input_buffered());
        e.put_input(cipher.data(), cipher.size());
        CHECK(e.input_buffered());
        CHECK(read_all(e, up.size()) == up);
        char one;
        CHECK(e.read(&one, 0).n == 0);  // nothing asked: nothing read
        CHECK(e.read(&one, 1).st == tls_engine::status::want_read);

        // Server → client: written whole into the output (a memory buffer never short).
        std::string down(70000, 'd');
        REQUIRE_FALSE(e.write(down.data(), down.size()));
        CHECK(e.output_size() > down.size());
        std::string out;
        e.take_output(out);
        CHECK(e.output_size() == 0);
        c.input(out);
        std::string got(down.size(), '\0');
        std::size_t n = 0;
        while (n < got.size()) {
            int k = SSL_read(c.ssl, got.data() + n, static_cast<int>(got.size() - n));
            REQUIRE(k > 0);
            n += static_cast<std::size_t>(k);
        }
        CHECK(got == down);

        // The peer's close_notify behind data: the data first, then the close.
        REQUIRE(SSL_write(c.ssl, "bye", 3) == 3);
        SSL_shutdown(c.ssl);
        auto tail = c.output();
        e.put_input(tail.data(), tail.size());
        char buf[16];
        auto last = e.read(buf, sizeof buf);
        CHECK(std::string(buf, last.n) == "bye");
        CHECK(last.st == tls_engine::status::closed);
        auto after = e.read(buf, sizeof buf);
        CHECK(after.n == 0);
        CHECK(after.st == tls_engine::status::closed);
        CHECK(after.ec == boost::asio::error::eof);
    }
}

TEST_CASE("tls_engine: plain HTTP instead of a ClientHello fails the handshake", "[tls]") {
    cert_files files("garbage");
    std::string why;
    auto ctx = tls_context::load(files.cert.string(), files.key.string(), why);
    REQUIRE(ctx);
    tls_engine e(*ctx);
    std::string req = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
    e.put_input(req.data(), req.size());
    boost::system::error_code ec;
    CHECK(e.handshake(ec) == tls_engine::status::failed);
    CHECK(ec);
    // A second engine from the same context is unaffected.
    tls_engine fresh(*ctx);
    client c;
    handshake(c, fresh);
}

TEST_CASE("tls_engine: a client limited to TLS 1.1 is refused", "[tls]") {
    cert_files files("old");
    std::string why;
    auto ctx = tls_context::load(files.cert.string(), files.key.string(), why);
    REQUIRE(ctx);
    tls_engine e(*ctx);
    client c(TLS1_1_VERSION);
    SSL_CTX_set_min_proto_version(c.ctx, TLS1_VERSION);
    SSL_set_min_proto_version(c.ssl, TLS1_VERSION);
    SSL_set_max_proto_version(c.ssl, TLS1_1_VERSION);
    SSL_do_handshake(c.ssl);
    auto hello = c.output();
    REQUIRE_FALSE(hello.empty());
    e.put_input(hello.data(), hello.size());
    boost::system::error_code ec;
    CHECK(e.handshake(ec) == tls_engine::status::failed);
}

TEST_CASE("tls_context::load: what it says about missing, invalid and mismatched files", "[tls]") {
    cert_files a("a"), b("b");
    std::string why;
    CHECK(tls_context::load(a.cert.string(), "", why) == nullptr);
    CHECK(why.find("set both or neither") != std::string::npos);
    CHECK(tls_context::load((a.dir / "none.pem").string(), a.key.string(), why) == nullptr);
    CHECK(why.find("cannot read") != std::string::npos);
    auto junk = a.dir / "junk.pem";
    std::FILE* f = std::fopen(junk.c_str(), "w");
    std::fputs("hello\n", f);
    std::fclose(f);
    CHECK(tls_context::load(junk.string(), a.key.string(), why) == nullptr);
    CHECK(why.find("not a PEM certificate") != std::string::npos);
    CHECK(tls_context::load(a.cert.string(), junk.string(), why) == nullptr);
    CHECK(why.find("not a PEM private key") != std::string::npos);
    CHECK(tls_context::load(a.cert.string(), b.key.string(), why) == nullptr);
    CHECK(why.find("is not the key of the certificate") != std::string::npos);
    CHECK(tls_context::load(b.cert.string(), b.key.string(), why) != nullptr);
}
