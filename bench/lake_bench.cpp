// lake_bench: how fast src/lake writes a DuckLake, next to the ceiling — DuckDB's own
// COPY ... TO parquet of the same rows on the same machine.
//
//   append:  N rows of a 10-column table (BIGINT key, integers, doubles, decimals, varchar,
//            date, timestamp, boolean) in one transaction — Parquet with field ids + statistics,
//            catalog rows, commit;
//   delete:  M primary-key deletes (every (N/M)-th key) in one transaction — key lookup over the
//            data files, cumulative positional delete files, commit;
//   ceiling: COPY (same SELECT) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd).
//
// Each is run --repeat times (median reported). Prints rows/s and the ratio to the ceiling.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "lake/lake.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/parquet_files.hpp"

namespace {

using mallard::lake::ColumnSpec;

struct Options {
  std::int64_t rows = 10'000'000;
  std::int64_t deletes = 1'000'000;
  unsigned threads = 2;
  int repeat = 3;
  std::string dir = "/tmp/mallard-lake-bench";
};

Options Parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--rows") options.rows = std::stoll(next());
    else if (arg == "--deletes") options.deletes = std::stoll(next());
    else if (arg == "--threads") options.threads = static_cast<unsigned>(std::stoul(next()));
    else if (arg == "--repeat") options.repeat = std::stoi(next());
    else if (arg == "--dir") options.dir = next();
    else {
      std::fprintf(stderr, "usage: lake_bench [--rows N] [--deletes M] [--threads T] [--repeat R] [--dir D]\n");
      std::exit(arg == "--help" ? 0 : 2);
    }
  }
  return options;
}

std::string RowsSql(std::int64_t rows) {
  return "SELECT range AS id, range % 1000 AS customer, (range * 7) % 100000 AS quantity, range * 0.5 AS amount, "
         "(range % 10000)::DOUBLE / 3 AS ratio, (range % 100000)::DECIMAL(12,2) / 100 AS price, "
         "'item-' || (range % 5000) AS label, DATE '2024-01-01' + (range % 365)::INTEGER AS day, "
         "TIMESTAMP '2024-01-01' + to_seconds(range % 86400) AS at, range % 2 = 0 AS flag FROM range(" +
         std::to_string(rows) + ")";
}

const std::vector<ColumnSpec>& Columns() {
  static const std::vector<ColumnSpec> columns = {
      {"id", "BIGINT", false}, {"customer", "BIGINT"}, {"quantity", "BIGINT"}, {"amount", "DOUBLE"},
      {"ratio", "DOUBLE"}, {"price", "DECIMAL(12,2)"}, {"label", "VARCHAR"}, {"day", "DATE"},
      {"at", "TIMESTAMP"}, {"flag", "BOOLEAN"}};
  return columns;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename T>
T Check(mallard::lake::LakeResult<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, result.error().message.c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

}  // namespace

int main(int argc, char** argv) {
  Options options = Parse(argc, argv);
  namespace fs = std::filesystem;
  fs::remove_all(options.dir);
  fs::create_directories(options.dir);
  auto database = mallard::duckdb::Database::Open(
      {":memory:", options.threads, "4GB", options.dir + "/spill"});
  if (!database.ok()) return 1;
  auto source = std::move(database.value()->Connect()).value();
  std::printf("lake_bench: %lld rows x 10 columns, %lld key deletes, DuckDB %u thread(s), median of %d\n",
              static_cast<long long>(options.rows), static_cast<long long>(options.deletes), options.threads,
              options.repeat);

  std::vector<double> ceiling, append, deletes;
  std::int64_t parquet_bytes = 0, lake_bytes = 0;
  for (int run = 0; run < options.repeat; ++run) {
    std::string copy_path = options.dir + "/ceiling-" + std::to_string(run) + ".parquet";
    auto start = std::chrono::steady_clock::now();
    Check(mallard::lake::RunStatement(source, "COPY (" + RowsSql(options.rows) + ") TO " +
                                                  mallard::lake::SqlString(copy_path) +
                                                  " (FORMAT parquet, COMPRESSION zstd)"),
          "COPY");
    ceiling.push_back(Seconds(start));
    parquet_bytes = static_cast<std::int64_t>(fs::file_size(copy_path));
    fs::remove(copy_path);

    mallard::lake::LakeOptions lake_options;
    lake_options.catalog = options.dir + "/lake-" + std::to_string(run) + ".duckdb";
    lake_options.data_path = options.dir + "/lake-" + std::to_string(run) + ".files";
    lake_options.work_threads = options.threads;
    auto lake = Check(mallard::lake::Lake::Open(lake_options), "open lake");
    {
      auto create = Check(lake->Begin(), "begin");
      Check(create->CreateTable("main", "orders", Columns()), "create table");
      Check(create->Commit(), "commit create");
    }
    start = std::chrono::steady_clock::now();
    auto transaction = Check(lake->Begin(), "begin");
    Check(transaction->Insert("main", "orders", source, RowsSql(options.rows)), "insert");
    Check(transaction->Commit(), "commit insert");
    append.push_back(Seconds(start));
    lake_bytes = 0;
    for (auto& entry : fs::recursive_directory_iterator(lake_options.data_path)) {
      if (entry.is_regular_file()) lake_bytes += static_cast<std::int64_t>(entry.file_size());
    }

    std::int64_t stride = std::max<std::int64_t>(1, options.rows / std::max<std::int64_t>(1, options.deletes));
    Check(mallard::lake::RunStatement(source, "CREATE OR REPLACE TEMP TABLE bench_keys AS SELECT range * " +
                                                  std::to_string(stride) + " AS id FROM range(" +
                                                  std::to_string(options.deletes) + ")"),
          "keys");
    start = std::chrono::steady_clock::now();
    auto remove = Check(lake->Begin(), "begin");
    std::int64_t deleted = Check(remove->DeleteByKeys("main", "orders", {"id"}, source, "SELECT id FROM bench_keys"), "delete");
    Check(remove->Commit(), "commit delete");
    deletes.push_back(Seconds(start));
    if (deleted != std::min(options.deletes, options.rows)) {
      std::fprintf(stderr, "deleted %lld rows, expected %lld\n", static_cast<long long>(deleted),
                   static_cast<long long>(options.deletes));
      return 1;
    }
    auto remaining = Check(mallard::lake::QueryCount(source, "SELECT count(*) FROM (" +
                                                                 Check(lake->ScanSql("main", "orders"), "scan") + ")"),
                           "count");
    if (remaining != options.rows - deleted) {
      std::fprintf(stderr, "scan counts %lld rows, expected %lld\n", static_cast<long long>(remaining),
                   static_cast<long long>(options.rows - deleted));
      return 1;
    }
  }
  double c = Median(ceiling), a = Median(append), d = Median(deletes);
  std::printf("\n%-34s %12s %14s %10s\n", "operation", "seconds", "rows/s", "vs ceiling");
  std::printf("%-34s %12.3f %14.0f %10s\n", "COPY ... TO parquet (ceiling)", c, options.rows / c, "1.00x");
  std::printf("%-34s %12.3f %14.0f %9.2fx\n", "lake append (one snapshot)", a, options.rows / a, a / c);
  std::printf("%-34s %12.3f %14.0f %10s\n", "lake primary-key delete", d, options.deletes / d, "-");
  std::printf("\nfile bytes: COPY %lld, lake data %lld\n", static_cast<long long>(parquet_bytes),
              static_cast<long long>(lake_bytes));
  fs::remove_all(options.dir);
  return 0;
}
