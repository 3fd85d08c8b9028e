#pragma once
// Athena's keyword forms and type mapping, used by the translator (athena_dialect.cpp) through the
// shared rewriter's DialectRules.
#include <string>
#include <unordered_map>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_rewriter.hpp"

namespace mallard::sqlengine::dialect {

// Trino's type names in DuckDB's spelling (row → STRUCT, array(t) → t[], real → FLOAT, …);
// TYPE_NOT_FOUND "line L:C: Unknown type: x" for others.
Result<std::string, DialectError> MapAthenaType(const TypeName& type);

// The keyword forms by lower-case word, built once.
const std::unordered_map<std::string, KeywordForm>& AthenaForms();

}  // namespace mallard::sqlengine::dialect
