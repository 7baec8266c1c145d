#pragma once
// Catch printing for boost::system::result (its own operator<< needs the value to be printable).
#include <boost/system/result.hpp>
#include <catch2/catch.hpp>

namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T>> {
    static std::string convert(const boost::system::result<T>& r) {
        return r ? std::string("result(value)") : "result(error: " + r.error().message() + ")";
    }
};
}  // namespace Catch
