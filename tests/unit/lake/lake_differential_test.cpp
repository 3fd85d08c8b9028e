// Differential, randomised test of the lake. A long seeded sequence of changes — appends of small
// and large batches, deletes by key and by a non-key column, updates as delete+insert, several
// changes in one transaction, truncation, compaction (whole and filtered by file size, also in the
// transaction that deletes), snapshot expiry with file cleanup, added (with and without default),
// dropped, renamed and widened columns, dropped and re-created tables, reopening the catalog — is applied to
// the lake and to a reference kept in plain DuckDB. The reference is a history table per lake
// table: every row version with the snapshot that created it and the one that ended it, so "the
// table at snapshot S" is one WHERE clause, independent of how the lake lays out files, deletes,
// row ids or statistics.
//
// After every step the lake's latest snapshot must equal the reference (rows as a multiset, column
// names and types), so is an earlier snapshot chosen at random, and every snapshot the lake still
// keeps is checked every 100 steps, after expiry, after reopening and at the end. The lake's list
// of snapshots must be the model's.
//
// Reproduce a failure with the seed it prints: MALLARD_LAKE_DIFF_SEEDS=<seed>. Soak:
// MALLARD_LAKE_DIFF_STEPS=5000 MALLARD_LAKE_DIFF_SEEDS=1-20. Runs on the DuckDB-file catalog and,
// under tests/support/with_postgres.sh, on a PostgreSQL catalog.
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>

#include "lake_test_fixture.hpp"

namespace mallard::lake {
namespace {

struct ColumnModel {
  std::string name;      // as the lake names it now
  std::string internal;  // the reference history table's column (never renamed)
  std::string type;      // as DuckDB's DESCRIBE prints it
  bool key = false;
};

struct TableModel {
  std::string name;
  std::string history;  // a dropped and re-created table starts a new history table
  std::vector<ColumnModel> columns;
  int next_internal = 0;
  bool composite_key = false;
  std::int64_t next_key = 0;
};

// One table as it was at one snapshot.
struct TableAt {
  std::string history;
  std::vector<ColumnModel> columns;
};
using SnapshotModel = std::map<std::string, TableAt>;

const std::vector<std::string> kAddableTypes = {"INTEGER", "BIGINT", "VARCHAR", "DOUBLE", "DECIMAL(10,2)",
                                                "DATE",    "BOOLEAN", "TIMESTAMP"};

std::string DefaultLiteral(const std::string& type, std::mt19937_64& random) {
  int pick = static_cast<int>(random() % 1000);
  if (type == "INTEGER" || type == "BIGINT") return std::to_string(pick - 500);
  if (type == "VARCHAR") return pick % 2 ? "'free'" : "'d" + std::to_string(pick) + "'";
  if (type == "DOUBLE") return std::to_string(pick) + ".5";
  if (type == "DECIMAL(10,2)") return std::to_string(pick) + ".25";
  if (type == "DATE") return "'2024-0" + std::to_string(1 + pick % 9) + "-1" + std::to_string(pick % 10) + "'";
  if (type == "BOOLEAN") return pick % 2 ? "true" : "false";
  return "'2023-05-0" + std::to_string(1 + pick % 9) + " 12:34:56.789'";  // TIMESTAMP
}

// A deterministic value of `type` for row `i` (a column of the generating SELECT) and `salt`.
std::string ValueExpression(const std::string& type, std::uint64_t salt, int column) {
  std::string h = "hash(i, " + std::to_string(salt) + "::UBIGINT, " + std::to_string(column) + ")";
  if (type == "INTEGER") return "CASE WHEN " + h + " % 7 = 0 THEN NULL ELSE (" + h + " % 2000)::INTEGER - 1000 END";
  if (type == "BIGINT") return "CASE WHEN " + h + " % 13 = 0 THEN NULL ELSE (" + h + " % 1000000000000)::BIGINT END";
  if (type == "VARCHAR") {
    return "CASE WHEN " + h + " % 9 = 0 THEN NULL WHEN " + h + " % 61 = 1 THEN repeat('x', 1000 + (" + h +
           " % 3000)::INTEGER) || (" + h + " % 100)::VARCHAR WHEN " + h + " % 17 = 2 THEN 'é€' || (" + h +
           " % 1000)::VARCHAR ELSE 'v' || (" + h + " % 100000)::VARCHAR END";
  }
  if (type == "DOUBLE") return "CASE WHEN " + h + " % 11 = 0 THEN NULL ELSE (" + h + " % 1000000)::DOUBLE / 7 END";
  if (type.rfind("DECIMAL(", 0) == 0) {
    return "CASE WHEN " + h + " % 10 = 0 THEN NULL ELSE CAST(((" + h + " % 2000000)::BIGINT - 1000000) * 0.01 AS " + type + ") END";
  }
  if (type == "DATE") return "CASE WHEN " + h + " % 8 = 0 THEN NULL ELSE DATE '2000-01-01' + (" + h + " % 10000)::INTEGER END";
  if (type == "BOOLEAN") return "CASE WHEN " + h + " % 3 = 0 THEN NULL ELSE " + h + " % 2 = 0 END";
  if (type == "TIMESTAMP") {
    return "CASE WHEN " + h + " % 6 = 0 THEN NULL ELSE TIMESTAMP '2000-01-01' + to_microseconds((" + h +
           " % 1000000000000000)::BIGINT) END";
  }
  ADD_FAILURE() << "no generator for " << type;
  return "NULL";
}

std::vector<std::uint64_t> SeedsFromEnvironment() {
  const char* text = std::getenv("MALLARD_LAKE_DIFF_SEEDS");
  std::string spec = text ? text : "1-3";
  std::vector<std::uint64_t> seeds;
  std::stringstream list(spec);
  std::string part;
  while (std::getline(list, part, ',')) {
    auto dash = part.find('-');
    if (dash == std::string::npos) {
      seeds.push_back(std::stoull(part));
    } else {
      for (auto s = std::stoull(part.substr(0, dash)); s <= std::stoull(part.substr(dash + 1)); ++s) seeds.push_back(s);
    }
  }
  return seeds;
}

int StepsFromEnvironment() {
  const char* text = std::getenv("MALLARD_LAKE_DIFF_STEPS");
  return text ? std::atoi(text) : 200;
}

// Adds the time of a scope to a counter.
struct Timer {
  explicit Timer(double& total) : total(total), started(std::chrono::steady_clock::now()) {}
  ~Timer() { total += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); }
  double& total;
  std::chrono::steady_clock::time_point started;
};

class LakeDifferentialTest : public LakeTest {
 protected:
  // A new, empty lake and reference for one seed.
  void Fresh(std::uint64_t seed) {
    lake_.reset();
    std::string tag = "seed" + std::to_string(seed) + "-" + RandomAlnum(4);
    if (GetParam() == CatalogKind::kPostgres) {
      std::string database = "lakediff_" + RandomAlnum(10);
      std::transform(database.begin(), database.end(), database.begin(), ::tolower);
      auto admin = OpenCatalogStore(std::string("postgres:") + std::getenv("MALLARD_TEST_PG"));
      ASSERT_TRUE(admin.ok()) << admin.error().message;
      ASSERT_TRUE((*admin)->Execute("CREATE DATABASE " + database).ok());
      options_.catalog = std::string("postgres:") + std::getenv("MALLARD_TEST_PG") + " dbname=" + database;
    } else {
      options_.catalog = (dir_ / (tag + ".duckdb")).string();
    }
    options_.data_path = (dir_ / ("data-" + tag)).string();
    Reopen();
    reference_.reset();
    reference_db_.reset();
    auto database = duckdb::Database::Open({":memory:", 1, "1GB", (dir_ / ("ref-spill-" + tag)).string()});
    ASSERT_TRUE(database.ok()) << database.error().message;
    reference_db_ = database.value();
    reference_ = std::make_unique<duckdb::Connection>(std::move(reference_db_->Connect()).value());
    random_.seed(seed);
    seed_ = seed;
    checks_ = 0;
    step_seconds_ = check_seconds_ = reference_seconds_ = 0;
    tables_.clear();
    snapshots_.clear();
    log_.clear();
    failed_ = false;
    snapshots_[0] = {};
    latest_ = 0;
  }

  // --- helpers over the reference ---------------------------------------------------------
  void Ref(const std::string& sql) {
    if (failed_) return;
    Timer timer(reference_seconds_);
    auto done = RunStatement(*reference_, sql);
    if (!done.ok()) Fail("reference statement failed: " + sql.substr(0, 400) + ": " + done.error().message);
  }
  Rows RefRows(const std::string& sql) {
    Timer timer(reference_seconds_);
    auto rows = QueryText(*reference_, sql);
    if (!rows.ok()) {
      Fail("reference query failed: " + sql.substr(0, 400) + ": " + rows.error().message);
      return {};
    }
    return *rows;
  }
  std::int64_t Pick(std::int64_t low, std::int64_t high) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
  }
  bool Chance(int percent) { return Pick(1, 100) <= percent; }

  void Fail(const std::string& message) {
    if (failed_) return;
    failed_ = true;
    std::string history;
    std::size_t from = log_.size() > 40 ? log_.size() - 40 : 0;
    for (std::size_t i = from; i < log_.size(); ++i) history += "  " + log_[i] + "\n";
    ADD_FAILURE() << "seed " << seed_ << ", step " << step_ << " (reproduce: MALLARD_LAKE_DIFF_SEEDS=" << seed_
                  << " MALLARD_LAKE_DIFF_STEPS=" << step_ + 1 << "): " << message << "\nlast steps:\n" << history;
  }
  template <typename T>
  bool Ok(const LakeResult<T>& result, const std::string& what) {
    if (result.ok()) return true;
    Fail(what + " failed: " + result.error().message);
    return false;
  }

  std::string Live(const TableModel& table, std::int64_t snapshot) const {
    return table.history + " WHERE _begin <= " + std::to_string(snapshot) + " AND (_end IS NULL OR _end > " +
           std::to_string(snapshot) + ")";
  }
  static std::string Projection(const std::vector<ColumnModel>& columns) {
    std::string out;
    // Cast to the type the column had then: a widened column's history holds the new type.
    for (const auto& c : columns) out += std::string(out.empty() ? "" : ", ") + "CAST(" + c.internal + " AS " + c.type + ") AS " + SqlIdentifier(c.name);
    return out;
  }
  static std::vector<std::string> KeyNames(const TableModel& table) {
    std::vector<std::string> keys;
    for (const auto& c : table.columns) {
      if (c.key) keys.push_back(c.name);
    }
    return keys;
  }
  TableModel& RandomTable() {
    auto it = tables_.begin();
    std::advance(it, Pick(0, static_cast<std::int64_t>(tables_.size()) - 1));
    return it->second;
  }

  // --- table creation -------------------------------------------------------------------------
  // Stages the creation in `transaction` and creates the history table (begin = the next snapshot).
  void StageCreate(LakeTransaction& transaction, const std::string& name, bool composite) {
    TableModel table;
    table.name = name;
    table.history = "h_" + name + "_" + RandomAlnum(6);
    table.composite_key = composite;
    auto add = [&](const std::string& column, const std::string& type, bool key) {
      table.columns.push_back({column, "c" + std::to_string(table.next_internal++), type, key});
    };
    if (composite) {
      add("a", "INTEGER", true);
      add("b", "VARCHAR", true);
      add("payload", "DOUBLE", false);
      add("note", "VARCHAR", false);
    } else {
      add("id", "BIGINT", true);
      add("v", "INTEGER", false);
      add("s", "VARCHAR", false);
      add("d", "DECIMAL(10,2)", false);
    }
    std::vector<ColumnSpec> specs;
    std::string ddl;
    for (const auto& c : table.columns) {
      specs.push_back({c.name, c.type, !c.key});
      ddl += c.internal + " " + c.type + ", ";
    }
    if (!Ok(transaction.CreateTable("main", name, specs), "create table " + name)) return;
    Ref("CREATE TABLE " + table.history + " (" + ddl + "_begin BIGINT, _end BIGINT)");
    tables_[name] = std::move(table);
  }

  // --- data changes, staged in `transaction`, mirrored in the reference at snapshot `n` ------
  // A batch of rows in temp table `batch` with the table's current column names.
  void MakeBatch(TableModel& table, std::int64_t rows, bool reuse_keys) {
    std::uint64_t salt = random_();
    std::string select;
    int column_index = 0;
    for (const auto& c : table.columns) {
      std::string expression;
      if (c.key && !table.composite_key) {
        expression = reuse_keys ? "(hash(i, " + std::to_string(salt) + "::UBIGINT) % " +
                                      std::to_string(std::max<std::int64_t>(table.next_key, 1)) + ")::BIGINT"
                                : "(" + std::to_string(table.next_key) + " + i)::BIGINT";
      } else if (c.key && c.type == "INTEGER") {
        expression = "((" + std::to_string(table.next_key) + " + i) % 97)::INTEGER";
      } else if (c.key) {
        expression = "'k' || ((" + std::to_string(table.next_key) + " + i) // 97)::VARCHAR";
      } else {
        expression = ValueExpression(c.type, salt, column_index);
      }
      select += (select.empty() ? "" : ", ") + expression + " AS " + SqlIdentifier(c.name);
      ++column_index;
    }
    if (!reuse_keys) table.next_key += rows;
    Ref("CREATE OR REPLACE TEMP TABLE batch AS SELECT " + select + " FROM range(" + std::to_string(rows) + ") r(i)");
  }

  void InsertBatch(LakeTransaction& transaction, TableModel& table, std::int64_t n) {
    if (failed_) return;
    auto written = transaction.Insert("main", table.name, *reference_, "SELECT * FROM batch");
    if (!Ok(written, "insert into " + table.name)) return;
    std::string internals, names;
    for (const auto& c : table.columns) {
      internals += c.internal + ", ";
      names += SqlIdentifier(c.name) + ", ";
    }
    auto expected = RefRows("SELECT count(*) FROM batch");
    if (failed_) return;
    if (std::to_string(*written) != expected[0][0]) {
      Fail("insert into " + table.name + " reported " + std::to_string(*written) + " rows, the batch has " + expected[0][0]);
    }
    Ref("INSERT INTO " + table.history + " (" + internals + "_begin) SELECT " + names + std::to_string(n) + " FROM batch");
  }

  void Append(LakeTransaction& transaction, TableModel& table, std::int64_t n) {
    std::int64_t rows = Chance(3) ? Pick(2000, 8000) : Chance(25) ? Pick(50, 800) : Pick(1, 30);
    bool reuse = !table.composite_key && Chance(15);
    MakeBatch(table, rows, reuse);
    log_.back() += " append(" + table.name + ", " + std::to_string(rows) + (reuse ? " reused keys" : "") + ")";
    InsertBatch(transaction, table, n);
  }

  // Chooses keys (live ones, a contiguous run of them, or absent ones) into temp table `keys`.
  // "Live" is as the transaction sees the table: its own staged changes included.
  bool ChooseKeys(TableModel& table) {
    std::vector<ColumnModel> key_columns;
    for (const auto& c : table.columns) {
      if (c.key) key_columns.push_back(c);
    }
    std::string names, order;
    for (const auto& c : key_columns) {
      names += (names.empty() ? "" : ", ") + SqlIdentifier(c.name);
      order += (order.empty() ? "" : ", ") + c.internal;
    }
    std::string live = "(SELECT " + Projection(key_columns) + ", row_number() OVER (ORDER BY " + order +
                       ") AS rn FROM (SELECT DISTINCT " + order + " FROM " + table.history + " WHERE _end IS NULL))";
    Rows count = RefRows("SELECT count(*) FROM (SELECT DISTINCT " + order + " FROM " + table.history + " WHERE _end IS NULL)");
    if (failed_) return false;
    std::int64_t n = std::stoll(count[0][0]);
    std::string chosen = "false";
    if (n > 0) {
      if (Chance(25)) {  // a run: many rows, usually across several files
        std::int64_t start = Pick(1, n);
        std::int64_t length = Pick(1, std::min<std::int64_t>(n - start + 1, Chance(20) ? 5000 : 200));
        chosen = "rn BETWEEN " + std::to_string(start) + " AND " + std::to_string(start + length - 1);
      } else {
        std::string list;
        for (std::int64_t i = Pick(1, std::min<std::int64_t>(n, 40)); i > 0; --i) {
          list += (list.empty() ? "" : ", ") + std::to_string(Pick(1, n));
        }
        chosen = "rn IN (" + list + ")";
      }
    }
    std::string sql = "SELECT " + names + " FROM " + live + " WHERE " + chosen;
    // Keys no row has.
    for (int absent = static_cast<int>(Pick(0, 2)); absent > 0; --absent) {
      std::string row;
      for (const auto& c : key_columns) {
        row += (row.empty() ? "" : ", ") + (c.type == "VARCHAR" ? std::string("'absent'") : std::to_string(-Pick(1, 1000000))) +
               "::" + c.type;
      }
      sql += " UNION ALL SELECT " + row;
    }
    Ref("CREATE OR REPLACE TEMP TABLE keys AS " + sql);
    return !failed_;
  }

  void EndMatching(const TableModel& table, const std::vector<ColumnModel>& match_columns, std::int64_t n) {
    std::string on;
    for (const auto& c : match_columns) on += (on.empty() ? "" : " AND ") + ("k." + SqlIdentifier(c.name)) + " = h." + c.internal;
    Ref("UPDATE " + table.history + " AS h SET _end = " + std::to_string(n) +
        " WHERE _end IS NULL AND EXISTS (SELECT 1 FROM keys AS k WHERE " + on + ")");
  }

  void DeleteKeys(LakeTransaction& transaction, TableModel& table, std::int64_t n) {
    if (!ChooseKeys(table)) return;
    auto keys = KeyNames(table);
    auto expected = RefRows("SELECT count(*) FROM " + table.history + " AS h WHERE _end IS NULL AND EXISTS (SELECT 1 FROM keys k WHERE " +
                            MatchCondition(table, true) + ")");
    auto deleted = transaction.DeleteByKeys("main", table.name, keys, *reference_, "SELECT * FROM keys");
    log_.back() += " delete(" + table.name + ", " + RefRows("SELECT count(*) FROM keys")[0][0] + " keys)";
    if (!Ok(deleted, "delete from " + table.name) || failed_) return;
    if (std::to_string(*deleted) != expected[0][0]) {
      Fail("delete from " + table.name + " reported " + std::to_string(*deleted) + " rows, the reference deletes " + expected[0][0]);
    }
    std::vector<ColumnModel> key_columns;
    for (const auto& c : table.columns) {
      if (c.key) key_columns.push_back(c);
    }
    EndMatching(table, key_columns, n);
  }

  std::string MatchCondition(const TableModel& table, bool keys_only) const {
    std::string on;
    for (const auto& c : table.columns) {
      if (keys_only && !c.key) continue;
      on += (on.empty() ? "" : " AND ") + ("k." + SqlIdentifier(c.name)) + " = h." + c.internal;
    }
    return on;
  }

  // A delete by a predicate over a non-key column: every row whose column has one of some values.
  void DeleteByValue(LakeTransaction& transaction, TableModel& table, std::int64_t n) {
    std::vector<const ColumnModel*> candidates;
    for (const auto& c : table.columns) {
      if (!c.key && (c.type == "INTEGER" || c.type == "VARCHAR" || c.type == "BOOLEAN" || c.type == "DATE")) {
        candidates.push_back(&c);
      }
    }
    if (candidates.empty()) return;
    ColumnModel column = *candidates[Pick(0, candidates.size() - 1)];
    Rows values = RefRows("SELECT DISTINCT " + column.internal + " FROM " + table.history + " WHERE _end IS NULL AND " +
                          column.internal + " IS NOT NULL ORDER BY 1 LIMIT 3000");
    if (failed_ || values.empty()) return;
    std::string list;
    for (int count = static_cast<int>(Pick(1, 4)); count > 0; --count) {
      list += (list.empty() ? "(" : ", (") + SqlString(values[Pick(0, values.size() - 1)][0]) + "::" + column.type + ")";
    }
    Ref("CREATE OR REPLACE TEMP TABLE keys AS SELECT * FROM (VALUES " + list + ") AS v(" + SqlIdentifier(column.name) + ")");
    auto expected = RefRows("SELECT count(*) FROM " + table.history + " AS h WHERE _end IS NULL AND h." + column.internal +
                            " IN (SELECT * FROM keys)");
    auto deleted = transaction.DeleteByKeys("main", table.name, {column.name}, *reference_, "SELECT * FROM keys");
    log_.back() += " delete_where(" + table.name + "." + column.name + ")";
    if (!Ok(deleted, "delete by " + column.name + " from " + table.name) || failed_) return;
    if (std::to_string(*deleted) != expected[0][0]) {
      Fail("delete by value from " + table.name + " reported " + std::to_string(*deleted) + " rows, the reference deletes " +
           expected[0][0]);
    }
    EndMatching(table, {column}, n);
  }

  // An update: the rows of some keys deleted and written again with new values (as a pipe flush).
  void Update(LakeTransaction& transaction, TableModel& table, std::int64_t n) {
    if (!ChooseKeys(table)) return;
    std::uint64_t salt = random_();
    std::string select;
    int column_index = 0;
    for (const auto& c : table.columns) {
      select += (select.empty() ? "" : ", ") + (c.key ? SqlIdentifier(c.name) : ValueExpression(c.type, salt, column_index) + " AS " + SqlIdentifier(c.name));
      ++column_index;
    }
    // Absent keys stay absent unless the update is an upsert (half the time).
    std::string source = Chance(50) ? "keys" : "(SELECT DISTINCT k.* FROM keys k JOIN " + table.history + " h ON " +
                                                   MatchCondition(table, true) + " WHERE h._end IS NULL)";
    Ref("CREATE OR REPLACE TEMP TABLE batch AS SELECT " + select + " FROM (SELECT *, row_number() OVER () AS i FROM (SELECT DISTINCT * FROM " + source +
        " ORDER BY ALL))");
    log_.back() += " update(" + table.name + ")";
    auto keys = KeyNames(table);
    auto deleted = transaction.DeleteByKeys("main", table.name, keys, *reference_, "SELECT * FROM keys");
    if (!Ok(deleted, "update's delete from " + table.name) || failed_) return;
    std::vector<ColumnModel> key_columns;
    for (const auto& c : table.columns) {
      if (c.key) key_columns.push_back(c);
    }
    EndMatching(table, key_columns, n);
    InsertBatch(transaction, table, n);
  }

  void Truncate(LakeTransaction& transaction, TableModel& table, std::int64_t n) {
    log_.back() += " truncate(" + table.name + ")";
    if (!Ok(transaction.Truncate("main", table.name), "truncate " + table.name)) return;
    Ref("UPDATE " + table.history + " SET _end = " + std::to_string(n) + " WHERE _end IS NULL");
  }

  void CompactIn(LakeTransaction& transaction, TableModel& table) {
    auto work = lake_->WorkConnection();
    if (!Ok(work, "work connection")) return;
    int min_files = static_cast<int>(Pick(1, 3));
    std::int64_t max_rows = Chance(50) ? INT64_MAX : std::vector<std::int64_t>{5, 50, 1000}[Pick(0, 2)];
    log_.back() += " compact(" + table.name + ", min " + std::to_string(min_files) + ", max rows " +
                   (max_rows == INT64_MAX ? std::string("any") : std::to_string(max_rows)) + ")";
    Ok(transaction.Compact("main", table.name, *work, min_files, max_rows), "compact " + table.name);
  }

  // --- schema changes ---------------------------------------------------------------------------
  void AddColumn(LakeTransaction& transaction, TableModel& table) {
    std::string type = kAddableTypes[Pick(0, kAddableTypes.size() - 1)];
    std::string name = "x" + std::to_string(table.next_internal);
    std::optional<std::string> default_value;
    if (Chance(50)) default_value = DefaultLiteral(type, random_);
    log_.back() += " add_column(" + table.name + "." + name + " " + type + (default_value ? " DEFAULT " + *default_value : "") + ")";
    if (!Ok(transaction.AddColumn("main", table.name, {name, type, true, default_value}), "add column")) return;
    ColumnModel column{name, "c" + std::to_string(table.next_internal++), type, false};
    // Rows written before the column existed read as its default (NULL without one).
    Ref("ALTER TABLE " + table.history + " ADD COLUMN " + column.internal + " " + type +
        (default_value ? " DEFAULT " + *default_value : ""));
    table.columns.push_back(column);
  }
  void DropColumn(LakeTransaction& transaction, TableModel& table) {
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (!table.columns[i].key) candidates.push_back(i);
    }
    if (candidates.size() < 2) return;
    std::size_t index = candidates[Pick(0, candidates.size() - 1)];
    log_.back() += " drop_column(" + table.name + "." + table.columns[index].name + ")";
    if (!Ok(transaction.DropColumn("main", table.name, table.columns[index].name), "drop column")) return;
    table.columns.erase(table.columns.begin() + index);
  }
  // Widening in place (int → bigint, decimal to more digits): older files read as the new type.
  void WidenColumn(LakeTransaction& transaction, TableModel& table) {
    std::vector<ColumnModel*> candidates;
    for (auto& c : table.columns) {
      if (!c.key && (c.type == "INTEGER" || c.type == "DECIMAL(10,2)")) candidates.push_back(&c);
    }
    if (candidates.empty()) return;
    ColumnModel& column = *candidates[Pick(0, candidates.size() - 1)];
    std::string wider = column.type == "INTEGER" ? "BIGINT" : (Chance(50) ? "DECIMAL(12,2)" : "DECIMAL(14,4)");
    log_.back() += " widen_column(" + table.name + "." + column.name + " " + column.type + " -> " + wider + ")";
    if (!Ok(transaction.ChangeColumnType("main", table.name, column.name, wider), "widen column")) return;
    Ref("ALTER TABLE " + table.history + " ALTER COLUMN " + column.internal + " TYPE " + wider);
    column.type = wider;
  }
  void RenameColumn(LakeTransaction& transaction, TableModel& table) {
    auto& column = table.columns[Pick(0, table.columns.size() - 1)];
    std::string new_name = column.name + "_r" + std::to_string(Pick(0, 9));
    for (const auto& c : table.columns) {
      if (c.name == new_name) return;
    }
    log_.back() += " rename_column(" + table.name + "." + column.name + " -> " + new_name + ")";
    if (!Ok(transaction.RenameColumn("main", table.name, column.name, new_name), "rename column")) return;
    column.name = new_name;
  }

  // --- one step ---------------------------------------------------------------------------------
  void Step() {
    log_.push_back("step " + std::to_string(step_) + ":");
    int choice = static_cast<int>(Pick(1, 100));
    if (choice <= 3) return Maintenance();
    if (choice <= 5) {
      log_.back() += " reopen";
      Reopen();
      return CheckAllSnapshots();
    }
    if (choice <= 6 && tables_.size() > 0) return DropAndRecreate();

    auto begun = lake_->Begin();
    if (!Ok(begun, "begin")) return;
    auto& transaction = **begun;
    std::int64_t n = latest_ + 1;
    auto saved = tables_;
    int changes = choice <= 30 ? static_cast<int>(Pick(2, 6)) : 1;
    for (int i = 0; i < changes && !failed_; ++i) {
      TableModel& table = RandomTable();
      int kind = static_cast<int>(Pick(1, 100));
      if (kind <= 30) {
        Append(transaction, table, n);
      } else if (kind <= 50) {
        DeleteKeys(transaction, table, n);
      } else if (kind <= 58) {
        DeleteByValue(transaction, table, n);
      } else if (kind <= 80) {
        Update(transaction, table, n);
      } else if (kind <= 82) {
        Truncate(transaction, table, n);
      } else if (kind <= 88) {
        CompactIn(transaction, table);
      } else if (kind <= 93) {
        AddColumn(transaction, table);
      } else if (kind <= 95) {
        DropColumn(transaction, table);
      } else if (kind <= 97) {
        WidenColumn(transaction, table);
      } else {
        RenameColumn(transaction, table);
      }
    }
    if (failed_) return;
    bool abort = Chance(3);
    if (abort) {
      log_.back() += " ABORTED";
      transaction.Abort();
      RollBackReference(n, saved);
      return;
    }
    auto committed = transaction.Commit();
    if (!Ok(committed, "commit")) return;
    Committed(*committed, n);
  }

  // The transaction was abandoned: the reference forgets what it staged at `n`.
  void RollBackReference(std::int64_t n, std::map<std::string, TableModel> saved) {
    for (const auto& [name, table] : tables_) {
      Ref("DELETE FROM " + table.history + " WHERE _begin = " + std::to_string(n));
      Ref("UPDATE " + table.history + " SET _end = NULL WHERE _end = " + std::to_string(n));
    }
    // Columns the transaction added stay in the history table (never selected); the column list
    // goes back.
    for (auto& [name, table] : saved) {
      table.next_internal = std::max(table.next_internal, tables_[name].next_internal);
    }
    tables_ = std::move(saved);
  }

  void Committed(std::int64_t committed, std::int64_t n) {
    if (committed == latest_) {
      // Nothing was staged, so the reference must not have changed either.
      std::int64_t changed = 0;
      for (const auto& [name, table] : tables_) {
        auto rows = RefRows("SELECT count(*) FROM " + table.history + " WHERE _begin = " + std::to_string(n) +
                            " OR _end = " + std::to_string(n));
        if (failed_) return;
        changed += std::stoll(rows[0][0]);
      }
      if (changed > 0) Fail("the commit made no snapshot but the reference changed " + std::to_string(changed) + " rows");
      return;
    }
    if (committed != n) return Fail("commit returned snapshot " + std::to_string(committed) + ", expected " + std::to_string(n));
    log_.back() += " -> snapshot " + std::to_string(n);
    latest_ = n;
    SnapshotModel model;
    for (const auto& [name, table] : tables_) model[name] = {table.history, table.columns};
    snapshots_[n] = std::move(model);
  }

  void DropAndRecreate() {
    TableModel& table = RandomTable();
    std::string name = table.name;
    bool composite = table.composite_key;
    auto begun = lake_->Begin();
    if (!Ok(begun, "begin")) return;
    log_.back() += " drop_and_recreate(" + name + ")";
    if (!Ok((*begun)->DropTable("main", name), "drop table")) return;
    std::int64_t n = latest_ + 1;
    tables_.erase(name);
    StageCreate(**begun, name, composite);
    if (Chance(50)) Append(**begun, tables_[name], n);
    auto committed = (*begun)->Commit();
    if (!Ok(committed, "commit")) return;
    Committed(*committed, n);
  }

  void Maintenance() {
    int kind = static_cast<int>(Pick(1, 3));
    if (kind == 1) {
      TableModel& table = RandomTable();
      int min_files = static_cast<int>(Pick(1, 4));
      std::int64_t max_rows = Chance(50) ? INT64_MAX : std::vector<std::int64_t>{10, 100, 2000}[Pick(0, 2)];
      log_.back() += " compact_table(" + table.name + ", min " + std::to_string(min_files) + ")";
      auto report = lake_->CompactTable("main", table.name, min_files, max_rows);
      if (!Ok(report, "compact table")) return;
      if (report->snapshot_id != 0) Committed(report->snapshot_id, latest_ + 1);
      return;
    }
    std::int64_t keep = Pick(1, 30);
    log_.back() += " expire(keep " + std::to_string(keep) + ") + cleanup";
    auto expired = lake_->ExpireSnapshots(std::nullopt, keep);
    if (!Ok(expired, "expire snapshots")) return;
    std::int64_t kept_from = latest_;
    {
      auto it = snapshots_.rbegin();
      for (std::int64_t i = 1; i < keep && std::next(it) != snapshots_.rend(); ++i) ++it;
      kept_from = it->first;
    }
    std::vector<std::int64_t> gone;
    for (const auto& [id, model] : snapshots_) {
      if (id < kept_from) gone.push_back(id);
    }
    if (expired->snapshots_expired != static_cast<std::int64_t>(gone.size())) {
      return Fail("expiry reported " + std::to_string(expired->snapshots_expired) + " snapshots, the model expects " +
                  std::to_string(gone.size()));
    }
    for (auto id : gone) snapshots_.erase(id);
    auto cleaned = lake_->CleanupFiles(0);
    if (!Ok(cleaned, "cleanup files")) return;
    if (!gone.empty()) {
      // An expired snapshot is gone, not silently some other snapshot.
      auto scan = lake_->ScanSql("main", tables_.begin()->first, gone.back());
      if (scan.ok()) Fail("snapshot " + std::to_string(gone.back()) + " was expired but still scans");
    }
    CheckAllSnapshots();
  }

  // --- checks ---------------------------------------------------------------------------------
  void CheckSnapshot(std::int64_t snapshot) {
    if (failed_) return;
    const SnapshotModel& model = snapshots_.at(snapshot);
    std::set<std::string> names;
    for (const auto& [name, at] : model) names.insert(name);
    for (const auto& [name, table] : tables_) names.insert(name);
    for (const auto& name : names) {
      if (failed_) return;
      auto expected = model.find(name);
      auto sql = lake_->ScanSql("main", name, snapshot);
      std::string where = "table " + name + " at snapshot " + std::to_string(snapshot);
      if (expected == model.end()) {
        if (sql.ok()) Fail(where + " exists in the lake but not in the reference");
        continue;
      }
      if (!sql.ok()) return Fail(where + ": " + sql.error().message);
      const TableAt& at = expected->second;
      Rows described = RefRows("SELECT column_name, column_type FROM (DESCRIBE " + *sql + ")");
      if (failed_) return;
      Rows wanted;
      for (const auto& c : at.columns) wanted.push_back({c.name, c.type});
      if (described != wanted) {
        std::string got, want;
        for (const auto& row : described) got += row[0] + " " + row[1] + ", ";
        for (const auto& row : wanted) want += row[0] + " " + row[1] + ", ";
        return Fail(where + ": columns are [" + got + "], expected [" + want + "]");
      }
      std::string live = at.history + " WHERE _begin <= " + std::to_string(snapshot) + " AND (_end IS NULL OR _end > " +
                         std::to_string(snapshot) + ")";
      // Equal multisets of rows have equal counts and sums of row hashes; only when they differ
      // are the rows themselves compared, to show the difference.
      std::string reference_select = "SELECT " + Projection(at.columns) + " FROM " + live;
      Rows fingerprints = RefRows("SELECT (SELECT count(*)::VARCHAR || '/' || coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM (" +
                                  *sql + ") t), (SELECT count(*)::VARCHAR || '/' || coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM (" +
                                  reference_select + ") t)");
      if (failed_) return;
      ++checks_;
      if (fingerprints[0][0] == fingerprints[0][1]) continue;
      std::string lake_rows = "SELECT COLUMNS(*)::VARCHAR FROM (" + *sql + ")";
      std::string reference_rows = "SELECT COLUMNS(*)::VARCHAR FROM (SELECT " + Projection(at.columns) + " FROM " + live + ")";
      Rows diff = RefRows("SELECT * FROM (SELECT 'lake only' AS side, * FROM (" + lake_rows + " EXCEPT ALL " + reference_rows +
                          ") UNION ALL SELECT 'reference only', * FROM (" + reference_rows + " EXCEPT ALL " + lake_rows +
                          ")) ORDER BY ALL LIMIT 12");
      if (failed_) return;
      {
        std::string text;
        for (const auto& row : diff) {
          std::string line;
          for (const auto& v : row) line += (line.empty() ? "" : " | ") + (v.size() > 40 ? v.substr(0, 40) + "…" : v);
          text += "    " + line + "\n";
        }
        auto counts = RefRows("SELECT (SELECT count(*) FROM (" + *sql + ")), (SELECT count(*) FROM " + live + ")");
        return Fail(where + ": rows differ (lake " + counts[0][0] + " rows, reference " + counts[0][1] + "):\n" + text);
      }
    }
  }

  void CheckAllSnapshots() {
    auto listed = lake_->Snapshots();
    if (!Ok(listed, "list snapshots")) return;
    std::vector<std::int64_t> lake_ids, model_ids;
    for (const auto& s : *listed) lake_ids.push_back(s.snapshot_id);
    for (const auto& [id, model] : snapshots_) model_ids.push_back(id);
    std::sort(lake_ids.begin(), lake_ids.end());
    if (lake_ids != model_ids) {
      std::string a, b;
      for (auto id : lake_ids) a += std::to_string(id) + " ";
      for (auto id : model_ids) b += std::to_string(id) + " ";
      return Fail("the lake has snapshots [" + a + "], the model [" + b + "]");
    }
    for (const auto& [id, model] : snapshots_) CheckSnapshot(id);
  }

  void CheckAfterStep() {
    CheckSnapshot(latest_);
    for (int i = 0; i < 1 && !failed_; ++i) {
      auto it = snapshots_.begin();
      std::advance(it, Pick(0, snapshots_.size() - 1));
      CheckSnapshot(it->first);
    }
  }

  void Run(std::uint64_t seed, int steps) {
    Fresh(seed);
    if (HasFatalFailure()) return;
    auto started = std::chrono::steady_clock::now();
    step_ = 0;
    {
      log_.push_back("setup:");
      auto begun = lake_->Begin();
      if (!Ok(begun, "begin")) return;
      StageCreate(**begun, "events", false);
      StageCreate(**begun, "pairs", true);
      auto committed = (*begun)->Commit();
      if (!Ok(committed, "commit")) return;
      Committed(*committed, 1);
    }
    using Clock = std::chrono::steady_clock;
    for (step_ = 0; step_ < steps && !failed_; ++step_) {
      auto before = Clock::now();
      Step();
      auto stepped = Clock::now();
      step_seconds_ += std::chrono::duration<double>(stepped - before).count();
      if (failed_) break;
      CheckAfterStep();
      if (step_ % 100 == 99) CheckAllSnapshots();
      check_seconds_ += std::chrono::duration<double>(Clock::now() - stepped).count();
    }
    if (!failed_) {
      CheckAllSnapshots();
      log_.push_back("final reopen");
      Reopen();
      CheckAllSnapshots();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("lake differential (%s catalog): seed %llu, %d steps, %zu snapshots kept (latest %lld), %lld table checks, %.1f s (changes %.1f s, checks %.1f s, of which reference queries %.1f s)%s\n",
                GetParam() == CatalogKind::kPostgres ? "PostgreSQL" : "DuckDB", static_cast<unsigned long long>(seed),
                step_, snapshots_.size(), static_cast<long long>(latest_), static_cast<long long>(checks_), seconds, step_seconds_, check_seconds_, reference_seconds_,
                failed_ ? " FAILED" : "");
    std::fflush(stdout);
  }

  std::shared_ptr<duckdb::Database> reference_db_;
  std::unique_ptr<duckdb::Connection> reference_;
  std::mt19937_64 random_;
  std::uint64_t seed_ = 0;
  int step_ = 0;
  std::map<std::string, TableModel> tables_;
  std::map<std::int64_t, SnapshotModel> snapshots_;
  std::int64_t latest_ = 0;
  std::int64_t checks_ = 0;
  double step_seconds_ = 0, check_seconds_ = 0, reference_seconds_ = 0;
  std::vector<std::string> log_;
  bool failed_ = false;
};

TEST_P(LakeDifferentialTest, RandomChangesMatchThePlainDuckDbReferenceAtEverySnapshot) {
  int steps = StepsFromEnvironment();
  for (auto seed : SeedsFromEnvironment()) {
    Run(seed, steps);
    if (HasFailure()) break;
  }
}

std::vector<CatalogKind> DifferentialCatalogKinds() {
  std::vector<CatalogKind> kinds{CatalogKind::kDuckDb};
  if (std::getenv("MALLARD_TEST_PG")) kinds.push_back(CatalogKind::kPostgres);
  return kinds;
}

INSTANTIATE_TEST_SUITE_P(Catalogs, LakeDifferentialTest, testing::ValuesIn(DifferentialCatalogKinds()), KindName);

}  // namespace
}  // namespace mallard::lake
