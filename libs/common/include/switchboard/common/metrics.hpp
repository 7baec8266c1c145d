#pragma once
// Prometheus metrics: counters (optionally with one label), and gauges read at scrape time.
// Counting is a relaxed atomic add; a labelled family takes a mutex only the first time it sees a
// label, and folds labels past its cap into "other" (client-chosen event names must not grow it
// without bound).
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::common {

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

class counter_family {
public:
    counter_family(std::string label, std::size_t max_labels) : label_(std::move(label)), max_(max_labels) {}
    counter& at(std::string_view value);
    void inc(std::string_view value, std::uint64_t n = 1) { at(value).inc(n); }
    std::uint64_t value(std::string_view v) const;
    const std::string& label() const noexcept { return label_; }
    std::vector<std::pair<std::string, std::uint64_t>> snapshot() const;

private:
    std::string label_;
    std::size_t max_;
    mutable std::shared_mutex mu_;  // shared for lookups, exclusive to add a label
    std::map<std::string, std::unique_ptr<counter>, std::less<>> values_;
};

class metrics_registry {
public:
    counter& add_counter(std::string name, std::string help);
    counter_family& add_family(std::string name, std::string help, std::string label,
                               std::size_t max_labels = 200);
    // A gauge, or a family of gauges (label → value) when `label` is set.
    void add_gauge(std::string name, std::string help, std::function<double()> read);
    void add_gauge_family(std::string name, std::string help, std::string label,
                          std::function<std::vector<std::pair<std::string, double>>()> read);
    // The text exposition format (version 0.0.4).
    std::string render() const;

private:
    struct entry {
        std::string name, help, type;
        std::unique_ptr<counter> c;
        std::unique_ptr<counter_family> f;
        std::function<double()> g;
        std::string glabel;
        std::function<std::vector<std::pair<std::string, double>>()> gf;
    };
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<entry>> entries_;
};

}  // namespace switchboard::common
