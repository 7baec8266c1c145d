#pragma once
// HTTP request headers with lower-case names, kept in one string: a session keeps the headers of
// the request that opened it for its whole life (socket.handshake.headers), so they should cost
// one allocation of about their own size, not two strings per field.
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace switchboard::protocol {

class header_list {
public:
    using value_type = std::pair<std::string_view, std::string_view>;

    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = header_list::value_type;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = value_type;
        iterator() = default;
        value_type operator*() const noexcept;
        iterator& operator++() noexcept;
        iterator operator++(int) noexcept {
            auto old = *this;
            ++*this;
            return old;
        }
        bool operator==(const iterator& o) const noexcept { return at_ == o.at_; }

    private:
        friend class header_list;
        explicit iterator(const char* at) : at_(at) {}
        const char* at_ = nullptr;
    };

    header_list() = default;
    header_list(std::initializer_list<value_type> fields);

    // Room for fields whose names and values add up to `bytes` (avoids regrowth).
    void reserve(std::size_t bytes, std::size_t fields) { data_.reserve(bytes + 4 * fields); }
    // Appends a field; the name is lower-cased. Names and values longer than 65,535 bytes are cut.
    void add(std::string_view name, std::string_view value);
    // The first field of that (lower-case) name, or "" when there is none.
    std::string_view find(std::string_view lower_name) const noexcept;
    bool empty() const noexcept { return data_.empty(); }
    std::size_t size() const noexcept;
    iterator begin() const noexcept { return iterator(data_.data()); }
    iterator end() const noexcept { return iterator(data_.data() + data_.size()); }

private:
    std::string data_;  // per field: name length (2 bytes), value length (2 bytes), name, value
};

}  // namespace switchboard::protocol
