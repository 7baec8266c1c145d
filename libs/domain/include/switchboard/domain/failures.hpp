#pragma once
// A repository call that failed → the answer (503 when the store is down or slow, else 500),
// counted by kind and logged at most once a second (an outage under load must not flood the log).
#include <switchboard/domain/ports.hpp>
#include <switchboard/domain/reply.hpp>

#include <switchboard/common/metrics.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace switchboard::domain {

class failures {
public:
    // `detail`: the store's last error text for the log line (may be empty).
    failures(clock& c, common::counter_family* counter, std::function<std::string()> detail = {})
        : clock_(c), counter_(counter), detail_(std::move(detail)) {}

    outcome report(boost::system::error_code ec, std::string_view op);

private:
    clock& clock_;
    common::counter_family* counter_;
    std::function<std::string()> detail_;
    std::int64_t last_log_ms_ = INT64_MIN;
    std::uint64_t unlogged_ = 0;
};

}  // namespace switchboard::domain
