// athena_translate_bench: what translating Athena's SQL (Trino's dialect) into DuckDB's adds to a
// query, per statement, before the engine sees it (issue 20's goal: under 0.1 ms of a 1-row
// query's ≤ 2 ms). Google Benchmark, single thread:
//
//   build/bench/athena_translate_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>

#include "sqlengine/dialect/athena_dialect.hpp"

namespace {

using mallard::sqlengine::dialect::AthenaNames;
using mallard::sqlengine::dialect::TranslateAthena;

void Translate(benchmark::State& state, const std::string& sql) {
  const AthenaNames names;
  for (auto _ : state) {
    auto translated = TranslateAthena(sql, names);
    if (!translated.ok()) {
      state.SkipWithError(translated.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(translated.value().data());
  }
}

// The 1-row query of bench/sqlengine_overhead.
void BM_OneRowQuery(benchmark::State& state) { Translate(state, "SELECT 1 AS one"); }
// A typical dashboard query: names, a catalog, literals, calls, a window.
void BM_TypicalQuery(benchmark::State& state) {
  Translate(state,
            "SELECT region, date_trunc('day', ts) AS day, count(*) AS n, approx_distinct(user_id), "
            "sum(amount) OVER (PARTITION BY region ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
            "FROM awsdatacatalog.default.sales WHERE ts >= TIMESTAMP '2024-01-01 00:00:00' AND at > 1 "
            "AND CAST(code AS varchar) LIKE 'A%' GROUP BY 1, 2 ORDER BY n DESC LIMIT 100");
}
// 100 select items: how it grows with the statement.
void BM_HundredColumns(benchmark::State& state) {
  std::string sql = "SELECT ";
  for (int i = 0; i < 100; ++i) sql += (i ? ", " : "") + std::string("lower(c") + std::to_string(i) + ") + 1";
  sql += " FROM t";
  Translate(state, sql);
}

BENCHMARK(BM_OneRowQuery);
BENCHMARK(BM_TypicalQuery);
BENCHMARK(BM_HundredColumns);

}  // namespace

BENCHMARK_MAIN();
