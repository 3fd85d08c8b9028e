// COPY and UNLOAD on a real DuckDB engine, locked to a temporary S3 root as the server locks it:
// files written here are loaded and compared with the rows written (the reference), UNLOAD's
// files are read back from disk. MALLARD_COPY_UNLOAD_SEED=n replays the random data.
#include "services/redshift_data/redshift_copy_unload.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

namespace mallard::redshift_data {
namespace {

namespace fs = std::filesystem;
using sqlengine::QueryOutcome;

std::uint64_t Seed() {
  const char* text = std::getenv("MALLARD_COPY_UNLOAD_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 20261206;
}

class CopyUnloadEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The engine's own message for a failed COPY/UNLOAD step, when a test fails.
    if (std::getenv("MALLARD_COPY_UNLOAD_DEBUG") != nullptr) spdlog::set_level(spdlog::level::debug);
    root_ = fs::temp_directory_path() / ("mallard-copy-engine-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "bkt");
    fs::create_directories(root_ / ".mallard-s3" / "tmp");
    auto opened = duckdb::DuckDbSqlEngine::Open(duckdb::DatabaseOptions{});
    ASSERT_TRUE(opened.ok()) << opened.error();
    duckdb::SandboxOptions sandbox;
    sandbox.allowed_directories.push_back(root_.string() + "/");
    ASSERT_TRUE((*opened)->Lock(sandbox).ok());
    engine_ = WithCopyUnload(*opened, std::make_shared<services::S3LocalFiles>(root_));
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<QueryOutcome> Run(std::vector<std::string> statements, bool batch = false) {
    sqlengine::QueryRequest request;
    request.statements = std::move(statements);
    request.single_transaction = batch;
    return engine_->Prepare(std::move(request))->Run();
  }
  QueryOutcome One(const std::string& sql) {
    auto outcomes = Run({sql});
    EXPECT_EQ(outcomes.size(), 1u) << sql;
    return outcomes.empty() ? QueryOutcome{} : outcomes.back();
  }
  void Put(const std::string& key, const std::string& body) {
    fs::path path = root_ / "bkt" / key;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << body;
  }
  std::string Get(const std::string& key) {
    std::ifstream in(root_ / "bkt" / key, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // The rows of a query, each cell as text ("NULL" for NULL).
  std::vector<std::string> Rows(const std::string& sql) {
    auto outcome = One(sql);
    EXPECT_TRUE(outcome.succeeded) << sql << ": " << outcome.error_message;
    std::vector<std::string> rows;
    for (const auto& row : outcome.rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        const auto& cell = row[i];
        line += i ? "|" : "";
        switch (cell.kind) {
          case sqlengine::SqlValue::Kind::Null: line += "NULL"; break;
          case sqlengine::SqlValue::Kind::Integer: line += std::to_string(cell.integer); break;
          case sqlengine::SqlValue::Kind::Boolean: line += cell.boolean ? "t" : "f"; break;
          default: line += cell.text; break;
        }
      }
      rows.push_back(line);
    }
    return rows;
  }

  fs::path root_;
  std::shared_ptr<sqlengine::SqlEngine> engine_;
};

TEST_F(CopyUnloadEngineTest, CopiesCsvAndRecordsBadRows) {
  Put("csv/a.csv", "id,name\n1,\"x,y\"\n2,\n3,NULL\n");
  ASSERT_TRUE(One("CREATE TABLE t (id INT, name VARCHAR)").succeeded);
  auto copied = One("COPY t FROM 's3://bkt/csv/' IAM_ROLE default CSV IGNOREHEADER 1 NULL AS 'NULL'");
  ASSERT_TRUE(copied.succeeded) << copied.error_message;
  EXPECT_EQ(copied.rows_affected, 3);
  EXPECT_EQ(Rows("SELECT * FROM t ORDER BY id"), (std::vector<std::string>{"1|x,y", "2|", "3|NULL"}));

  Put("bad/b.csv", "1,a\nzz,b\n3,c\n");
  auto failed = One("COPY t FROM 's3://bkt/bad/' IAM_ROLE default CSV");
  EXPECT_FALSE(failed.succeeded);
  EXPECT_EQ(failed.error_message, "Load into table 't' failed.  Check 'stl_load_errors' system table for details.");
  EXPECT_EQ(Rows("SELECT filename, line_number, colname, raw_field_value, err_code FROM _mallard_redshift_system.stl_load_errors"),
            (std::vector<std::string>{"s3://bkt/bad/b.csv|2|id|zz|1207"}));
  // Redshift's names for the view reach the same rows; another schema's table of that name does not.
  EXPECT_EQ(Rows("SELECT colname FROM stl_load_errors"), (std::vector<std::string>{"id"}));
  EXPECT_EQ(Rows("select e.colname from PG_CATALOG . Stl_Load_Errors e where 'stl_load_errors' <> ''"),
            (std::vector<std::string>{"id"}));
  ASSERT_TRUE(One("CREATE SCHEMA other").succeeded);
  ASSERT_TRUE(One("CREATE TABLE other.stl_load_errors (x INT)").succeeded);
  EXPECT_EQ(Rows("SELECT count(*) FROM other.stl_load_errors"), (std::vector<std::string>{"0"}));
  Put("multi/m.txt", "7|~|seven\n8|~|eight\n");
  auto multi = One("COPY t FROM 's3://bkt/multi/' IAM_ROLE default DELIMITER '|~|'");
  ASSERT_TRUE(multi.succeeded) << multi.error_message;
  EXPECT_EQ(Rows("SELECT name FROM t WHERE id >= 7 ORDER BY id"), (std::vector<std::string>{"seven", "eight"}));
  auto allowed = One("COPY t FROM 's3://bkt/bad/' IAM_ROLE default CSV MAXERROR 1");
  ASSERT_TRUE(allowed.succeeded) << allowed.error_message;
  EXPECT_EQ(allowed.rows_affected, 2);
}

// A record with too few fields, or one too many, is a rejected row like a value that does not
// convert; FILLRECORD lets short records through with NULLs.
TEST_F(CopyUnloadEngineTest, RecordsWithTheWrongFieldCountAreRejectedRows) {
  Put("short/a.csv", "1,a\n2\n3,c,extra\n4,\\N\n5,\"\"\n");
  ASSERT_TRUE(One("CREATE TABLE f (id INT, name VARCHAR)").succeeded);
  auto failed = One("COPY f FROM 's3://bkt/short/' IAM_ROLE default CSV");
  EXPECT_FALSE(failed.succeeded);
  EXPECT_EQ(Rows("SELECT line_number, err_code, err_reason, raw_line FROM stl_load_errors ORDER BY line_number"),
            (std::vector<std::string>{"2|1214|Delimiter not found|2", "3|1216|Extra column(s) found|3,c,extra"}));
  auto allowed = One("COPY f FROM 's3://bkt/short/' IAM_ROLE default CSV MAXERROR 2");
  ASSERT_TRUE(allowed.succeeded) << allowed.error_message;
  EXPECT_EQ(Rows("SELECT * FROM f ORDER BY id"), (std::vector<std::string>{"1|a", "4|NULL", "5|"}));
  ASSERT_TRUE(One("DELETE FROM f").succeeded);
  auto filled = One("COPY f FROM 's3://bkt/short/' IAM_ROLE default CSV FILLRECORD MAXERROR 1");
  ASSERT_TRUE(filled.succeeded) << filled.error_message;
  EXPECT_EQ(Rows("SELECT * FROM f ORDER BY id"), (std::vector<std::string>{"1|a", "2|NULL", "4|NULL", "5|"}));
}

TEST_F(CopyUnloadEngineTest, UnloadsTextAndReloadsParquet) {
  ASSERT_TRUE(One("CREATE TABLE s AS SELECT range AS id, 'n' || range AS name, range % 2 = 0 AS even FROM range(5)").succeeded);
  auto unloaded = One("UNLOAD ('select * from s order by id') TO 's3://bkt/out/s_' IAM_ROLE default");
  ASSERT_TRUE(unloaded.succeeded) << unloaded.error_message;
  EXPECT_EQ(unloaded.rows_affected, 5);
  EXPECT_EQ(Get("out/s_0000_part_00"), "0|n0|t\n1|n1|f\n2|n2|t\n3|n3|f\n4|n4|t\n");
  auto again = One("UNLOAD ('select * from s') TO 's3://bkt/out/s_' IAM_ROLE default");
  EXPECT_FALSE(again.succeeded);
  EXPECT_EQ(again.error_message.rfind("Specified unload destination on S3 is not empty.", 0), 0u);

  auto limited = One("UNLOAD ('select * from s order by id limit 2') TO 's3://bkt/lim/' IAM_ROLE default");
  EXPECT_EQ(limited.error_message, "Limit clause is not supported in the outermost select of an UNLOAD statement");
  auto nested = One("UNLOAD ('select * from (select * from s order by id limit 2)') TO 's3://bkt/lim/' IAM_ROLE default");
  ASSERT_TRUE(nested.succeeded) << nested.error_message;
  EXPECT_EQ(Get("lim/0000_part_00"), "0|n0|t\n1|n1|f\n");
  auto empty = One("UNLOAD ('select * from s where id < 0') TO 's3://bkt/empty/' IAM_ROLE default PARQUET MANIFEST");
  ASSERT_TRUE(empty.succeeded) << empty.error_message;
  EXPECT_FALSE(fs::exists(root_ / "bkt" / "empty"));
  auto parquet = One("UNLOAD ('select * from s') TO 's3://bkt/pq/' IAM_ROLE default PARQUET PARTITION BY (even) MANIFEST");
  ASSERT_TRUE(parquet.succeeded) << parquet.error_message;
  EXPECT_TRUE(fs::exists(root_ / "bkt/pq/even=true/0000_part_00.parquet"));
  EXPECT_TRUE(fs::exists(root_ / "bkt/pq/even=false/0000_part_00.parquet"));
  EXPECT_NE(Get("pq/manifest").find("\"content_length\""), std::string::npos);
  ASSERT_TRUE(One("CREATE TABLE back (id BIGINT, name VARCHAR)").succeeded);
  auto reloaded = One("COPY back FROM 's3://bkt/pq/even=true/' IAM_ROLE default FORMAT AS PARQUET");
  ASSERT_TRUE(reloaded.succeeded) << reloaded.error_message;
  EXPECT_EQ(Rows("SELECT * FROM back ORDER BY id"), (std::vector<std::string>{"0|n0", "2|n2", "4|n4"}));
  // A columnar load that fails tells the client the engine's reason and records nothing.
  ASSERT_TRUE(One("CREATE TABLE narrow (id BIGINT)").succeeded);
  auto mismatch = One("COPY narrow FROM 's3://bkt/pq/even=true/' IAM_ROLE default FORMAT AS PARQUET");
  EXPECT_FALSE(mismatch.succeeded);
  EXPECT_EQ(mismatch.error_message.find("Load into table"), std::string::npos) << mismatch.error_message;
  EXPECT_EQ(Rows("SELECT count(*) FROM stl_load_errors"), (std::vector<std::string>{"0"}));
  auto nulls = One("UNLOAD ('select id, CASE WHEN id = 1 THEN NULL WHEN id = 2 THEN ''NULL'' ELSE ''v'' END AS p from s') "
                   "TO 's3://bkt/np/' IAM_ROLE default CSV PARTITION BY (p) INCLUDE");
  ASSERT_TRUE(nulls.succeeded) << nulls.error_message;
  EXPECT_EQ(Get("np/p=__HIVE_DEFAULT_PARTITION__/0000_part_00"), "1,\n");
  EXPECT_EQ(Get("np/p=NULL/0000_part_00"), "2,NULL\n");
  EXPECT_FALSE(fs::exists(root_ / ".mallard-s3/tmp/redshift-unload-x"));
  EXPECT_TRUE(fs::is_empty(root_ / ".mallard-s3" / "tmp"));
}

// Seeded random rows through CSV and pipe-delimited text, against the rows written.
TEST_F(CopyUnloadEngineTest, RandomRowsRoundTrip) {
  std::mt19937_64 random(Seed());
  const std::string pieces[] = {"a", "b c", "x,y", "say \"hi\"", "it's", "  ", "é", ""};
  ASSERT_TRUE(One("CREATE TABLE r (id INT, name VARCHAR, amount DECIMAL(9,2))").succeeded);
  std::string csv;
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    bool null_name = random() % 10 == 0;
    std::string name;
    for (std::size_t k = 1 + random() % 3; k > 0; --k) name += pieces[random() % std::size(pieces)];
    std::int64_t cents = static_cast<std::int64_t>(random() % 2000000) - 1000000;
    std::string amount = (cents < 0 ? "-" : "") + std::to_string(std::llabs(cents) / 100) + "." +
                         (std::llabs(cents) % 100 < 10 ? "0" : "") + std::to_string(std::llabs(cents) % 100);
    std::string quoted = "\"";
    for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    csv += std::to_string(i) + "," + (null_name ? "NULL" : quoted) + "," + amount + "\n";
    expected.push_back(std::to_string(i) + "|" + (null_name ? "NULL" : name) + "|" + amount);
  }
  Put("rand/data.csv", csv);
  auto copied = One("COPY r FROM 's3://bkt/rand/data' IAM_ROLE default CSV NULL AS 'NULL'");
  ASSERT_TRUE(copied.succeeded) << copied.error_message;
  EXPECT_EQ(Rows("SELECT id, name, CAST(amount AS VARCHAR) FROM r ORDER BY id"), expected);
}

// UNLOAD … ESCAPE [ADDQUOTES] then COPY … ESCAPE [REMOVEQUOTES] gives back values holding the
// delimiter, backslashes, quotes and newlines (seeded random strings against the rows written).
TEST_F(CopyUnloadEngineTest, EscapedTextRoundTrips) {
  std::mt19937_64 random(Seed() + 7);
  const std::string alphabet[] = {"a", "|", "\\", "\n", "\"", "'", " ", "\\N", "é", "x|y"};
  ASSERT_TRUE(One("CREATE TABLE src (id INT, body VARCHAR, other VARCHAR)").succeeded);
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    std::string body;
    for (std::size_t k = random() % 6; k > 0; --k) body += alphabet[random() % std::size(alphabet)];
    bool null_other = random() % 4 == 0;
    std::string literal = "'";
    for (char c : body) literal += c == '\'' ? std::string("''") : std::string(1, c);
    literal += "'";
    ASSERT_TRUE(One("INSERT INTO src VALUES (" + std::to_string(i) + ", " + literal + ", " +
                    (null_other ? "NULL" : "'o" + std::to_string(i) + "'") + ")").succeeded);
    expected.push_back(std::to_string(i) + "|" + body + "|" + (null_other ? "NULL" : "o" + std::to_string(i)));
  }
  for (std::string quotes : {"", " ADDQUOTES"}) {
    std::string prefix = quotes.empty() ? "esc/plain_" : "esc/quoted_";
    auto unloaded = One("UNLOAD ('select * from src') TO 's3://bkt/" + prefix + "' IAM_ROLE default ESCAPE NULL AS 'NIL'" + quotes);
    ASSERT_TRUE(unloaded.succeeded) << unloaded.error_message;
    ASSERT_TRUE(One("CREATE OR REPLACE TABLE dst (id INT, body VARCHAR, other VARCHAR)").succeeded);
    auto copied = One("COPY dst FROM 's3://bkt/" + prefix + "' IAM_ROLE default ESCAPE NULL AS 'NIL'" +
                      (quotes.empty() ? "" : " REMOVEQUOTES"));
    ASSERT_TRUE(copied.succeeded) << copied.error_message;
    EXPECT_EQ(copied.rows_affected, 200);
    EXPECT_EQ(Rows("SELECT * FROM dst ORDER BY id"), expected) << quotes;
  }
}

// MAXFILESIZE splits the output into parts named 0000_part_00, 0000_part_01, …; PARALLEL OFF
// names them 000, 001, …; together they hold every row once.
TEST_F(CopyUnloadEngineTest, MaxFileSizeSplitsIntoNumberedParts) {
  ASSERT_TRUE(One("CREATE TABLE big AS SELECT range AS id, repeat('x', 40) AS pad FROM range(300000)").succeeded);
  for (bool parallel : {true, false}) {
    std::string prefix = parallel ? "big/p_" : "big/s_";
    auto unloaded = One("UNLOAD ('select * from big') TO 's3://bkt/" + prefix + "' IAM_ROLE default MAXFILESIZE 5 MB" +
                        (parallel ? "" : " PARALLEL OFF") + " MANIFEST VERBOSE");
    ASSERT_TRUE(unloaded.succeeded) << unloaded.error_message;
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root_ / "bkt" / "big")) {
      std::string name = entry.path().filename().string();
      if (name.rfind(prefix.substr(4), 0) == 0) names.push_back(name.substr(2));
    }
    std::sort(names.begin(), names.end());
    ASSERT_GE(names.size(), 3u);  // ~14 MB in 5 MB parts, and the manifest
    EXPECT_EQ(names.back(), "manifest");
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
      std::string want = parallel ? "0000_part_" + std::string(i < 10 ? "0" : "") + std::to_string(i)
                                  : std::string(i < 10 ? "00" : "0") + std::to_string(i);
      EXPECT_EQ(names[i], want);
      EXPECT_LE(fs::file_size(root_ / "bkt" / "big" / (prefix.substr(4) + names[i])), 6u * 1024 * 1024);
    }
    EXPECT_NE(Get(prefix + "manifest").find("\"record_count\":300000"), std::string::npos);
    ASSERT_TRUE(One("CREATE OR REPLACE TABLE again (id BIGINT, pad VARCHAR)").succeeded);
    auto copied = One("COPY again FROM 's3://bkt/" + prefix + "0' IAM_ROLE default");
    ASSERT_TRUE(copied.succeeded) << copied.error_message;
    EXPECT_EQ(Rows("SELECT count(*), count(DISTINCT id), max(id) FROM again"), (std::vector<std::string>{"300000|300000|299999"}));
  }
}

// An IDENTITY column (as the Redshift dialect makes it: a DEFAULT from a sequence named
// …_identity_seq) takes generated values unless EXPLICIT_IDS; the data fills the other columns.
TEST_F(CopyUnloadEngineTest, IdentityColumnsAreSkippedUnlessExplicitIds) {
  ASSERT_TRUE(One("CREATE SEQUENCE \"ids_id_identity_seq\" START WITH 100 INCREMENT BY 1").succeeded);
  ASSERT_TRUE(One("CREATE TABLE ids (id BIGINT DEFAULT nextval('ids_id_identity_seq'), name VARCHAR)").succeeded);
  Put("ids/a.txt", "ann\nbob\n");
  auto copied = One("COPY ids FROM 's3://bkt/ids/a' IAM_ROLE default");
  ASSERT_TRUE(copied.succeeded) << copied.error_message;
  EXPECT_EQ(Rows("SELECT * FROM ids ORDER BY id"), (std::vector<std::string>{"100|ann", "101|bob"}));
  Put("ids2/b.txt", "7|cy\n");
  auto explicit_ids = One("COPY ids FROM 's3://bkt/ids2/' IAM_ROLE default EXPLICIT_IDS");
  ASSERT_TRUE(explicit_ids.succeeded) << explicit_ids.error_message;
  EXPECT_EQ(Rows("SELECT * FROM ids ORDER BY id"), (std::vector<std::string>{"7|cy", "100|ann", "101|bob"}));
}

// UNLOAD's SELECT goes inside the engine's COPY (…) TO: a query that closes those brackets, ends
// the statement or leaves a comment or string open is refused, and nothing is written.
TEST_F(CopyUnloadEngineTest, UnloadQueriesCannotBreakOutOfTheirCopy) {
  const std::string escapes[] = {
      "select 1) AS q) TO ''" + (root_ / "bkt" / "evil.csv").string() + "'' (FORMAT csv) --",
      "select 1) AS q) TO ''" + (root_ / ".mallard-s3" / "evil").string() + "'' (FORMAT csv) /*",
      "select 1; select 2",
      "select ''x",
      "select 1)",
      "select (1",
  };
  for (const auto& query : escapes) {
    auto outcome = One("UNLOAD ('" + query + "') TO 's3://bkt/evil/' IAM_ROLE default");
    EXPECT_FALSE(outcome.succeeded) << query;
  }
  EXPECT_FALSE(fs::exists(root_ / "bkt" / "evil.csv"));
  EXPECT_FALSE(fs::exists(root_ / ".mallard-s3" / "evil"));
  EXPECT_FALSE(fs::exists(root_ / "bkt" / "evil"));
  auto fine = One("UNLOAD ('select '') ; -- ( /*'' AS s -- ) ;\n') TO 's3://bkt/fine/' IAM_ROLE default");
  ASSERT_TRUE(fine.succeeded) << fine.error_message;
  EXPECT_EQ(Get("fine/0000_part_00"), ") ; -- ( /*\n");
}

// DATEFORMAT / TIMEFORMAT: Redshift's patterns, 'auto' and epoch seconds/milliseconds; a value the
// pattern does not read is a rejected row.
TEST_F(CopyUnloadEngineTest, DateAndTimeFormats) {
  ASSERT_TRUE(One("CREATE TABLE dt (d DATE, t TIMESTAMP)").succeeded);
  Put("dt/a.txt", "01/02/2024|2024-03-04 05:06:07\n12/31/1999|1999-12-31 23:59:59\n");
  auto patterned = One("COPY dt FROM 's3://bkt/dt/' IAM_ROLE default DATEFORMAT 'MM/DD/YYYY' TIMEFORMAT 'YYYY-MM-DD HH24:MI:SS'");
  ASSERT_TRUE(patterned.succeeded) << patterned.error_message;
  Put("ep/a.txt", "2024-01-02|1700000000\n");
  auto epoch = One("COPY dt FROM 's3://bkt/ep/' IAM_ROLE default DATEFORMAT 'auto' TIMEFORMAT 'epochsecs'");
  ASSERT_TRUE(epoch.succeeded) << epoch.error_message;
  Put("ms/a.txt", "2024-01-03|1700000000123\n");
  auto millis = One("COPY dt FROM 's3://bkt/ms/' IAM_ROLE default TIMEFORMAT AS 'epochmillisecs'");
  ASSERT_TRUE(millis.succeeded) << millis.error_message;
  EXPECT_EQ(Rows("SELECT CAST(d AS VARCHAR), CAST(t AS VARCHAR) FROM dt ORDER BY d"),
            (std::vector<std::string>{"1999-12-31|1999-12-31 23:59:59", "2024-01-02|2024-03-04 05:06:07",
                                      "2024-01-02|2023-11-14 22:13:20", "2024-01-03|2023-11-14 22:13:20.123"}));
  Put("baddt/a.txt", "2024-01-02|x\n");
  EXPECT_FALSE(One("COPY dt FROM 's3://bkt/baddt/' IAM_ROLE default DATEFORMAT 'MM/DD/YYYY'").succeeded);
}

// A text that holds COPY/UNLOAD among other statements runs them in order, as one statement: its
// result is the last statement's, or its first failure.
TEST_F(CopyUnloadEngineTest, TextsWithSeveralStatements) {
  Put("s/a.csv", "1\n2\n3\n");
  ASSERT_TRUE(One("CREATE TABLE s (v INT)").succeeded);
  ASSERT_TRUE(One("INSERT INTO s VALUES (100)").succeeded);
  auto loaded = One("TRUNCATE s; COPY s FROM 's3://bkt/s/' IAM_ROLE default CSV;");
  ASSERT_TRUE(loaded.succeeded) << loaded.error_message;
  EXPECT_EQ(loaded.rows_affected, 3);
  auto counted = One("COPY s FROM 's3://bkt/s/' IAM_ROLE default CSV; SELECT count(*) AS n FROM s");
  ASSERT_TRUE(counted.succeeded) << counted.error_message;
  ASSERT_EQ(counted.rows.size(), 1u);
  EXPECT_EQ(counted.rows[0][0].integer, 6);
  auto unloaded = One("UNLOAD ('select v, \\'a;b\\' AS t from s where v = 1') TO 's3://bkt/so/' IAM_ROLE default; SELECT 7");
  ASSERT_TRUE(unloaded.succeeded) << unloaded.error_message;
  EXPECT_EQ(Get("so/0000_part_00"), "1|a;b\n1|a;b\n");
  auto failed = One("DELETE FROM s; COPY s FROM 's3://bkt/none' IAM_ROLE default; DELETE FROM s");
  EXPECT_FALSE(failed.succeeded);
  EXPECT_EQ(failed.error_message, "The specified S3 prefix 'none' does not exist");
  EXPECT_EQ(Rows("SELECT count(*) FROM s"), (std::vector<std::string>{"0"}));  // the first DELETE ran
}

TEST_F(CopyUnloadEngineTest, BatchWithCopyIsOneTransaction) {
  Put("b/1.csv", "1\n2\n");
  Put("bad/1.csv", "x\n");
  auto batch = Run({"CREATE TABLE b (v INT)", "COPY b FROM 's3://bkt/b/' IAM_ROLE default CSV", "SELECT sum(v) FROM b"}, true);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_TRUE(batch[1].succeeded) << batch[1].error_message;
  EXPECT_EQ(batch[1].rows_affected, 2);
  auto failed = Run({"INSERT INTO b VALUES (10)", "COPY b FROM 's3://bkt/bad/' IAM_ROLE default CSV"}, true);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_FALSE(failed[1].succeeded);
  EXPECT_EQ(Rows("SELECT count(*) FROM b"), (std::vector<std::string>{"2"}));
  auto missing = Run({"COPY b FROM 's3://bkt/none' IAM_ROLE default"});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].error_message, "The specified S3 prefix 'none' does not exist");
}

}  // namespace
}  // namespace mallard::redshift_data
