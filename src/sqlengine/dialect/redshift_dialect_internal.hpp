#pragma once
// Pieces of the Redshift translator shared by its files (redshift_dialect.cpp,
// redshift_operators.cpp): not an API of the module.
#include <string>
#include <string_view>
#include <unordered_set>

namespace mallard::sqlengine::dialect {

// Redshift's reserved words, lower case.
const std::unordered_set<std::string>& RedshiftReserved();

// The text with PostgreSQL's pattern operators (~, !~, ~*, !~*, SIMILAR TO) in the engine's
// terms; the text itself when it has none. Runs before the rewriter.
std::string PostgresRegexOperators(std::string_view sql);

}  // namespace mallard::sqlengine::dialect
