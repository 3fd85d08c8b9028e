#pragma once
#include "app/config.hpp"

namespace mallard::app {

// Runs `mallard serve` until SIGINT/SIGTERM; returns the process exit code.
int RunServe(CLI::App& command, ServeConfig& config);
// One line per build capability, for --help and the health endpoint.
std::string BuildDescription();

}  // namespace mallard::app
