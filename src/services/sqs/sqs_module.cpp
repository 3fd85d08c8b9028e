#include "services/sqs/sqs_module.hpp"

#include <spdlog/spdlog.h>

#include "common/redaction.hpp"
#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_probe.hpp"
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
    auto endpoint = redis::ParseRedisUrl(spec);
    if (!endpoint) return Fail("invalid SQS backend '" + WithoutPassword(spec) + "': " + endpoint.error());
    auto redis_store = std::make_shared<RedisSqsStore>(*endpoint);
    // A Redis that is down now is not fatal: requests fail with ServiceUnavailable until it is up.
    if (auto reachable = redis_store->Ping(); !reachable) {
      spdlog::warn("sqs backend: {}; requests will fail until Redis answers", reachable.error().detail);
    }
    store = std::move(redis_store);
    opened.probe = redis::RedisProbe(spec, std::chrono::milliseconds(500));
  } else {
    return Fail("unknown SQS backend '" + WithoutPassword(spec) + "'; this build has: " + kit::StoreSyntaxes(Stores()));
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
