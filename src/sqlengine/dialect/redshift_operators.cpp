// PostgreSQL's pattern operators for the Redshift translator (see redshift_dialect_internal.hpp).
#include <vector>

#include "sqlengine/dialect/dialect_rewriter.hpp"
#include "sqlengine/dialect/redshift_dialect_internal.hpp"
#include "sqlengine/dialect/redshift_functions.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace {
std::string Lower(std::string_view text) { return DialectRewriter::Lower(text); }
}  // namespace

// PostgreSQL's regular-expression operators match anywhere in the text (`'abc' ~ 'b'` is true);
// DuckDB's `~` and SIMILAR TO match the whole text. Before the rewriter runs, `x ~ p`, `x !~ p`,
// `x ~* p`, `x !~* p` with a one-token pattern (a string, a parameter or a name) get the pattern
// wrapped to match anywhere ((?s) lets `.` cross lines, (?i) for the starred forms), and a
// `SIMILAR TO p` pattern goes through a macro from SQL's wildcards (% _, `.` literal) to RE2's.
// Strings and parameters are copied, never re-quoted from their values.
std::string PostgresRegexOperators(std::string_view sql) {
  if (sql.find('~') == std::string_view::npos && sql.find("imilar") == std::string_view::npos &&
      sql.find("IMILAR") == std::string_view::npos) {
    return std::string(sql);
  }
  std::vector<Token> tokens = Tokenize(sql);
  auto next = [&](std::size_t i) {
    while (i < tokens.size() && tokens[i].IsTrivia()) ++i;
    return i;
  };
  std::string out;
  out.reserve(sql.size() + 32);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    const bool tilde = token.IsOperator("~");
    const bool not_tilde = token.kind == TokenKind::Operator && token.text == "!" && i + 1 < tokens.size() &&
                           tokens[i + 1].IsOperator("~");
    // Binary only: a prefix `~` is bitwise NOT.
    std::size_t before = i;
    while (before > 0 && tokens[before - 1].IsTrivia()) --before;
    const bool after_operand =
        before > 0 && (tokens[before - 1].Is(TokenKind::String) || tokens[before - 1].Is(TokenKind::Number) ||
                       tokens[before - 1].Is(TokenKind::Parameter) || tokens[before - 1].Is(TokenKind::QuotedIdentifier) ||
                       tokens[before - 1].IsPunct(')') || tokens[before - 1].IsPunct(']') ||
                       (tokens[before - 1].Is(TokenKind::Word) && !RedshiftReserved().count(Lower(tokens[before - 1].text))));
    if ((tilde || not_tilde) && after_operand) {
      std::size_t at = not_tilde ? i + 1 : i;
      bool insensitive = at + 1 < tokens.size() && tokens[at + 1].IsOperator("*");
      std::size_t operand = next(at + (insensitive ? 2 : 1));
      if (operand < tokens.size() && !tokens[operand].unterminated &&
          (tokens[operand].Is(TokenKind::String) || tokens[operand].Is(TokenKind::Parameter) ||
           tokens[operand].Is(TokenKind::Word) || tokens[operand].Is(TokenKind::QuotedIdentifier))) {
        out += not_tilde ? "!~ " : "~ ";
        out += std::string("('") + (insensitive ? "(?si)" : "(?s)") + ".*(?:' || " + std::string(tokens[operand].text) +
               " || ').*')";
        i = operand;
        continue;
      }
    }
    if (token.IsKeyword("SIMILAR")) {
      std::size_t to = next(i + 1);
      std::size_t pattern = to < tokens.size() ? next(to + 1) : tokens.size();
      if (to < tokens.size() && tokens[to].IsKeyword("TO") && pattern < tokens.size() && !tokens[pattern].unterminated &&
          (tokens[pattern].Is(TokenKind::String) || tokens[pattern].Is(TokenKind::Parameter))) {
        out += "SIMILAR TO " + std::string(kRedshiftCatalog) + ".main.similar_to_regex(" + std::string(tokens[pattern].text) + ")";
        i = pattern;
        continue;
      }
    }
    out.append(token.text);
  }
  return out;
}

}  // namespace mallard::sqlengine::dialect
