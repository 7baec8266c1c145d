// Asio's TLS implementation (separate compilation, BOOST_ASIO_SEPARATE_COMPILATION), beside
// asio_impl.cpp: the Redis client's TLS and the server's certificate loading (TLS_CERT_FILE) use it.
#include <boost/asio/ssl/impl/src.hpp>
