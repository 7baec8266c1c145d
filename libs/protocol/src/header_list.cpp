#include <switchboard/protocol/header_list.hpp>

#include <algorithm>

namespace switchboard::protocol {

namespace {
std::size_t len16(const char* p) noexcept {
    return static_cast<unsigned char>(p[0]) |
           (static_cast<std::size_t>(static_cast<unsigned char>(p[1])) << 8);
}
void put16(std::string& out, std::size_t n) {
    out.push_back(static_cast<char>(n & 0xff));
    out.push_back(static_cast<char>((n >> 8) & 0xff));
}
}  // namespace

header_list::header_list(std::initializer_list<value_type> fields) {
    for (const auto& [k, v] : fields)
        add(k, v);
}

void header_list::add(std::string_view name, std::string_view value) {
    name = name.substr(0, 0xffff);
    value = value.substr(0, 0xffff);
    put16(data_, name.size());
    put16(data_, value.size());
    auto at = data_.size();
    data_.append(name);
    std::transform(data_.begin() + static_cast<std::ptrdiff_t>(at), data_.end(),
                   data_.begin() + static_cast<std::ptrdiff_t>(at),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    data_.append(value);
}

header_list::value_type header_list::iterator::operator*() const noexcept {
    auto n = len16(at_), v = len16(at_ + 2);
    return {std::string_view(at_ + 4, n), std::string_view(at_ + 4 + n, v)};
}

header_list::iterator& header_list::iterator::operator++() noexcept {
    at_ += 4 + len16(at_) + len16(at_ + 2);
    return *this;
}

std::string_view header_list::find(std::string_view lower_name) const noexcept {
    for (auto [k, v] : *this)
        if (k == lower_name) return v;
    return {};
}

std::size_t header_list::size() const noexcept {
    return static_cast<std::size_t>(std::distance(begin(), end()));
}

}  // namespace switchboard::protocol
