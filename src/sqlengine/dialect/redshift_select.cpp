#include "sqlengine/dialect/redshift_select.hpp"

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mallard::sqlengine::dialect {

namespace {

using Form = Result<std::optional<FormResult>, DialectError>;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::string Lower(std::string_view text) { return DialectRewriter::Lower(text); }

// Clause words that end a SELECT list at its own bracket level.
bool EndsSelectList(const Token& token) {
  static const std::unordered_set<std::string> kWords = {"from",   "where",  "group",     "having", "window", "order",
                                                         "limit",  "offset", "union",     "except", "intersect",
                                                         "minus",  "into",   "qualify"};
  return token.kind == TokenKind::Word && kWords.count(Lower(token.text)) != 0;
}

// Redshift's internal name of a type as a cast's column is named.
std::string CastColumnName(std::string_view type) {
  static const std::unordered_map<std::string, std::string> kNames = {
      {"int", "int4"},         {"integer", "int4"},     {"int4", "int4"},         {"smallint", "int2"},
      {"int2", "int2"},        {"bigint", "int8"},      {"int8", "int8"},         {"numeric", "numeric"},
      {"decimal", "numeric"},  {"real", "float4"},      {"float4", "float4"},     {"double", "float8"},
      {"float8", "float8"},    {"float", "float8"},     {"varchar", "varchar"},   {"character", "bpchar"},
      {"char", "bpchar"},      {"nchar", "bpchar"},     {"bpchar", "bpchar"},     {"nvarchar", "varchar"},
      {"text", "varchar"},     {"bool", "bool"},        {"boolean", "bool"},      {"date", "date"},
      {"timestamp", "timestamp"}, {"timestamptz", "timestamptz"}, {"time", "time"}, {"timetz", "timetz"},
      {"super", "super"},      {"varbyte", "varbyte"},  {"interval", "interval"}};
  std::string lower = Lower(type);
  auto found = kNames.find(lower);
  return found == kNames.end() ? lower : found->second;
}

class ItemNamer {
 public:
  ItemNamer(const DialectRewriter& rewriter, const std::unordered_set<std::string>& reserved)
      : rewriter_(rewriter), tokens_(rewriter.Tokens()), reserved_(reserved) {}

  // The name to give the item [begin, end), or "" when it has one (an alias, a column, `*`).
  std::string NameFor(std::size_t begin, std::size_t end) const {
    std::vector<std::size_t> sig;
    for (std::size_t i = begin; i < end; ++i) {
      if (!tokens_[i].IsTrivia()) sig.push_back(i);
    }
    if (sig.empty() || IsPlainName(sig) || HasAlias(sig) || HasTopLevelStar(begin, end)) return {};
    const Token& first = tokens_[sig[0]];
    // A trailing `::type` names the item after the type.
    std::size_t cast = kNone;
    for (std::size_t i = begin; i < end; ++i) {
      if (tokens_[i].IsPunct('(') || tokens_[i].IsPunct('[')) {
        i = rewriter_.Close(i, end);
        continue;
      }
      if (tokens_[i].IsOperator("::")) cast = i;
    }
    if (cast != kNone) {
      std::size_t type = rewriter_.Next(cast + 1, end);
      if (type < end && tokens_[type].kind == TokenKind::Word) {
        std::string word = Lower(tokens_[type].text);
        std::size_t after = rewriter_.Next(type + 1, end);
        if ((word == "double" || word == "character") && after < end && tokens_[after].kind == TokenKind::Word) {
          word = word == "double" ? "float8" : Lower(tokens_[after].text) == "varying" ? "varchar" : word;
        }
        return CastColumnName(word);
      }
    }
    if (first.IsKeyword("CASE") && tokens_[sig.back()].IsKeyword("END")) return "case";
    if (first.IsKeyword("INTERVAL") && sig.size() <= 3) return "interval";
    std::size_t call = sig[0];
    if (first.IsKeyword("APPROXIMATE") && sig.size() > 1) call = sig[1];
    // A call, possibly schema-qualified, possibly followed by OVER (…), WITHIN GROUP (…), FILTER (…).
    std::size_t name = call;
    std::size_t open = rewriter_.Next(call + 1, end);
    while (open < end && tokens_[open].IsPunct('.')) {
      name = rewriter_.Next(open + 1, end);
      if (name >= end) return "?column?";
      open = rewriter_.Next(name + 1, end);
    }
    if (tokens_[name].kind != TokenKind::Word || open >= end || !tokens_[open].IsPunct('(')) return "?column?";
    std::size_t close = rewriter_.Close(open, end);
    std::size_t after = close < end ? rewriter_.Next(close + 1, end) : end;
    while (after < end) {
      const Token& word = tokens_[after];
      std::size_t bracket = kNone;
      if (word.IsKeyword("OVER") || word.IsKeyword("FILTER")) {
        bracket = rewriter_.Next(after + 1, end);
      } else if (word.IsKeyword("WITHIN")) {
        std::size_t group = rewriter_.Next(after + 1, end);
        bracket = group < end ? rewriter_.Next(group + 1, end) : end;
      } else {
        return "?column?";
      }
      if (bracket >= end || !tokens_[bracket].IsPunct('(')) return "?column?";
      after = rewriter_.Next(rewriter_.Close(bracket, end) + 1, end);
    }
    std::string function = Lower(tokens_[name].text);
    if (function == "columns" || function == "unnest") return {};  // expand to several columns
    if (function == "cast" || function == "convert") return CastName(open, close, function == "convert");
    if (function == "date_part") return "pgdate_part";
    if (function == "extract") return "date_part";
    if (function == "substr") return "substring";
    return function;
  }

 private:
  // CAST(x AS type) / CONVERT(type, x): the type's name.
  std::string CastName(std::size_t open, std::size_t close, bool convert) const {
    std::size_t type = kNone;
    if (convert) {
      type = rewriter_.Next(open + 1, close);
    } else {
      for (std::size_t i = open + 1; i < close; ++i) {
        if (tokens_[i].IsPunct('(') || tokens_[i].IsPunct('[')) {
          i = rewriter_.Close(i, close);
          continue;
        }
        if (tokens_[i].IsKeyword("AS")) type = rewriter_.Next(i + 1, close);
      }
    }
    if (type == kNone || type >= close || tokens_[type].kind != TokenKind::Word) return "?column?";
    std::string word = Lower(tokens_[type].text);
    std::size_t after = rewriter_.Next(type + 1, close);
    if ((word == "double" || word == "character") && after < close && tokens_[after].kind == TokenKind::Word) {
      word = word == "double" ? "float8" : Lower(tokens_[after].text) == "varying" ? "varchar" : word;
    }
    return CastColumnName(word);
  }

  bool IsNameToken(const Token& token) const {
    return token.kind == TokenKind::QuotedIdentifier ||
           (token.kind == TokenKind::Word && reserved_.count(Lower(token.text)) == 0);
  }

  // a, t.a, "a", t.*, *
  bool IsPlainName(const std::vector<std::size_t>& sig) const {
    if (sig.size() % 2 == 0) return false;
    for (std::size_t k = 0; k < sig.size(); ++k) {
      const Token& token = tokens_[sig[k]];
      if (k % 2 == 1) {
        if (!token.IsPunct('.')) return false;
      } else if (!(IsNameToken(token) || (token.IsOperator("*") && k + 1 == sig.size()))) {
        return false;
      }
    }
    return true;
  }

  // `… AS name` or `… name` after an operand.
  bool HasAlias(const std::vector<std::size_t>& sig) const {
    if (sig.size() < 2) return false;
    const Token& last = tokens_[sig.back()];
    const Token& before = tokens_[sig[sig.size() - 2]];
    if (!IsNameToken(last)) return false;
    if (before.IsKeyword("AS")) return true;
    static const std::unordered_set<std::string> kContinuations = {"desc", "asc", "nulls", "first", "last",
                                                                   "preceding", "following", "row", "rows"};
    if (last.kind == TokenKind::Word && kContinuations.count(Lower(last.text)) != 0) return false;
    static const std::unordered_set<std::string> kIntervalFields = {"year", "month", "day", "hour", "minute", "second"};
    if (before.Is(TokenKind::String) && last.kind == TokenKind::Word && kIntervalFields.count(Lower(last.text)) != 0) {
      return false;  // INTERVAL '1' DAY
    }
    return before.IsPunct(')') || before.IsPunct(']') || before.Is(TokenKind::Number) || before.Is(TokenKind::String) ||
           before.Is(TokenKind::Parameter) || before.kind == TokenKind::QuotedIdentifier ||
           (before.kind == TokenKind::Word && (IsNameToken(before) || before.IsKeyword("END") || before.IsKeyword("NULL") ||
                                               before.IsKeyword("TRUE") || before.IsKeyword("FALSE")));
  }

  // DuckDB's `* EXCLUDE (…)`, `t.* REPLACE (…)`: several columns, named by the engine.
  bool HasTopLevelStar(std::size_t begin, std::size_t end) const {
    for (std::size_t i = begin; i < end; ++i) {
      if (tokens_[i].IsPunct('(') || tokens_[i].IsPunct('[')) {
        i = rewriter_.Close(i, end);
        continue;
      }
      if (tokens_[i].IsOperator("*")) {
        std::size_t previous = rewriter_.Previous(i);
        if (previous == kNone || previous < begin || tokens_[previous].IsPunct('.')) return true;
      }
    }
    return false;
  }

  const DialectRewriter& rewriter_;
  const std::vector<Token>& tokens_;
  const std::unordered_set<std::string>& reserved_;
};

std::string WithoutTrailingBlanks(std::string text, std::string* blanks) {
  std::size_t keep = text.size();
  while (keep > 0 && (text[keep - 1] == ' ' || text[keep - 1] == '\n' || text[keep - 1] == '\t' || text[keep - 1] == '\r')) {
    --keep;
  }
  if (blanks != nullptr) *blanks = text.substr(keep);
  text.resize(keep);
  return text;
}

}  // namespace

Form RedshiftSelectForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth,
                        const std::unordered_set<std::string>& reserved) {
  const auto& tokens = rewriter.Tokens();
  std::string text(tokens[index].text);
  std::size_t cursor = index + 1;
  // TOP n: a LIMIT at the end of this query (its statement or its bracket).
  std::string limit;
  std::size_t top = rewriter.Next(cursor, end);
  if (top < end && tokens[top].IsKeyword("TOP")) {
    std::size_t count = rewriter.Next(top + 1, end);
    if (count >= end || !(tokens[count].Is(TokenKind::Number) || tokens[count].Is(TokenKind::Parameter))) {
      return Fail(rewriter.SyntaxError(count, ""));
    }
    limit = std::string(tokens[count].text);
    cursor = count + 1;
  }
  std::size_t quantifier = rewriter.Next(cursor, end);
  if (quantifier < end && (tokens[quantifier].IsKeyword("DISTINCT") || tokens[quantifier].IsKeyword("ALL"))) {
    MALLARD_ASSIGN_OR_RETURN(std::string words, rewriter.RewriteRange(cursor, quantifier + 1, depth));
    text += words;
    cursor = quantifier + 1;
    std::size_t on = rewriter.Next(cursor, end);
    if (on < end && tokens[on].IsKeyword("ON")) return std::optional<FormResult>();  // DuckDB's DISTINCT ON: as written
  }
  // The list ends at its first clause word outside brackets (`… WITHIN GROUP` is an aggregate's).
  std::size_t list_end = end;
  std::size_t statement_end = end;
  for (std::size_t i = cursor; i < end; ++i) {
    const Token& token = tokens[i];
    if (token.IsPunct('(') || token.IsPunct('[') || token.IsPunct('{')) {
      i = rewriter.Close(i, end);
      continue;
    }
    if (token.IsPunct(';')) {
      if (list_end == end) list_end = i;
      statement_end = i;
      break;
    }
    if (list_end == end && EndsSelectList(token)) {
      std::size_t previous = rewriter.Previous(i);
      if (token.IsKeyword("GROUP") && previous != kNone && tokens[previous].IsKeyword("WITHIN")) continue;
      if (previous != kNone && tokens[previous].IsKeyword("AS")) continue;  // `3 AS window`: a name
      list_end = i;
    }
  }
  ItemNamer namer(rewriter, reserved);
  bool first = true;
  for (const auto& [item_begin, item_end] : rewriter.SplitTopLevel(cursor, list_end)) {
    if (!first) text += ",";
    first = false;
    MALLARD_ASSIGN_OR_RETURN(std::string item, rewriter.RewriteRange(item_begin, item_end, depth));
    std::string name = namer.NameFor(item_begin, item_end);
    if (name.empty()) {
      text += item;
    } else {
      std::string blanks;
      text += WithoutTrailingBlanks(std::move(item), &blanks) + " AS " + QuoteIdentifier(name) + blanks;
    }
  }
  // SELECT … INTO [TEMP] [TABLE] name FROM …: Redshift's CREATE TABLE AS.
  const std::size_t previous = rewriter.Previous(index);
  if (list_end < end && tokens[list_end].IsKeyword("INTO") && (previous == kNone || tokens[previous].IsPunct(';'))) {
    std::size_t k = rewriter.Next(list_end + 1, statement_end);
    bool temporary = false;
    if (k < statement_end && (tokens[k].IsKeyword("TEMP") || tokens[k].IsKeyword("TEMPORARY"))) {
      temporary = true;
      k = rewriter.Next(k + 1, statement_end);
    }
    if (k < statement_end && tokens[k].IsKeyword("TABLE")) k = rewriter.Next(k + 1, statement_end);
    QualifiedName name;
    while (k < statement_end && (tokens[k].kind == TokenKind::Word || tokens[k].kind == TokenKind::QuotedIdentifier) &&
           !tokens[k].unterminated) {
      name.parts.push_back(NamePart{IdentifierText(tokens[k]), tokens[k].kind != TokenKind::Word, tokens[k].offset});
      std::size_t dot = rewriter.Next(k + 1, statement_end);
      k = dot;
      if (dot < statement_end && tokens[dot].IsPunct('.')) {
        k = rewriter.Next(dot + 1, statement_end);
        continue;
      }
      break;
    }
    if (name.parts.empty() || name.parts.size() > 3) return Fail(rewriter.SyntaxError(k, ""));
    if (rewriter.Rules().map_name) MALLARD_RETURN_IF_ERROR(rewriter.Rules().map_name(name));
    std::string table;
    for (std::size_t p = 0; p < name.parts.size(); ++p) table += (p ? "." : "") + rewriter.EngineIdentifier(name.parts[p]);
    MALLARD_ASSIGN_OR_RETURN(std::string rest, rewriter.RewriteRange(k, statement_end, depth));
    std::string query = WithoutTrailingBlanks(text, nullptr) + " " + rest;
    if (!limit.empty()) query = WithoutTrailingBlanks(query, nullptr) + " LIMIT " + limit;
    return std::optional<FormResult>(FormResult{
        std::string("CREATE ") + (temporary ? "TEMPORARY " : "") + "TABLE " + table + " AS " + query, statement_end});
  }
  if (limit.empty()) return std::optional<FormResult>(FormResult{std::move(text), list_end});
  MALLARD_ASSIGN_OR_RETURN(std::string rest, rewriter.RewriteRange(list_end, statement_end, depth));
  text = WithoutTrailingBlanks(text + rest, nullptr) + " LIMIT " + limit + " ";
  return std::optional<FormResult>(FormResult{std::move(text), statement_end});
}

}  // namespace mallard::sqlengine::dialect
