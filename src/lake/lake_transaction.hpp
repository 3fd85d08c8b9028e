#pragma once
// LakeTransaction: changes staged against one snapshot and committed as the next one. DDL and
// data changes may be mixed; Parquet files are written when a change is staged (files first,
// metadata second), and the catalog rows are built at commit time against whatever snapshot is
// then the latest, so ids and row-id ranges never collide with a concurrent committer's. A
// commit that finds its premises changed (its table altered or dropped, a data file it deletes
// from rewritten) fails with kConflict; the caller redoes the transaction.
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/catalog_view.hpp"
#include "lake/lake.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::lake {

struct StagedOp;
struct CommitBuilder;

class LakeTransaction {
 public:
  ~LakeTransaction();
  LakeTransaction(const LakeTransaction&) = delete;
  LakeTransaction& operator=(const LakeTransaction&) = delete;

  // `if_not_exists`: a schema that exists — already, or by the time of the commit (created by a
  // concurrent committer) — is left as it is instead of failing the transaction.
  LakeStatus CreateSchema(const std::string& schema, bool if_not_exists = false);
  LakeStatus DropSchema(const std::string& schema);
  LakeStatus CreateTable(const std::string& schema, const std::string& table, const std::vector<ColumnSpec>& columns);
  LakeStatus DropTable(const std::string& schema, const std::string& table);
  LakeStatus RenameTable(const std::string& schema, const std::string& table, const std::string& new_name);
  LakeStatus AddColumn(const std::string& schema, const std::string& table, const ColumnSpec& column);
  LakeStatus DropColumn(const std::string& schema, const std::string& table, const std::string& column);
  LakeStatus RenameColumn(const std::string& schema, const std::string& table, const std::string& column,
                          const std::string& new_name);
  // Widens a top-level primitive column's type in place (see TypePromotionAllowed): the column
  // keeps its id, old files read as the new type. Anything else is refused with kInvalid.
  LakeStatus ChangeColumnType(const std::string& schema, const std::string& table, const std::string& column,
                              const std::string& new_type);

  // Appends the rows of `select_sql`, run on `source`, which must produce every column of the
  // table by name. Returns the number of rows written.
  LakeResult<std::int64_t> Insert(const std::string& schema, const std::string& table, duckdb::Connection& source,
                                  const std::string& select_sql);
  // Deletes every row whose `key_columns` equal a row of `keys_sql` (run on `source`), by
  // positional delete files. Returns the number of rows deleted.
  LakeResult<std::int64_t> DeleteByKeys(const std::string& schema, const std::string& table,
                                        const std::vector<std::string>& key_columns, duckdb::Connection& source,
                                        const std::string& keys_sql);
  LakeStatus Truncate(const std::string& schema, const std::string& table);
  // Rewrites the live rows of the table's data files of at most `max_file_rows` rows into one new
  // file (deleted rows dropped, delete files retired) when there are at least `min_files` of them
  // or any of them has a delete file. Returns the number of files replaced (0: nothing to do).
  // Row ids of the rewritten rows are new.
  LakeResult<std::int64_t> Compact(const std::string& schema, const std::string& table, duckdb::Connection& work,
                                   int min_files, std::int64_t max_file_rows = INT64_MAX);

  // Recorded in this snapshot's ducklake_snapshot_changes row.
  void SetCommitInfo(CatalogValue author, CatalogValue message, CatalogValue extra_info);
  // A statement run in the commit's catalog transaction, for the caller's own (non-ducklake_)
  // tables — e.g. a replication position that must commit atomically with the data.
  void AddCatalogStatement(std::string sql);

  // The columns the table has in this transaction (after its staged DDL).
  LakeResult<TableInfo> Describe(const std::string& schema, const std::string& table) const;
  bool HasChanges() const { return !ops_.empty(); }

  // Commits and returns the new snapshot id (the current one when nothing was staged).
  LakeResult<std::int64_t> Commit();
  // Drops the staged changes and removes the files they wrote. Also what the destructor does
  // to an uncommitted transaction.
  void Abort();

  // Test hook: runs after the files are written and before the catalog commit.
  void SetBeforeCommitHookForTesting(std::function<void()> hook) { before_commit_hook_ = std::move(hook); }

 private:
  friend class Lake;
  LakeTransaction(std::shared_ptr<Lake> lake, CatalogView base);
  LakeStatus Stage(StagedOp op);
  // Deletes, truncation and compaction must see every row, and Mallard does not write inlined data.
  LakeStatus RefuseInlinedData(const TableEntry& table, const std::string& what);
  LakeStatus EnsureFilesLoaded(std::int64_t table_id);
  LakeStatus Apply(CatalogView& view, StagedOp& op, CommitBuilder* commit) const;
  void RemoveWrittenFiles();

  std::shared_ptr<Lake> lake_;
  CatalogView working_;  // base snapshot + staged changes (provisional ids)
  std::set<std::int64_t> files_loaded_;
  std::vector<StagedOp> ops_;
  CatalogValue author_, message_, extra_info_;
  std::vector<std::string> catalog_statements_;
  std::vector<std::string> written_files_;
  bool finished_ = false;
  std::function<void()> before_commit_hook_;
};

}  // namespace mallard::lake
