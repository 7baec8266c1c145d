#include <switchboard/persistence/database.hpp>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <charconv>

namespace switchboard::persistence {

namespace {
struct category_impl final : boost::system::error_category {
    const char* name() const noexcept override { return "switchboard.persistence"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::unavailable:
                return "database unavailable";
            case errc::timeout:
                return "database deadline exceeded";
            case errc::query_failed:
                return "statement failed";
            case errc::constraint:
                return "constraint violation";
            case errc::bad_config:
                return "bad database settings";
            case errc::bad_parameter:
                return "parameter holds a NUL byte";
        }
        return "database error";
    }
};
}  // namespace

void throw_exception_from_error(const db_error& e, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(e.code, e.detail), loc);
}

bool storable_text(std::string_view s) noexcept {
    return s.find('\0') == std::string_view::npos;
}

const boost::system::error_category& category() noexcept {
    static const category_impl c;
    return c;
}

std::optional<std::int64_t> as_opt_int(const cell& c) {
    if (!c) return std::nullopt;
    std::int64_t v = 0;
    auto r = std::from_chars(c->data(), c->data() + c->size(), v);
    if (r.ec != std::errc{}) return std::nullopt;
    return v;
}

std::int64_t as_int(const cell& c, std::int64_t fallback) {
    return as_opt_int(c).value_or(fallback);
}

std::string sql_placeholders(std::size_t first, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) s += ", ";
        s += "$" + std::to_string(first + i);
    }
    return s;
}

const std::string& as_text(const cell& c) {
    static const std::string empty;
    return c ? *c : empty;
}

}  // namespace switchboard::persistence
