#include "cdc/snapshot_loader.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <tuple>
#include <utility>
#include <optional>
#include <thread>
#include <filesystem>

#include "cdc/fifo_writer.hpp"
#include "cdc/pg/pg_connection.hpp"
#include "common/ids.hpp"
#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::cdc {
namespace {

// CSV bytes per Parquet file of a snapshot: about 400 MB of Parquet for narrow rows, near the
// 512 MB DuckLake aims its data files at.
constexpr std::int64_t kCsvBytesPerFile = 1024LL * 1024 * 1024;

// DuckDB's CSV reader holds a whole row in one read buffer of at least its longest row's size,
// allocated up front: rows up to this size share the usual buffer; a longer one gets a pipe (and
// a Parquet file) of its own with a buffer sized to it.
constexpr std::int64_t kCsvBufferBytes = 2LL * 1024 * 1024;

std::int64_t CsvLineLimit(std::size_t row_bytes) {
  auto needed = static_cast<std::int64_t>(row_bytes) + 1;
  std::int64_t limit = kCsvBufferBytes;
  while (limit < needed) limit *= 2;
  return limit;
}

bool SameColumn(const lake::LakeColumn& have, const lake::LakeColumn& want) {
  if (have.name != want.name || have.type != want.type || have.nulls_allowed != want.nulls_allowed ||
      have.children.size() != want.children.size()) {
    return false;
  }
  for (std::size_t i = 0; i < have.children.size(); ++i) {
    if (!SameColumn(have.children[i], want.children[i])) return false;
  }
  return true;
}

// Whether the lake table's columns are exactly `wanted` (names, types, nullability, in order).
lake::LakeResult<bool> SameColumns(lake::Lake& lake, const std::vector<lake::LakeColumn>& have,
                                   const std::vector<lake::ColumnSpec>& wanted) {
  if (have.size() != wanted.size()) return false;
  MALLARD_ASSIGN_OR_RETURN(auto connection, lake.WorkConnection());
  for (std::size_t i = 0; i < have.size(); ++i) {
    MALLARD_ASSIGN_OR_RETURN(auto want, lake::ColumnFromSpec(connection, wanted[i]));
    if (!SameColumn(have[i], want)) return false;
  }
  return true;
}


}  // namespace

Result<SnapshotResult, std::string> LoadSnapshot(const std::string& source_conninfo, const std::string& group,
                                                 const TableSchema& schema, lake::Lake& lake,
                                                 const FlushSettings& settings, const std::atomic<bool>& cancelled) {
  auto started = std::chrono::steady_clock::now();
  SnapshotResult result;
  auto replication = pg::ReplicationConnection::Connect(source_conninfo);
  if (!replication.ok()) return Fail("cannot open a replication connection: " + replication.error().message);
  std::string slot = "mallard_snap_" + RandomAlnum(10);
  for (auto& c : slot) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto created = replication->CreateSlot(slot, /*temporary=*/true, pg::SnapshotMode::kExport);
  if (!created.ok()) return Fail("cannot create the snapshot slot: " + created.error().message);
  result.consistent_point = created->consistent_point.value;
  auto copy = pg::PgConnection::Connect(source_conninfo);
  if (!copy.ok()) return Fail("cannot connect for the copy: " + copy.error().message);
  if (auto begun = copy->BeginWithSnapshot(created->snapshot_name.value_or("")); !begun.ok()) {
    return Fail("cannot import the snapshot: " + begun.error().message);
  }
  // The copy must have the columns the pipeline described the table with; a DDL between that and
  // the consistent point (the slot waits for running transactions) would copy too few or wrong ones.
  auto described = copy->Query("SELECT a.attname, a.atttypid, a.atttypmod FROM pg_attribute a WHERE a.attrelid = " +
                             lake::SqlString(schema.source.Qualified()) + "::regclass AND a.attnum > 0 AND NOT "
                             "a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum");
  if (!described.ok()) return Fail("cannot read the columns of " + schema.source.Label() + ": " + described.error().message);
  bool same = described->size() == schema.columns.size();
  for (std::size_t i = 0; same && i < described->size(); ++i) {
    const auto& row = (*described)[i];
    same = row[0] == schema.columns[i].name && row[1] == std::to_string(schema.columns[i].type_oid) &&
           row[2] == std::to_string(schema.columns[i].type_modifier);
  }
  if (!same) return Fail(std::string(kSnapshotColumnsChanged) + " (" + schema.source.Label() + " was altered meanwhile)");

  std::string directory = settings.work_directory + "/snapshot-" + schema.source.Label() + "-" + RandomAlnum(6);
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Fail("cannot create " + directory + ": " + error.message());
  struct RemoveDirectory {
    std::string path;
    ~RemoveDirectory() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } cleanup{directory};

  duckdb::DatabaseOptions options;
  // The load runs next to PostgreSQL's COPY: let DuckDB use every core for it.
  options.threads = std::max(settings.duckdb_threads, std::max(1u, std::thread::hardware_concurrency()));
  options.memory_limit = std::to_string(settings.flush_memory_mb) + "MB";
  options.temp_directory = directory + "/spill";
  options.preserve_insertion_order = false;  // Parquet row groups bounded by bytes: wide rows fit the limit
  auto database = duckdb::Database::Open(options);
  if (!database.ok()) return Fail(database.error().message);
  auto connection = database.value()->Connect();
  if (!connection.ok()) return Fail(connection.error().message);

  auto transaction = lake.Begin();
  if (!transaction.ok()) return Fail(transaction.error().message);
  auto& lake_transaction = **transaction;
  const auto& target = schema.target;
  bool append_mode = schema.KeyIndexes().empty();
  // Snapshots of several tables of one schema commit concurrently: whichever commits first
  // creates the schema, the others find it.
  if (auto made = lake_transaction.CreateSchema(target.schema, /*if_not_exists=*/true); !made.ok()) {
    return Fail(made.error().message);
  }
  std::vector<lake::ColumnSpec> columns;
  for (const auto& column : schema.columns) columns.emplace_back(column.name, column.type.duckdb_type, !column.key);
  if (append_mode) {
    columns.emplace_back("_mallard_op", "VARCHAR");
    columns.emplace_back("_mallard_lsn", "BIGINT");
  }
  auto existing = lake_transaction.Describe(target.schema, target.name);
  bool create = !existing.ok();
  if (!create) {
    // The copy is the table's whole content: whatever the lake table held (a resync, a table
    // removed and added again, a lost progress row) is replaced in the same commit. A lake table
    // whose columns are not the source's any more (a column retyped, added or dropped while the
    // table was stopped; a changed key) is dropped and made anew; otherwise it is truncated.
    auto same = SameColumns(lake, existing->columns, columns);
    if (!same.ok()) return Fail(same.error().message);
    if (*same) {
      if (auto truncated = lake_transaction.Truncate(target.schema, target.name); !truncated.ok()) {
        return Fail(truncated.error().message);
      }
    } else {
      spdlog::info("pipe {}: the lake table {} is made anew with the source's columns", group, target.Label());
      if (auto dropped = lake_transaction.DropTable(target.schema, target.name); !dropped.ok()) {
        return Fail(dropped.error().message);
      }
      create = true;
    }
  }
  if (create) {
    if (auto made = lake_transaction.CreateTable(target.schema, target.name, columns); !made.ok()) {
      return Fail(made.error().message);
    }
  }

  std::string column_list, csv_columns, projection;
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    const auto& column = schema.columns[i];
    std::string name = "c" + std::to_string(i);
    column_list += (i ? ", " : "") + lake::SqlIdentifier(column.name);
    csv_columns += (i ? ", " : "") + lake::SqlString(name) + ": 'VARCHAR'";
    projection += (i ? ", " : "") + CastFromPostgresText(column.type, name) + " AS " + lake::SqlIdentifier(column.name);
  }
  if (append_mode) {
    projection += ", 'I' AS _mallard_op, " + std::to_string(static_cast<std::int64_t>(result.consistent_point)) +
                  " AS _mallard_lsn";
  }

  // PostgreSQL's COPY streams into a named pipe that DuckDB reads as a CSV file and writes out as
  // one Parquet file, both at once: the load ends with the copy's last row instead of starting
  // then. Every kCsvBytesPerFile of CSV the pipe is closed (DuckDB sees its end) and the next
  // rows go to a new pipe, and a new Parquet file, so one file never grows without bound.
  struct ChunkPipeline {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<std::string, std::int64_t>> ready;  // pipe path, longest row it may hold
    bool done = false;
    std::string error;
  } pipeline;
  std::thread loader([&] {
    while (true) {
      std::string path;
      std::int64_t line_limit = 0;
      {
        std::unique_lock lock(pipeline.mutex);
        pipeline.changed.wait(lock, [&] { return !pipeline.ready.empty() || pipeline.done || !pipeline.error.empty(); });
        if (!pipeline.error.empty() || pipeline.ready.empty()) return;
        std::tie(path, line_limit) = pipeline.ready.front();
      }
      // parallel = false: DuckDB's parallel CSV scanner lost track of quoted fields (values with
      // quotes, newlines and backslashes) and split rows in the wrong place; the seeded random
      // snapshot test in tests/e2e/test_pipe.py found it. The pipe is read in order anyway.
      std::string sql = "SELECT " + projection + " FROM read_csv(" + lake::SqlString(path) +
                        ", header = false, delim = ',', quote = '\"', escape = '\"', nullstr = '\\N', "
                        "allow_quoted_nulls = false, auto_detect = false, parallel = false, max_line_size = " + std::to_string(line_limit) +
                        ", buffer_size = " + std::to_string(line_limit) + ", columns = {" + csv_columns + "})";
      auto rows = lake_transaction.Insert(target.schema, target.name, *connection, sql);
      std::lock_guard lock(pipeline.mutex);
      pipeline.ready.pop_front();
      if (!rows.ok()) pipeline.error = rows.error().message;
      if (rows.ok()) result.rows += *rows;
      pipeline.changed.notify_all();
    }
  });
  auto fail_pipeline = [&](const std::string& message) {
    std::lock_guard lock(pipeline.mutex);
    if (pipeline.error.empty()) pipeline.error = message;
    pipeline.changed.notify_all();
  };
  auto loader_failed = [&] {
    std::lock_guard lock(pipeline.mutex);
    return !pipeline.error.empty() || cancelled.load();
  };
  int chunk_index = 0;
  std::optional<FifoWriter> chunk;
  std::int64_t chunk_line_limit = 0;
  // Closes the current pipe (DuckDB finishes that file) and waits for the loader to have read it
  // to its end, so an error DuckDB found in its rows is known before more are copied.
  auto finish_chunk = [&]() -> bool {
    if (!chunk) return true;
    auto finished = chunk->Finish();
    chunk.reset();
    if (!finished.ok()) {
      fail_pipeline(finished.error());
      return false;
    }
    std::unique_lock lock(pipeline.mutex);
    pipeline.changed.wait(lock, [&] { return pipeline.ready.empty() || !pipeline.error.empty(); });
    return pipeline.error.empty();
  };
  auto copied = copy->CopyOut(
      "COPY (SELECT " + column_list + " FROM " + schema.source.Qualified() + ") TO STDOUT (FORMAT csv, NULL '\\N')",
      [&](std::string_view data) {
        if (cancelled) return false;
        // DuckDB reads a CSV file in buffers that must hold its longest row: a row longer than
        // the current pipe's limit ends that pipe and starts one with room for it.
        if (chunk && static_cast<std::int64_t>(data.size()) >= chunk_line_limit && !finish_chunk()) return false;
        if (!chunk) {
          chunk_line_limit = CsvLineLimit(data.size());
          auto made = FifoWriter::Create(directory + "/chunk-" + std::to_string(chunk_index++) + ".csv");
          if (!made.ok()) {
            fail_pipeline(made.error());
            return false;
          }
          chunk.emplace(std::move(*made));
          {
            std::lock_guard lock(pipeline.mutex);
            pipeline.ready.emplace_back(chunk->path(), chunk_line_limit);
            pipeline.changed.notify_all();
          }
          if (auto opened = chunk->OpenWhenRead(loader_failed); !opened.ok()) {
            fail_pipeline(opened.error());
            return false;
          }
        }
        if (auto written = chunk->Write(data); !written.ok()) {
          fail_pipeline(written.error());
          return false;
        }
        // Rows arrive whole (one chunk per row), so a file always ends at a row boundary.
        if (chunk->bytes_written() >= kCsvBytesPerFile) return finish_chunk();
        return true;
      });
  bool finished = copied.ok() && !cancelled && finish_chunk();
  chunk.reset();  // a copy that failed midway: the loader reads the end of its pipe and stops
  {
    std::lock_guard lock(pipeline.mutex);
    pipeline.done = true;
    pipeline.changed.notify_all();
  }
  loader.join();
  if (!copied.ok()) return Fail("copy of " + schema.source.Label() + " failed: " + copied.error().message);
  if (cancelled) return Fail("snapshot cancelled");
  if (!pipeline.error.empty() || !finished) {
    return Fail("loading " + schema.source.Label() + " failed: " + pipeline.error);
  }
  (void)copy->Execute("COMMIT");

  TableProgress progress;
  progress.source = schema.source;
  progress.target = schema.target;
  progress.state = TableState::kCatchup;
  progress.snapshot_lsn = result.consistent_point;
  progress.applied_lsn = result.consistent_point > 0 ? result.consistent_point - 1 : 0;
  progress.rows_synced = result.rows;
  for (auto& statement : ProgressStatements(group, progress)) lake_transaction.AddCatalogStatement(statement);
  lake_transaction.SetCommitInfo(std::string("mallard pipe"), std::string("snapshot of " + schema.source.Label()),
                                 std::string("{\"source\":\"postgres\",\"snapshot_lsn\":" +
                                             std::to_string(result.consistent_point) + "}"));
  auto committed = lake_transaction.Commit();
  if (!committed.ok()) return Fail("committing the snapshot failed: " + committed.error().message);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("pipe {}: snapshot of {}: {} rows in {:.2f} s at consistent point {}", group, schema.source.Label(),
               result.rows, result.seconds, pg::Lsn{result.consistent_point}.ToString());
  return result;
}

}  // namespace mallard::cdc
