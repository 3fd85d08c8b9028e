#include "app/data_dir_setup.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include <filesystem>

#include "app/state_command.hpp"
#include "persistence/data_directory.hpp"
#include "state/snapshot.hpp"

namespace mallard::app {
namespace fs = std::filesystem;

std::string ApplyDataDirDefaults(ServeConfig& config, const std::string& default_sqlengine_spec) {
  if (config.data_dir.empty()) return {};
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) return "cannot create the data directory " + config.data_dir + ": " + ec.message();
  // "file" alone is S3's temporary directory, removed at exit: under a data directory it is kept.
  auto& s3_store = config.module_settings["s3"]["store"];
  if (s3_store.empty() || s3_store == "file") s3_store = "file://" + (fs::path(config.data_dir) / "s3").string();
  if (config.sqlengine_duckdb.empty() && default_sqlengine_spec == ":memory:")
    config.sqlengine_duckdb = (fs::path(config.data_dir) / "sqlengine.duckdb").string();
  return {};
}

std::string StatePersistence::Prepare(const ServeConfig& config, gateway::GatewayOptions& gateway_options,
                                      ServerBuilder& builder) {
  std::optional<persistence::Durability> durability;
  if (!config.data_dir.empty()) {
    auto parsed = persistence::ParseDurability(config.durability);
    if (!parsed) return parsed.error();
    durability = *parsed;
  }
  std::optional<state::MergeStrategy> load_merge;
  if (!config.load_state.empty()) {
    auto parsed = state::ParseMergeStrategy(config.load_state_merge);
    if (!parsed) return parsed.error();
    load_merge = *parsed;
  }
  std::string version = gateway_options.version;
  if (durability) {
    auto holder = directory_;
    gateway_options.deliver_when_durable = [holder](std::function<void()> deliver) {
      if (*holder) return (*holder)->DeliverWhenDurable(std::move(deliver));
      deliver();
    };
    persistence::DataDirectoryOptions options;
    options.dir = config.data_dir;
    options.durability = *durability;
    options.interval = std::chrono::milliseconds(config.durability_interval_ms);
    // Services outside snapshots whose state is kept all the same: S3 in a file store (its objects
    // are files, DIR/s3 by default) and DynamoDB Streams, which reads DynamoDB's store.
    std::set<std::string> kept_elsewhere{"dynamodbstreams"};
    if (auto s3 = config.module_settings.find("s3"); s3 != config.module_settings.end()) {
      if (auto store = s3->second.find("store"); store != s3->second.end() && store->second.starts_with("file://"))
        kept_elsewhere.insert("s3");
    }
    builder.WithStartupStep([holder, options, version, kept_elsewhere](
                                const std::vector<std::shared_ptr<services::Service>>& services) -> Status<std::string> {
      std::vector<persistence::StatefulService> stateful;
      std::string without_snapshots;
      for (const auto& service : services) {
        if (auto* state = service->State()) {
          stateful.push_back({service->Descriptor().name, state});
        } else if (!kept_elsewhere.contains(service->Descriptor().name)) {
          without_snapshots += (without_snapshots.empty() ? "" : ", ") + service->Descriptor().name;
        }
      }
      if (!without_snapshots.empty())
        spdlog::warn("data directory: {} take no part in snapshots yet: what they hold is not kept across restarts",
                     without_snapshots);
      persistence::SnapshotIo io;
      io.save = [services, version](const fs::path& file) -> Status<std::string> {
        auto saved = state::SaveSnapshot(services, {}, file, version);
        if (!saved) return Fail(saved.error());
        return Done{};
      };
      io.load = [services](const fs::path& file) -> Status<std::string> {
        auto loaded = state::LoadSnapshot(services, file, state::MergeStrategy::kOverwrite, {});
        if (!loaded) return Fail(loaded.error());
        return Done{};
      };
      auto opened = persistence::DataDirectory::Open(options, std::move(stateful), std::move(io));
      if (!opened) return Fail("data directory " + options.dir.string() + ": " + opened.error());
      *holder = std::move(opened).value();
      spdlog::info("data directory {} ({} durability): {}", options.dir.string(),
                   persistence::DurabilityName(options.durability), (*holder)->StartSummary());
      const auto& unjournaled = (*holder)->UnjournaledServices();
      if (!unjournaled.empty() && options.durability != persistence::Durability::kNone) {
        std::string names;
        for (const auto& name : unjournaled) names += (names.empty() ? "" : ", ") + name;
        spdlog::warn("data directory: {} keep their state in snapshots only (taken at start, at a clean shutdown and "
                     "when the journal compacts): their changes since the last one are lost on a crash",
                     names);
      }
      return Done{};
    });
    builder.WithShutdownStep([holder] {
      if (!*holder) return;
      if (auto closed = (*holder)->Close(); !closed) {
        spdlog::error("data directory: the last snapshot failed: {}", closed.error());
      } else {
        spdlog::info("data directory: state saved");
      }
    });
  }
  if (load_merge) {
    std::string file = SnapshotFilePath(config.load_state);
    builder.WithStartupStep([file, merge = *load_merge](const std::vector<std::shared_ptr<services::Service>>& services)
                                -> Status<std::string> {
      auto loaded = state::LoadSnapshot(services, file, merge, {});
      if (!loaded) return Fail("--load-state " + file + ": " + loaded.error());
      spdlog::info("loaded state from {} ({}): {} sections, {} records", file, state::MergeStrategyName(merge),
                   loaded->sections.size(), loaded->records);
      return Done{};
    });
  }
  return {};
}

}  // namespace mallard::app
