#include "services/athena/athena_external_reader.hpp"

#include <algorithm>
#include <charconv>

namespace mallard::athena::external {
namespace reader {

std::vector<Piece> Pieces(std::string_view sql) {
  std::vector<Piece> pieces;
  for (const auto& token : lex::Tokenize(sql)) {
    if (token.IsTrivia()) continue;
    if (token.kind == TokenKind::Operator && token.text.find_first_not_of("<>") == std::string_view::npos) {
      for (std::size_t i = 0; i < token.text.size(); ++i) {
        pieces.push_back(Piece{TokenKind::Operator, token.offset + i, token.text.substr(i, 1)});
      }
    } else if (token.kind == TokenKind::Parameter && token.text.size() > 1 && token.text[0] == ':') {
      pieces.push_back(Piece{TokenKind::Operator, token.offset, token.text.substr(0, 1)});
      pieces.push_back(Piece{TokenKind::Word, token.offset + 1, token.text.substr(1)});
    } else {
      pieces.push_back(Piece{token.kind, token.offset, token.text, token.unterminated});
    }
  }
  return pieces;
}

std::string HiveUnescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\\' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    char next = text[i + 1];
    auto octal = [](char d) { return d >= '0' && d <= '7'; };
    if (i + 3 < text.size() && octal(next) && octal(text[i + 2]) && octal(text[i + 3])) {
      out += static_cast<char>(((next - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0')) & 0xff);
      i += 3;
      continue;
    }
    if (next == 'u' && i + 5 < text.size()) {
      unsigned code = 0;
      bool hex = true;
      for (std::size_t k = i + 2; k < i + 6; ++k) {
        char h = text[k];
        int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (digit < 0) hex = false;
        code = code * 16 + static_cast<unsigned>(digit < 0 ? 0 : digit);
      }
      if (hex) {
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        i += 5;
        continue;
      }
    }
    switch (next) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case '0': out += '\0'; break;
      case 'Z': out += '\x1A'; break;
      case '%': out += "\\%"; break;
      case '_': out += "\\_"; break;
      default: out += next; break;
    }
    ++i;
  }
  return out;
}

constexpr int kMaxTypeDepth = 32;  // array<array<…>> nesting: far beyond real tables, bounded stack

bool ParseType(Parser& parser, HiveType& type, int depth) {
  if (depth > kMaxTypeDepth) return parser.Problem("type nested too deeply");
  std::string word;
  if (!parser.Name(word, "a column type")) return false;
  if (word == "integer") word = "int";
  type.name = word;
  static const std::vector<std::string> simple = {"string", "int", "bigint", "smallint", "tinyint", "double",
                                                  "float", "boolean", "date", "timestamp", "binary", "real"};
  if (std::find(simple.begin(), simple.end(), word) != simple.end()) {
    if (word == "real") type.name = "float";
    if (word == "double") parser.Keyword("PRECISION");
    return true;
  }
  if (word == "decimal" || word == "varchar" || word == "char") {
    if (parser.Symbol("(")) {
      int value = 0;
      if (!parser.Integer(value)) return false;
      type.parameters.push_back(value);
      if (word == "decimal" && parser.Symbol(",")) {
        if (!parser.Integer(value)) return false;
        type.parameters.push_back(value);
      }
      if (!parser.ExpectSymbol(")")) return false;
    } else if (word != "decimal") {
      return parser.Error("'('");
    }
    if (word == "decimal") {
      int precision = type.parameters.empty() ? 10 : type.parameters[0];
      int scale = type.parameters.size() < 2 ? 0 : type.parameters[1];
      if (precision < 1 || precision > 38 || scale > precision) {
        return parser.Problem("invalid decimal precision/scale (" + std::to_string(precision) + "," +
                              std::to_string(scale) + "): precision 1 to 38, scale at most the precision");
      }
      type.parameters = {precision, scale};
    } else if (type.parameters[0] < 1 || type.parameters[0] > 65535) {
      return parser.Problem(word + " length must be 1 to 65535");
    }
    return true;
  }
  if (word == "array") {
    if (!parser.ExpectSymbol("<")) return false;
    type.children.emplace_back();
    if (!ParseType(parser, type.children.back(), depth + 1)) return false;
    return parser.ExpectSymbol(">");
  }
  if (word == "map") {
    if (!parser.ExpectSymbol("<")) return false;
    type.children.resize(2);
    if (!ParseType(parser, type.children[0], depth + 1) || !parser.ExpectSymbol(",") ||
        !ParseType(parser, type.children[1], depth + 1)) {
      return false;
    }
    return parser.ExpectSymbol(">");
  }
  if (word == "struct") {
    if (!parser.ExpectSymbol("<")) return false;
    do {
      std::string field;
      if (!parser.Name(field, "a struct field name")) return false;
      if (std::find(type.field_names.begin(), type.field_names.end(), field) != type.field_names.end()) {
        return parser.Problem("duplicate struct field '" + field + "'");
      }
      if (!parser.ExpectSymbol(":")) return false;
      type.field_names.push_back(field);
      type.children.emplace_back();
      if (!ParseType(parser, type.children.back(), depth + 1)) return false;
    } while (parser.Symbol(","));
    return parser.ExpectSymbol(">");
  }
  parser.Back();
  return parser.Problem("unknown type '" + word + "'");
}

}  // namespace reader

using reader::ParseType;
using reader::Parser;
namespace lex = sqlengine::dialect;

std::string HiveTypeText(const HiveType& type) {
  std::string text = type.name;
  if (type.name == "array" && type.children.size() == 1) return "array<" + HiveTypeText(type.children[0]) + ">";
  if (type.name == "map" && type.children.size() == 2) {
    return "map<" + HiveTypeText(type.children[0]) + "," + HiveTypeText(type.children[1]) + ">";
  }
  if (type.name == "struct") {
    text += "<";
    for (std::size_t i = 0; i < type.children.size(); ++i) {
      if (i > 0) text += ",";
      text += type.field_names[i] + ":" + HiveTypeText(type.children[i]);
    }
    return text + ">";
  }
  if (!type.parameters.empty()) {
    text += "(";
    for (std::size_t i = 0; i < type.parameters.size(); ++i) {
      if (i > 0) text += ",";
      text += std::to_string(type.parameters[i]);
    }
    text += ")";
  }
  return text;
}

std::string EngineTypeText(const HiveType& type) {
  const std::string& name = type.name;
  if (name == "string" || name == "varchar" || name == "char") return "VARCHAR";
  if (name == "int") return "INTEGER";
  if (name == "bigint") return "BIGINT";
  if (name == "smallint") return "SMALLINT";
  if (name == "tinyint") return "TINYINT";
  if (name == "double") return "DOUBLE";
  if (name == "float") return "FLOAT";
  if (name == "boolean") return "BOOLEAN";
  if (name == "date") return "DATE";
  if (name == "timestamp") return "TIMESTAMP";
  if (name == "binary") return "BLOB";
  if (name == "decimal") {
    return "DECIMAL(" + std::to_string(type.parameters.at(0)) + "," + std::to_string(type.parameters.at(1)) + ")";
  }
  if (name == "array") return EngineTypeText(type.children.at(0)) + "[]";
  if (name == "map") return "MAP(" + EngineTypeText(type.children.at(0)) + ", " + EngineTypeText(type.children.at(1)) + ")";
  if (name == "struct") {
    std::string text = "STRUCT(";
    for (std::size_t i = 0; i < type.children.size(); ++i) {
      if (i > 0) text += ", ";
      text += lex::QuoteIdentifier(type.field_names[i]) + " " + EngineTypeText(type.children[i]);
    }
    return text + ")";
  }
  return "VARCHAR";
}

std::optional<HiveType> ParseHiveType(std::string_view text) {
  Parser parser(text);
  HiveType type;
  if (!ParseType(parser, type, 0) || !parser.AtEnd()) return std::nullopt;
  return type;
}

}  // namespace mallard::athena::external
