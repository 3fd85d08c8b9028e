// mallard: AWS data services on your own machine. Subcommands: serve (now), pipe (later).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "app/serve_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Mallard: SQS and more AWS data services, locally and for real"};
  app.set_version_flag("--version", std::string(MALLARD_VERSION));
  app.require_subcommand(1);
  mallard::app::ServeConfig serve_config;
  auto* serve = app.add_subcommand("serve", "Run the AWS-compatible endpoint");
  serve->footer(mallard::app::BuildDescription());
  mallard::app::AddServeOptions(*serve, serve_config);
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) return mallard::app::RunServe(*serve, serve_config);
  return 0;
}
