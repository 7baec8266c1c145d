#pragma once
// The I/O threads a server runs on: one io_context per thread (only that thread runs it; others
// may post to it). The app owns it and hands it to the server, or the server makes its own.
#include <boost/asio/io_context.hpp>

#include <memory>
#include <vector>

namespace switchboard::server {

class runtime {
public:
    explicit runtime(unsigned threads = 0);  // 0: one per core
    ~runtime();
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    unsigned size() const noexcept { return static_cast<unsigned>(contexts_.size()); }
    // The io_context of I/O thread `i`; 0 is the thread that calls run() (the acceptor's).
    boost::asio::io_context& context(unsigned i = 0) noexcept { return *contexts_[i]; }
    // Runs every context (0 on the calling thread, the others on threads of their own) until
    // stop(); then joins the threads and shuts every context down, destroying what is still
    // queued, before any is destroyed (sessions of one hold sockets of another). Runs once.
    void run();
    // From any thread: run() returns.
    void stop();

private:
    // The contexts are the shell's io_ctx (a derived type without a virtual destructor): each is
    // deleted as what it is.
    using context_ptr = std::unique_ptr<boost::asio::io_context, void (*)(boost::asio::io_context*)>;
    std::vector<context_ptr> contexts_;
};

}  // namespace switchboard::server
