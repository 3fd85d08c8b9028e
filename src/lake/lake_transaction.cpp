#include "lake/lake_transaction.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "common/ids.hpp"
#include "lake/commit_builder.hpp"
#include "lake/inlined_data.hpp"
#include "lake/lake_scan.hpp"

namespace mallard::lake {

struct StagedOp {
  enum class Kind {
    kCreateSchema,
    kDropSchema,
    kCreateTable,
    kDropTable,
    kRenameTable,
    kAddColumn,
    kDropColumn,
    kRenameColumn,
    kInsertFile,
    kDeleteFromFile,
    kTruncate,
    kCompact,
    kChangeColumnType,
  };
  explicit StagedOp(Kind kind) : kind(kind) {}
  Kind kind;
  std::string schema, table, name;
  std::string path;  // create schema/table: the directory segment, decided once at staging
  std::string uuid;
  std::vector<LakeColumn> columns;  // create table; add column: one
  std::string fingerprint;          // insert: the table's columns the file was written for
  WrittenFile file;                 // insert: the data file; delete: the new delete file
  std::string data_file_path;       // delete: the data file, as the catalog names it
  std::optional<std::string> expected_delete_path;  // delete: the live delete file it replaces
  bool ends_data_file = false;
  bool if_not_exists = false;  // create schema
  std::int64_t delete_count = 0;
  // compact: the files replaced, each with the delete file it had
  std::vector<std::pair<std::string, std::optional<std::string>>> replaced;
};

namespace {

std::string QualifiedName(const std::string& schema, const std::string& table) {
  return SqlIdentifier(schema) + "." + SqlIdentifier(table);
}

LakeResult<TableEntry*> RequireTable(CatalogView& view, const std::string& schema, const std::string& table) {
  if (view.FindSchema(schema) == nullptr) return LakeFail(LakeErrorCode::kNotFound, "schema \"" + schema + "\" does not exist");
  TableEntry* entry = view.FindTable(schema, table);
  if (entry == nullptr) return LakeFail(LakeErrorCode::kNotFound, "table " + QualifiedName(schema, table) + " does not exist");
  return entry;
}

LakeColumn* FindTopColumn(TableEntry& table, const std::string& name) {
  for (auto& column : table.columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

void CollectIds(const LakeColumn& column, std::vector<std::int64_t>& ids) {
  ids.push_back(column.column_id);
  for (const auto& child : column.children) CollectIds(child, ids);
}

std::string IdList(const std::vector<std::int64_t>& ids) {
  std::string out;
  for (auto id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

void InsertColumnRows(CommitBuilder& commit, std::int64_t table_id, const LakeColumn& column,
                      std::optional<std::int64_t> parent) {
  std::string n = std::to_string(commit.snapshot_id);
  commit.statements.push_back(
      "INSERT INTO ducklake_column (column_id, begin_snapshot, end_snapshot, table_id, column_order, column_name, "
      "column_type, initial_default, default_value, nulls_allowed, parent_column, default_value_type, "
      "default_value_dialect) VALUES (" +
      std::to_string(column.column_id) + ", " + n + ", NULL, " + std::to_string(table_id) + ", " +
      std::to_string(column.column_id) + ", " + SqlString(column.name) + ", " + SqlString(column.type) + ", " +
      SqlOptString(column.initial_default) + ", " + SqlString(column.default_value.value_or("NULL")) + ", " +
      (column.nulls_allowed ? "true" : "false") + ", " + (parent ? std::to_string(*parent) : "NULL") +
      ", 'literal', 'duckdb')");
  for (const auto& child : column.children) InsertColumnRows(commit, table_id, child, column.column_id);
}

void EndRows(CommitBuilder& commit, const std::string& table, const std::string& where) {
  commit.statements.push_back("UPDATE " + table + " SET end_snapshot = " + std::to_string(commit.snapshot_id) +
                              " WHERE " + where + " AND end_snapshot IS NULL");
}

std::string DirectorySegment(const std::string& name, const std::string& uuid) {
  return (IsPathSafeName(name) ? name : uuid) + "/";
}

// The live files of a table in `view`, loaded from the catalog the first time an operation of a
// commit touches them. Every operation that reads or extends the list goes through here: an
// insert that created the list empty made a later delete of the same commit miss the table's
// existing files (and fail as if a concurrent commit had removed them).
LakeResult<std::vector<DataFileEntry>*> TableFiles(CatalogView& view, const TableEntry& table, CommitBuilder* commit) {
  if (commit && !view.files.count(table.table_id)) {
    MALLARD_RETURN_IF_ERROR(LoadTableFiles(*commit->store, view, table.table_id));
  }
  return &view.files[table.table_id];
}

bool IsRetryableCommitError(const std::string& message) {
  std::string lower = message;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* marker : {"primary key", "unique", "conflict", "concurrent", "serializ", "duplicate key"}) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

LakeTransaction::LakeTransaction(std::shared_ptr<Lake> lake, CatalogView base)
    : lake_(std::move(lake)), working_(std::move(base)) {}

LakeTransaction::~LakeTransaction() {
  if (!finished_) Abort();
}

void LakeTransaction::Abort() {
  RemoveWrittenFiles();
  ops_.clear();
  finished_ = true;
}

void LakeTransaction::RemoveWrittenFiles() {
  for (const auto& path : written_files_) RemoveFileQuietly(path);
  written_files_.clear();
}

void LakeTransaction::SetCommitInfo(CatalogValue author, CatalogValue message, CatalogValue extra_info) {
  author_ = std::move(author);
  message_ = std::move(message);
  extra_info_ = std::move(extra_info);
}

void LakeTransaction::AddCatalogStatement(std::string sql) { catalog_statements_.push_back(std::move(sql)); }

LakeStatus LakeTransaction::Stage(StagedOp op) {
  if (finished_) return LakeFail(LakeErrorCode::kInvalid, "the transaction has already ended");
  MALLARD_RETURN_IF_ERROR(Apply(working_, op, nullptr));
  ops_.push_back(std::move(op));
  return Done{};
}

LakeStatus LakeTransaction::RefuseInlinedData(const TableEntry& table, const std::string& what) {
  std::lock_guard lock(lake_->catalog_mutex_);
  return RefuseWritesOverInlinedData(*lake_->store_, table.table_id, working_.snapshot.snapshot_id, table.name, what);
}

LakeStatus LakeTransaction::EnsureFilesLoaded(std::int64_t table_id) {
  if (files_loaded_.count(table_id)) return Done{};
  std::lock_guard lock(lake_->catalog_mutex_);
  // A table created in this transaction has a provisional id no committed row uses: it loads
  // as empty.
  MALLARD_RETURN_IF_ERROR(LoadTableFiles(*lake_->store_, working_, table_id));
  files_loaded_.insert(table_id);
  return Done{};
}

LakeStatus LakeTransaction::CreateSchema(const std::string& schema, bool if_not_exists) {
  if (schema.empty()) return LakeFail(LakeErrorCode::kInvalid, "a schema name must not be empty");
  StagedOp op{StagedOp::Kind::kCreateSchema};
  op.schema = schema;
  op.if_not_exists = if_not_exists;
  op.uuid = NewUuid();
  op.path = DirectorySegment(schema, op.uuid);
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::DropSchema(const std::string& schema) {
  StagedOp op{StagedOp::Kind::kDropSchema};
  op.schema = schema;
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::CreateTable(const std::string& schema, const std::string& table,
                                        const std::vector<ColumnSpec>& columns) {
  if (table.empty()) return LakeFail(LakeErrorCode::kInvalid, "a table name must not be empty");
  if (columns.empty()) return LakeFail(LakeErrorCode::kInvalid, "table " + QualifiedName(schema, table) + " needs at least one column");
  StagedOp op{StagedOp::Kind::kCreateTable};
  op.schema = schema;
  op.table = table;
  op.uuid = NewUuid();
  op.path = DirectorySegment(table, op.uuid);
  MALLARD_ASSIGN_OR_RETURN(auto connection, lake_->WorkConnection());
  std::set<std::string> names;
  for (const auto& spec : columns) {
    if (!names.insert(spec.name).second) {
      return LakeFail(LakeErrorCode::kInvalid, "column \"" + spec.name + "\" appears twice");
    }
    MALLARD_ASSIGN_OR_RETURN(auto column, ColumnFromSpec(connection, spec));
    op.columns.push_back(std::move(column));
  }
  std::int64_t next_id = 1;
  AssignColumnIds(op.columns, next_id);
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::DropTable(const std::string& schema, const std::string& table) {
  StagedOp op{StagedOp::Kind::kDropTable};
  op.schema = schema;
  op.table = table;
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::RenameTable(const std::string& schema, const std::string& table, const std::string& new_name) {
  if (new_name.empty()) return LakeFail(LakeErrorCode::kInvalid, "a table name must not be empty");
  StagedOp op{StagedOp::Kind::kRenameTable};
  op.schema = schema;
  op.table = table;
  op.name = new_name;
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::AddColumn(const std::string& schema, const std::string& table, const ColumnSpec& column) {
  StagedOp op{StagedOp::Kind::kAddColumn};
  op.schema = schema;
  op.table = table;
  MALLARD_ASSIGN_OR_RETURN(auto connection, lake_->WorkConnection());
  MALLARD_ASSIGN_OR_RETURN(auto resolved, ColumnFromSpec(connection, column));
  op.columns.push_back(std::move(resolved));
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::DropColumn(const std::string& schema, const std::string& table, const std::string& column) {
  StagedOp op{StagedOp::Kind::kDropColumn};
  op.schema = schema;
  op.table = table;
  op.name = column;
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::RenameColumn(const std::string& schema, const std::string& table, const std::string& column,
                                         const std::string& new_name) {
  if (new_name.empty()) return LakeFail(LakeErrorCode::kInvalid, "a column name must not be empty");
  StagedOp op{StagedOp::Kind::kRenameColumn};
  op.schema = schema;
  op.table = table;
  op.name = column;
  op.path = new_name;
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::ChangeColumnType(const std::string& schema, const std::string& table,
                                             const std::string& column, const std::string& new_type) {
  StagedOp op{StagedOp::Kind::kChangeColumnType};
  op.schema = schema;
  op.table = table;
  op.name = column;
  MALLARD_ASSIGN_OR_RETURN(auto connection, lake_->WorkConnection());
  MALLARD_ASSIGN_OR_RETURN(auto resolved, ColumnFromSpec(connection, ColumnSpec(column, new_type)));
  op.columns.push_back(std::move(resolved));
  return Stage(std::move(op));
}

LakeStatus LakeTransaction::Truncate(const std::string& schema, const std::string& table) {
  MALLARD_ASSIGN_OR_RETURN(auto* entry, RequireTable(working_, schema, table));
  MALLARD_RETURN_IF_ERROR(RefuseInlinedData(*entry, "truncate"));
  MALLARD_RETURN_IF_ERROR(EnsureFilesLoaded(entry->table_id));
  StagedOp op{StagedOp::Kind::kTruncate};
  op.schema = schema;
  op.table = table;
  return Stage(std::move(op));
}

LakeResult<std::int64_t> LakeTransaction::Insert(const std::string& schema, const std::string& table,
                                                 duckdb::Connection& source, const std::string& select_sql) {
  if (finished_) return LakeFail(LakeErrorCode::kInvalid, "the transaction has already ended");
  MALLARD_ASSIGN_OR_RETURN(auto* entry, RequireTable(working_, schema, table));
  MALLARD_RETURN_IF_ERROR(EnsureFilesLoaded(entry->table_id));
  MALLARD_ASSIGN_OR_RETURN(auto file, WriteDataFile(source, working_.TableDirectory(*entry), entry->columns, select_sql));
  if (file.record_count == 0) return std::int64_t{0};
  written_files_.push_back(file.absolute_path);
  StagedOp op{StagedOp::Kind::kInsertFile};
  op.schema = schema;
  op.table = table;
  op.fingerprint = ColumnsFingerprint(entry->columns);
  std::int64_t rows = file.record_count;
  op.file = std::move(file);
  MALLARD_RETURN_IF_ERROR(Stage(std::move(op)));
  return rows;
}

LakeResult<std::int64_t> LakeTransaction::DeleteByKeys(const std::string& schema, const std::string& table,
                                                       const std::vector<std::string>& key_columns,
                                                       duckdb::Connection& source, const std::string& keys_sql) {
  if (finished_) return LakeFail(LakeErrorCode::kInvalid, "the transaction has already ended");
  if (key_columns.empty()) return LakeFail(LakeErrorCode::kInvalid, "a delete needs at least one key column");
  MALLARD_ASSIGN_OR_RETURN(auto* entry, RequireTable(working_, schema, table));
  std::vector<LakeColumn> keys;
  for (const auto& name : key_columns) {
    LakeColumn* column = FindTopColumn(*entry, name);
    if (column == nullptr) {
      return LakeFail(LakeErrorCode::kInvalid, "table " + QualifiedName(schema, table) + " has no column \"" + name + "\"");
    }
    keys.push_back(*column);
  }
  MALLARD_RETURN_IF_ERROR(RefuseInlinedData(*entry, "delete from"));
  MALLARD_RETURN_IF_ERROR(EnsureFilesLoaded(entry->table_id));
  // A copy, not references: staging a delete that empties a file erases it from the working
  // view's list, which moves the entries after it (pointers into that list then named the next
  // file, and its rows were deleted instead).
  const std::vector<DataFileEntry> files = working_.files[entry->table_id];
  if (files.empty()) return std::int64_t{0};
  std::map<std::string, const DataFileEntry*> by_path;
  std::vector<std::string> paths;
  for (const auto& file : files) {
    if (file.name_mapped) {
      return LakeFail(LakeErrorCode::kUnsupported, "table " + QualifiedName(schema, table) + " has files registered "
                                                       "with a name mapping (ducklake_add_data_files); Mallard cannot "
                                                       "delete from them");
    }
    // A merged file of the extension is whole at the latest snapshot: positions work as in any file.
    std::string path = working_.DataFilePath(*entry, file.path, file.path_is_relative);
    by_path[path] = &file;
    paths.push_back(path);
  }
  MALLARD_ASSIGN_OR_RETURN(auto schema_argument, ReadSchemaArgument(keys));
  std::string matches = "lake_delete_" + RandomAlnum(12);
  std::string join;
  for (const auto& name : key_columns) {
    join += (join.empty() ? "" : " AND ") + ("d." + SqlIdentifier(name)) + " = k." + SqlIdentifier(name);
  }
  // DuckDB has no row count for read_parquet with a `schema` argument and then builds the join's
  // hash table on the data files' side: every row of the table, 0.7 s for a 1M-row table and
  // memory that grows with it. The keys are the side to build on (bounded by the batch).
  MALLARD_ASSIGN_OR_RETURN(auto build_on_keys, OptimizerDisabled::Apply(source, "build_side_probe_side"));
  MALLARD_RETURN_IF_ERROR(RunStatement(
      source, "CREATE TEMP TABLE " + matches + " AS SELECT lake_file, file_row_number AS pos FROM read_parquet(" +
                  FileListLiteral(paths) + ", schema = " + schema_argument +
                  ", filename = 'lake_file', file_row_number = true) AS d SEMI JOIN (" + keys_sql + ") AS k ON " + join));
  build_on_keys.Restore();
  struct DropTemp {
    duckdb::Connection& connection;
    std::string name;
    ~DropTemp() { (void)connection.Execute("DROP TABLE IF EXISTS " + name); }
  } drop_temp{source, matches};
  MALLARD_ASSIGN_OR_RETURN(auto affected, QueryText(source, "SELECT DISTINCT lake_file FROM " + matches));
  std::int64_t deleted = 0;
  for (const auto& row : affected) {
    const DataFileEntry* file = by_path.at(row[0]);
    std::string positions = "SELECT pos FROM " + matches + " WHERE lake_file = " + SqlString(row[0]);
    if (file->deletes) {
      positions += " UNION SELECT pos FROM read_parquet(" +
                   SqlString(working_.DataFilePath(*entry, file->deletes->path, file->deletes->path_is_relative)) + ")";
    }
    MALLARD_ASSIGN_OR_RETURN(auto total, QueryCount(source, "SELECT count(*) FROM (" + positions + ")"));
    std::int64_t before = file->deletes ? file->deletes->delete_count : 0;
    if (total == before) continue;
    StagedOp op{StagedOp::Kind::kDeleteFromFile};
    op.schema = schema;
    op.table = table;
    op.data_file_path = file->path;
    if (file->deletes) op.expected_delete_path = file->deletes->path;
    op.delete_count = total;
    if (total >= file->record_count) {
      op.ends_data_file = true;
    } else {
      MALLARD_ASSIGN_OR_RETURN(op.file, WriteDeleteFile(source, working_.TableDirectory(*entry), row[0], positions));
      written_files_.push_back(op.file.absolute_path);
    }
    deleted += total - before;
    MALLARD_RETURN_IF_ERROR(Stage(std::move(op)));
  }
  return deleted;
}

LakeResult<std::int64_t> LakeTransaction::Compact(const std::string& schema, const std::string& table,
                                                  duckdb::Connection& work, int min_files, std::int64_t max_file_rows) {
  if (finished_) return LakeFail(LakeErrorCode::kInvalid, "the transaction has already ended");
  MALLARD_ASSIGN_OR_RETURN(auto* entry, RequireTable(working_, schema, table));
  MALLARD_RETURN_IF_ERROR(RefuseInlinedData(*entry, "compact"));
  MALLARD_RETURN_IF_ERROR(EnsureFilesLoaded(entry->table_id));
  std::vector<DataFileEntry> files;
  for (const auto& file : working_.files[entry->table_id]) {
    if (file.record_count <= max_file_rows) files.push_back(file);
  }
  bool any_deletes = std::any_of(files.begin(), files.end(), [](const DataFileEntry& f) { return f.deletes.has_value(); });
  if (files.empty() || (static_cast<int>(files.size()) < min_files && !any_deletes)) return std::int64_t{0};
  MALLARD_ASSIGN_OR_RETURN(auto scan, BuildScanSql(working_, *entry, files));
  StagedOp op{StagedOp::Kind::kCompact};
  op.schema = schema;
  op.table = table;
  op.fingerprint = ColumnsFingerprint(entry->columns);
  for (const auto& file : files) {
    op.replaced.emplace_back(file.path, file.deletes ? std::optional<std::string>(file.deletes->path) : std::nullopt);
  }
  MALLARD_ASSIGN_OR_RETURN(op.file, WriteDataFile(work, working_.TableDirectory(*entry), entry->columns, scan));
  if (op.file.record_count > 0) written_files_.push_back(op.file.absolute_path);
  std::int64_t replaced = static_cast<std::int64_t>(op.replaced.size());
  MALLARD_RETURN_IF_ERROR(Stage(std::move(op)));
  return replaced;
}

LakeResult<TableInfo> LakeTransaction::Describe(const std::string& schema, const std::string& table) const {
  auto* self = const_cast<LakeTransaction*>(this);
  MALLARD_ASSIGN_OR_RETURN(auto* entry, RequireTable(self->working_, schema, table));
  return TableInfo{schema, table, entry->table_id, entry->columns};
}

// Applies one staged change to `view`; with `commit`, also emits its catalog rows. Validation
// comes before any mutation, so a refused change leaves the view as it was.
LakeStatus LakeTransaction::Apply(CatalogView& view, StagedOp& op, CommitBuilder* commit) const {
  using Kind = StagedOp::Kind;
  std::string n = commit ? std::to_string(commit->snapshot_id) : "";
  switch (op.kind) {
    case Kind::kCreateSchema: {
      if (view.FindSchema(op.schema)) {
        if (op.if_not_exists) return Done{};
        return LakeFail(LakeErrorCode::kAlreadyExists, "schema \"" + op.schema + "\" already exists");
      }
      std::int64_t id = view.snapshot.next_catalog_id++;
      view.schemas.push_back({id, op.schema, op.path, true});
      if (commit) {
        commit->statements.push_back("INSERT INTO ducklake_schema VALUES (" + std::to_string(id) + ", " + SqlString(op.uuid) +
                                     ", " + n + ", NULL, " + SqlString(op.schema) + ", " + SqlString(op.path) + ", true)");
        commit->Change("created_schema:" + SqlIdentifier(op.schema));
        commit->schema_changed = true;
      }
      return Done{};
    }
    case Kind::kDropSchema: {
      const SchemaEntry* schema = view.FindSchema(op.schema);
      if (!schema) return LakeFail(LakeErrorCode::kNotFound, "schema \"" + op.schema + "\" does not exist");
      for (const auto& table : view.tables) {
        if (table.schema_id == schema->schema_id) {
          return LakeFail(LakeErrorCode::kInvalid, "schema \"" + op.schema + "\" is not empty (table \"" + table.name + "\")");
        }
      }
      std::int64_t id = schema->schema_id;
      if (commit) {
        EndRows(*commit, "ducklake_schema", "schema_id = " + std::to_string(id));
        commit->Change("dropped_schema:" + std::to_string(id));
        commit->schema_changed = true;
      }
      view.schemas.erase(std::remove_if(view.schemas.begin(), view.schemas.end(),
                                        [id](const SchemaEntry& s) { return s.schema_id == id; }),
                         view.schemas.end());
      return Done{};
    }
    case Kind::kCreateTable: {
      const SchemaEntry* schema = view.FindSchema(op.schema);
      if (!schema) return LakeFail(LakeErrorCode::kNotFound, "schema \"" + op.schema + "\" does not exist");
      if (view.FindTable(op.schema, op.table)) {
        return LakeFail(LakeErrorCode::kAlreadyExists, "table " + QualifiedName(op.schema, op.table) + " already exists");
      }
      TableEntry table;
      table.table_id = view.snapshot.next_catalog_id++;
      table.schema_id = schema->schema_id;
      table.uuid = op.uuid;
      table.name = op.table;
      table.path = op.path;
      table.columns = op.columns;
      table.next_column_id = MaxColumnId(op.columns) + 1;
      if (commit) {
        commit->statements.push_back("INSERT INTO ducklake_table VALUES (" + std::to_string(table.table_id) + ", " +
                                     SqlString(op.uuid) + ", " + n + ", NULL, " + std::to_string(schema->schema_id) +
                                     ", " + SqlString(op.table) + ", " + SqlString(op.path) + ", true)");
        for (const auto& column : op.columns) InsertColumnRows(*commit, table.table_id, column, std::nullopt);
        commit->Change("created_table:" + QualifiedName(op.schema, op.table));
        commit->schema_changed = true;
        commit->altered_tables.insert(table.table_id);
      }
      view.files[table.table_id] = {};
      view.tables.push_back(std::move(table));
      return Done{};
    }
    case Kind::kDropTable: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      std::int64_t id = table->table_id;
      if (commit) {
        std::string where = "table_id = " + std::to_string(id);
        for (const char* catalog_table : {"ducklake_table", "ducklake_column", "ducklake_data_file", "ducklake_delete_file",
                                          "ducklake_column_tag", "ducklake_partition_info", "ducklake_sort_info"}) {
          EndRows(*commit, catalog_table, where);
        }
        EndRows(*commit, "ducklake_tag", "object_id = " + std::to_string(id));
        commit->Change("dropped_table:" + std::to_string(id));
        commit->schema_changed = true;
      }
      view.tables.erase(std::remove_if(view.tables.begin(), view.tables.end(),
                                       [id](const TableEntry& t) { return t.table_id == id; }),
                        view.tables.end());
      view.files.erase(id);
      return Done{};
    }
    case Kind::kRenameTable: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      if (view.FindTable(op.schema, op.name)) {
        return LakeFail(LakeErrorCode::kAlreadyExists, "table " + QualifiedName(op.schema, op.name) + " already exists");
      }
      if (commit) {
        EndRows(*commit, "ducklake_table", "table_id = " + std::to_string(table->table_id));
        commit->statements.push_back("INSERT INTO ducklake_table VALUES (" + std::to_string(table->table_id) + ", " +
                                     SqlString(table->uuid) + ", " + n + ", NULL, " + std::to_string(table->schema_id) +
                                     ", " + SqlString(op.name) + ", " + SqlOptString(table->path) + ", " +
                                     (table->path_is_relative ? "true" : "false") + ")");
        // The extension records a rename as a creation under the new name, so that a concurrent
        // creation of that name conflicts.
        commit->Change("created_table:" + QualifiedName(op.schema, op.name));
        commit->schema_changed = true;
        commit->altered_tables.insert(table->table_id);
      }
      table->name = op.name;
      return Done{};
    }
    case Kind::kAddColumn: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      LakeColumn column = op.columns.at(0);
      if (FindTopColumn(*table, column.name)) {
        return LakeFail(LakeErrorCode::kAlreadyExists, "table " + QualifiedName(op.schema, op.table) +
                                                           " already has a column \"" + column.name + "\"");
      }
      AssignColumnIds(column, table->next_column_id);
      if (commit) {
        InsertColumnRows(*commit, table->table_id, column, std::nullopt);
        commit->Change("altered_table:" + std::to_string(table->table_id));
        commit->schema_changed = true;
        commit->altered_tables.insert(table->table_id);
      }
      table->columns.push_back(std::move(column));
      return Done{};
    }
    case Kind::kDropColumn: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      LakeColumn* column = FindTopColumn(*table, op.name);
      if (!column) {
        return LakeFail(LakeErrorCode::kNotFound, "table " + QualifiedName(op.schema, op.table) + " has no column \"" + op.name + "\"");
      }
      if (table->columns.size() == 1) {
        return LakeFail(LakeErrorCode::kInvalid, "cannot drop \"" + op.name + "\", the only column of " +
                                                     QualifiedName(op.schema, op.table));
      }
      if (commit) {
        std::vector<std::int64_t> ids;
        CollectIds(*column, ids);
        EndRows(*commit, "ducklake_column",
                "table_id = " + std::to_string(table->table_id) + " AND column_id IN (" + IdList(ids) + ")");
        commit->Change("altered_table:" + std::to_string(table->table_id));
        commit->schema_changed = true;
        commit->altered_tables.insert(table->table_id);
      }
      table->columns.erase(table->columns.begin() + (column - table->columns.data()));
      return Done{};
    }
    case Kind::kRenameColumn: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      LakeColumn* column = FindTopColumn(*table, op.name);
      if (!column) {
        return LakeFail(LakeErrorCode::kNotFound, "table " + QualifiedName(op.schema, op.table) + " has no column \"" + op.name + "\"");
      }
      if (FindTopColumn(*table, op.path)) {
        return LakeFail(LakeErrorCode::kAlreadyExists, "table " + QualifiedName(op.schema, op.table) +
                                                           " already has a column \"" + op.path + "\"");
      }
      column->name = op.path;
      if (commit) {
        EndRows(*commit, "ducklake_column",
                "table_id = " + std::to_string(table->table_id) + " AND column_id = " + std::to_string(column->column_id));
        LakeColumn renamed = *column;
        renamed.children.clear();  // the children's rows stay; they still point at this id
        InsertColumnRows(*commit, table->table_id, renamed, std::nullopt);
        commit->Change("altered_table:" + std::to_string(table->table_id));
        commit->schema_changed = true;
        commit->altered_tables.insert(table->table_id);
      }
      return Done{};
    }
    case Kind::kInsertFile: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      if (ColumnsFingerprint(table->columns) != op.fingerprint) {
        return LakeFail(LakeErrorCode::kConflict, "table " + QualifiedName(op.schema, op.table) +
                                                      " was altered by a concurrent commit");
      }
      DataFileEntry file;
      file.data_file_id = view.snapshot.next_file_id++;
      file.path = op.file.file_name;
      file.record_count = op.file.record_count;
      MALLARD_ASSIGN_OR_RETURN(auto* files, TableFiles(view, *table, commit));
      if (commit) {
        MALLARD_ASSIGN_OR_RETURN(file.row_id_start, commit->AddDataFile(*table, file.data_file_id, op.file));
        commit->Change("inserted_into_table:" + std::to_string(table->table_id));
      }
      files->push_back(std::move(file));
      return Done{};
    }
    case Kind::kDeleteFromFile: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      MALLARD_ASSIGN_OR_RETURN(auto* table_files, TableFiles(view, *table, commit));
      auto& files = *table_files;
      auto file = std::find_if(files.begin(), files.end(), [&](const DataFileEntry& f) { return f.path == op.data_file_path; });
      if (file == files.end()) {
        return LakeFail(LakeErrorCode::kConflict, "a data file of " + QualifiedName(op.schema, op.table) +
                                                      " was rewritten or removed by a concurrent commit");
      }
      std::optional<std::string> current_deletes;
      if (file->deletes) current_deletes = file->deletes->path;
      if (current_deletes != op.expected_delete_path) {
        return LakeFail(LakeErrorCode::kConflict, "rows of " + QualifiedName(op.schema, op.table) +
                                                      " were deleted by a concurrent commit");
      }
      if (commit) {
        commit->Change("deleted_from_table:" + std::to_string(table->table_id));
        if (file->deletes) commit->RetireDeleteFile(*file->deletes, view.TableDirectory(*table));
      }
      if (op.ends_data_file) {
        if (commit) EndRows(*commit, "ducklake_data_file", "data_file_id = " + std::to_string(file->data_file_id));
        files.erase(file);
        return Done{};
      }
      DeleteFileEntry deletes{view.snapshot.next_file_id++, op.file.file_name, true, op.delete_count};
      if (commit) commit->AddDeleteFile(table->table_id, file->data_file_id, deletes, op.file);
      file->deletes = deletes;
      return Done{};
    }
    case Kind::kTruncate: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      if (commit) {
        std::string where = "table_id = " + std::to_string(table->table_id);
        EndRows(*commit, "ducklake_data_file", where);
        EndRows(*commit, "ducklake_delete_file", where);
        commit->Change("deleted_from_table:" + std::to_string(table->table_id));
      }
      view.files[table->table_id].clear();
      return Done{};
    }
    case Kind::kCompact: {
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      if (ColumnsFingerprint(table->columns) != op.fingerprint) {
        return LakeFail(LakeErrorCode::kConflict, "table " + QualifiedName(op.schema, op.table) +
                                                      " was altered by a concurrent commit");
      }
      MALLARD_ASSIGN_OR_RETURN(auto* table_files, TableFiles(view, *table, commit));
      auto& files = *table_files;
      std::vector<std::int64_t> ended;
      for (const auto& [path, expected_deletes] : op.replaced) {
        // An init-capture: clang before 16 cannot capture a structured binding (the fuzz build uses clang).
        auto file = std::find_if(files.begin(), files.end(),
                                 [&replaced = path](const DataFileEntry& f) { return f.path == replaced; });
        std::optional<std::string> current;
        if (file != files.end() && file->deletes) current = file->deletes->path;
        if (file == files.end() || current != expected_deletes) {
          return LakeFail(LakeErrorCode::kConflict, "files of " + QualifiedName(op.schema, op.table) +
                                                        " changed during compaction");
        }
        ended.push_back(file->data_file_id);
      }
      files.erase(std::remove_if(files.begin(), files.end(),
                                 [&](const DataFileEntry& f) {
                                   return std::find(ended.begin(), ended.end(), f.data_file_id) != ended.end();
                                 }),
                  files.end());
      DataFileEntry merged;
      if (op.file.record_count > 0) {
        merged.data_file_id = view.snapshot.next_file_id++;
        merged.path = op.file.file_name;
        merged.record_count = op.file.record_count;
      }
      if (commit) {
        std::string ids = IdList(ended);
        EndRows(*commit, "ducklake_data_file", "data_file_id IN (" + ids + ")");
        EndRows(*commit, "ducklake_delete_file", "data_file_id IN (" + ids + ")");
        if (op.file.record_count > 0) {
          MALLARD_ASSIGN_OR_RETURN(merged.row_id_start,
                                   commit->AddDataFile(*table, merged.data_file_id, op.file, /*new_rows=*/false));
        }
        commit->Change("compacted_table:" + std::to_string(table->table_id));
      }
      if (op.file.record_count > 0) files.push_back(std::move(merged));
      return Done{};
    }
    case Kind::kChangeColumnType: {
      // The spec's type promotion: the column's row ends and a new one with the same id (and
      // defaults, nullability) and the wider type begins.
      MALLARD_ASSIGN_OR_RETURN(auto* table, RequireTable(view, op.schema, op.table));
      LakeColumn* column = FindTopColumn(*table, op.name);
      if (!column) {
        return LakeFail(LakeErrorCode::kNotFound, "table " + QualifiedName(op.schema, op.table) + " has no column \"" + op.name + "\"");
      }
      const LakeColumn& retyped = op.columns.at(0);
      if (column->type == retyped.type) return Done{};
      if (!column->children.empty() || !retyped.children.empty() || !TypePromotionAllowed(column->type, retyped.type)) {
        return LakeFail(LakeErrorCode::kInvalid, "column \"" + op.name + "\" of " + QualifiedName(op.schema, op.table) +
                                                     " cannot change type from " + column->type + " to " + retyped.type +
                                                     " in place (only lossless widening)");
      }
      column->type = retyped.type;
      if (commit) {
        EndRows(*commit, "ducklake_column",
                "table_id = " + std::to_string(table->table_id) + " AND column_id = " + std::to_string(column->column_id));
        InsertColumnRows(*commit, table->table_id, *column, std::nullopt);
        commit->Change("altered_table:" + std::to_string(table->table_id));
        commit->schema_changed = true;
        commit->altered_tables.insert(table->table_id);
      }
      return Done{};
    }
  }
  return LakeFail(LakeErrorCode::kInvalid, "unknown change");
}

LakeResult<std::int64_t> LakeTransaction::Commit() {
  if (finished_) return LakeFail(LakeErrorCode::kInvalid, "the transaction has already ended");
  if (before_commit_hook_) before_commit_hook_();
  CatalogStore& store = *lake_->store_;
  std::mt19937 jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    std::unique_lock lock(lake_->catalog_mutex_);
    auto failed = [&](LakeError error) -> LakeResult<std::int64_t> {
      store.Rollback();
      Abort();
      return Fail(std::move(error));
    };
    MALLARD_RETURN_IF_ERROR(store.Begin());
    auto latest = LoadLatestSnapshot(store);
    if (!latest.ok()) return failed(latest.error());
    if (ops_.empty()) {
      std::string sql;
      for (const auto& statement : catalog_statements_) sql += statement + ";\n";
      auto status = sql.empty() ? LakeStatus(Done{}) : store.Execute(sql);
      if (!status.ok()) return failed(status.error());
      auto committed = store.Commit();
      if (!committed.ok()) return failed(committed.error());
      finished_ = true;
      return latest->snapshot_id;
    }
    auto view = LoadCatalogView(store, *latest, lake_->data_path_);
    if (!view.ok()) return failed(view.error());
    CommitBuilder commit(store, latest->snapshot_id + 1);
    for (auto& op : ops_) {
      auto applied = Apply(*view, op, &commit);
      if (!applied.ok()) return failed(applied.error());
    }
    std::string sql = commit.Finish(*latest, view->snapshot, author_, message_, extra_info_);
    for (const auto& statement : catalog_statements_) sql += statement + ";\n";
    auto status = store.Execute(sql);
    if (status.ok()) status = store.Commit();
    if (status.ok()) {
      finished_ = true;
      written_files_.clear();
      lock.unlock();
      for (const auto& path : commit.superseded_files) RemoveFileQuietly(path);
      lake_->NotifyCommitted(commit.snapshot_id);
      return commit.snapshot_id;
    }
    store.Rollback();
    if (!IsRetryableCommitError(status.error().message) || attempt >= lake_->options_.max_commit_attempts) {
      Abort();
      return LakeFail(IsRetryableCommitError(status.error().message) ? LakeErrorCode::kConflict : LakeErrorCode::kCatalog,
                      "commit failed after " + std::to_string(attempt) + " attempt(s): " + status.error().message);
    }
    lock.unlock();
    int wait = lake_->options_.retry_wait_ms * (1 << std::min(attempt, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(wait / 2, wait)(jitter)));
  }
}

}  // namespace mallard::lake
