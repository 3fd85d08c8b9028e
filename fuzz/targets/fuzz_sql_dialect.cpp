// The SQL dialect translators (src/sqlengine/dialect) over arbitrary client SQL: the lexer, Athena's
// Trino-to-DuckDB translation and Redshift's. Properties beyond "no crash, no hang, no sanitizer
// report": the lexer is lossless (its tokens are the input, in order, none empty); each translator
// either translates or returns an error with a non-empty message; a translation's output lexes
// with no unterminated string, identifier or comment when the input had none (a translation never
// splits a literal); and the output's parameters in the dialect's form (Athena's `?`, Redshift Data's `:name`) are the input's, in order and
// byte for byte — values stay bound, never pasted in. (String literals are not compared: format
// patterns such as TO_CHAR's '999.99' or date_format's '%Y' are rewritten into DuckDB's on purpose.)
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sqlengine/dialect/athena_dialect.hpp"
#include "sqlengine/dialect/redshift_dialect.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

using namespace mallard::sqlengine::dialect;

namespace {

bool HasUnterminated(const std::vector<Token>& tokens) {
  for (const auto& token : tokens) {
    if (token.unterminated) return true;
  }
  return false;
}

// The dialect's own parameter form: Athena's `?` (ExecutionParameters), Redshift Data's `:name`.
std::vector<std::string_view> Parameters(const std::vector<Token>& tokens, char sigil) {
  std::vector<std::string_view> parameters;
  for (const auto& token : tokens) {
    if (token.kind == TokenKind::Parameter && token.text.front() == sigil) parameters.push_back(token.text);
  }
  return parameters;
}

void CheckTranslation(const std::vector<Token>& input_tokens, bool input_unterminated, const std::string& output,
                      char sigil) {
  auto output_tokens = Tokenize(output);
  if (input_unterminated) return;
  if (HasUnterminated(output_tokens)) std::abort();
  auto output_parameters = Parameters(output_tokens, sigil);
  auto input_parameters = Parameters(input_tokens, sigil);
  if (sigil == ':') {
    // Redshift Data's parameters are bound by name (RewriteNamedParameters: `:name` -> `$name`),
    // so a translation may use one more than once (TO_CHAR repeats its argument per format part):
    // the names must be the same, not their count.
    std::sort(output_parameters.begin(), output_parameters.end());
    output_parameters.erase(std::unique(output_parameters.begin(), output_parameters.end()), output_parameters.end());
    std::sort(input_parameters.begin(), input_parameters.end());
    input_parameters.erase(std::unique(input_parameters.begin(), input_parameters.end()), input_parameters.end());
  }
  // Athena's `?` are positional: the same ones, in the same order and number.
  if (output_parameters != input_parameters) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return -1;  // longer texts add time, not paths
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  auto tokens = Tokenize(sql);
  std::size_t offset = 0;
  for (const auto& token : tokens) {
    if (token.offset != offset || token.text.empty() || sql.substr(offset, token.text.size()) != token.text) std::abort();
    offset += token.text.size();
  }
  if (offset != sql.size()) std::abort();
  const bool unterminated = HasUnterminated(tokens);

  auto athena = TranslateAthena(sql, AthenaNames{});
  if (athena.ok()) CheckTranslation(tokens, unterminated, athena.value(), '?');
  else if (athena.error().message.empty()) std::abort();

  RedshiftSession session;
  auto redshift = TranslateRedshift(sql, session);
  if (redshift.ok()) CheckTranslation(tokens, unterminated, redshift.value(), ':');
  else if (redshift.error().message.empty()) std::abort();
  return 0;
}
