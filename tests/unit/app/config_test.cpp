#include "app/config.hpp"
#include "app/server_builder.hpp"
#include "app/service_registry.hpp"
#include "common/credential_registry.hpp"
#include "sqlengine/memory/memory_sql_engine.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace mallard::app {

// Flag beats environment variable beats TOML file beats default.
TEST(ConfigTest, LayersFlagOverEnvironmentOverFile) {
  std::string path = ::testing::TempDir() + "/mallard_config_test.toml";
  {
    std::ofstream file(path);
    file << "[server]\nport = 1111\nthreads = 3\nlog_level = \"warn\"\nhost = \"0.0.0.0\"\n"
            "[aws.accounts]\nAKIAFILE = \"123456789012\"\n";
  }
  ::setenv("MALLARD_THREADS", "5", 1);
  ::setenv("MALLARD_LOG_LEVEL", "error", 1);
  CLI::App command;
  ServeConfig config;
  AddServeOptions(command, config);
  std::vector<std::string> args = {"--config", path, "--log-level", "debug"};
  std::reverse(args.begin(), args.end());
  command.parse(args);
  ASSERT_EQ(ApplyConfigFile(command, config), "");
  ::unsetenv("MALLARD_THREADS");
  ::unsetenv("MALLARD_LOG_LEVEL");
  EXPECT_EQ(config.log_level, "debug");  // flag over environment and file
  EXPECT_EQ(config.threads, 5);          // environment over file
  EXPECT_EQ(config.port, 1111);          // file over default
  EXPECT_EQ(config.host, "0.0.0.0");
  EXPECT_EQ(config.default_region, "us-east-1");  // default
  std::map<std::string, std::string> accounts;
  ASSERT_EQ(ParseAccountMap(config.account_map, accounts), "");
  EXPECT_EQ(accounts.at("AKIAFILE"), "123456789012");
}

// --ddb-table-transition-ms: 500 ms by default; flag over MALLARD_DDB_TABLE_TRANSITION_MS over
// [dynamodb] table_transition_ms.
TEST(ConfigTest, TableTransitionTimeLayers) {
  auto parse = [](std::vector<std::string> args, const char* toml, const char* env) {
    std::string path = ::testing::TempDir() + "/mallard_transition_test.toml";
    std::ofstream(path) << toml;
    if (env) ::setenv("MALLARD_DDB_TABLE_TRANSITION_MS", env, 1);
    CLI::App command;
    ServeConfig config;
    AddServeOptions(command, config);
    args.insert(args.begin(), {"--config", path});
    std::reverse(args.begin(), args.end());
    command.parse(args);
    EXPECT_EQ(ApplyConfigFile(command, config), "");
    ::unsetenv("MALLARD_DDB_TABLE_TRANSITION_MS");
    return config.module_settings.at("dynamodb").at("table_transition_ms");
  };
  EXPECT_EQ(parse({}, "", nullptr), "500");
  EXPECT_EQ(parse({}, "[dynamodb]\ntable_transition_ms = 20\n", nullptr), "20");
  EXPECT_EQ(parse({}, "[dynamodb]\ntable_transition_ms = 20\n", "0"), "0");
  EXPECT_EQ(parse({"--ddb-table-transition-ms", "7"}, "[dynamodb]\ntable_transition_ms = 20\n", "0"), "7");
}

// A TOML value never passes the option parser's range check, so the module checks it when it opens:
// before issue 16 an out-of-range [dynamodb] table_transition_ms was taken as given.
TEST(ConfigTest, ModuleSettingsFromTheFileAreCheckedWhenTheModuleOpens) {
  std::string path = ::testing::TempDir() + "/mallard_module_settings_test.toml";
  std::ofstream(path) << "[dynamodb]\ntable_transition_ms = 3600001\n[backends]\nsqs = \"memcached://x\"\n";
  CLI::App command;
  ServeConfig config;
  AddServeOptions(command, config);
  command.parse(std::vector<std::string>{path, "--config"});
  ASSERT_EQ(ApplyConfigFile(command, config), "");
  services::kit::ModuleResources resources;
  resources.Provide(std::make_shared<CredentialRegistry>());
  resources.Provide<sqlengine::SqlEngine>(std::make_shared<sqlengine::MemorySqlEngine>());
  auto dynamodb_only = config.module_settings;
  dynamodb_only.erase("sqs");
  auto opened = OpenModules(BuiltInModules(), dynamodb_only, resources);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("--ddb-table-transition-ms"), std::string::npos) << opened.error();
  auto sqs_only = config.module_settings;
  sqs_only.erase("dynamodb");
  opened = OpenModules(BuiltInModules(), sqs_only, resources);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("unknown SQS backend 'memcached://x'"), std::string::npos) << opened.error();
  EXPECT_NE(opened.error().find("redis://HOST:PORT[/DB][?prefix=NAME]"), std::string::npos) << opened.error();
  // A TOML value of the wrong type is named, not ignored.
  std::ofstream(path) << "[dynamodb]\ntable_transition_ms = [1]\n";
  CLI::App again;
  ServeConfig wrong_type;
  AddServeOptions(again, wrong_type);
  again.parse(std::vector<std::string>{path, "--config"});
  EXPECT_NE(ApplyConfigFile(again, wrong_type).find("table_transition_ms"), std::string::npos);
}

TEST(ConfigTest, RejectsBadAccountMapAndBadFile) {
  std::map<std::string, std::string> accounts;
  EXPECT_NE(ParseAccountMap({"KEY=123"}, accounts), "");
  EXPECT_NE(ParseAccountMap({"=123456789012"}, accounts), "");
  CLI::App command;
  ServeConfig config;
  AddServeOptions(command, config);
  command.parse(std::vector<std::string>{"/nonexistent/mallard.toml", "--config"});
  EXPECT_NE(ApplyConfigFile(command, config), "");
}

// Passwords never reach a log line or an error message, whatever form the spec takes.
TEST(ConfigTest, WithoutPasswordMasksEveryForm) {
  EXPECT_EQ(WithoutPassword("redis://:s3cret@127.0.0.1:6379/0"), "redis://:***@127.0.0.1:6379/0");
  EXPECT_EQ(WithoutPassword("redis://user:s3cret@host/0?prefix=a"), "redis://user:***@host/0?prefix=a");
  EXPECT_EQ(WithoutPassword("redis://user:p@ss:w/rd@host:99999"), "redis://user:***@host:99999");
  EXPECT_EQ(WithoutPassword("postgres://u:s3cret@db:5432/lake?sslmode=disable"), "postgres://u:***@db:5432/lake?sslmode=disable");
  EXPECT_EQ(WithoutPassword("postgresql://db/lake?user=u&password=s3cret&sslmode=disable"),
            "postgresql://db/lake?user=u&password=***&sslmode=disable");
  EXPECT_EQ(WithoutPassword("postgresql://db/lake?Password=s3cret"), "postgresql://db/lake?Password=***");
  EXPECT_EQ(WithoutPassword("host=db password=s3cret dbname=lake"), "host=db password=*** dbname=lake");
  EXPECT_EQ(WithoutPassword("host=db password = 's3 c\\'ret' dbname=lake"), "host=db password =*** dbname=lake");
  EXPECT_EQ(WithoutPassword("postgres:password=s3cret host=db"), "postgres:password=*** host=db");
  EXPECT_EQ(WithoutPassword("host=db\tPASSWORD=s3cret"), "host=db\tPASSWORD=***");
  // Nothing to mask: left as it is (a file path, a URL without credentials, a look-alike key).
  EXPECT_EQ(WithoutPassword("/var/lib/lake.duckdb"), "/var/lib/lake.duckdb");
  EXPECT_EQ(WithoutPassword("redis://127.0.0.1:6379/0?prefix=a@b"), "redis://127.0.0.1:6379/0?prefix=a@b");
  EXPECT_EQ(WithoutPassword("host=db mypassword=x"), "host=db mypassword=x");
  EXPECT_EQ(WithoutPassword("password"), "password");
  EXPECT_EQ(WithoutPassword(""), "");
  // A value that runs to the end, or an unterminated quote, is masked to the end.
  EXPECT_EQ(WithoutPassword("password='abc"), "password=***");
  EXPECT_EQ(WithoutPassword("password="), "password=***");
}

}  // namespace mallard::app
