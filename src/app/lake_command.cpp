#include "app/lake_command.hpp"

#include <cstdio>
#include <iostream>

#include "lake/lake.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::app {

struct LakeCommand {
  CLI::App* root = nullptr;
  CLI::App *snapshots = nullptr, *tables = nullptr, *load = nullptr, *scan = nullptr, *drop = nullptr,
           *compact = nullptr, *expire = nullptr, *cleanup = nullptr;
  std::string catalog, data_path, schema = "main", table, file;
  std::int64_t snapshot = -1;
  int min_files = 2;
  std::int64_t keep = 1;
  std::string older_than;
  std::int64_t min_age = 3600;
};

namespace {

int Failed(const lake::LakeError& error) {
  std::cerr << "mallard lake: " << error.message << " (" << lake::LakeErrorCodeName(error.code) << ")\n";
  return 1;
}

std::string ReaderFor(const std::string& file) {
  auto ends_with = [&](const char* suffix) {
    std::string s = suffix;
    return file.size() >= s.size() && file.compare(file.size() - s.size(), s.size(), s) == 0;
  };
  std::string quoted = lake::SqlString(file);
  if (ends_with(".parquet")) return "read_parquet(" + quoted + ")";
  if (ends_with(".json") || ends_with(".ndjson") || ends_with(".jsonl")) return "read_json_auto(" + quoted + ")";
  return "read_csv_auto(" + quoted + ")";
}

int Load(lake::Lake& lake, LakeCommand& command) {
  auto connection = lake.WorkConnection();
  if (!connection.ok()) return Failed(connection.error());
  std::string source = "SELECT * FROM " + ReaderFor(command.file);
  auto transaction = lake.Begin();
  if (!transaction.ok()) return Failed(transaction.error());
  if (!(*transaction)->Describe(command.schema, command.table).ok()) {
    // A new table takes the file's columns and types.
    auto described = lake::QueryText(*connection, "DESCRIBE " + source);
    if (!described.ok()) return Failed(described.error());
    std::vector<lake::ColumnSpec> columns;
    for (const auto& row : *described) columns.emplace_back(row[0], row[1]);
    if (auto created = (*transaction)->CreateTable(command.schema, command.table, columns); !created.ok()) {
      return Failed(created.error());
    }
  }
  auto rows = (*transaction)->Insert(command.schema, command.table, *connection, source);
  if (!rows.ok()) return Failed(rows.error());
  auto snapshot = (*transaction)->Commit();
  if (!snapshot.ok()) return Failed(snapshot.error());
  std::cout << "loaded " << *rows << " rows into " << command.schema << "." << command.table << " (snapshot " << *snapshot
            << ")\n";
  return 0;
}

int Scan(lake::Lake& lake, LakeCommand& command) {
  std::optional<std::int64_t> snapshot;
  if (command.snapshot >= 0) snapshot = command.snapshot;
  auto sql = lake.ScanSql(command.schema, command.table, snapshot);
  if (!sql.ok()) return Failed(sql.error());
  auto connection = lake.WorkConnection();
  if (!connection.ok()) return Failed(connection.error());
  // Rows are printed here rather than by COPY TO '/dev/stdout', which would truncate a redirected stdout.
  auto header = lake.DescribeTable(command.schema, command.table, snapshot);
  if (!header.ok()) return Failed(header.error());
  auto rows = lake::QueryText(*connection, "SELECT * FROM (" + *sql + ") ORDER BY ALL");
  if (!rows.ok()) return Failed(rows.error());
  auto csv = [](const std::string& value) {
    if (value.find_first_of(",\"\n") == std::string::npos) return value;
    std::string out = "\"";
    for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  for (std::size_t i = 0; i < header->columns.size(); ++i) std::cout << (i ? "," : "") << csv(header->columns[i].name);
  std::cout << "\n";
  for (const auto& row : *rows) {
    for (std::size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << csv(row[i]);
    std::cout << "\n";
  }
  return 0;
}

// Drops a table in a new snapshot: earlier snapshots still read it (time travel) until they are
// expired and cleaned up. A `mallard pipe` syncing it takes a new snapshot of the source table.
int Drop(lake::Lake& lake, LakeCommand& command) {
  auto transaction = lake.Begin();
  if (!transaction.ok()) return Failed(transaction.error());
  if (auto dropped = (*transaction)->DropTable(command.schema, command.table); !dropped.ok()) return Failed(dropped.error());
  auto snapshot = (*transaction)->Commit();
  if (!snapshot.ok()) return Failed(snapshot.error());
  std::cout << "dropped " << command.schema << "." << command.table << " (snapshot " << *snapshot << ")\n";
  return 0;
}

}  // namespace

std::shared_ptr<LakeCommand> AddLakeCommand(CLI::App& app) {
  auto command = std::make_shared<LakeCommand>();
  auto* root = app.add_subcommand("lake", "Inspect and maintain a DuckLake (catalog + Parquet files)");
  command->root = root;
  root->require_subcommand(1);
  root->add_option("--catalog", command->catalog,
                   "DuckDB catalog file, or a PostgreSQL catalog: postgres://… or 'host=… dbname=… user=…'")
      ->envname("MALLARD_LAKE_CATALOG")
      ->required();
  root->add_option("--data-path", command->data_path, "Directory of the Parquet files (for a new lake)")
      ->envname("MALLARD_LAKE_DATA_PATH");
  command->snapshots = root->add_subcommand("snapshots", "List snapshots with their changes");
  command->tables = root->add_subcommand("tables", "List tables and columns at the latest snapshot");
  command->load = root->add_subcommand("load", "Append a CSV, JSON or Parquet file to a table (created from the file when absent)");
  command->load->add_option("table", command->table)->required();
  command->load->add_option("file", command->file)->required()->check(CLI::ExistingFile);
  command->load->add_option("--schema", command->schema)->capture_default_str();
  command->scan = root->add_subcommand("scan", "Print a table's rows as CSV, at the latest or a given snapshot");
  command->scan->add_option("table", command->table)->required();
  command->scan->add_option("--schema", command->schema)->capture_default_str();
  command->scan->add_option("--snapshot", command->snapshot, "Snapshot id (time travel)");
  command->drop = root->add_subcommand("drop", "Drop a table (earlier snapshots still read it until expired)");
  command->drop->add_option("table", command->table)->required();
  command->drop->add_option("--schema", command->schema)->capture_default_str();
  command->compact = root->add_subcommand("compact", "Merge a table's data files (and apply its deletes) into one file");
  command->compact->add_option("table", command->table)->required();
  command->compact->add_option("--schema", command->schema)->capture_default_str();
  command->compact->add_option("--min-files", command->min_files, "Only when the table has at least this many files")
      ->capture_default_str();
  command->expire = root->add_subcommand("expire", "Forget old snapshots and schedule the files only they used");
  command->expire->add_option("--keep", command->keep, "Newest snapshots always kept")->capture_default_str();
  command->expire->add_option("--older-than", command->older_than, "Expire only snapshots before this timestamp");
  command->cleanup = root->add_subcommand("cleanup", "Delete scheduled files and orphaned files");
  command->cleanup->add_option("--min-age", command->min_age, "Seconds a file must have been scheduled or orphaned")
      ->capture_default_str();
  return command;
}

bool LakeCommandParsed(const LakeCommand& command) { return command.root && command.root->parsed(); }

int RunLake(LakeCommand& command) {
  lake::LakeOptions options;
  options.catalog = command.catalog;
  options.data_path = command.data_path;
  // Reads work on a file catalog a running pipe or server holds (from a copy of it); a missing
  // catalog is an error for them rather than a new empty lake.
  options.read_only = command.snapshots->parsed() || command.tables->parsed() || command.scan->parsed();
  auto opened = lake::Lake::Open(options);
  if (!opened.ok()) return Failed(opened.error());
  lake::Lake& lake = **opened;
  if (command.snapshots->parsed()) {
    auto snapshots = lake.Snapshots();
    if (!snapshots.ok()) return Failed(snapshots.error());
    for (const auto& snapshot : *snapshots) {
      std::cout << snapshot.snapshot_id << "\t" << snapshot.snapshot_time << "\t" << snapshot.changes_made.value_or("")
                << "\n";
    }
    return 0;
  }
  if (command.tables->parsed()) {
    auto tables = lake.ListTables();
    if (!tables.ok()) return Failed(tables.error());
    for (const auto& table : *tables) {
      std::cout << table.schema << "." << table.name << "\t";
      for (std::size_t i = 0; i < table.columns.size(); ++i) {
        std::cout << (i ? ", " : "") << table.columns[i].name << " " << table.columns[i].type;
      }
      std::cout << "\n";
    }
    return 0;
  }
  if (command.load->parsed()) return Load(lake, command);
  if (command.scan->parsed()) return Scan(lake, command);
  if (command.drop->parsed()) return Drop(lake, command);
  lake::LakeResult<lake::MaintenanceReport> report = lake::MaintenanceReport{};
  if (command.compact->parsed()) report = lake.CompactTable(command.schema, command.table, command.min_files);
  if (command.expire->parsed()) {
    report = lake.ExpireSnapshots(command.older_than.empty() ? std::nullopt : std::optional(command.older_than), command.keep);
  }
  if (command.cleanup->parsed()) report = lake.CleanupFiles(command.min_age);
  if (!report.ok()) return Failed(report.error());
  std::cout << "snapshot " << report->snapshot_id << ", files rewritten " << report->files_rewritten << ", written "
            << report->files_written << ", snapshots expired " << report->snapshots_expired << ", files scheduled "
            << report->files_scheduled << ", files deleted " << report->files_deleted << "\n";
  return 0;
}

}  // namespace mallard::app
