#pragma once
// Redshift's SELECT list for the translator: `SELECT TOP n …` becomes the engine's LIMIT at the end
// of that query, and every unnamed item gets the name Redshift (PostgreSQL) gives it, since Data
// API clients read columns by name: a function call is named after the function (`count(*)` →
// count, `date_part(…)` → pgdate_part, `EXTRACT(…)` → date_part), a cast after its type
// (`x::int` → int4, `CAST(x AS varchar(9))` → varchar), CASE … END is `case`, anything else
// `?column?`. Columns, `*` and items with an alias keep their names.
#include <optional>
#include <string>
#include <unordered_set>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_rewriter.hpp"

namespace mallard::sqlengine::dialect {

// The keyword form for SELECT: the select list with Redshift's names (and TOP), up to the clause
// that ends the list; the rewriter goes on from there.
Result<std::optional<FormResult>, DialectError> RedshiftSelectForm(DialectRewriter& rewriter, std::size_t index,
                                                                   std::size_t end, int depth,
                                                                   const std::unordered_set<std::string>& reserved);

}  // namespace mallard::sqlengine::dialect
