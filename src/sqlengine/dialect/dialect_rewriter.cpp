#include "sqlengine/dialect/dialect_rewriter.hpp"

#include <algorithm>
#include <array>

namespace mallard::sqlengine::dialect {

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

bool IsNamePartToken(const Token& token) {
  return token.kind == TokenKind::Word || token.kind == TokenKind::QuotedIdentifier ||
         token.kind == TokenKind::BacktickIdentifier;
}

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  const auto first = static_cast<unsigned char>(name[0]);
  if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (!((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') || byte == '_' || byte == '$')) return false;
  }
  return true;
}

bool Contains(const std::unordered_set<std::string>* set, const std::string& word) {
  return set != nullptr && set->count(word) != 0;
}

// Clause words that end a top-level SELECT list.
bool EndsSelectList(const std::string& word) {
  static const std::unordered_set<std::string> kWords = {"from",  "where",  "group",  "having", "window",
                                                         "order", "limit",  "offset", "fetch",  "union",
                                                         "except", "intersect", "into"};
  return kWords.count(word) != 0;
}

// Reserved words that end an operand (`… END last`, `NULL AS x`).
bool ReservedEndsOperand(const std::string& word) {
  static const std::unordered_set<std::string> kWords = {
      "end", "null", "true", "false", "current_date", "current_time", "current_timestamp", "localtime",
      "localtimestamp", "current_user", "current_path", "current_catalog", "current_schema", "current_role"};
  return kWords.count(word) != 0;
}

// Reserved words after which a name or an expression starts (so a following keyword-spelled word
// is a column or table name).
bool ReservedStartsOperand(const std::string& word) {
  static const std::unordered_set<std::string> kWords = {
      "select", "where", "and", "or", "not", "on", "by", "when", "then", "else", "between", "like", "having",
      "case", "escape", "distinct", "in", "from", "join", "into", "table", "exists", "values", "using",
      "is", "as", "with", "set", "return", "update", "all", "lateral"};
  return kWords.count(word) != 0;
}

}  // namespace

std::string_view TrimSql(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

struct DialectRewriter::Walk {
  std::string clause;  // the latest clause word at this bracket level ("from", "where", …)
};

DialectRewriter::DialectRewriter(std::string_view sql, const DialectRules& rules)
    : sql_(sql), rules_(rules), tokens_(Tokenize(sql)) {}

std::string DialectRewriter::Lower(std::string_view word) {
  std::string lowered(word);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

bool DialectRewriter::IsReserved(std::string_view lower_word) const {
  return rules_.dialect_reserved != nullptr && rules_.dialect_reserved->count(std::string(lower_word)) != 0;
}

std::size_t DialectRewriter::Next(std::size_t index, std::size_t limit) const {
  if (limit > tokens_.size()) limit = tokens_.size();
  while (index < limit && tokens_[index].IsTrivia()) ++index;
  return index < limit ? index : limit;
}

std::size_t DialectRewriter::Previous(std::size_t index) const {
  while (index > 0) {
    --index;
    if (!tokens_[index].IsTrivia()) return index;
  }
  return kNone;
}

std::size_t DialectRewriter::Close(std::size_t open, std::size_t end) const {
  std::size_t close = MatchingClose(tokens_, open);
  return close < end ? close : end;
}

std::size_t DialectRewriter::OpenAfter(std::size_t index, std::size_t end) const {
  std::size_t open = Next(index + 1, end);
  return open < end && tokens_[open].IsPunct('(') ? open : std::string_view::npos;
}

Result<std::size_t, DialectError> DialectRewriter::CloseOrError(std::size_t open, std::size_t end,
                                                                std::string_view detail) const {
  std::size_t close = Close(open, end);
  if (close >= end) return Fail(SyntaxError(tokens_.size(), detail));
  return close;
}

std::size_t DialectRewriter::StatementEnd(std::size_t index, std::size_t end) const {
  for (std::size_t i = index; i < end; ++i) {
    if (tokens_[i].IsPunct('(') || tokens_[i].IsPunct('[') || tokens_[i].IsPunct('{')) {
      i = Close(i, end);
      continue;
    }
    if (tokens_[i].IsPunct(';')) return i;
  }
  return end;
}

std::size_t DialectRewriter::LastTopLevelKeyword(std::size_t begin, std::size_t end, std::string_view upper) const {
  std::size_t found = std::string_view::npos;
  for (std::size_t i = begin; i < end; ++i) {
    if (tokens_[i].IsPunct('(') || tokens_[i].IsPunct('[')) {
      i = Close(i, end);
      continue;
    }
    if (tokens_[i].IsKeyword(upper)) found = i;
  }
  return found;
}

std::vector<std::pair<std::size_t, std::size_t>> DialectRewriter::SplitTopLevel(std::size_t begin, std::size_t end) const {
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  std::size_t start = begin;
  std::size_t i = begin;
  while (i < end) {
    const Token& token = tokens_[i];
    if (token.IsPunct('(') || token.IsPunct('[') || token.IsPunct('{')) {
      std::size_t close = Close(i, end);
      i = close < end ? close + 1 : end;
      continue;
    }
    if (token.IsPunct(',')) {
      pieces.emplace_back(start, i);
      start = i + 1;
    }
    ++i;
  }
  pieces.emplace_back(start, end);
  return pieces;
}

SourcePosition DialectRewriter::PositionOfToken(std::size_t index) const {
  const std::size_t offset = index < tokens_.size() ? tokens_[index].offset : sql_.size();
  // Every call names its position: the line starts are found once, then each position is a
  // binary search (a column count from the start of the text per call was quadratic).
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < sql_.size(); ++i) {
      if (sql_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  auto after = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line = static_cast<std::size_t>(after - line_starts_.begin());
  return SourcePosition{line, offset - line_starts_[line - 1] + 1};
}

DialectError DialectRewriter::SyntaxError(std::size_t index, std::string_view detail) const {
  const std::size_t offset = index < tokens_.size() ? tokens_[index].offset : sql_.size();
  if (rules_.syntax_error) return rules_.syntax_error(sql_, offset, detail);
  const SourcePosition position = PositionOf(sql_, offset);
  return DialectError{"SYNTAX_ERROR", "line " + std::to_string(position.line) + ":" + std::to_string(position.column) +
                                          ": " + std::string(detail)};
}

std::string DialectRewriter::EngineIdentifier(const NamePart& part) const {
  std::string text = part.text;
  const bool fold = rules_.identifier_case == IdentifierCase::LowerAll ||
                    (rules_.identifier_case == IdentifierCase::LowerUnquoted && !part.quoted);
  if (fold) text = Lower(text);
  if (part.quoted || !IsPlainName(text) || Contains(rules_.engine_keywords, Lower(text))) return QuoteIdentifier(text);
  return text;
}

Result<std::string, DialectError> DialectRewriter::CallFunction(std::string name, std::vector<std::string> arguments,
                                                                std::size_t index, bool table_position) {
  const SourcePosition position = PositionOfToken(index);
  FunctionCall call{std::move(name), std::move(arguments), position.line, position.column};
  if (table_position && rules_.map_table_function) return rules_.map_table_function(call);
  if (!rules_.map_function) return Fail(SyntaxError(index, "function calls are not supported"));
  return rules_.map_function(call);
}

Result<std::vector<std::string>, DialectError> DialectRewriter::CallArguments(std::size_t open, std::size_t close,
                                                                              int depth) {
  std::vector<std::string> arguments;
  if (Next(open + 1, close) >= close) return arguments;  // f()
  for (const auto& [begin, end] : SplitTopLevel(open + 1, close)) {
    if (Next(begin, end) >= end) return Fail(SyntaxError(end, "mismatched input ','. Expecting: <expression>"));
    MALLARD_ASSIGN_OR_RETURN(std::string text, RewriteRange(begin, end, depth));
    arguments.emplace_back(TrimSql(text));
  }
  return arguments;
}

Result<std::string, DialectError> DialectRewriter::Rewrite() {
  const std::size_t count = tokens_.size();
  const std::size_t first = Next(0, count);
  if (first >= count) return std::string(sql_);
  const std::string lead = tokens_[first].kind == TokenKind::Word ? Lower(tokens_[first].text) : "";
  if (!rules_.unnamed_column || (lead != "select" && lead != "with")) return RewriteRange(0, count, 0);
  // The first SELECT outside brackets starts the list whose items name the result's columns.
  std::size_t select = kNone;
  for (std::size_t i = first; i < count; ++i) {
    const Token& token = tokens_[i];
    if (token.IsPunct('(') || token.IsPunct('[') || token.IsPunct('{')) {
      std::size_t close = Close(i, count);
      if (close >= count) break;
      i = close;
    } else if (token.IsKeyword("SELECT")) {
      select = i;
      break;
    }
  }
  if (select == kNone) return RewriteRange(0, count, 0);
  std::size_t list_end = count;
  for (std::size_t i = select + 1; i < count; ++i) {
    const Token& token = tokens_[i];
    if (token.IsPunct('(') || token.IsPunct('[') || token.IsPunct('{')) {
      std::size_t close = Close(i, count);
      if (close >= count) break;
      i = close;
    } else if (token.IsPunct(';') || (token.kind == TokenKind::Word && EndsSelectList(Lower(token.text)))) {
      // … WITHIN GROUP (ORDER BY …) belongs to an aggregate of the list.
      // `AS limit` names a column.
      const std::size_t previous = Previous(i);
      if (token.IsKeyword("GROUP") && previous != kNone && tokens_[previous].IsKeyword("WITHIN")) continue;
      if (previous != kNone && (tokens_[previous].IsKeyword("AS") || tokens_[previous].IsPunct('.'))) continue;
      if (token.IsKeyword("FROM") && previous != kNone && tokens_[previous].IsKeyword("DISTINCT")) continue;  // IS DISTINCT FROM
      list_end = i;
      break;
    }
  }
  MALLARD_ASSIGN_OR_RETURN(std::string head, RewriteRange(0, select + 1, 0));
  MALLARD_ASSIGN_OR_RETURN(std::string list, RewriteSelectList(select + 1, list_end, 0));
  MALLARD_ASSIGN_OR_RETURN(std::string tail, RewriteRange(list_end, count, 0));
  return head + list + tail;
}

Result<std::string, DialectError> DialectRewriter::RewriteSelectList(std::size_t begin, std::size_t end, int depth) {
  std::string out;
  std::size_t start = begin;
  const std::size_t quantifier = Next(begin, end);
  if (quantifier < end && (tokens_[quantifier].IsKeyword("DISTINCT") || tokens_[quantifier].IsKeyword("ALL"))) {
    MALLARD_ASSIGN_OR_RETURN(std::string text, RewriteRange(begin, quantifier + 1, depth));
    out += text;
    start = quantifier + 1;
  }
  std::size_t position = 0;
  for (const auto& [item_begin, item_end] : SplitTopLevel(start, end)) {
    if (position != 0) out += ",";
    // The item's significant tokens decide whether it is a plain column, `*`, or already named.
    std::vector<std::size_t> significant;
    for (std::size_t i = item_begin; i < item_end; ++i) {
      if (!tokens_[i].IsTrivia()) significant.push_back(i);
    }
    if (significant.empty()) {
      // `SELECT a, FROM t` (DuckDB takes the trailing comma; Trino does not).
      const std::string_view at = item_end < tokens_.size() ? tokens_[item_end].text : std::string_view("<EOF>");
      return Fail(SyntaxError(item_end, "mismatched input '" + std::string(at) + "'. Expecting: <expression>"));
    }
    bool named = false;
    {
      // a, t.a, "a", t.*, *
      bool plain = true;
      for (std::size_t k = 0; k < significant.size() && plain; ++k) {
        const Token& token = tokens_[significant[k]];
        const bool expect_name = k % 2 == 0;
        if (expect_name) {
          const bool is_star = token.IsOperator("*") && k + 1 == significant.size();
          const bool is_name = token.kind == TokenKind::QuotedIdentifier ||
                               token.kind == TokenKind::BacktickIdentifier ||
                               (token.kind == TokenKind::Word && !IsReserved(Lower(token.text)));
          plain = is_star || is_name;
        } else {
          plain = token.IsPunct('.');
        }
      }
      if (plain && significant.size() % 2 == 0) plain = false;  // ends with a dot
      named = plain;
    }
    if (!named && significant.size() >= 2) {
      const Token& last = tokens_[significant.back()];
      const std::size_t before = significant[significant.size() - 2];
      const bool after_as = tokens_[before].IsKeyword("AS");
      const bool last_is_name = last.kind == TokenKind::QuotedIdentifier || last.kind == TokenKind::BacktickIdentifier ||
                                (last.kind == TokenKind::Word && !IsReserved(Lower(last.text)) &&
                                 (after_as || !Contains(rules_.never_alias, Lower(last.text))));
      // INTERVAL '1' DAY ends with its field, not an alias.
      static const std::unordered_set<std::string> kIntervalFields = {"year", "month", "day", "hour", "minute", "second"};
      const bool interval_field = last.kind == TokenKind::Word && tokens_[before].Is(TokenKind::String) &&
                                  kIntervalFields.count(Lower(last.text)) != 0;
      if (last_is_name && !interval_field && (tokens_[before].IsKeyword("AS") ||
                           (EndsOperand(before) && !(last.kind == TokenKind::Word && IsNameHere(significant.back(), item_end) == false &&
                                                     Contains(rules_.engine_keywords, Lower(last.text)))))) {
        named = true;
      }
    }
    if (named) {
      MALLARD_ASSIGN_OR_RETURN(std::string text, RewriteRange(item_begin, item_end, depth));
      out += text;
    } else {
      // The alias goes right after the item's last significant token, before trailing blanks and
      // comments (`1 + 1 -- note` must not swallow it).
      MALLARD_ASSIGN_OR_RETURN(std::string body, RewriteRange(item_begin, significant.back() + 1, depth));
      MALLARD_ASSIGN_OR_RETURN(std::string trailing, RewriteRange(significant.back() + 1, item_end, depth));
      out += body + " AS " + QuoteIdentifier(rules_.unnamed_column(position)) + trailing;
    }
    ++position;
  }
  return out;
}

Result<std::string, DialectError> DialectRewriter::RewriteRange(std::size_t begin, std::size_t end, int depth) {
  if (depth > rules_.max_depth) return Fail(SyntaxError(begin, "statement is too deeply nested"));
  std::string out;
  out.reserve(end > begin ? (tokens_[end - 1].offset + tokens_[end - 1].text.size() - tokens_[begin].offset) + 16 : 0);
  Walk walk;
  std::size_t i = begin;
  while (i < end) {
    const Token& token = tokens_[i];
    switch (token.kind) {
      case TokenKind::Space:
        out.append(token.text);
        ++i;
        break;
      case TokenKind::Comment:
        if (token.unterminated) return Fail(SyntaxError(i, "unterminated comment"));
        out.append(token.text);
        ++i;
        break;
      case TokenKind::String:
        if (token.unterminated) return Fail(SyntaxError(i, "mismatched input '''. Unterminated string literal"));
        out.append(token.text);
        ++i;
        break;
      case TokenKind::Operator:
        out.append(token.text);
        ++i;
        if (rules_.engine_casts_as_written && token.text == "::") {
          // The type: a (dotted) name, an optional (…) and any [] suffixes, copied as written.
          std::size_t type = Next(i, end);
          if (type < end && IsNamePartToken(tokens_[type]) && !tokens_[type].unterminated) {
            std::size_t last = type;
            while (true) {
              std::size_t next = Next(last + 1, end);
              if (next < end && tokens_[next].IsPunct('.')) {
                std::size_t part = Next(next + 1, end);
                if (part < end && IsNamePartToken(tokens_[part]) && !tokens_[part].unterminated) {
                  last = part;
                  continue;
                }
              }
              if (next < end && tokens_[next].IsPunct('(')) {
                std::size_t close = Close(next, end);
                if (close < end) last = close;
                next = Next(last + 1, end);
              }
              while (next < end && tokens_[next].IsPunct('[')) {
                std::size_t close = Close(next, end);
                if (close >= end) break;
                last = close;
                next = Next(last + 1, end);
              }
              break;
            }
            out.append(sql_.substr(tokens_[i].offset, tokens_[last].offset + tokens_[last].text.size() - tokens_[i].offset));
            i = last + 1;
          }
        }
        break;
      case TokenKind::Number:
      case TokenKind::Parameter:
      case TokenKind::Other:
        out.append(token.text);
        ++i;
        break;
      case TokenKind::Punctuation: {
        const char c = token.text[0];
        if (c == '(' || c == '[' || c == '{') {
          const std::size_t close = MatchingClose(tokens_, i);
          if (close >= end) return Fail(SyntaxError(tokens_.size(), "mismatched input '<EOF>'"));
          MALLARD_ASSIGN_OR_RETURN(std::string inner, RewriteRange(i + 1, close, depth + 1));
          out.push_back(c);
          out += inner;
          out.append(tokens_[close].text);
          i = close + 1;
        } else if (c == ')' || c == ']' || c == '}') {
          return Fail(SyntaxError(i, "extraneous input '" + std::string(token.text) + "'"));
        } else {
          out.append(token.text);
          ++i;
        }
        break;
      }
      case TokenKind::QuotedIdentifier:
      case TokenKind::BacktickIdentifier:
      case TokenKind::Word: {
        if (token.unterminated) return Fail(SyntaxError(i, "mismatched input. Unterminated quoted identifier"));
        if (token.kind == TokenKind::Word) {
          std::string lowered = Lower(token.text);
          if (lowered == "select" || lowered == "where" || lowered == "group" || lowered == "having" ||
              lowered == "order" || lowered == "limit" || lowered == "on" || lowered == "using") {
            walk.clause = lowered;
          } else if (lowered == "from" || lowered == "join") {
            walk.clause = "from";
          }
        }
        MALLARD_ASSIGN_OR_RETURN(std::string text, RewriteWord(i, end, depth, walk));
        out += text;
        break;
      }
    }
  }
  return out;
}

bool DialectRewriter::EndsOperand(std::size_t index) const {
  if (index == kNone || index >= tokens_.size()) return false;
  const Token& token = tokens_[index];
  switch (token.kind) {
    case TokenKind::QuotedIdentifier:
    case TokenKind::BacktickIdentifier:
    case TokenKind::Number:
    case TokenKind::String:
    case TokenKind::Parameter: return true;
    case TokenKind::Punctuation: return token.IsPunct(')') || token.IsPunct(']');
    case TokenKind::Word: {
      const std::string lowered = Lower(token.text);
      if (IsReserved(lowered)) return ReservedEndsOperand(lowered);
      if (!Contains(rules_.engine_keywords, lowered)) return true;
      // A keyword-spelled name ends an operand when it stands where a name starts.
      const std::size_t previous = Previous(index);
      if (previous == kNone) return false;
      const Token& before = tokens_[previous];
      // The field that ends an interval literal: INTERVAL '1' DAY, … YEAR TO MONTH.
      static const std::unordered_set<std::string> kIntervalFields = {"year", "month", "day", "hour", "minute", "second"};
      if (kIntervalFields.count(lowered) != 0 && (before.Is(TokenKind::String) || before.IsKeyword("TO"))) return true;
      if (before.IsPunct('.') || before.IsPunct('(') || before.IsPunct(',') || before.Is(TokenKind::Operator)) return true;
      return before.kind == TokenKind::Word && ReservedStartsOperand(Lower(before.text)) && IsReserved(Lower(before.text));
    }
    default: return false;
  }
}

bool DialectRewriter::IsNameHere(std::size_t index, std::size_t end) const {
  const Token& token = tokens_[index];
  if (token.kind != TokenKind::Word) return true;
  const std::string word = Lower(token.text);
  if (IsReserved(word)) return false;
  if (!Contains(rules_.engine_keywords, word)) return true;
  const std::size_t previous = Previous(index);
  const std::size_t next = Next(index + 1, end);
  const std::string previous_word =
      previous != kNone && tokens_[previous].kind == TokenKind::Word ? Lower(tokens_[previous].text) : "";
  const std::string next_word = next < end && tokens_[next].kind == TokenKind::Word ? Lower(tokens_[next].text) : "";
  const bool next_open = next < end && tokens_[next].IsPunct('(');
  // Keyword phrases the dialects share.
  if (next_open && Contains(rules_.structural_parens, word)) return false;  // = ANY (…), OVER (…)
  if (word == "if" && (next_word == "not" || next_word == "exists")) return false;
  if ((word == "first" || word == "last") && previous_word == "nulls") return false;
  if ((word == "first" || word == "next") && previous_word == "fetch") return false;
  if (word == "at" && (next_word == "time" || next_open)) return false;
  if (word == "current" && next_word == "row") return false;
  if (word == "unbounded" && (next_word == "preceding" || next_word == "following")) return false;
  if ((word == "row" || word == "rows") && (previous_word == "current" || previous_word == "first" || previous_word == "next")) {
    return false;
  }
  if ((word == "limit" || word == "offset") && next < end &&
      (tokens_[next].Is(TokenKind::Number) || tokens_[next].Is(TokenKind::Parameter) || next_word == "all")) {
    return false;
  }
  if (next_word == "by") return false;  // PARTITION BY, ORDER BY
  if (word == "ordinality" && previous_word == "with") return false;
  if (word == "replace" && previous_word == "or") return false;
  if (previous == kNone) return false;  // the statement's first word
  const Token& before = tokens_[previous];
  if (before.IsPunct('.') || (next < end && tokens_[next].IsPunct('.'))) return true;
  if (previous_word == "as") return true;
  if (EndsOperand(previous)) {
    // After an expression: a bare alias, unless it is a keyword that continues the expression.
    if (Contains(rules_.never_alias, word)) return false;
    if (next >= end || tokens_[next].IsPunct(',') || tokens_[next].IsPunct(')') || tokens_[next].IsPunct(';')) return true;
    if (next_open) return !Contains(rules_.structural_parens, word);
    return !next_word.empty() && IsReserved(next_word);
  }
  if (before.IsPunct('(') || before.IsPunct(',') || before.IsPunct('[') || before.Is(TokenKind::Operator)) return true;
  if (!previous_word.empty() && IsReserved(previous_word) && ReservedStartsOperand(previous_word)) return true;
  if (previous_word == "all" || previous_word == "lateral" || previous_word == "view" || previous_word == "schema") {
    return true;
  }
  return false;
}

bool DialectRewriter::IsCallHere(std::size_t index, std::size_t end) const {
  const std::string word = Lower(tokens_[index].text);
  if (IsReserved(word) && !Contains(rules_.reserved_callables, word)) return false;
  if (Contains(rules_.structural_parens, word)) return false;
  const std::size_t previous = Previous(index);
  if (previous != kNone) {
    const Token& before = tokens_[previous];
    if (before.kind == TokenKind::QuotedIdentifier || before.kind == TokenKind::BacktickIdentifier ||
        before.IsPunct(')') || before.kind == TokenKind::Number || before.kind == TokenKind::String) {
      return false;  // `FROM t x(a, b)`, `(…) x(a)`: an alias with column names
    }
    if (before.kind == TokenKind::Word) {
      const std::string previous_word = Lower(before.text);
      if (previous_word == "into" || previous_word == "table" || previous_word == "view" || previous_word == "as" ||
          previous_word == "exists" || previous_word == "update") {
        return false;
      }
      if (!IsReserved(previous_word) && !Contains(rules_.engine_keywords, previous_word)) return false;
    }
  }
  // WITH name(a, b) AS (…): a column list.
  const std::size_t open = Next(index + 1, end);
  const std::size_t close = Close(open, end);
  if (close < end) {
    const std::size_t after = Next(close + 1, end);
    if (after < end && tokens_[after].IsKeyword("AS")) {
      const std::size_t body = Next(after + 1, end);
      if (body < end && tokens_[body].IsPunct('(')) return false;
    }
  }
  return true;
}

Result<std::string, DialectError> DialectRewriter::RewriteWord(std::size_t& index, std::size_t end, int depth,
                                                               Walk& walk) {
  const Token& token = tokens_[index];
  if (token.kind == TokenKind::Word) {
    const std::string word = Lower(token.text);
    const KeywordForm* form = nullptr;
    if (auto found = rules_.keyword_forms.find(word); found != rules_.keyword_forms.end()) {
      form = &found->second;
    } else if (rules_.shared_keyword_forms != nullptr) {
      if (auto shared = rules_.shared_keyword_forms->find(word); shared != rules_.shared_keyword_forms->end()) {
        form = &shared->second;
      }
    }
    if (form != nullptr) {
      MALLARD_ASSIGN_OR_RETURN(auto produced, (*form)(*this, index, end, depth));
      if (produced) {
        index = produced->next;
        return std::move(produced->text);
      }
    }
    const std::size_t open = Next(index + 1, end);
    if (open < end && tokens_[open].IsPunct('(') && IsCallHere(index, end)) {
      const std::size_t close = Close(open, end);
      if (close >= end) return Fail(SyntaxError(tokens_.size(), "mismatched input '<EOF>'"));
      MALLARD_ASSIGN_OR_RETURN(auto arguments, CallArguments(open, close, depth + 1));
      const std::size_t previous = Previous(index);
      bool table_position = false;
      if (previous != kNone) {
        const Token& before = tokens_[previous];
        table_position = before.IsKeyword("FROM") || before.IsKeyword("JOIN") || before.IsKeyword("LATERAL") ||
                         (before.IsPunct(',') && walk.clause == "from");
      }
      MALLARD_ASSIGN_OR_RETURN(std::string text, CallFunction(word, std::move(arguments), index, table_position));
      index = close + 1;
      return text;
    }
    const std::size_t dot = Next(index + 1, end);
    const bool dotted = dot < end && tokens_[dot].IsPunct('.');
    if (!dotted && !IsNameHere(index, end)) {
      ++index;
      return std::string(token.text);
    }
  }
  // A name, possibly dotted: a.b.c, a.*, "a"."b".
  QualifiedName name;
  std::size_t last = index;
  std::size_t cursor = index;
  while (true) {
    const Token& part = tokens_[cursor];
    name.parts.push_back(NamePart{IdentifierText(part), part.kind != TokenKind::Word, part.offset});
    last = cursor;
    const std::size_t dot = Next(cursor + 1, end);
    if (dot >= end || !tokens_[dot].IsPunct('.')) break;
    const std::size_t after = Next(dot + 1, end);
    if (after < end && IsNamePartToken(tokens_[after])) {
      if (tokens_[after].unterminated) return Fail(SyntaxError(after, "mismatched input. Unterminated quoted identifier"));
      cursor = after;
      continue;
    }
    if (after < end && tokens_[after].IsOperator("*")) {
      name.star = true;
      last = after;
    }
    break;
  }
  // A dotted function name (`schema.f(x)`): called by its full name.
  const std::size_t open = Next(last + 1, end);
  if (!name.star && name.parts.size() > 1 && open < end && tokens_[open].IsPunct('(')) {
    const std::size_t close = Close(open, end);
    if (close >= end) return Fail(SyntaxError(tokens_.size(), "mismatched input '<EOF>'"));
    std::string full;
    for (const auto& part : name.parts) full += (full.empty() ? "" : ".") + Lower(part.text);
    MALLARD_ASSIGN_OR_RETURN(auto arguments, CallArguments(open, close, depth + 1));
    MALLARD_ASSIGN_OR_RETURN(std::string text, CallFunction(std::move(full), std::move(arguments), index, false));
    index = close + 1;
    return text;
  }
  if (rules_.map_name) MALLARD_RETURN_IF_ERROR(rules_.map_name(name));
  std::string text;
  for (const auto& part : name.parts) {
    if (!text.empty()) text.push_back('.');
    text += EngineIdentifier(part);
  }
  if (name.star) text += name.parts.empty() ? "*" : ".*";
  index = last + 1;
  return text;
}

// ---- types ---------------------------------------------------------------------------------

Result<std::string, DialectError> DialectRewriter::RewriteType(std::size_t begin, std::size_t end, std::size_t* next) {
  std::size_t index = begin;
  MALLARD_ASSIGN_OR_RETURN(std::string text, ParseType(index, end, 0));
  if (next != nullptr) *next = index;
  return text;
}

Result<std::string, DialectError> DialectRewriter::ParseType(std::size_t& index, std::size_t end, int depth,
                                                             std::string_view given_name) {
  if (depth > rules_.max_depth) return Fail(SyntaxError(index, "type is too deeply nested"));
  TypeName type;
  std::size_t i = index;
  if (!given_name.empty()) {
    const SourcePosition position = PositionOfToken(index - 1);
    type.line = position.line;
    type.column = position.column;
    type.name = Lower(given_name);
  } else {
    i = Next(index, end);
    if (i >= end || !IsNamePartToken(tokens_[i])) return Fail(SyntaxError(i, "mismatched input. Expecting: <type>"));
    const SourcePosition position = PositionOfToken(i);
    type.line = position.line;
    type.column = position.column;
    type.name = Lower(IdentifierText(tokens_[i]));
    ++i;
  }
  auto peek_word = [&](std::size_t from) -> std::pair<std::string, std::size_t> {
    std::size_t at = Next(from, end);
    if (at < end && tokens_[at].kind == TokenKind::Word) return {Lower(tokens_[at].text), at};
    return {"", at};
  };
  if (type.name == "double") {
    if (auto [word, at] = peek_word(i); word == "precision") {
      type.name = "double precision";
      i = at + 1;
    }
  } else if (type.name == "character" || type.name == "char") {
    if (auto [word, at] = peek_word(i); word == "varying") {
      type.name = "character varying";
      i = at + 1;
    }
  } else if (type.name == "interval") {
    static const std::unordered_set<std::string> kFields = {"year", "month", "day", "hour", "minute", "second"};
    if (auto [from, at] = peek_word(i); kFields.count(from) != 0) {
      type.name += " " + from;
      i = at + 1;
      if (auto [to, to_at] = peek_word(i); to == "to") {
        if (auto [field, field_at] = peek_word(to_at + 1); kFields.count(field) != 0) {
          type.name += " to " + field;
          i = field_at + 1;
        }
      }
    }
  }
  const bool container = type.name == "array" || type.name == "map" || type.name == "row" || type.name == "struct";
  std::size_t open = Next(i, end);
  if (open < end && tokens_[open].IsPunct('(')) {
    const std::size_t close = Close(open, end);
    if (close >= end) return Fail(SyntaxError(tokens_.size(), "mismatched input '<EOF>'"));
    for (const auto& [piece_begin, piece_end] : SplitTopLevel(open + 1, close)) {
      if (Next(piece_begin, piece_end) >= piece_end) {
        if (open + 1 == close) break;  // `()`
        return Fail(SyntaxError(piece_end, "mismatched input. Expecting: <type>"));
      }
      std::size_t cursor = piece_begin;
      if (type.name == "row" || type.name == "struct") {
        std::size_t field = Next(cursor, piece_end);
        std::size_t after = Next(field + 1, piece_end);
        // row(a int) names its fields; row(int, varchar) does not.
        if (IsNamePartToken(tokens_[field]) && after < piece_end && IsNamePartToken(tokens_[after])) {
          std::string field_name = IdentifierText(tokens_[field]);
          cursor = field + 1;
          MALLARD_ASSIGN_OR_RETURN(std::string field_type, ParseType(cursor, piece_end, depth + 1));
          type.fields.emplace_back(std::move(field_name), std::move(field_type));
        } else {
          MALLARD_ASSIGN_OR_RETURN(std::string field_type, ParseType(cursor, piece_end, depth + 1));
          type.fields.emplace_back("", std::move(field_type));
        }
      } else if (container) {
        MALLARD_ASSIGN_OR_RETURN(std::string element, ParseType(cursor, piece_end, depth + 1));
        type.element_types.push_back(std::move(element));
      } else {
        std::size_t value = Next(cursor, piece_end);
        if (!tokens_[value].Is(TokenKind::Number)) return Fail(SyntaxError(value, "mismatched input. Expecting: <integer>"));
        type.parameters.emplace_back(tokens_[value].text);
        cursor = value + 1;
      }
      if (std::size_t rest = Next(cursor, piece_end); rest < piece_end) {
        return Fail(SyntaxError(rest, "mismatched input '" + std::string(tokens_[rest].text) + "'"));
      }
    }
    i = close + 1;
  } else if (container && open < end && tokens_[open].IsOperator("<")) {
    // Hive: array<T>, map<K,V>, struct<a:T>. `>>` closes two levels.
    type.angle_brackets = true;
    i = open + 1;
    while (true) {
      if (type.name == "struct") {
        std::size_t field = Next(i, end);
        if (field >= end || !IsNamePartToken(tokens_[field])) return Fail(SyntaxError(field, "mismatched input. Expecting: <identifier>"));
        std::string field_name = IdentifierText(tokens_[field]);
        std::size_t colon = Next(field + 1, end);
        // The lexer reads `:int` as a named parameter: the type name follows the colon.
        std::string_view glued;
        if (colon < end && tokens_[colon].Is(TokenKind::Parameter) && tokens_[colon].text.size() > 1 &&
            tokens_[colon].text[0] == ':') {
          glued = tokens_[colon].text.substr(1);
        } else if (colon >= end || !tokens_[colon].IsOperator(":")) {
          return Fail(SyntaxError(colon, "mismatched input. Expecting: ':'"));
        }
        i = colon + 1;
        MALLARD_ASSIGN_OR_RETURN(std::string field_type, ParseType(i, end, depth + 1, glued));
        type.fields.emplace_back(std::move(field_name), std::move(field_type));
      } else {
        MALLARD_ASSIGN_OR_RETURN(std::string element, ParseType(i, end, depth + 1));
        type.element_types.push_back(std::move(element));
      }
      if (pending_angle_closes_ > 0) {  // an inner type's `>>` closed this one too
        --pending_angle_closes_;
        break;
      }
      std::size_t separator = Next(i, end);
      if (separator < end && tokens_[separator].IsPunct(',')) {
        i = separator + 1;
        continue;
      }
      if (separator < end && (tokens_[separator].IsOperator(">") || tokens_[separator].IsOperator(">>"))) {
        if (tokens_[separator].IsOperator(">>")) ++pending_angle_closes_;
        i = separator + 1;
        break;
      }
      return Fail(SyntaxError(separator, "mismatched input. Expecting: '>'"));
    }
  }
  if (type.name == "timestamp" || type.name == "time") {
    auto [with, with_at] = peek_word(i);
    if (with == "with" || with == "without") {
      auto [time, time_at] = peek_word(with_at + 1);
      auto [zone, zone_at] = peek_word(time_at + 1);
      if (time == "time" && zone == "zone") {
        if (with == "with") type.name += " with time zone";
        i = zone_at + 1;
      }
    }
  }
  // The engine's own array suffix: T[] (and T[][]).
  std::size_t bracket = Next(i, end);
  std::size_t bracket_close = bracket < end ? Next(bracket + 1, end) : end;
  if (bracket < end && tokens_[bracket].IsPunct('[') && bracket_close < end && tokens_[bracket_close].IsPunct(']')) {
    std::string element;
    if (rules_.map_type) {
      MALLARD_ASSIGN_OR_RETURN(element, rules_.map_type(type));
    } else {
      element = type.name;
    }
    while (bracket < end && tokens_[bracket].IsPunct('[') && bracket_close < end && tokens_[bracket_close].IsPunct(']')) {
      TypeName array;
      array.name = "array";
      array.line = type.line;
      array.column = type.column;
      array.element_types.push_back(std::move(element));
      if (rules_.map_type) {
        MALLARD_ASSIGN_OR_RETURN(element, rules_.map_type(array));
      } else {
        element = array.element_types[0] + "[]";
      }
      i = bracket_close + 1;
      bracket = Next(i, end);
      bracket_close = bracket < end ? Next(bracket + 1, end) : end;
    }
    index = i;
    return element;
  }
  index = i;
  if (rules_.map_type) return rules_.map_type(type);
  std::string text = type.name;
  if (!type.parameters.empty()) {
    text += "(";
    for (std::size_t k = 0; k < type.parameters.size(); ++k) text += (k ? ", " : "") + type.parameters[k];
    text += ")";
  }
  return text;
}

}  // namespace mallard::sqlengine::dialect
