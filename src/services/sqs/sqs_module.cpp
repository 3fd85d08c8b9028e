#include "services/sqs/sqs_module.hpp"

#include "common/redaction.hpp"
#include "infra/redis/redis_store_opening.hpp"
#include "services/sqs/memory/memory_sqs_store.hpp"
#include "services/sqs/redis/redis_sqs_store.hpp"
#include "services/sqs/sqs_service.hpp"

namespace mallard::sqs {

namespace kit = services::kit;

namespace {

const std::vector<kit::StoreKind>& Stores() {
  static const std::vector<kit::StoreKind> stores = {
      {"memory", "memory"},
      {"redis", "redis://HOST:PORT[/DB][?prefix=NAME]"},
  };
  return stores;
}

Result<kit::OpenedModule, std::string> Open(const kit::SettingValues& settings, const kit::ModuleResources&) {
  const std::string spec = settings.at("store");
  const std::string scheme = kit::StoreScheme(spec);
  std::shared_ptr<SqsStore> store;
  kit::OpenedModule opened;
  opened.store_description = WithoutPassword(spec);
  if (scheme == "memory") {
    store = std::make_shared<MemorySqsStore>();
  } else if (scheme == "redis") {
    MALLARD_ASSIGN_OR_RETURN(auto redis_store, redis::OpenRedisStore<RedisSqsStore>(spec, "SQS backend"));
    store = std::move(redis_store.store);
    opened.probe = std::move(redis_store.probe);
  } else {
    return Fail(kit::UnknownStoreMessage("SQS backend", spec, Stores()));
  }
  opened.build = [store](const services::ServiceContext& context) {
    return std::vector<std::shared_ptr<services::Service>>{std::make_shared<SqsService>(store, context)};
  };
  return opened;
}

}  // namespace

kit::ServiceModule SqsModule() {
  kit::ServiceModule module;
  module.name = "sqs";
  module.service_names = {"sqs"};
  module.stores = Stores();
  module.settings = {{
      .key = "store",
      .flag = "--backend-sqs",
      .env = "MALLARD_BACKEND_SQS",
      .toml_table = "backends",
      .toml_key = "sqs",
      .default_value = "memory",
      .help = "SQS backend: memory, or redis://HOST:PORT[/DB][?prefix=NAME] (state shared by every server on that "
              "Redis and prefix)",
      .integer_range = std::nullopt,
  }};
  module.open = Open;
  return module;
}

}  // namespace mallard::sqs
