#include "sqlengine/dialect/athena_functions.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>

#include "sqlengine/dialect/athena_date_formats.hpp"
#include "sqlengine/dialect/athena_function_table.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace athena_detail {

std::string Position(const FunctionCall& call) {
  return "line " + std::to_string(call.line) + ":" + std::to_string(call.column) + ": ";
}

DialectError NotSupported(const FunctionCall& call, std::string_view what) {
  return {"NOT_SUPPORTED", Position(call) + std::string(what)};
}

std::optional<std::string> StringLiteral(std::string_view argument) {
  auto tokens = Tokenize(argument);
  std::size_t first = NextSignificant(tokens, 0);
  if (first == tokens.size() || !tokens[first].Is(TokenKind::String) || tokens[first].unterminated) return std::nullopt;
  if (NextSignificant(tokens, first + 1) != tokens.size()) return std::nullopt;
  return StringText(tokens[first]);
}

namespace {

std::size_t Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

// Trino's type of an argument when its text shows it (a literal), "unknown" otherwise.
std::string ApparentType(std::string_view argument) {
  auto tokens = Tokenize(argument);
  std::vector<const Token*> significant;
  for (const auto& token : tokens) {
    if (!token.IsTrivia()) significant.push_back(&token);
  }
  if (significant.size() == 1) {
    const Token& token = *significant[0];
    if (token.Is(TokenKind::String)) return "varchar(" + std::to_string(Utf8Length(StringText(token))) + ")";
    if (token.Is(TokenKind::Number)) {
      std::string_view text = token.text;
      if (text.find_first_of("eE") != std::string_view::npos && !text.starts_with("0x")) return "double";
      if (auto dot = text.find('.'); dot != std::string_view::npos) {
        std::size_t scale = text.size() - dot - 1;
        std::size_t digits = text.size() - 1;
        std::size_t leading = text.find_first_not_of("0.");
        std::size_t precision = leading == std::string_view::npos ? 1 : std::max(digits - std::min(leading, dot), scale);
        return "decimal(" + std::to_string(std::max<std::size_t>(precision, 1)) + "," + std::to_string(scale) + ")";
      }
      return text.size() < 10 || (text.size() == 10 && text <= "2147483647") ? "integer" : "bigint";
    }
    if (token.IsKeyword("TRUE") || token.IsKeyword("FALSE")) return "boolean";
    if (token.IsKeyword("NULL")) return "unknown";
  }
  if (significant.size() == 2 && significant[1]->Is(TokenKind::String)) {
    if (significant[0]->IsKeyword("DATE")) return "date";
    if (significant[0]->IsKeyword("TIMESTAMP")) return "timestamp(3)";
    if (significant[0]->IsKeyword("TIME")) return "time(3)";
  }
  return "unknown";
}

}  // namespace

DialectError UnexpectedParameters(const FunctionCall& call, std::string_view expected) {
  std::string types;
  for (const auto& argument : call.arguments) {
    if (!types.empty()) types += ", ";
    types += ApparentType(argument);
  }
  return {"FUNCTION_NOT_FOUND", Position(call) + "Unexpected parameters (" + types + ") for function " + call.name +
                                    ". Expected: " + std::string(expected)};
}

std::string Expand(std::string_view pattern, const FunctionCall& call) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '$' && i + 1 < pattern.size()) {
      char next = pattern[i + 1];
      if (next >= '1' && next <= '9') {
        std::size_t index = static_cast<std::size_t>(next - '1');
        if (index < call.arguments.size()) out += call.arguments[index];
        ++i;
        continue;
      }
      if (next == '*') {
        for (std::size_t a = 0; a < call.arguments.size(); ++a) {
          if (a > 0) out += ", ";
          out += call.arguments[a];
        }
        ++i;
        continue;
      }
      if (next == 'S') {
        out += kAthenaShimPrefix;
        ++i;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

Result<std::string, DialectError> ApplyLambda(const FunctionCall& call, std::string_view lambda,
                                              const std::vector<std::string>& values) {
  auto tokens = Tokenize(lambda);
  std::vector<std::string> parameters;
  std::size_t at = NextSignificant(tokens, 0);
  auto malformed = [&] {
    return Fail(DialectError{"SYNTAX_ERROR", Position(call) + "Function " + call.name + " expects a lambda expression"});
  };
  if (at < tokens.size() && tokens[at].IsPunct('(')) {
    std::size_t close = MatchingClose(tokens, at);
    if (close == tokens.size()) return malformed();
    for (std::size_t i = NextSignificant(tokens, at + 1); i < close; i = NextSignificant(tokens, i + 1)) {
      if (tokens[i].IsPunct(',')) continue;
      if (!tokens[i].Is(TokenKind::Word) && !tokens[i].Is(TokenKind::QuotedIdentifier)) return malformed();
      parameters.push_back(IdentifierText(tokens[i]));
    }
    at = NextSignificant(tokens, close + 1);
  } else if (at < tokens.size() && (tokens[at].Is(TokenKind::Word) || tokens[at].Is(TokenKind::QuotedIdentifier))) {
    parameters.push_back(IdentifierText(tokens[at]));
    at = NextSignificant(tokens, at + 1);
  } else {
    return malformed();
  }
  if (at == tokens.size() || !tokens[at].IsOperator("->") || parameters.size() != values.size()) return malformed();
  auto lower = [](std::string text) {
    for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return text;
  };
  for (auto& parameter : parameters) parameter = lower(parameter);
  // An inner lambda that rebinds one of these names would have its own uses replaced too: refuse
  // it rather than answer with the outer value.
  auto previous_significant = [&](std::size_t index) {
    while (index > at + 1) {
      --index;
      if (!tokens[index].IsTrivia()) return index;
    }
    return tokens.size();
  };
  for (std::size_t i = at + 1; i < tokens.size(); ++i) {
    if (!tokens[i].IsOperator("->")) continue;
    std::vector<std::size_t> inner;  // the inner lambda's parameter tokens
    std::size_t before = previous_significant(i);
    if (before < tokens.size() && tokens[before].IsPunct(')')) {
      for (std::size_t back = previous_significant(before); back < tokens.size() && !tokens[back].IsPunct('(');
           back = previous_significant(back)) {
        inner.push_back(back);
      }
    } else if (before < tokens.size()) {
      inner.push_back(before);
    }
    for (std::size_t index : inner) {
      const Token& token = tokens[index];
      if (!token.Is(TokenKind::Word) && !token.Is(TokenKind::QuotedIdentifier)) continue;
      std::string name = token.Is(TokenKind::Word) ? lower(IdentifierText(token)) : IdentifierText(token);
      for (const auto& parameter : parameters) {
        if (name == parameter) {
          return Fail(DialectError{"NOT_SUPPORTED", Position(call) + "A lambda inside " + call.name +
                                                        " that reuses the parameter name '" + parameter +
                                                        "' is not supported here"});
        }
      }
    }
  }
  std::string body;
  const Token* previous = nullptr;
  for (std::size_t i = at + 1; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    std::string replacement;
    if ((token.Is(TokenKind::Word) || token.Is(TokenKind::QuotedIdentifier)) && !(previous && previous->IsPunct('.'))) {
      std::size_t next = NextSignificant(tokens, i + 1);
      bool is_call = next < tokens.size() && tokens[next].IsPunct('(');
      std::string name = token.Is(TokenKind::Word) ? lower(IdentifierText(token)) : IdentifierText(token);
      for (std::size_t p = 0; p < parameters.size() && !is_call; ++p) {
        if (name == parameters[p]) replacement = "(" + values[p] + ")";
      }
    }
    body += replacement.empty() ? std::string(token.text) : replacement;
    if (!token.IsTrivia()) previous = &token;
  }
  return "(" + body + ")";
}

}  // namespace athena_detail

using namespace athena_detail;

Result<std::string, DialectError> TranslateAthenaCall(const FunctionCall& written) {
  // `f()` may arrive with one blank argument: it has none.
  const bool blank = written.arguments.size() == 1 &&
                     written.arguments[0].find_first_not_of(" \t\r\n") == std::string::npos;
  FunctionCall without_arguments;
  if (blank) {
    without_arguments = written;
    without_arguments.arguments.clear();
  }
  const FunctionCall& call = blank ? without_arguments : written;
  const auto& table = AthenaFunctionTable();
  auto found = table.find(call.name);
  if (found == table.end()) {
    return Fail(DialectError{"FUNCTION_NOT_FOUND", Position(call) + "Function '" + call.name + "' not registered"});
  }
  const AthenaFunction& function = found->second;
  int count = static_cast<int>(call.arguments.size());
  for (const auto& form : function.forms) {
    if (count < form.min_args || (form.max_args != kVariadic && count > form.max_args)) continue;
    if (form.special) return form.special(call);
    return Expand(form.sql, call);
  }
  return Fail(UnexpectedParameters(call, function.expected));
}

bool IsAthenaFunction(std::string_view lower_case_name) {
  return AthenaFunctionTable().contains(std::string(lower_case_name));
}

}  // namespace mallard::sqlengine::dialect
