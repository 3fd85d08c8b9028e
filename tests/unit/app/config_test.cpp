#include "app/config.hpp"

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

}  // namespace mallard::app
