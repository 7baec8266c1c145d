// The router's method sets and pattern matching.
#include "router.hpp"

#include <array>

namespace switchboard::server::detail {

namespace {
constexpr std::array<std::pair<std::string_view, method_set>, 7> names{{{"GET", methods::get},
                                                                        {"HEAD", methods::head},
                                                                        {"POST", methods::post},
                                                                        {"PUT", methods::put},
                                                                        {"PATCH", methods::patch},
                                                                        {"DELETE", methods::del},
                                                                        {"OPTIONS", methods::options}}};
}  // namespace

method_set method_bit(std::string_view name) noexcept {
    for (const auto& [n, bit] : names)
        if (n == name) return bit;
    return methods::other;
}

method_set parse_methods(std::string_view list) noexcept {
    method_set out = 0;
    std::size_t i = 0;
    while (i < list.size()) {
        auto end = list.find_first_of(", ", i);
        if (end == std::string_view::npos) end = list.size();
        if (end > i) {
            auto bit = method_bit(list.substr(i, end - i));
            if (bit != methods::other) out |= bit;
        }
        i = end + 1;
    }
    return out ? out : methods::any;
}

std::string allow_header(method_set m) {
    std::string out;
    for (const auto& [n, bit] : names)
        if (m & bit) {
            if (!out.empty()) out += ", ";
            out += n;
        }
    return out;
}

bool match_pattern(std::string_view pattern, std::string_view path, route_params* params) {
    std::size_t added = 0;
    while (!pattern.empty() || !path.empty()) {
        auto pe = pattern.find('/', 1);
        auto se = path.find('/', 1);
        auto pseg = pattern.substr(0, pe);
        auto sseg = path.substr(0, se);
        if (pseg.size() > 3 && pseg[0] == '/' && pseg[1] == '{' && pseg.back() == '}') {
            if (sseg.size() < 2 || sseg[0] != '/') break;  // a parameter takes a non-empty segment
            if (params) params->emplace_back(pseg.substr(2, pseg.size() - 3), sseg.substr(1)), ++added;
        } else if (pseg != sseg) {
            break;
        }
        pattern.remove_prefix(pseg.size());
        path.remove_prefix(sseg.size());
        if (pattern.empty() && path.empty()) return true;
    }
    if (params) params->resize(params->size() - added);
    return false;
}

}  // namespace switchboard::server::detail
