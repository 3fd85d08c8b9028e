#pragma once
// The engine's (DuckDB's) keywords, which the dialect rewriter quotes when a dialect uses them as
// names (Trino and Redshift reserve far fewer words: a column may be called `at`, `last`, `year`).
#include <string>
#include <unordered_set>

namespace mallard::sqlengine::dialect {

// Every keyword of DuckDB 1.4.4 (duckdb_keywords(), all categories), lower case.
const std::unordered_set<std::string>& DuckDbKeywords();

}  // namespace mallard::sqlengine::dialect
