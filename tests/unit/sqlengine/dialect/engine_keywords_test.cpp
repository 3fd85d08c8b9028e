// The dialect rewriter's list of the engine's keywords (engine_keywords.cpp, hard-coded from DuckDB
// 1.4.4) against the keywords of the DuckDB this build links: a DuckDB upgrade that adds or drops
// a keyword fails here instead of leaving names unquoted.
#include "sqlengine/dialect/engine_keywords.hpp"

#include <gtest/gtest.h>

#include <set>

#ifdef MALLARD_HAVE_DUCKDB
#include "sqlengine/duckdb/duckdb_sql_engine.hpp"
#endif

namespace mallard::sqlengine::dialect {
namespace {

#ifdef MALLARD_HAVE_DUCKDB
TEST(EngineKeywords, MatchTheLinkedDuckDb) {
  duckdb::DatabaseOptions options;
  options.threads = 1;
  auto engine = duckdb::DuckDbSqlEngine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.error();
  auto rows = (*engine)->SelectAdmin("SELECT keyword_name FROM duckdb_keywords()");
  ASSERT_TRUE(rows.ok()) << rows.error();
  std::set<std::string> live;
  for (const auto& row : *rows) live.insert(row[0].text);
  std::set<std::string> listed(DuckDbKeywords().begin(), DuckDbKeywords().end());
  EXPECT_EQ(listed, live);
}
#endif

TEST(EngineKeywords, AreLowerCase) {
  for (const auto& keyword : DuckDbKeywords()) {
    for (char c : keyword) EXPECT_FALSE(c >= 'A' && c <= 'Z') << keyword;
  }
  EXPECT_TRUE(DuckDbKeywords().count("at"));
  EXPECT_TRUE(DuckDbKeywords().count("last"));
}

}  // namespace
}  // namespace mallard::sqlengine::dialect
