#include "sqlengine/dialect/redshift_format_patterns.hpp"

#include <array>
#include <vector>

#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace {

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool StartsWithIgnoringCase(std::string_view text, std::size_t at, std::string_view upper_word) {
  if (at + upper_word.size() > text.size()) return false;
  for (std::size_t i = 0; i < upper_word.size(); ++i) {
    if (Upper(text[at + i]) != upper_word[i]) return false;
  }
  return true;
}

// The patterns PostgreSQL knows, longest first where one is a prefix of another.
constexpr std::array<std::string_view, 29> kPatterns = {
    "HH24", "HH12", "HH", "MONTH", "MON", "MM", "MI", "MS", "SS", "US", "AM", "PM", "YYYY", "YYY", "YY", "Y",
    "DAY", "DDD", "DD", "DY", "D", "IW", "WW", "Q", "CC", "J", "TZ", "OF", "TH"};

struct PatternPiece {
  std::string pattern;  // upper-case pattern, or empty for literal text
  std::string written;  // as written (for the case of month and day names)
  bool fill_mode = false;
  std::string literal;
};

std::vector<PatternPiece> SplitPattern(std::string_view pattern) {
  std::vector<PatternPiece> pieces;
  bool fill_mode = false;
  auto add_literal = [&](std::string_view text) {
    if (pieces.empty() || !pieces.back().pattern.empty()) pieces.push_back(PatternPiece{});
    pieces.back().literal += text;
  };
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '"') {
      std::size_t close = pattern.find('"', i + 1);
      if (close == std::string_view::npos) close = pattern.size();
      add_literal(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
      continue;
    }
    if (StartsWithIgnoringCase(pattern, i, "FM")) {
      fill_mode = true;
      i += 2;
      continue;
    }
    bool matched = false;
    for (auto candidate : kPatterns) {
      if (StartsWithIgnoringCase(pattern, i, candidate)) {
        PatternPiece piece;
        piece.pattern = std::string(candidate);
        piece.written = std::string(pattern.substr(i, candidate.size()));
        piece.fill_mode = fill_mode;
        fill_mode = false;
        pieces.push_back(std::move(piece));
        i += candidate.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      add_literal(pattern.substr(i, 1));
      ++i;
    }
  }
  return pieces;
}

// How a month or day name is cased: "MONTH" upper, "Month" capitalised, "month" lower.
enum class NameCase { Upper, Capital, Lower };
NameCase CaseOf(std::string_view written) {
  if (written.size() >= 2 && written[1] >= 'A' && written[1] <= 'Z') return NameCase::Upper;
  if (!written.empty() && written[0] >= 'A' && written[0] <= 'Z') return NameCase::Capital;
  return NameCase::Lower;
}

std::string EscapePercent(std::string_view text) {
  std::string out;
  for (char c : text) {
    out.push_back(c);
    if (c == '%') out.push_back('%');
  }
  return out;
}

DialectError Unsupported(std::string_view what, std::string_view pattern) {
  return DialectError{"0A000", "format pattern \"" + std::string(what) + "\" is not supported (in \"" + std::string(pattern) + "\")"};
}

}  // namespace

bool IsNumericPattern(std::string_view pattern) {
  bool digit = false;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (StartsWithIgnoringCase(pattern, i, "FM") || StartsWithIgnoringCase(pattern, i, "MI") ||
        StartsWithIgnoringCase(pattern, i, "PR")) {
      i += 2;
      continue;
    }
    char c = Upper(pattern[i]);
    if (c == '9' || c == '0') digit = true;
    if (std::string_view("90.,DGSL$ ").find(c) == std::string_view::npos) return false;
    ++i;
  }
  return digit;
}

Result<std::string, DialectError> DatetimeToChar(const std::string& value, std::string_view pattern) {
  std::vector<std::string> parts;
  std::string format;
  auto flush = [&] {
    if (!format.empty()) parts.push_back("strftime(" + value + ", " + QuoteString(format) + ")");
    format.clear();
  };
  auto expression = [&](std::string text) {
    flush();
    parts.push_back(std::move(text));
  };
  auto strf = [&](std::string_view spec) { return "strftime(" + value + ", '" + std::string(spec) + "')"; };
  for (const auto& piece : SplitPattern(pattern)) {
    if (piece.pattern.empty()) {
      format += EscapePercent(piece.literal);
      continue;
    }
    const std::string& p = piece.pattern;
    const bool fm = piece.fill_mode;
    if (p == "YYYY") format += "%Y";
    else if (p == "YYY") expression("right(" + strf("%Y") + ", 3)");
    else if (p == "YY") format += "%y";
    else if (p == "Y") expression("right(" + strf("%Y") + ", 1)");
    else if (p == "MM") format += fm ? "%-m" : "%m";
    else if (p == "DD") format += fm ? "%-d" : "%d";
    else if (p == "DDD") format += fm ? "%-j" : "%j";
    else if (p == "HH24") format += fm ? "%-H" : "%H";
    else if (p == "HH" || p == "HH12") format += fm ? "%-I" : "%I";
    else if (p == "MI") format += fm ? "%-M" : "%M";
    else if (p == "SS") format += fm ? "%-S" : "%S";
    else if (p == "MS") format += "%g";
    else if (p == "US") format += "%f";
    else if (p == "AM" || p == "PM") {
      if (CaseOf(piece.written) == NameCase::Lower) expression("lower(" + strf("%p") + ")");
      else format += "%p";
    } else if (p == "MONTH" || p == "MON" || p == "DAY" || p == "DY") {
      std::string spec = p == "MONTH" ? "%B" : p == "MON" ? "%b" : p == "DAY" ? "%A" : "%a";
      std::string name = strf(spec);
      // Full names are blank-padded to 9 characters unless FM is given.
      if ((p == "MONTH" || p == "DAY") && !fm) name = "rpad(" + name + ", 9, ' ')";
      NameCase name_case = CaseOf(piece.written);
      if (name_case == NameCase::Upper) name = "upper(" + name + ")";
      else if (name_case == NameCase::Lower) name = "lower(" + name + ")";
      if (name_case == NameCase::Capital && spec != "%B" && spec != "%A") {
        format += spec;
      } else if (name_case == NameCase::Capital && fm) {
        format += spec;
      } else {
        expression(name);
      }
    } else if (p == "D") expression("CAST(dayofweek(" + value + ") + 1 AS VARCHAR)");
    else if (p == "IW") format += fm ? "%-V" : "%V";
    else if (p == "WW") expression("lpad(CAST((dayofyear(" + value + ") - 1) // 7 + 1 AS VARCHAR), " + (fm ? "1" : "2") + ", '0')");
    else if (p == "Q") expression("CAST(quarter(" + value + ") AS VARCHAR)");
    else if (p == "CC") expression("lpad(CAST(century(" + value + ") AS VARCHAR), " + (fm ? "1" : "2") + ", '0')");
    else if (p == "J") expression("CAST(julian(" + value + ") AS BIGINT)::VARCHAR");
    else if (p == "TZ" || p == "OF") {
      // A TIMESTAMP has no zone; PostgreSQL prints nothing for it.
    } else {
      return Fail(Unsupported(piece.written, pattern));
    }
  }
  flush();
  if (parts.empty()) return std::string("CASE WHEN " + value + " IS NULL THEN NULL ELSE '' END");
  std::string out = "(";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += " || ";
    out += parts[i];
  }
  return out + ")";
}

Result<std::string, DialectError> StrptimeFormat(std::string_view pattern) {
  std::string format;
  for (const auto& piece : SplitPattern(pattern)) {
    if (piece.pattern.empty()) {
      format += EscapePercent(piece.literal);
      continue;
    }
    const std::string& p = piece.pattern;
    if (p == "YYYY") format += "%Y";
    else if (p == "YY") format += "%y";
    else if (p == "MM") format += "%m";
    else if (p == "DD") format += "%d";
    else if (p == "DDD") format += "%j";
    else if (p == "HH24") format += "%H";
    else if (p == "HH" || p == "HH12") format += "%I";
    else if (p == "MI") format += "%M";
    else if (p == "SS") format += "%S";
    else if (p == "MS") format += "%g";
    else if (p == "US") format += "%f";
    else if (p == "AM" || p == "PM") format += "%p";
    else if (p == "MON") format += "%b";
    else if (p == "MONTH") format += "%B";
    else if (p == "DY") format += "%a";
    else if (p == "DAY") format += "%A";
    else if (p == "TZ") format += "%Z";
    else if (p == "OF") format += "%z";
    else return Fail(Unsupported(piece.written, pattern));
  }
  return format;
}

namespace {

struct NumberPattern {
  int integer_digits = 0;
  int fraction_digits = 0;
  bool point = false;
  bool zero_padded = false;
  bool grouped = false;
  bool fill_mode = false;
  bool explicit_sign = false;   // S
  bool trailing_sign = false;   // S after the digits
  bool trailing_minus = false;  // MI
  bool angle_brackets = false;  // PR
  bool currency = false;        // $ or L
  int group_separators = 0;
};

NumberPattern ParseNumberPattern(std::string_view pattern) {
  NumberPattern parsed;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (StartsWithIgnoringCase(pattern, i, "FM")) {
      parsed.fill_mode = true;
      i += 2;
      continue;
    }
    if (StartsWithIgnoringCase(pattern, i, "MI")) {
      parsed.trailing_minus = true;
      i += 2;
      continue;
    }
    if (StartsWithIgnoringCase(pattern, i, "PR")) {
      parsed.angle_brackets = true;
      i += 2;
      continue;
    }
    char c = Upper(pattern[i]);
    if (c == '9' || c == '0') {
      if (parsed.point) {
        ++parsed.fraction_digits;
      } else {
        ++parsed.integer_digits;
        if (c == '0') parsed.zero_padded = true;
      }
    } else if (c == '.' || c == 'D') {
      parsed.point = true;
    } else if (c == ',' || c == 'G') {
      if (!parsed.point) {
        parsed.grouped = true;
        ++parsed.group_separators;
      }
    } else if (c == 'S') {
      parsed.explicit_sign = true;
      parsed.trailing_sign = parsed.integer_digits + parsed.fraction_digits > 0;
    } else if (c == '$' || c == 'L') {
      parsed.currency = true;
    }
    ++i;
  }
  return parsed;
}

}  // namespace

Result<std::string, DialectError> NumberToChar(const std::string& value, std::string_view pattern) {
  NumberPattern p = ParseNumberPattern(pattern);
  const std::string digits = std::to_string(p.fraction_digits);
  // s: the absolute value rounded to the pattern's places, grouped by thousands when asked.
  std::string fmt = std::string("'{:") + (p.grouped ? "," : "") + "." + digits + "f}'";
  std::string number = "format(" + fmt + ", abs(round(CAST(" + value + " AS DOUBLE), " + digits + ")))";
  const int integer_width = p.integer_digits + p.group_separators;
  std::string integer_part = "split_part(s, '.', 1)";
  // 9s do not print a lone leading zero ("9.99" of 0.5 is " .50"); 0s pad with zeros.
  if (p.zero_padded) {
    integer_part = "lpad(" + integer_part + ", " + std::to_string(integer_width) + ", '0')";
  } else if (p.point) {
    integer_part = "CASE WHEN " + integer_part + " = '0' THEN '' ELSE " + integer_part + " END";
  }
  std::string body = integer_part;
  if (p.point) body += " || '.' || split_part(s, '.', 2)";
  if (p.currency) body = "'$' || " + body;
  std::string negative = "CAST(" + value + " AS DOUBLE) < 0";
  std::string signed_text;
  if (p.angle_brackets) {
    signed_text = "CASE WHEN " + negative + " THEN '<' || " + body + " || '>' ELSE " + (p.fill_mode ? "" : "' ' || ") + body +
                  (p.fill_mode ? "" : " || ' '") + " END";
  } else if (p.trailing_minus) {
    signed_text = body + " || CASE WHEN " + negative + " THEN '-' ELSE " + (p.fill_mode ? "''" : "' '") + " END";
  } else if (p.explicit_sign && p.trailing_sign) {
    signed_text = body + " || CASE WHEN " + negative + " THEN '-' ELSE '+' END";
  } else if (p.explicit_sign) {
    signed_text = "CASE WHEN " + negative + " THEN '-' ELSE '+' END || " + body;
  } else {
    signed_text = "CASE WHEN " + negative + " THEN '-' ELSE " + std::string(p.fill_mode ? "''" : "' '") + " END || " + body;
  }
  const int width = 1 + integer_width + (p.point ? 1 + p.fraction_digits : 0) + (p.currency ? 1 : 0) +
                    (p.angle_brackets ? 1 : 0);
  std::string padded = p.fill_mode ? signed_text : "lpad(" + signed_text + ", " + std::to_string(width) + ", ' ')";
  // Too many digits for the pattern: PostgreSQL prints # in every digit position.
  std::string overflow = "length(replace(split_part(s, '.', 1), ',', '')) > " + std::to_string(p.integer_digits);
  std::string hashes = "' ' || repeat('#', " + std::to_string(integer_width) + ")" +
                       (p.point ? " || '.' || repeat('#', " + std::to_string(p.fraction_digits) + ")" : std::string());
  return "list_transform([" + number + "], s -> CASE WHEN " + overflow + " THEN " + hashes + " ELSE " + padded + " END)[1]";
}

Result<std::string, DialectError> NumberFromText(const std::string& text, std::string_view pattern) {
  NumberPattern p = ParseNumberPattern(pattern);
  if (p.integer_digits + p.fraction_digits == 0) return Fail(Unsupported(pattern, pattern));
  int precision = std::min(38, p.integer_digits + p.fraction_digits);
  std::string type = "DECIMAL(" + std::to_string(precision) + ", " + std::to_string(p.fraction_digits) + ")";
  // Group separators, currency and blanks carry no value; a trailing minus or <…> marks a negative.
  std::string cleaned = "trim(replace(replace(" + text + ", ',', ''), '$', ''))";
  return "list_transform([" + cleaned + "], t -> CASE WHEN t LIKE '%-' THEN -CAST(rtrim(t, '-') AS " + type +
         ") WHEN t LIKE '<%>' THEN -CAST(trim(t, '<>') AS " + type + ") ELSE CAST(t AS " + type + ") END)[1]";
}

}  // namespace mallard::sqlengine::dialect
