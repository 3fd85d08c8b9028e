#include "services/sns/sns_module.hpp"

#include "common/outbound_http.hpp"
#include "common/redaction.hpp"
#include "infra/redis/redis_store_opening.hpp"
#include "services/sns/memory/memory_sns_store.hpp"
#include "services/sns/redis/redis_sns_store.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {

namespace kit = services::kit;

namespace {

const std::vector<kit::StoreKind>& Stores() {
  static const std::vector<kit::StoreKind> stores = {
      {"memory", "memory"},
      {"redis", "redis://HOST:PORT[/DB][?prefix=NAME]"},
  };
  return stores;
}

Result<kit::OpenedModule, std::string> Open(const kit::SettingValues& settings, const kit::ModuleResources& resources) {
  const std::string spec = settings.at("store");
  const std::string scheme = kit::StoreScheme(spec);
  const std::string queue_policy = settings.at("queue_policy");
  if (queue_policy != "permissive" && queue_policy != "strict") {
    return Fail("invalid SNS queue policy mode '" + queue_policy + "' (--sns-queue-policy): permissive or strict");
  }
  std::shared_ptr<SnsStore> store;
  kit::OpenedModule opened;
  opened.store_description = WithoutPassword(spec);
  if (scheme == "memory") {
    store = std::make_shared<MemorySnsStore>();
  } else if (scheme == "redis") {
    MALLARD_ASSIGN_OR_RETURN(auto redis_store, redis::OpenRedisStore<RedisSnsStore>(spec, "SNS backend"));
    store = std::move(redis_store.store);
    opened.probe = std::move(redis_store.probe);
  } else {
    return Fail(kit::UnknownStoreMessage("SNS backend", spec, Stores()));
  }
  SnsOptions options;
  MALLARD_ASSIGN_OR_RETURN(options.delivery_lease_millis, kit::IntegerSetting(SnsModule(), settings, "delivery_lease_ms"));
  options.http = resources.Find<OutboundHttp>();
  // Made while the server starts and serves: only the first signed delivery or certificate
  // download waits for it. SnsService::Shutdown abandons it.
  options.signer = MessageSigner::GenerateInBackground();
  options.strict_queue_policy = queue_policy == "strict";
  options.store_in_process = scheme == "memory";
  opened.build = [store, options](const services::ServiceContext& context) {
    auto service = std::make_shared<SnsService>(store, context, options);
    service->Start();
    return std::vector<std::shared_ptr<services::Service>>{service};
  };
  return opened;
}

}  // namespace

kit::ServiceModule SnsModule() {
  kit::ServiceModule module;
  module.name = "sns";
  module.service_names = {"sns"};
  module.stores = Stores();
  module.settings = {
      {
          .key = "store",
          .flag = "--backend-sns",
          .env = "MALLARD_BACKEND_SNS",
          .toml_table = "backends",
          .toml_key = "sns",
          .default_value = "memory",
          .help = "SNS backend: memory, or redis://HOST:PORT[/DB][?prefix=NAME] (topics, subscriptions and deliveries "
                  "in flight shared by every server on that Redis and prefix)",
          .integer_range = std::nullopt,
      },
      {
          .key = "queue_policy",
          .flag = "--sns-queue-policy",
          .env = "MALLARD_SNS_QUEUE_POLICY",
          .toml_table = "sns",
          .toml_key = "queue_policy",
          .default_value = "permissive",
          .help = "SNS delivery to SQS: permissive (every subscribed queue receives) or strict (only queues whose "
                  "policy allows the topic, as in AWS)",
          .integer_range = std::nullopt,
      },
      {
          .key = "delivery_lease_ms",
          .flag = "--sns-delivery-lease-ms",
          .env = "MALLARD_SNS_DELIVERY_LEASE_MS",
          .toml_table = "sns",
          .toml_key = "delivery_lease_ms",
          .default_value = "60000",
          .help = "How long a server holds an HTTP/S delivery it is attempting; on a shared store, another server "
                  "takes the delivery over when its server stopped and this much time passed",
          .integer_range = kit::ModuleSetting::Range{1000, 3600000},
      },
  };
  module.open = Open;
  return module;
}

}  // namespace mallard::sns
