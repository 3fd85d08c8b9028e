#include "services/athena/athena_module.hpp"

#include "services/athena/athena_service.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::athena {

namespace kit = services::kit;

kit::ServiceModule AthenaModule() {
  kit::ServiceModule module;
  module.name = "athena";
  module.service_names = {"athena"};
  module.open = [](const kit::SettingValues&, const kit::ModuleResources& resources) -> Result<kit::OpenedModule, std::string> {
    auto engine = resources.Find<sqlengine::SqlEngine>();
    if (!engine) return Fail(std::string("athena: the server provides no SQL engine"));
    kit::OpenedModule opened;
    opened.store_description = engine->Name();
    opened.build = [engine](const services::ServiceContext& context) {
      return std::vector<std::shared_ptr<services::Service>>{std::make_shared<AthenaService>(engine, context)};
    };
    return opened;
  };
  return module;
}

}  // namespace mallard::athena
