#include "app/state_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "common/encoding.hpp"
#include "http/outbound_http_client.hpp"
#include "state/snapshot.hpp"

namespace mallard::app {
namespace fs = std::filesystem;

namespace {

std::string FilterQuery(const StateCommandOptions& options, bool with_merge) {
  std::string query;
  auto add = [&](const char* name, const std::string& value) {
    if (value.empty()) return;
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + UrlEncode(value);
  };
  add("services", options.services);
  add("accounts", options.accounts);
  add("regions", options.regions);
  if (with_merge) add("merge", options.merge);
  return query;
}

Result<OutboundResponse, std::string> Exchange(const StateCommandOptions& options, OutboundRequest request) {
  http::OutboundHttpClientOptions client_options;
  client_options.max_response_body_bytes = std::size_t{16} << 30;  // a snapshot of a large state
  http::OutboundHttpClient client(1, client_options);
  request.timeout = std::chrono::seconds(options.timeout_seconds);
  if (!options.admin_token.empty()) request.headers.emplace_back("Authorization", "Bearer " + options.admin_token);
  std::promise<Result<OutboundResponse, std::string>> answered;
  client.Send(std::move(request), [&](Result<OutboundResponse, std::string> response) { answered.set_value(std::move(response)); });
  return answered.get_future().get();
}

int Report(const Result<OutboundResponse, std::string>& response, const std::string& what) {
  if (!response) {
    std::fprintf(stderr, "mallard state %s: %s\n", what.c_str(), response.error().c_str());
    return 1;
  }
  if (response->status != 200) {
    std::fprintf(stderr, "mallard state %s: the server answered %d: %s\n", what.c_str(), response->status,
                 response->body.c_str());
    return 1;
  }
  std::printf("%s\n", response->body.c_str());
  return 0;
}

}  // namespace

std::string SnapshotFilePath(const std::string& path) {
  std::error_code ec;
  if (!path.empty() && (path.back() == '/' || fs::is_directory(path, ec))) return (fs::path(path) / "mallard-state.jsonl").string();
  return path;
}

StateCommand AddStateCommand(CLI::App& app, StateCommandOptions& options) {
  StateCommand command;
  command.state = app.add_subcommand("state", "Save, load and inspect state snapshots of a running server");
  command.state->require_subcommand(1);
  auto common = [&](CLI::App* sub, bool filters) {
    sub->add_option("--endpoint", options.endpoint, "The server's URL")->envname("MALLARD_ENDPOINT")->capture_default_str();
    sub->add_option("--admin-token", options.admin_token, "The server's admin token, if it has one")->envname("MALLARD_ADMIN_TOKEN");
    sub->add_option("--timeout", options.timeout_seconds, "Seconds the transfer may take")->capture_default_str();
    if (filters) {
      sub->add_option("--services", options.services, "Only these services (comma-separated: sqs,dynamodb)");
      sub->add_option("--accounts", options.accounts, "Only these accounts (comma-separated)");
      sub->add_option("--regions", options.regions, "Only these regions (comma-separated)");
    }
  };
  command.save = command.state->add_subcommand("save", "Write the server's state to FILE (or DIR/mallard-state.jsonl)");
  command.save->add_option("path", options.path, "FILE or DIR/")->required();
  common(command.save, true);
  command.load = command.state->add_subcommand("load", "Load FILE (or DIR/mallard-state.jsonl) into the server");
  command.load->add_option("path", options.path, "FILE or DIR/")->required();
  command.load->add_option("--merge", options.merge, "overwrite, account-region-merge or service-merge")
      ->check(CLI::IsMember({"overwrite", "account-region-merge", "service-merge"}))
      ->capture_default_str();
  common(command.load, true);
  command.inspect = command.state->add_subcommand(
      "inspect", "What FILE (or DIR/mallard-state.jsonl) holds; without a path, what the server at --endpoint holds");
  command.inspect->add_option("path", options.path, "FILE or DIR/");
  common(command.inspect, true);
  return command;
}

bool StateCommandParsed(const StateCommand& command) { return command.state != nullptr && command.state->parsed(); }

int RunState(const StateCommand& command, const StateCommandOptions& options) {
  std::string file = SnapshotFilePath(options.path);
  if (command.inspect->parsed()) {
    if (file.empty()) {
      OutboundRequest request;
      request.method = "GET";
      request.url = options.endpoint + "/_mallard/state/inspect" + FilterQuery(options, false);
      return Report(Exchange(options, std::move(request)), "inspect");
    }
    auto summary = state::InspectSnapshot(file);
    if (!summary) {
      std::fprintf(stderr, "mallard state inspect: %s: %s\n", file.c_str(), summary.error().c_str());
      return 1;
    }
    std::printf("%s\n", state::SummaryJson(*summary).c_str());
    return 0;
  }
  if (command.save->parsed()) {
    OutboundRequest request;
    request.url = options.endpoint + "/_mallard/state/save" + FilterQuery(options, false);
    auto response = Exchange(options, std::move(request));
    if (!response || response->status != 200) return Report(response, "save");
    // Written beside and renamed: an interrupted save never leaves a half file under the name.
    std::string temporary = file + ".partial";
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out << response->body;
      if (!out.flush()) {
        std::fprintf(stderr, "mallard state save: cannot write %s\n", temporary.c_str());
        return 1;
      }
    }
    std::error_code ec;
    fs::rename(temporary, file, ec);
    if (ec) {
      std::fprintf(stderr, "mallard state save: cannot rename to %s: %s\n", file.c_str(), ec.message().c_str());
      return 1;
    }
    auto summary = state::InspectSnapshot(file);
    if (!summary) {
      std::fprintf(stderr, "mallard state save: the saved file does not read back: %s\n", summary.error().c_str());
      return 1;
    }
    std::printf("%s\n", state::SummaryJson(*summary).c_str());
    return 0;
  }
  // load: checked here first, so a damaged file is reported without a round trip.
  if (auto checked = state::InspectSnapshot(file); !checked) {
    std::fprintf(stderr, "mallard state load: %s: %s\n", file.c_str(), checked.error().c_str());
    return 1;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream body;
  body << in.rdbuf();
  OutboundRequest request;
  request.url = options.endpoint + "/_mallard/state/load" + FilterQuery(options, true);
  request.headers.emplace_back("Content-Type", "application/x-ndjson");
  request.body = body.str();
  return Report(Exchange(options, std::move(request)), "load");
}

}  // namespace mallard::app
