// The README must stay true for every module of the registry: every operation a service answers is
// named in its section of "Supported operations", and every module setting (flag, environment
// variable, TOML key) and store kind is in the Configuration table. A new module is checked the
// moment it is added to app/service_registry.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app/service_registry.hpp"
#include "common/credential_registry.hpp"
#include "sqlengine/memory/memory_sql_engine.hpp"

namespace mallard {

namespace {

std::string ReadmeText() {
  std::ifstream file(MALLARD_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << file.rdbuf();
  return readme.str();
}

// The text between `## heading` and the next `## ` heading.
std::string Section(const std::string& readme, const std::string& heading) {
  auto start = readme.find("\n## " + heading);
  if (start == std::string::npos) return {};
  auto end = readme.find("\n## ", start + 1);
  return readme.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The `### ` subsections of "Supported operations" whose heading names the service's protocol
// prefix (`AmazonSQS.*`, `DynamoDBStreams_20120810.*`) or begins with its name (`### STS (…`).
std::string ServiceText(const std::string& operations, const services::ServiceDescriptor& descriptor) {
  std::string text;
  for (auto start = operations.find("\n### "); start != std::string::npos;) {
    auto end = operations.find("\n### ", start + 1);
    std::string subsection = operations.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string heading = subsection.substr(0, subsection.find('\n', 1));
    std::string upper_name;
    for (char c : descriptor.name) upper_name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool names_it = heading.rfind("\n### " + upper_name + " ", 0) == 0 ||
                    (!descriptor.json_target_prefix.empty() &&
                     heading.find("`" + descriptor.json_target_prefix + ".*`") != std::string::npos);
    if (names_it) text += subsection;
    start = end;
  }
  return text;
}

std::vector<std::shared_ptr<services::Service>> AllServices() {
  services::kit::ModuleResources resources;
  resources.Provide(std::make_shared<CredentialRegistry>());
  resources.Provide<sqlengine::SqlEngine>(std::make_shared<sqlengine::MemorySqlEngine>());
  std::vector<std::shared_ptr<services::Service>> services;
  for (const auto& module : app::BuiltInModules()) {
    services::kit::SettingValues defaults;
    for (const auto& setting : module.settings) defaults[setting.key] = setting.default_value;
    auto opened = module.open(defaults, resources);
    EXPECT_TRUE(opened.ok()) << module.name << ": " << (opened.ok() ? "" : opened.error());
    if (!opened.ok()) continue;
    for (auto& service : opened->build(services::ServiceContext{})) services.push_back(std::move(service));
  }
  return services;
}

}  // namespace

TEST(ReadmeOperationsTest, EveryOperationOfEveryServiceIsListedInItsSection) {
  const std::string operations = Section(ReadmeText(), "Supported operations");
  ASSERT_FALSE(operations.empty()) << "README.md has no '## Supported operations'";
  auto services = AllServices();
  ASSERT_GE(services.size(), 6u);
  for (const auto& service : services) {
    const auto& descriptor = service->Descriptor();
    const std::string text = ServiceText(operations, descriptor);
    EXPECT_FALSE(text.empty()) << "no subsection of 'Supported operations' names " << descriptor.name;
    for (const auto& operation : descriptor.operations) {
      EXPECT_NE(text.find(operation), std::string::npos)
          << descriptor.name << "." << operation << " is missing from its README section";
    }
  }
}

TEST(ReadmeOperationsTest, EveryModuleSettingAndStoreIsInTheConfigurationTable) {
  const std::string configuration = Section(ReadmeText(), "Configuration");
  ASSERT_FALSE(configuration.empty());
  for (const auto& module : app::BuiltInModules()) {
    for (const auto& setting : module.settings) {
      auto row_start = configuration.find("| `" + setting.flag);
      ASSERT_NE(row_start, std::string::npos) << setting.flag << " is missing from README's Configuration table";
      std::string row = configuration.substr(row_start, configuration.find('\n', row_start) - row_start);
      EXPECT_NE(row.find("`" + setting.env + "`"), std::string::npos) << setting.flag << ": " << setting.env;
      EXPECT_NE(row.find("`[" + setting.toml_table + "] " + setting.toml_key + "`"), std::string::npos)
          << setting.flag << ": [" << setting.toml_table << "] " << setting.toml_key;
      EXPECT_NE(row.find("`" + setting.default_value), std::string::npos) << setting.flag << ": default";
      if (setting.key != "store") continue;
      for (const auto& store : module.stores) {
        EXPECT_NE(row.find(store.scheme), std::string::npos) << setting.flag << ": store " << store.scheme;
      }
    }
  }
}

}  // namespace mallard
