// RedshiftEngineError: the engine's (DuckDB's) messages in Redshift's (PostgreSQL's) phrasing.
#include "sqlengine/dialect/redshift_dialect.hpp"

namespace mallard::sqlengine::dialect {

namespace {

// The text between the first pair of double quotes after `from`, or the word up to `stop`.
std::string QuotedAfter(std::string_view message, std::size_t from) {
  std::size_t open = message.find('"', from);
  if (open == std::string_view::npos) return {};
  std::size_t close = message.find('"', open + 1);
  if (close == std::string_view::npos) return {};
  return std::string(message.substr(open + 1, close - open - 1));
}

std::string WordAfter(std::string_view message, std::string_view marker) {
  std::size_t at = message.find(marker);
  if (at == std::string_view::npos) return {};
  at += marker.size();
  std::size_t stop = message.find_first_of(" !\n", at);
  std::string word(message.substr(at, stop == std::string_view::npos ? std::string_view::npos : stop - at));
  if (word.size() >= 2 && word.front() == '"' && word.back() == '"') word = word.substr(1, word.size() - 2);
  return word;
}

}  // namespace

std::string RedshiftEngineError(std::string_view message) {
  // DuckDB adds "\n\nLINE 1: …" context and "Did you mean" hints; Redshift's errors are one line.
  std::string_view first_line = message.substr(0, message.find('\n'));
  auto starts = [&](std::string_view prefix) { return first_line.substr(0, prefix.size()) == prefix; };
  if (starts("Parser Error: syntax error at end of input")) return "syntax error at end of input";
  if (starts("Parser Error: syntax error at or near")) {
    return "syntax error at or near \"" + QuotedAfter(first_line, 0) + "\"";
  }
  if (starts("Catalog Error: Table with name ")) {
    std::string name = WordAfter(first_line, "Table with name ");
    if (first_line.find("does not exist") != std::string_view::npos) return "relation \"" + name + "\" does not exist";
    if (first_line.find("already exists") != std::string_view::npos) return "relation \"" + name + "\" already exists";
  }
  if (starts("Catalog Error: Scalar Function with name ") || starts("Catalog Error: Aggregate Function with name ") ||
      starts("Catalog Error: Table Function with name ")) {
    return "function " + WordAfter(first_line, "with name ") + " does not exist";
  }
  if (starts("Catalog Error: Schema with name ")) {
    std::string name = WordAfter(first_line, "Schema with name ");
    if (first_line.find("does not exist") != std::string_view::npos) return "schema \"" + name + "\" does not exist";
    if (first_line.find("already exists") != std::string_view::npos) return "schema \"" + name + "\" already exists";
  }
  if (starts("Binder Error: Referenced column ")) {
    return "column \"" + QuotedAfter(first_line, 0) + "\" does not exist";
  }
  if (starts("Conversion Error: Could not convert string ")) {
    std::size_t open = first_line.find('\'');
    std::size_t close = first_line.rfind('\'');
    std::string value = open != std::string_view::npos && close > open ? std::string(first_line.substr(open + 1, close - open - 1)) : "";
    std::string type = first_line.find("INT") != std::string_view::npos ? "integer" : "numeric";
    return "invalid input syntax for " + type + ": \"" + value + "\"";
  }
  if (starts("Constraint Error: NOT NULL constraint failed: ")) {
    std::string column(first_line.substr(std::string_view("Constraint Error: NOT NULL constraint failed: ").size()));
    if (auto dot = column.rfind('.'); dot != std::string::npos) column = column.substr(dot + 1);
    return "Cannot insert a NULL value into column " + column;
  }
  return std::string(message.substr(0, message.find("\n\nLINE ")));
}

}  // namespace mallard::sqlengine::dialect
