// The chat demo (demo/): its files, embedded at build time (cmake/embed_files.cmake), under /demo/
// when DEV_MODE or DEMO is on; in dev mode / redirects there, so the URL scripts/run prints works.
#include "demo_files.hpp"
#include "gateway.hpp"

#include <switchboard/common/log.hpp>

#include <string>

namespace switchboard::app {

namespace {

server::http_reply redirect(std::string to) {
    server::http_reply r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "Found: " + to + "\n";
    r.headers.emplace_back("Location", std::move(to));
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

}  // namespace

void gateway::install_demo() {
    if (!cfg_.demo) return;
    for (const auto& f : demo_files()) {
        server::http_route serve = [&f](const server::http_request_view&) {
            server::http_reply r;
            r.content_type = std::string(f.content_type);
            r.body = std::string(f.data);
            r.headers.emplace_back("Cache-Control", "no-cache");
            r.headers.emplace_back("X-Content-Type-Options", "nosniff");
            return r;
        };
        if (f.name == "index.html") srv_.route("/demo/", serve, "GET");
        srv_.route("/demo/" + std::string(f.name), std::move(serve), "GET");
    }
    srv_.route(
        "/demo", [](const server::http_request_view&) { return redirect("/demo/"); }, "GET");
    if (cfg_.dev_mode)
        srv_.route(
            "/", [](const server::http_request_view&) { return redirect("/demo/"); }, "GET");
    log::info("chat demo", {{"path", "/demo/"}});
}

}  // namespace switchboard::app
