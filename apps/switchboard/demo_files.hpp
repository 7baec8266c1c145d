// The chat demo's files (demo/), embedded in the binary at build time by cmake/embed_files.cmake
// and served under /demo/ when DEV_MODE or DEMO is on.
#pragma once

#include <span>
#include <string_view>

namespace switchboard::app {

struct embedded_file {
    std::string_view name;  // under /demo/: "index.html", "app.js", ...
    std::string_view content_type;
    std::string_view data;
};

std::span<const embedded_file> demo_files();

}  // namespace switchboard::app
