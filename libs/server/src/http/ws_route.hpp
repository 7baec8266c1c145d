#pragma once
// Plain WebSocket routes (websocket_route.hpp): the connection the app's handler gets, over the
// same ws_connection (transport/) as an Engine.IO session's WebSocket.
#include "../transport/ws_link.hpp"

#include <switchboard/server/server.hpp>
#include <switchboard/server/websocket_route.hpp>

namespace switchboard::server::detail {

// Starts `conn` (its 101 answer already queued with write_raw) as a connection of `handler`, on
// the connection's own thread (`ex`); `early`: bytes the client sent behind its request.
void start_ws_route(std::shared_ptr<server::impl> srv, ws_link conn, executor_t ex, http_request req,
                    const websocket_handler& handler, std::string early);

// Closes every open plain WebSocket connection with ws_close::going_away (the drain).
void close_ws_routes(server::impl& srv);

}  // namespace switchboard::server::detail
