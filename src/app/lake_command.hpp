#pragma once
// `mallard lake`: look at and maintain a DuckLake from the command line — snapshots, tables,
// loading a file, reading a table at a snapshot, compaction, snapshot expiry, file cleanup.
#include <CLI/CLI.hpp>

namespace mallard::app {

struct LakeCommand;
// Registers `lake` and its subcommands on `app`; returns the state RunLake needs.
std::shared_ptr<LakeCommand> AddLakeCommand(CLI::App& app);
bool LakeCommandParsed(const LakeCommand& command);
int RunLake(LakeCommand& command);

}  // namespace mallard::app
