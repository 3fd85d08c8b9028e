#include "services/redshift_data/redshift_data_module.hpp"

#include "services/redshift_data/redshift_data_service.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::redshift_data {

namespace kit = services::kit;

kit::ServiceModule RedshiftDataModule() {
  kit::ServiceModule module;
  module.name = "redshift-data";
  module.service_names = {"redshift-data"};
  module.open = [](const kit::SettingValues&, const kit::ModuleResources& resources) -> Result<kit::OpenedModule, std::string> {
    auto engine = resources.Find<sqlengine::SqlEngine>();
    if (!engine) return Fail(std::string("redshift-data: the server provides no SQL engine"));
    kit::OpenedModule opened;
    opened.store_description = engine->Name();
    opened.build = [engine](const services::ServiceContext& context) {
      return std::vector<std::shared_ptr<services::Service>>{std::make_shared<RedshiftDataService>(engine, context)};
    };
    return opened;
  };
  return module;
}

}  // namespace mallard::redshift_data
