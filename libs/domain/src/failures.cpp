#include <switchboard/domain/failures.hpp>

#include <switchboard/common/log.hpp>

namespace switchboard::domain {

namespace {

class store_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "switchboard.store"; }
    std::string message(int ev) const override {
        switch (static_cast<store_errc>(ev)) {
            case store_errc::unavailable:
                return "database unavailable";
            case store_errc::timeout:
                return "database call timed out";
            case store_errc::failed:
                return "database call failed";
        }
        return "unknown store error";
    }
};

}  // namespace

const boost::system::error_category& store_category() noexcept {
    static const store_category_impl c;
    return c;
}

outcome failures::report(boost::system::error_code ec, std::string_view op) {
    bool ours = ec.category() == store_category();
    auto e = static_cast<store_errc>(ec.value());
    bool down = ours && (e == store_errc::unavailable || e == store_errc::timeout);
    if (counter_) counter_->inc(down ? (e == store_errc::timeout ? "timeout" : "unavailable") : "failed");
    auto now = clock_.steady_ms();
    if (last_log_ms_ == INT64_MIN || now - last_log_ms_ >= 1000) {
        auto why = ec.message();
        auto detail = detail_ ? detail_() : std::string();
        auto more = std::to_string(unlogged_);
        log::warn("database call failed",
                  {{"op", op}, {"error", why}, {"detail", detail}, {"suppressed_since_last", more}});
        last_log_ms_ = now;
        unlogged_ = 0;
    } else {
        ++unlogged_;
    }
    if (down) return fail(503, "Service temporarily unavailable, please retry");
    return fail(500, "Internal error");
}

}  // namespace switchboard::domain
