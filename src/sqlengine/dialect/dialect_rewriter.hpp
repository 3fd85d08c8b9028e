#pragma once
// The token-stream rewriter both dialects (Athena's Trino SQL, Redshift's SQL) translate with. A
// dialect gives a DialectRules: its reserved words and the engine's (DuckDB's) keywords, how names
// map (catalog.database.table → engine schema.table), how types map, its function table, and hooks
// for keyword forms (CAST, EXTRACT, typed literals, …). The rewriter walks the tokens of one
// statement, recursing into brackets with an explicit depth limit (an error, never a stack
// overflow), and
//   - copies string literals, numbers, operators, comments and placeholders (?, :name, $1)
//     byte for byte: parameter values are never pasted in;
//   - folds identifiers to the dialect's case and quotes every identifier the engine would read
//     as a keyword (a column named `at`, `last`, `year`, `data`);
//   - hands every function call to the dialect's table with its arguments already translated and
//     split at top-level commas;
//   - optionally names unnamed select-list items of the top-level query (Trino's `_col0`).
// Positions in errors are the user's: "line L:C" of the token in the original text.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

// One part of a dotted name, unquoted, case folded by the dialect's rule.
struct NamePart {
  std::string text;
  bool quoted = false;      // written "…" or `…`
  std::size_t offset = 0;   // of its token in the user's SQL
};

// A dotted name as written (`awsdatacatalog.default.sales`, `"t"."c"`, `t.*`). The dialect's
// name hook may rewrite the parts in place (drop a catalog, rename a database to a schema).
struct QualifiedName {
  std::vector<NamePart> parts;
  bool star = false;  // ends in `.*`
};

// A type as written, with its children already translated: `varchar(10)` → name "varchar",
// parameters {"10"}; `array(integer)` / `array<int>` → element_types {engine text of integer};
// `map(k, v)` → element_types {k, v}; `row(a int, b varchar)` / `struct<a:int>` → fields.
struct TypeName {
  std::string name;  // lower-case, words joined by one space: "timestamp with time zone", "double precision"
  std::vector<std::string> parameters;
  std::vector<std::string> element_types;
  std::vector<std::pair<std::string, std::string>> fields;  // field name as written (unquoted), engine type
  bool angle_brackets = false;  // Hive spelling: array<…>, map<…>, struct<…>
  std::size_t line = 1;
  std::size_t column = 1;
};

class DialectRewriter;

// What a keyword-form hook produced: the engine text and the index of the first token it did not
// consume.
struct FormResult {
  std::string text;
  std::size_t next = 0;
};
// A keyword form starting at token `index` (a Word), inside the range that ends at `end`, at
// bracket depth `depth`. std::nullopt declines (the word is then treated as any other word).
using KeywordForm = std::function<Result<std::optional<FormResult>, DialectError>(
    DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth)>;

enum class IdentifierCase : unsigned char {
  Keep,            // as written
  LowerUnquoted,   // PostgreSQL / Redshift: unquoted names fold to lower case
  LowerAll,        // Athena: every name, quoted or not, is stored and matched in lower case
};

struct DialectRules {
  // Lower-case word sets. `dialect_reserved`: the dialect's reserved words (never names unless
  // quoted). `engine_keywords`: every keyword of the engine (all categories of duckdb_keywords()):
  // a name spelled like one is quoted on the way out.
  const std::unordered_set<std::string>* dialect_reserved = nullptr;
  const std::unordered_set<std::string>* engine_keywords = nullptr;
  // Reserved words of the dialect that are nevertheless called like functions (`normalize(x)`,
  // `listagg(…)`): a call when followed by `(`.
  const std::unordered_set<std::string>* reserved_callables = nullptr;
  // Unreserved words that, followed by `(`, are syntax rather than a function call (`OVER (`,
  // `SETS (`, `= ANY (`). A word after `)` is never a call (`count(*) FILTER (WHERE …)`), so
  // FILTER need not be listed where it is also a function (Trino's filter(array, lambda)).
  const std::unordered_set<std::string>* structural_parens = nullptr;
  // Unreserved words that are keywords wherever they stand after an expression (`DESC`,
  // `PRECEDING`, `ONLY`): never taken for a bare column alias.
  const std::unordered_set<std::string>* never_alias = nullptr;

  IdentifierCase identifier_case = IdentifierCase::LowerAll;

  // Rewrites a dotted name in place; called for every identifier or dotted name in a name position.
  std::function<Result<Done, DialectError>(QualifiedName& name)> map_name;
  // The engine's spelling of a type.
  std::function<Result<std::string, DialectError>(const TypeName& type)> map_type;
  // The engine's text for a function call (arguments translated). Unknown functions fail here.
  std::function<Result<std::string, DialectError>(const FunctionCall& call)> map_function;
  // A table function in FROM/JOIN position (`FROM range(3)`); when empty, map_function is used.
  std::function<Result<std::string, DialectError>(const FunctionCall& call)> map_table_function;
  // Keyword forms by lower-case word: CAST, EXTRACT, typed literals, dialect statements.
  std::unordered_map<std::string, KeywordForm> keyword_forms;
  // The same, shared by every statement of a dialect (built once; consulted after keyword_forms),
  // so that building the rules per statement copies no hooks.
  const std::unordered_map<std::string, KeywordForm>* shared_keyword_forms = nullptr;
  // Names unnamed items of the top-level SELECT list: called with the item's 0-based position
  // in the list (a `*` before it counts as one item: its expansion is unknown here), returns the
  // alias ("_col0"). Empty: items keep the engine's names.
  std::function<std::string(std::size_t position)> unnamed_column;

  // The error for SQL the dialect cannot parse at byte `offset` ("line 1:8: mismatched input 'x'").
  std::function<DialectError(std::string_view sql, std::size_t offset, std::string_view detail)> syntax_error;

  // `x::type` (the engine's cast, not the dialect's): the type after `::` is copied as written
  // (a name, an optional `(…)` and `[]` suffixes) instead of being read as names and calls.
  bool engine_casts_as_written = false;

  // Brackets nest at most this deep; deeper input fails with syntax_error.
  int max_depth = 200;
};

class DialectRewriter {
 public:
  // `sql` and `rules` must outlive the rewriter.
  DialectRewriter(std::string_view sql, const DialectRules& rules);

  // The whole statement translated.
  Result<std::string, DialectError> Rewrite();

  // ---- for keyword forms and dialect code --------------------------------------------------
  const std::vector<Token>& Tokens() const { return tokens_; }
  std::string_view Sql() const { return sql_; }
  const DialectRules& Rules() const { return rules_; }
  // Tokens [begin, end) translated (brackets inside recurse at depth + 1).
  Result<std::string, DialectError> RewriteRange(std::size_t begin, std::size_t end, int depth);
  // The type written at tokens [begin, end) (trivia allowed around it), translated; `next` gets
  // the index after the type (≤ end). Fails when no type starts at `begin`.
  Result<std::string, DialectError> RewriteType(std::size_t begin, std::size_t end, std::size_t* next);
  // Index of the next/previous significant token (not Space/Comment) at/before `index` within
  // [0, limit); limit / npos when none.
  std::size_t Next(std::size_t index, std::size_t limit) const;
  std::size_t Previous(std::size_t index) const;
  // The matching close of the bracket at `open` within `end`; `end` if unbalanced.
  std::size_t Close(std::size_t open, std::size_t end) const;
  // The `(` that is the next significant token after `index` (within end), or npos.
  std::size_t OpenAfter(std::size_t index, std::size_t end) const;
  // The matching close of the `(` at `open`, or the dialect's syntax error at the end of the text
  // with `detail` ("mismatched input '<EOF>'" in Trino's words, "unbalanced parenthesis" in Redshift's).
  Result<std::size_t, DialectError> CloseOrError(std::size_t open, std::size_t end, std::string_view detail) const;
  // The first `;` outside brackets at or after `index` (within end), or `end`: where a statement of
  // a multi-statement text stops.
  std::size_t StatementEnd(std::size_t index, std::size_t end) const;
  // The last token in [begin, end) outside brackets that is the keyword `upper` (CAST's AS), or npos.
  std::size_t LastTopLevelKeyword(std::size_t begin, std::size_t end, std::string_view upper) const;
  // Split [begin, end) at top-level commas (outside brackets): the [begin, end) of each piece.
  std::vector<std::pair<std::size_t, std::size_t>> SplitTopLevel(std::size_t begin, std::size_t end) const;
  // The dialect's syntax error at token `index` (its offset), or at the end of the text.
  DialectError SyntaxError(std::size_t index, std::string_view detail) const;
  SourcePosition PositionOfToken(std::size_t index) const;
  // `word` lower-cased (ASCII).
  static std::string Lower(std::string_view word);
  // A name part as the engine must see it: case folded, quoted when it is an engine keyword,
  // was quoted, or is not a plain [a-z_][a-z0-9_$]* word.
  std::string EngineIdentifier(const NamePart& part) const;
  // Calls the dialect's function table for `name(args)` at token `index` (args translated).
  Result<std::string, DialectError> CallFunction(std::string name, std::vector<std::string> arguments,
                                                 std::size_t index, bool table_position);
  // Arguments of the call whose `(` is at `open` and `)` at `close`, each translated and trimmed.
  Result<std::vector<std::string>, DialectError> CallArguments(std::size_t open, std::size_t close, int depth);
  bool IsReserved(std::string_view lower_word) const;

 private:
  struct Walk;
  Result<std::string, DialectError> RewriteWord(std::size_t& index, std::size_t end, int depth, Walk& walk);
  Result<std::string, DialectError> RewriteSelectList(std::size_t begin, std::size_t end, int depth);
  bool IsCallHere(std::size_t index, std::size_t end) const;
  bool IsNameHere(std::size_t index, std::size_t end) const;
  bool EndsOperand(std::size_t index) const;
  Result<std::string, DialectError> ParseType(std::size_t& index, std::size_t end, int depth,
                                              std::string_view given_name = {});

  std::string_view sql_;
  const DialectRules& rules_;
  std::vector<Token> tokens_;
  std::size_t pending_angle_closes_ = 0;  // Hive types: `>>` closed an enclosing type as well
  mutable std::vector<std::size_t> line_starts_;  // byte offsets where lines start, built on first use
};

// Trims ASCII blanks from both ends.
std::string_view TrimSql(std::string_view text);

}  // namespace mallard::sqlengine::dialect
