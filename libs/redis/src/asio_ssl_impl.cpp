// Asio's TLS implementation (separate compilation, BOOST_ASIO_SEPARATE_COMPILATION from libs/asio).
// Only the Redis client uses asio::ssl so far; move this to libs/asio when another lib needs it.
#include <boost/asio/ssl/impl/src.hpp>
