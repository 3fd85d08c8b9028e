#pragma once
// `mallard state save|load|inspect`: snapshots of a running server through its state endpoints
// (gateway_state.cpp), and `inspect FILE` offline. A DIR argument means DIR/mallard-state.jsonl.
#include <CLI/CLI.hpp>

#include <string>

namespace mallard::app {

struct StateCommandOptions {
  std::string path;  // FILE or DIR/
  std::string endpoint = "http://127.0.0.1:4566";
  std::string merge = "overwrite";
  std::string services;
  std::string accounts;
  std::string regions;
  std::string admin_token;
  int timeout_seconds = 600;
};

struct StateCommand {
  CLI::App* state = nullptr;
  CLI::App* save = nullptr;
  CLI::App* load = nullptr;
  CLI::App* inspect = nullptr;
};

StateCommand AddStateCommand(CLI::App& app, StateCommandOptions& options);
bool StateCommandParsed(const StateCommand& command);
int RunState(const StateCommand& command, const StateCommandOptions& options);

// FILE stays FILE; an existing directory or a path ending in '/' becomes DIR/mallard-state.jsonl.
std::string SnapshotFilePath(const std::string& path);

}  // namespace mallard::app
