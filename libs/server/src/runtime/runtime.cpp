// The I/O threads: one io_ctx per thread.
#include <switchboard/server/runtime.hpp>
#include "context.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>
#include <thread>

namespace switchboard::server {

runtime::runtime(unsigned threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    // Concurrency hint 1: only its own thread runs each context.
    for (unsigned i = 0; i < threads; ++i)
        contexts_.emplace_back(new detail::io_ctx(1),
                               [](boost::asio::io_context* c) { delete static_cast<detail::io_ctx*>(c); });
}

runtime::~runtime() = default;

void runtime::run() {
    using guard_t = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<guard_t> guards;  // every context idles until stop()
    for (auto& c : contexts_)
        guards.emplace_back(c->get_executor());
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i)
        threads.emplace_back([c = contexts_[i].get()] { c->run(); });
    contexts_[0]->run();
    for (auto& c : contexts_)
        c->stop();
    for (auto& t : threads)
        t.join();
    for (auto& c : contexts_)
        static_cast<detail::io_ctx&>(*c).shut_down();
}

void runtime::stop() {
    contexts_[0]->stop();
}

}  // namespace switchboard::server
