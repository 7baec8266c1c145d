// The WebSocket connection over plain TCP (the one instantiation the server uses).
#include "ws_connection_impl.hpp"

namespace switchboard::server::detail {
template class basic_ws_connection<tcp_stream_t>;
}  // namespace switchboard::server::detail
