#include "services/dynamodb/ddb_module.hpp"

#include "common/redaction.hpp"
#include "infra/redis/redis_store_opening.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "services/dynamodb/redis/redis_dynamodb_store.hpp"
#include "services/dynamodb/streams/ddb_streams_service.hpp"

namespace mallard::dynamodb {

namespace kit = services::kit;

namespace {

const std::vector<kit::StoreKind>& Stores() {
  static const std::vector<kit::StoreKind> stores = {
      {"memory", "memory"},
      {"redis", "redis://HOST:PORT[/DB][?prefix=NAME]"},
  };
  return stores;
}

}  // namespace

kit::ServiceModule DynamoDbModule() {
  kit::ServiceModule module;
  module.name = "dynamodb";
  module.service_names = {"dynamodb", "dynamodbstreams"};
  module.stores = Stores();
  module.settings = {
      {
          .key = "store",
          .flag = "--backend-dynamodb",
          .env = "MALLARD_BACKEND_DYNAMODB",
          .toml_table = "backends",
          .toml_key = "dynamodb",
          .default_value = "memory",
          .help = "DynamoDB backend: memory or redis://HOST:PORT[/DB][?prefix=NAME]",
          .integer_range = std::nullopt,
      },
      {
          .key = "table_transition_ms",
          .flag = "--ddb-table-transition-ms",
          .env = "MALLARD_DDB_TABLE_TRANSITION_MS",
          .toml_table = "dynamodb",
          .toml_key = "table_transition_ms",
          // 500 ms, as dynalite: long enough that code which does not wait for ACTIVE fails here as on AWS.
          .default_value = "500",
          .help = "How long DynamoDB tables stay CREATING/UPDATING/DELETING and new indexes CREATING, in "
                  "milliseconds (0: instant)",
          .integer_range = kit::ModuleSetting::Range{0, 3600000},
      },
  };
  // `module` is captured by value: open needs its settings' declarations for the range check.
  module.open = [module](const kit::SettingValues& settings,
                         const kit::ModuleResources&) -> Result<kit::OpenedModule, std::string> {
    auto transition_ms = kit::IntegerSetting(module, settings, "table_transition_ms");
    if (!transition_ms) return Fail(transition_ms.error());
    const std::string spec = settings.at("store");
    const std::string scheme = kit::StoreScheme(spec);
    std::shared_ptr<DynamoDbStore> store;
    kit::OpenedModule opened;
    opened.store_description = WithoutPassword(spec);
    if (scheme == "memory") {
      store = std::make_shared<MemoryDynamoDbStore>();
    } else if (scheme == "redis") {
      MALLARD_ASSIGN_OR_RETURN(auto redis_store, redis::OpenRedisStore<RedisDynamoDbStore>(spec, "DynamoDB backend"));
      store = std::move(redis_store.store);
      opened.probe = std::move(redis_store.probe);
    } else {
      return Fail(kit::UnknownStoreMessage("DynamoDB backend", spec, Stores()));
    }
    DynamoDbOptions options{.table_transition_millis = *transition_ms};
    opened.build = [store, options](const services::ServiceContext& context) {
      return std::vector<std::shared_ptr<services::Service>>{
          std::make_shared<DynamoDbService>(store, context, options),
          std::make_shared<DynamoDbStreamsService>(store, context)};
    };
    return opened;
  };
  return module;
}

}  // namespace mallard::dynamodb
