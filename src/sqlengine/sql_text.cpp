#include "sqlengine/sql_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "common/encoding.hpp"

namespace mallard::sqlengine {
namespace {

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Length of the literal, quoted identifier or comment starting at `i`, or 0 when none starts there.
std::size_t SkippableLength(std::string_view sql, std::size_t i) {
  char c = sql[i];
  if (c == '\'' || c == '"') {
    std::size_t j = i + 1;
    while (j < sql.size()) {
      if (sql[j] == c) {
        if (j + 1 < sql.size() && sql[j + 1] == c) {
          j += 2;
          continue;
        }
        return j + 1 - i;
      }
      ++j;
    }
    return sql.size() - i;
  }
  if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
    auto end = sql.find('\n', i);
    return (end == std::string_view::npos ? sql.size() : end) - i;
  }
  if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
    auto end = sql.find("*/", i + 2);
    return (end == std::string_view::npos ? sql.size() : end + 2) - i;
  }
  return 0;
}

// Unquotes '...' with '' escapes; std::nullopt when `text` is not exactly one quoted string.
std::optional<std::string> Unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\'') {
      if (i + 2 < text.size() && text[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
        continue;
      }
      return std::nullopt;
    }
    out.push_back(text[i]);
  }
  return out;
}

BoundLiteral Text(std::string text, std::string placeholder = "?") {
  BoundLiteral literal;
  literal.value.kind = SqlParameter::Kind::Text;
  literal.value.text = std::move(text);
  literal.placeholder = std::move(placeholder);
  return literal;
}

}  // namespace

Result<BoundLiteral, std::string> ParseSqlLiteral(std::string_view raw) {
  std::string_view literal = Trim(raw);
  std::string upper = Upper(literal);
  BoundLiteral bound;
  bound.placeholder = "?";
  if (upper == "NULL") {
    bound.value.kind = SqlParameter::Kind::Null;
    return bound;
  }
  if (upper == "TRUE" || upper == "FALSE") {
    bound.value.kind = SqlParameter::Kind::Boolean;
    bound.value.boolean = upper == "TRUE";
    return bound;
  }
  if (auto text = Unquote(literal)) return Text(std::move(*text));
  // Typed literals: DATE '…', TIMESTAMP '…', TIME '…', DECIMAL '…', CHAR/VARCHAR '…'.
  for (std::string_view type : {"TIMESTAMP", "DATE", "TIME", "DECIMAL", "VARCHAR", "CHAR", "INTERVAL"}) {
    if (upper.rfind(type, 0) == 0) {
      std::string_view rest = Trim(literal.substr(type.size()));
      if (auto text = Unquote(rest)) {
        if (type == "VARCHAR" || type == "CHAR") return Text(std::move(*text));
        return Text(std::move(*text), "CAST(? AS " + std::string(type) + ")");
      }
    }
  }
  // Numbers: integers bind as BIGINT, exact decimals as DECIMAL (Athena's reading of 1.5), and
  // exponent forms as DOUBLE.
  std::string_view number = literal;
  if (!number.empty() && (number.front() == '-' || number.front() == '+')) number.remove_prefix(1);
  bool digits_only = !number.empty() && std::all_of(number.begin(), number.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (digits_only) {
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(literal.data() + (literal.front() == '+' ? 1 : 0), literal.data() + literal.size(), value);
    if (error == std::errc() && end == literal.data() + literal.size()) {
      bound.value.kind = SqlParameter::Kind::Integer;
      bound.value.integer = value;
      return bound;
    }
    return Text(std::string(literal), "CAST(? AS HUGEINT)");
  }
  bool has_exponent = upper.find('E') != std::string::npos;
  double real = 0;
  auto [end, error] = std::from_chars(literal.data() + (literal.front() == '+' ? 1 : 0), literal.data() + literal.size(), real);
  if (error == std::errc() && end == literal.data() + literal.size()) {
    if (has_exponent) {
      bound.value.kind = SqlParameter::Kind::Double;
      bound.value.real = real;
      return bound;
    }
    auto dot = literal.find('.');
    std::size_t scale = dot == std::string_view::npos ? 0 : literal.size() - dot - 1;
    std::size_t precision = std::max<std::size_t>(number.size() - 1, scale);
    precision = std::clamp<std::size_t>(precision, 1, 38);
    return Text(std::string(literal), "CAST(? AS DECIMAL(" + std::to_string(precision) + "," + std::to_string(std::min(scale, precision)) + "))");
  }
  return Fail("Invalid parameter value " + std::string(literal) + ": execution parameters must be SQL literals, "
              "for example 'text', 42, 1.5, TRUE, NULL or DATE '2024-01-31'");
}

Result<std::string, std::string> SubstitutePlaceholders(std::string_view sql, const std::vector<BoundLiteral>& values) {
  std::string out;
  out.reserve(sql.size());
  std::size_t used = 0;
  for (std::size_t i = 0; i < sql.size();) {
    if (std::size_t skip = SkippableLength(sql, i); skip != 0) {
      out.append(sql.substr(i, skip));
      i += skip;
      continue;
    }
    if (sql[i] == '?') {
      if (used < values.size()) out += values[used].placeholder;
      ++used;
      ++i;
      continue;
    }
    out.push_back(sql[i++]);
  }
  if (used != values.size()) {
    return Fail("Incorrect number of parameters: expected " + std::to_string(used) + " but found " +
                std::to_string(values.size()));
  }
  return out;
}

std::string RewriteNamedParameters(std::string_view sql, std::vector<std::string>* names) {
  std::string out;
  out.reserve(sql.size());
  for (std::size_t i = 0; i < sql.size();) {
    if (std::size_t skip = SkippableLength(sql, i); skip != 0) {
      out.append(sql.substr(i, skip));
      i += skip;
      continue;
    }
    if (sql[i] == ':' && i + 1 < sql.size()) {
      if (sql[i + 1] == ':') {  // a cast (x::int)
        out.append("::");
        i += 2;
        continue;
      }
      char next = sql[i + 1];
      if (std::isalpha(static_cast<unsigned char>(next)) || next == '_') {
        std::size_t end = i + 1;
        while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_')) ++end;
        std::string name(sql.substr(i + 1, end - i - 1));
        if (names != nullptr && std::find(names->begin(), names->end(), name) == names->end()) names->push_back(name);
        out += "$" + name;
        i = end;
        continue;
      }
    }
    out.push_back(sql[i++]);
  }
  return out;
}

std::vector<std::string> LeadingWords(std::string_view sql, std::size_t count, std::string* rest) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (words.size() < count && i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
      continue;
    }
    if (std::size_t skip = SkippableLength(sql, i); skip != 0 && sql[i] != '"' && sql[i] != '\'') {
      i += skip;
      continue;
    }
    std::size_t end = i;
    if (sql[i] == '"') {
      end = i + SkippableLength(sql, i);
      words.emplace_back(sql.substr(i + 1, end - i - 2));
    } else {
      while (end < sql.size() && !std::isspace(static_cast<unsigned char>(sql[end])) && sql[end] != ';' &&
             sql[end] != '(' && sql[end] != '\'') {
        ++end;
      }
      if (end == i) break;
      words.emplace_back(sql.substr(i, end - i));
    }
    i = end;
  }
  if (rest != nullptr) *rest = std::string(Trim(sql.substr(std::min(i, sql.size()))));
  return words;
}

std::string LeadingKeyword(std::string_view sql) {
  auto words = LeadingWords(sql, 1, nullptr);
  return words.empty() ? std::string() : Upper(words[0]);
}

std::vector<std::string> SplitLiteralList(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size();) {
    if (i == text.size() || text[i] == ',') {
      std::string_view item = Trim(text.substr(start, i - start));
      if (!item.empty()) items.emplace_back(item);
      start = ++i;
      continue;
    }
    if (std::size_t skip = SkippableLength(text, i); skip != 0) {
      i += skip;
      continue;
    }
    ++i;
  }
  return items;
}

namespace {

enum class PatternKind { Literal, AnyOne, AnyRun };
struct PatternElement {
  PatternKind kind;
  char32_t literal = 0;
};

// UTF-8 characters of `text`; a byte that is not part of valid UTF-8 stands for itself.
std::vector<char32_t> CodePoints(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Utf8Step step = DecodeUtf8At(text, i);
    out.push_back(step.valid ? step.code_point : static_cast<unsigned char>(text[i]));
    i += step.valid ? step.length : 1;
  }
  return out;
}

char32_t FoldAscii(char32_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// Wildcard matching with the last-`AnyRun` backtracking scheme: on a mismatch only the most recent
// run is extended by one character, which is enough because any earlier run could absorb the same
// text; no recursion, at most name × pattern steps.
bool MatchElements(const std::vector<char32_t>& name, const std::vector<PatternElement>& pattern, bool ignore_case) {
  const auto same = [ignore_case](char32_t a, char32_t b) { return ignore_case ? FoldAscii(a) == FoldAscii(b) : a == b; };
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t n = 0, p = 0, run = kNone, run_start = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p].kind == PatternKind::AnyRun) {
      run = p++;
      run_start = n;
    } else if (p < pattern.size() &&
               (pattern[p].kind == PatternKind::AnyOne || same(pattern[p].literal, name[n]))) {
      ++n, ++p;
    } else if (run != kNone) {
      p = run + 1;
      n = ++run_start;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p].kind == PatternKind::AnyRun) ++p;
  return p == pattern.size();
}

}  // namespace

bool MatchesLikePattern(std::string_view name, std::string_view pattern) {
  std::vector<PatternElement> elements;
  const std::vector<char32_t> characters = CodePoints(pattern);
  for (std::size_t i = 0; i < characters.size(); ++i) {
    const char32_t c = characters[i];
    if (c == '%') {
      elements.push_back({PatternKind::AnyRun});
    } else if (c == '_') {
      elements.push_back({PatternKind::AnyOne});
    } else if (c == '\\' && i + 1 < characters.size()) {
      elements.push_back({PatternKind::Literal, characters[++i]});
    } else {
      elements.push_back({PatternKind::Literal, c});
    }
  }
  return MatchElements(CodePoints(name), elements, false);
}

bool MatchesHivePattern(std::string_view name, std::string_view pattern) {
  const std::vector<char32_t> characters = CodePoints(name);
  std::size_t start = 0;
  while (start <= pattern.size()) {
    std::size_t bar = pattern.find('|', start);
    if (bar == std::string_view::npos) bar = pattern.size();
    const std::vector<char32_t> alternative = CodePoints(pattern.substr(start, bar - start));
    std::vector<PatternElement> elements;
    for (std::size_t i = 0; i < alternative.size(); ++i) {
      const char32_t c = alternative[i];
      if (c == '*') {
        elements.push_back({PatternKind::AnyRun});
      } else if (c == '.' && i + 1 < alternative.size() && alternative[i + 1] == '*') {
        elements.push_back({PatternKind::AnyRun});
        ++i;
      } else if (c == '.') {
        elements.push_back({PatternKind::AnyOne});
      } else {
        elements.push_back({PatternKind::Literal, c});
      }
    }
    if (MatchElements(characters, elements, true)) return true;
    start = bar + 1;
  }
  return false;
}

}  // namespace mallard::sqlengine
