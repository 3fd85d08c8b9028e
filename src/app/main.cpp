// mallard: AWS data services on your own machine. Subcommands: serve, state (snapshots), lake (DuckLake maintenance), pipe (PostgreSQL → DuckLake).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "app/serve_command.hpp"
#include "app/state_command.hpp"
#ifdef MALLARD_HAVE_DUCKDB
#include "app/lake_command.hpp"
#include "app/pipe_command.hpp"
#endif

int main(int argc, char** argv) {
  CLI::App app{"Mallard: SQS and more AWS data services, locally and for real"};
  app.set_version_flag("--version", std::string(MALLARD_VERSION));
  app.require_subcommand(1);
  mallard::app::ServeConfig serve_config;
  auto* serve = app.add_subcommand("serve", "Run the AWS-compatible endpoint");
  serve->footer(mallard::app::BuildDescription());
  mallard::app::AddServeOptions(*serve, serve_config);
  mallard::app::StateCommandOptions state_options;
  auto state = mallard::app::AddStateCommand(app, state_options);
#ifdef MALLARD_HAVE_DUCKDB
  auto lake = mallard::app::AddLakeCommand(app);
  mallard::app::PipeOptions pipe_options;
  auto* pipe = app.add_subcommand("pipe", "Stream PostgreSQL tables into a DuckLake (change data capture)");
  mallard::app::AddPipeOptions(*pipe, pipe_options);
#endif
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) return mallard::app::RunServe(*serve, serve_config);
  if (mallard::app::StateCommandParsed(state)) return mallard::app::RunState(state, state_options);
#ifdef MALLARD_HAVE_DUCKDB
  if (mallard::app::LakeCommandParsed(*lake)) return mallard::app::RunLake(*lake);
  if (pipe->parsed()) return mallard::app::RunPipe(*pipe, pipe_options);
#endif
  return 0;
}
