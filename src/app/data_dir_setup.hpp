#pragma once
// --data-dir, --durability and --load-state: where the server's state survives restarts
// (persistence/data_directory.hpp) and a snapshot loaded at start (state/snapshot.hpp), as start-up
// and shutdown steps of the server.
#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/server_builder.hpp"
#include "gateway/gateway.hpp"
#include "persistence/data_directory.hpp"

namespace mallard::app {

// With --data-dir: S3's default file store and the SQL engine's default database go under it
// (DIR/s3, DIR/sqlengine.duckdb) unless their settings name others. Returns an error or "".
std::string ApplyDataDirDefaults(ServeConfig& config, const std::string& default_sqlengine_spec);

// Wires the data directory and --load-state into the server: loading before it listens, answers
// held until durable, a last snapshot at shutdown. Returns an error or "".
class StatePersistence {
 public:
  std::string Prepare(const ServeConfig& config, gateway::GatewayOptions& gateway_options, ServerBuilder& builder);

 private:
  std::shared_ptr<std::unique_ptr<persistence::DataDirectory>> directory_ =
      std::make_shared<std::unique_ptr<persistence::DataDirectory>>();
};

}  // namespace mallard::app
