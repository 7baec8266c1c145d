// The RabbitMQ routing files of deploy/routes/ (ecommerce.json, hometrip.json), embedded at build
// time by cmake/embed_files.cmake: EVENT_ROUTES=builtin:<name> reads <name>.json from here.
#pragma once

#include "demo_files.hpp"

namespace switchboard::app {

std::span<const embedded_file> route_files();

}  // namespace switchboard::app
