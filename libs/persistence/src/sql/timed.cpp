// A database decorator timing every call into switchboard_db_call_seconds{op=…}.
#include <switchboard/common/metrics.hpp>
#include <switchboard/persistence/database.hpp>

#include <array>
#include <cctype>
#include <chrono>

namespace switchboard::persistence {

namespace {

// The statement's kind, from its first word: the label of its sample.
enum op : std::size_t { select_op, insert_op, update_op, delete_op, other_op, script_op, op_count };
constexpr std::array<const char*, op_count> op_names{"select", "insert", "update",
                                                     "delete", "other",  "script"};

op kind_of(std::string_view sql) noexcept {
    std::size_t i = 0;
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])))
        ++i;
    std::size_t j = i;
    while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j])))
        ++j;
    auto word = sql.substr(i, j - i);
    auto is = [&](std::string_view w) {
        if (word.size() != w.size()) return false;
        for (std::size_t k = 0; k < w.size(); ++k)
            if (std::tolower(static_cast<unsigned char>(word[k])) != w[k]) return false;
        return true;
    };
    if (is("select")) return select_op;
    if (is("insert")) return insert_op;
    if (is("update")) return update_op;
    if (is("delete")) return delete_op;
    return other_op;
}

class timed_database final : public database {
public:
    timed_database(std::shared_ptr<database> inner, common::histogram_family& f) : inner_(std::move(inner)) {
        for (std::size_t i = 0; i < op_count; ++i)
            h_[i] = &f.at(op_names[i]);
    }
    backend kind() const noexcept override { return inner_->kind(); }

    boost::asio::awaitable<db_result<result_set>> query(std::string sql, std::vector<param> params) override {
        auto& h = *h_[kind_of(sql)];
        auto start = std::chrono::steady_clock::now();
        auto r = co_await inner_->query(std::move(sql), std::move(params));
        h.observe(seconds_since(start));
        co_return r;
    }

    boost::asio::awaitable<db_error> script(std::string sql) override {
        auto start = std::chrono::steady_clock::now();
        auto r = co_await inner_->script(std::move(sql));
        h_[script_op]->observe(seconds_since(start));
        co_return r;
    }

private:
    static double seconds_since(std::chrono::steady_clock::time_point t) noexcept {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }
    std::shared_ptr<database> inner_;
    std::array<common::histogram*, op_count> h_{};
};

}  // namespace

std::shared_ptr<database> with_metrics(std::shared_ptr<database> db, common::metrics_registry& m) {
    auto& f =
        m.add_histogram_family("switchboard_db_call_seconds",
                               "Database calls (PostgreSQL or SQLite) from the call to its result, whatever "
                               "the outcome, by statement kind (select, insert, update, delete, other, "
                               "script: migrations)",
                               "op", common::latency_buckets());
    return std::make_shared<timed_database>(std::move(db), f);
}

}  // namespace switchboard::persistence
