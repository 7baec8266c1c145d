#pragma once
// The Socket.IO layer over an Engine.IO session: namespace (local sockets), socket, client,
// broadcaster.
#include "broadcaster.hpp"
#include "client.hpp"
#include "namespace.hpp"
#include "socket.hpp"
