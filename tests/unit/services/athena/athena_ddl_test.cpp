// Athena's database DDL reader: what it accepts, what it leaves to the engine, what it refuses, and
// the engine statement it makes (a schema, never an ATTACH).
#include <gtest/gtest.h>

#include "services/athena/athena_ddl.hpp"

namespace mallard::athena {
namespace {

TEST(AthenaDdlTest, CreateDatabaseWithEveryClause) {
  auto parse = ParseDatabaseDdl(
      "create database if not exists `Sales_DB` -- note\n COMMENT 'it''s sales' LOCATION 's3://b/p/' "
      "WITH DBPROPERTIES ('a' = '1', 'b' = '2');");
  ASSERT_TRUE(parse.ddl) << parse.error;
  EXPECT_TRUE(parse.ddl->create);
  EXPECT_TRUE(parse.ddl->if_clause);
  EXPECT_EQ(parse.ddl->database, "sales_db");
  EXPECT_EQ(parse.ddl->comment, "it's sales");
  EXPECT_EQ(EngineStatement(*parse.ddl, "sales_db"), "CREATE SCHEMA IF NOT EXISTS \"sales_db\"");
}

TEST(AthenaDdlTest, DropDatabaseForms) {
  auto cascade = ParseDatabaseDdl("DROP SCHEMA IF EXISTS Db1 CASCADE");
  ASSERT_TRUE(cascade.ddl);
  EXPECT_FALSE(cascade.ddl->create);
  EXPECT_EQ(EngineStatement(*cascade.ddl, "db1"), "DROP SCHEMA IF EXISTS \"db1\" CASCADE");
  auto restrict_ = ParseDatabaseDdl("/* c */ DROP DATABASE db1 RESTRICT");
  ASSERT_TRUE(restrict_.ddl);
  EXPECT_EQ(EngineStatement(*restrict_.ddl, "db1"), "DROP SCHEMA \"db1\"");
}

TEST(AthenaDdlTest, OtherStatementsAreNotDatabaseDdl) {
  for (const char* sql : {"SELECT 1", "CREATE TABLE t (a INT)", "DROP TABLE t", "CREATE OR REPLACE SCHEMA s",
                          "CREATE SCHEMA lake.s", "CREATE SCHEMA a; CREATE TABLE a.t (x INT)", ""}) {
    auto parse = ParseDatabaseDdl(sql);
    EXPECT_FALSE(parse.ddl) << sql;
    EXPECT_TRUE(parse.error.empty()) << sql;
  }
}

TEST(AthenaDdlTest, MalformedCreateDatabaseIsAnError) {
  for (const char* sql : {"CREATE DATABASE", "CREATE DATABASE IF EXISTS x", "DROP DATABASE IF NOT EXISTS x",
                          "CREATE DATABASE `unterminated", "CREATE DATABASE x COMMENT", "CREATE DATABASE x y",
                          "CREATE DATABASE `x'; ATTACH '/tmp/escape.db`", "CREATE DATABASE `a b`",
                          "CREATE DATABASE x WITH DBPROPERTIES ('a')", "DROP DATABASE x; DROP DATABASE y"}) {
    auto parse = ParseDatabaseDdl(sql);
    EXPECT_FALSE(parse.ddl) << sql;
    EXPECT_FALSE(parse.error.empty()) << sql;
  }
  EXPECT_FALSE(ParseDatabaseDdl("CREATE DATABASE " + std::string(256, 'a')).error.empty());
  EXPECT_TRUE(ParseDatabaseDdl("CREATE DATABASE " + std::string(255, 'a')).ddl);
}

TEST(AthenaDdlTest, HyphenOnlyBetweenBackticksAndQuotesAreEscaped) {
  EXPECT_TRUE(ParseDatabaseDdl("CREATE DATABASE `my-db`").ddl);
  EXPECT_FALSE(ParseDatabaseDdl("CREATE DATABASE my-db").ddl);
  DatabaseDdl ddl;
  ddl.database = "x\"y";
  EXPECT_EQ(EngineStatement(ddl, "x\"y"), "CREATE SCHEMA \"x\"\"y\"");
}

}  // namespace
}  // namespace mallard::athena
