#include "services/sts/sts_module.hpp"

#include "common/credential_registry.hpp"
#include "services/sts/sts_service.hpp"

namespace mallard::sts {

namespace kit = services::kit;

kit::ServiceModule StsModule() {
  kit::ServiceModule module;
  module.name = "sts";
  module.service_names = {"sts"};
  module.pool_threads = 1;  // every STS operation runs inline; the pool is its executor's fallback
  module.open = [](const kit::SettingValues&, const kit::ModuleResources& resources) -> Result<kit::OpenedModule, std::string> {
    auto credentials = resources.Find<CredentialRegistry>();
    if (!credentials) return Fail(std::string("sts: the server provides no credential registry"));
    kit::OpenedModule opened;
    opened.store_description = "memory";
    opened.build = [credentials](const services::ServiceContext& context) {
      return std::vector<std::shared_ptr<services::Service>>{
          std::make_shared<StsService>(credentials, context, context.account_of_key)};
    };
    return opened;
  };
  return module;
}

}  // namespace mallard::sts
