#include "services/dynamodb/transfer/ddb_transfer_formats.hpp"

#include <zlib.h>
#include <zstd.h>

#include <boost/json.hpp>

#include <cstdio>

#include "common/encoding.hpp"

namespace mallard::dynamodb::transfer {
namespace json = boost::json;

namespace {
// Deeper than DynamoDB's own 32 nested levels, so the value decoder reports depth in AWS's words.
constexpr int kMaxDepth = 64;
}  // namespace

// ---------------------------------------------------------------- DynamoDB JSON

void AppendDynamoDbJsonLine(const Item& item, std::string& out) {
  out += "{\"Item\":";
  out += json::serialize(MapToJson(item));
  out += "}\n";
}

Result<Item, std::string> ParseDynamoDbJsonLine(std::string_view line) {
  json::parse_options options;
  options.max_depth = kMaxDepth * 2;  // each DynamoDB level is two JSON levels ({"M":{...}})
  boost::system::error_code error;
  json::value parsed = json::parse(line, error, json::storage_ptr(), options);
  if (error) return Fail(std::string("Unexpected JSON: ") + error.message());
  if (!parsed.is_object()) return Fail(std::string("Expected a JSON object with an Item member"));
  const auto* item = parsed.get_object().if_contains("Item");
  if (item == nullptr || !item->is_object()) return Fail(std::string("Expected a JSON object with an Item member"));
  auto decoded = DecodeMap(item->get_object());
  if (!decoded) return Fail(decoded.error().message);
  return std::move(decoded).value();
}

// ---------------------------------------------------------------- Ion text: writer

namespace {

void AppendIonString(std::string_view text, std::string& out, char quote) {
  out += quote;
  for (unsigned char c : text) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);  // UTF-8 passes through: Ion text is UTF-8
    }
  }
  out += quote;
}

bool IsIonIdentifier(std::string_view name) {
  if (name.empty() || name == "true" || name == "false" || name == "null" || name == "nan") return false;
  // '$' first is left quoted: $10 would be a symbol id, $ion_1_0 a version marker.
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '$') return false;
  return true;
}

void AppendIonNumber(const Decimal& number, std::string& out) {
  // An Ion decimal: an exponent is written with 'd' (an 'e' would make it a float), and an
  // integer gets a trailing '.' so it reads back as a decimal, as DynamoDB's exports write it.
  std::string text = number.ToString();
  bool exponent = false;
  for (char& c : text) {
    if (c == 'e' || c == 'E') {
      c = 'd';
      exponent = true;
    }
  }
  if (!exponent && text.find('.') == std::string::npos) text += '.';
  out += text;
}

void AppendIonBlob(std::string_view bytes, std::string& out) {
  out += "{{";
  out += Base64Encode(bytes);
  out += "}}";
}

}  // namespace

void AppendIonValue(const AttributeValue& value, std::string& out) {
  switch (value.type) {
    case AttrType::S: AppendIonString(value.bytes, out, '"'); break;
    case AttrType::N: AppendIonNumber(value.number, out); break;
    case AttrType::B: AppendIonBlob(value.bytes, out); break;
    case AttrType::BOOL: out += value.boolean ? "true" : "false"; break;
    case AttrType::NUL: out += "null"; break;
    case AttrType::SS:
    case AttrType::BS: {
      out += value.type == AttrType::SS ? "$dynamodb_SS::[" : "$dynamodb_BS::[";
      for (std::size_t i = 0; i < value.byte_set.size(); ++i) {
        if (i > 0) out += ',';
        if (value.type == AttrType::SS) AppendIonString(value.byte_set[i], out, '"');
        else AppendIonBlob(value.byte_set[i], out);
      }
      out += ']';
      break;
    }
    case AttrType::NS:
      out += "$dynamodb_NS::[";
      for (std::size_t i = 0; i < value.number_set.size(); ++i) {
        if (i > 0) out += ',';
        AppendIonNumber(value.number_set[i], out);
      }
      out += ']';
      break;
    case AttrType::L:
      out += '[';
      for (std::size_t i = 0; i < value.list.size(); ++i) {
        if (i > 0) out += ',';
        AppendIonValue(value.list[i], out);
      }
      out += ']';
      break;
    case AttrType::M: {
      out += '{';
      bool first = true;
      for (const auto& [name, member] : value.map) {
        if (!first) out += ',';
        first = false;
        if (IsIonIdentifier(name)) out += name;
        else AppendIonString(name, out, '\'');
        out += ':';
        AppendIonValue(member, out);
      }
      out += '}';
      break;
    }
  }
}

void AppendIonLine(const Item& item, std::string& out) {
  out += "$ion_1_0 {Item:";
  AppendIonValue(AttributeValue::Map(item), out);
  out += "}\n";
}

// ---------------------------------------------------------------- Ion text: reader

namespace {

// A recursive-descent reader for the Ion text DynamoDB writes and reads: structs, lists, strings,
// quoted and plain symbols, decimals/ints/floats, bools, nulls, blobs, annotations, comments.
class IonReader {
 public:
  explicit IonReader(std::string_view text) : text_(text) {}

  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }

  // Skips a version marker if one is next; true if it did.
  bool SkipVersionMarker() {
    SkipSpace();
    if (text_.substr(pos_, 8) == "$ion_1_0" && !IsSymbolChar(At(pos_ + 8))) {
      pos_ += 8;
      return true;
    }
    return false;
  }

  Result<AttributeValue, std::string> Value(int depth) {
    if (depth > kMaxDepth) return Fail(std::string("Ion value nested too deeply"));
    SkipSpace();
    std::string annotation;
    // Annotations: symbol '::' (possibly several; DynamoDB uses one).
    while (true) {
      std::size_t save = pos_;
      std::string symbol;
      if (!ReadPlainSymbol(symbol) && !ReadQuotedSymbol(symbol)) break;
      SkipSpace();
      if (text_.substr(pos_, 2) == "::") {
        pos_ += 2;
        SkipSpace();
        annotation = symbol;
        continue;
      }
      pos_ = save;
      break;
    }
    if (pos_ >= text_.size()) return Fail(std::string("Unexpected end of Ion text"));
    char c = text_[pos_];
    if (c == '{' && At(pos_ + 1) == '{') {
      MALLARD_ASSIGN_OR_RETURN(auto bytes, Blob());
      return AttributeValue::Binary(std::move(bytes));
    }
    if (c == '{') return Struct(depth);
    if (c == '[') return List(depth, annotation);
    if (c == '"' || (c == '\'' && text_.substr(pos_, 3) == "'''")) {
      MALLARD_ASSIGN_OR_RETURN(auto text, String());
      return AttributeValue::String(std::move(text));
    }
    if (c == '\'') {
      std::string symbol;
      ReadQuotedSymbol(symbol);
      return AttributeValue::String(std::move(symbol));
    }
    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) return Number();
    std::string word;
    if (ReadPlainSymbol(word)) {
      if (word == "true" || word == "false") return AttributeValue::Bool(word == "true");
      if (word == "null") {
        // Typed nulls (null.string, ...) are nulls too.
        if (At(pos_) == '.') {
          ++pos_;
          std::string ignored;
          ReadPlainSymbol(ignored);
        }
        return AttributeValue::Null();
      }
      return AttributeValue::String(std::move(word));  // a symbol value reads as its text
    }
    return Fail("Unexpected character '" + std::string(1, c) + "' in Ion text");
  }

 private:
  char At(std::size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
  static bool IsSymbolChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && At(pos_ + 1) == '/') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == '/' && At(pos_ + 1) == '*') {
        auto end = text_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? text_.size() : end + 2;
      } else {
        break;
      }
    }
  }

  bool ReadPlainSymbol(std::string& out) {
    char c = At(pos_);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$')) return false;
    std::size_t start = pos_;
    while (pos_ < text_.size() && IsSymbolChar(text_[pos_])) ++pos_;
    out.assign(text_.substr(start, pos_ - start));
    return true;
  }

  bool ReadQuotedSymbol(std::string& out) {
    if (At(pos_) != '\'' || text_.substr(pos_, 3) == "'''") return false;
    std::size_t save = pos_;
    auto read = Quoted('\'');
    if (!read) {
      pos_ = save;
      return false;
    }
    out = std::move(read).value();
    return true;
  }

  static void AppendUtf8(std::uint32_t code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // A string or quoted symbol delimited by `quote`, escapes decoded.
  Result<std::string, std::string> Quoted(char quote) {
    ++pos_;
    return Unescape(quote);
  }

  // Decodes escapes up to an unescaped `quote` (consumed), or to the end of the text when `quote`
  // is NUL (a long string's segment).
  Result<std::string, std::string> Unescape(char quote) {
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      int hex_digits = 0;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '0': out += '\0'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '\n': break;  // an escaped newline continues the string
        case 'x': hex_digits = 2; break;
        case 'u': hex_digits = 4; break;
        case 'U': hex_digits = 8; break;
        default: out += e; break;  // \" \' \\ \/ \?
      }
      if (hex_digits > 0) {
        if (pos_ + hex_digits > text_.size()) break;
        std::uint32_t code = 0;
        for (int i = 0; i < hex_digits; ++i) {
          char h = text_[pos_++];
          int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
          if (digit < 0) return Fail(std::string("Invalid escape in Ion string"));
          code = code * 16 + static_cast<std::uint32_t>(digit);
        }
        if (e == 'x') out += static_cast<char>(code);
        else if (code > 0x10FFFF) return Fail(std::string("Invalid escape in Ion string"));
        else AppendUtf8(code, out);
      }
    }
    if (quote == '\0') return out;
    return Fail(std::string("Unterminated Ion string"));
  }

  Result<std::string, std::string> String() {
    if (text_[pos_] == '"') return Quoted('"');
    // Long strings: '''...''' segments, adjacent ones concatenated, escapes as in short strings.
    std::string out;
    while (text_.substr(pos_, 3) == "'''") {
      std::size_t end = text_.find("'''", pos_ + 3);
      if (end == std::string_view::npos) return Fail(std::string("Unterminated Ion string"));
      IonReader segment(text_.substr(pos_ + 3, end - pos_ - 3));
      auto decoded = segment.Unescape('\0');
      if (!decoded) return decoded;
      out += decoded.value();
      pos_ = end + 3;
      SkipSpace();
    }
    return out;
  }

  Result<std::string, std::string> Blob() {
    pos_ += 2;
    auto end = text_.find("}}", pos_);
    if (end == std::string_view::npos) return Fail(std::string("Unterminated Ion blob"));
    std::string base64;
    for (char c : text_.substr(pos_, end - pos_))
      if (c != ' ' && c != '\n' && c != '\t' && c != '\r') base64 += c;
    pos_ = end + 2;
    auto bytes = Base64Decode(base64);
    if (!bytes) return Fail(std::string("Invalid base64 in Ion blob"));
    return std::move(*bytes);
  }

  Result<Decimal, std::string> DecimalToken() {
    std::size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == '_' || c == 'e' || c == 'E' || c == 'd' ||
          c == 'D')
        ++pos_;
      else
        break;
    }
    std::string token;
    for (char c : text_.substr(start, pos_ - start)) {
      if (c == '_') continue;
      token += (c == 'd' || c == 'D') ? 'e' : c;
    }
    if (!token.empty() && token[0] == '+') token.erase(0, 1);
    // "103." is an Ion decimal; Decimal::Parse wants digits after a point.
    if (auto point = token.find('.'); point != std::string::npos &&
                                      (point + 1 == token.size() || token[point + 1] == 'e'))
      token.erase(point, 1);
    auto parsed = Decimal::Parse(token);
    if (!parsed) return Fail("Invalid Ion number '" + token + "': " + parsed.error());
    return parsed.value();
  }

  Result<AttributeValue, std::string> Number() {
    MALLARD_ASSIGN_OR_RETURN(auto number, DecimalToken());
    return AttributeValue::Number(number);
  }

  Result<AttributeValue, std::string> Struct(int depth) {
    ++pos_;
    AttributeMap members;
    SkipSpace();
    if (At(pos_) == '}') {
      ++pos_;
      return AttributeValue::Map(std::move(members));
    }
    while (true) {
      SkipSpace();
      std::string name;
      if (At(pos_) == '"') {
        MALLARD_ASSIGN_OR_RETURN(name, Quoted('"'));
      } else if (!ReadQuotedSymbol(name) && !ReadPlainSymbol(name)) {
        return Fail(std::string("Expected a field name in Ion struct"));
      }
      SkipSpace();
      if (At(pos_) != ':') return Fail(std::string("Expected ':' after Ion field name"));
      ++pos_;
      MALLARD_ASSIGN_OR_RETURN(auto value, Value(depth + 1));
      members.insert_or_assign(std::move(name), std::move(value));
      SkipSpace();
      if (At(pos_) == ',') {
        ++pos_;
        SkipSpace();
        if (At(pos_) == '}') {
          ++pos_;
          break;
        }
        continue;
      }
      if (At(pos_) == '}') {
        ++pos_;
        break;
      }
      return Fail(std::string("Expected ',' or '}' in Ion struct"));
    }
    return AttributeValue::Map(std::move(members));
  }

  Result<AttributeValue, std::string> List(int depth, const std::string& annotation) {
    ++pos_;
    std::vector<AttributeValue> elements;
    while (true) {
      SkipSpace();
      if (At(pos_) == ']') {
        ++pos_;
        break;
      }
      MALLARD_ASSIGN_OR_RETURN(auto element, Value(depth + 1));
      elements.push_back(std::move(element));
      SkipSpace();
      if (At(pos_) == ',') {
        ++pos_;
      } else if (At(pos_) != ']') {
        return Fail(std::string("Expected ',' or ']' in Ion list"));
      }
    }
    if (annotation.empty()) return AttributeValue::List(std::move(elements));
    AttributeValue set;
    if (annotation == "$dynamodb_SS" || annotation == "$dynamodb_BS") {
      set.type = annotation == "$dynamodb_SS" ? AttrType::SS : AttrType::BS;
      AttrType member = annotation == "$dynamodb_SS" ? AttrType::S : AttrType::B;
      for (auto& element : elements) {
        if (element.type != member) return Fail("Unexpected element type in " + annotation);
        set.byte_set.push_back(std::move(element.bytes));
      }
    } else if (annotation == "$dynamodb_NS") {
      set.type = AttrType::NS;
      for (auto& element : elements) {
        if (element.type != AttrType::N) return Fail("Unexpected element type in " + annotation);
        set.number_set.push_back(element.number);
      }
    } else {
      return AttributeValue::List(std::move(elements));  // other annotations carry no meaning here
    }
    return set;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// Re-checks a parsed item with the same rules the wire decoder applies (empty or duplicate sets,
// nesting), by round-tripping through its JSON form.
Result<Item, std::string> Revalidate(const AttributeMap& map) {
  auto decoded = DecodeMap(MapToJson(map));
  if (!decoded) return Fail(decoded.error().message);
  return std::move(decoded).value();
}

}  // namespace

IonDocument ParseIonItems(std::string_view text) {
  IonDocument document;
  IonReader reader(text);
  while (!reader.AtEnd()) {
    if (reader.SkipVersionMarker()) continue;
    auto value = reader.Value(0);
    if (!value) {
      // The reader cannot resynchronise inside malformed Ion text: the rest of the document is lost.
      ++document.errors;
      document.error = value.error();
      break;
    }
    const AttributeValue* item = nullptr;
    if (value->type == AttrType::M) {
      auto found = value->map.find("Item");
      if (found != value->map.end() && found->second.type == AttrType::M) item = &found->second;
    }
    if (item == nullptr) {
      ++document.errors;
      if (!document.error) document.error = "Expected an Ion struct with an Item field";
      continue;
    }
    auto checked = Revalidate(item->map);
    if (!checked) {
      ++document.errors;
      if (!document.error) document.error = checked.error();
      continue;
    }
    document.items.push_back(std::move(checked).value());
  }
  return document;
}

// ---------------------------------------------------------------- CSV

namespace {

// Splits RFC 4180 CSV into rows of fields; quoted fields may hold the delimiter, quotes ("") and
// line breaks. A line ending is \n or \r\n.
std::vector<std::vector<std::string>> SplitCsv(std::string_view text, char delimiter) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    // A blank line is no row.
    if (!(row.size() == 1 && row[0].empty() && !field_started)) rows.push_back(std::move(row));
    row.clear();
    field_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      field_started = true;
    } else if (c == delimiter) {
      row.push_back(std::move(field));
      field.clear();
      field_started = true;
    } else if (c == '\n') {
      end_row();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // the \n ends the row
    } else {
      field += c;
      field_started = true;
    }
  }
  if (field_started || !field.empty() || !row.empty()) end_row();
  return rows;
}

Result<AttributeValue, std::string> KeyValue(const KeyElement& key, const std::string& text) {
  if (text.empty()) return Fail("The key attribute " + key.name + " is empty");
  switch (key.type) {
    case AttrType::N: {
      auto number = Decimal::Parse(text);
      if (!number) return Fail("The key attribute " + key.name + " is not a number: " + number.error());
      return AttributeValue::Number(number.value());
    }
    case AttrType::B: {
      auto bytes = Base64DecodeStrict(text);
      if (!bytes) return Fail("The key attribute " + key.name + " is not base64");
      return AttributeValue::Binary(std::move(*bytes));
    }
    default: return AttributeValue::String(text);
  }
}

}  // namespace

CsvRows ParseCsvItems(std::string_view text, const CsvOptions& options, const TableDefinition& table) {
  CsvRows result;
  auto rows = SplitCsv(text, options.delimiter);
  std::vector<std::string> header = options.header;
  std::size_t first = 0;
  if (header.empty()) {
    if (rows.empty()) return result;
    header = rows[0];
    first = 1;
  }
  std::vector<KeyElement> keys{table.keys.partition};
  if (table.keys.sort) keys.push_back(*table.keys.sort);
  for (std::size_t r = first; r < rows.size(); ++r) {
    ++result.rows;
    const auto& row = rows[r];
    if (row.size() > header.size()) {
      result.errors.push_back("Row " + std::to_string(r + 1) + " has more columns than the header");
      continue;
    }
    Item item;
    std::string error;
    for (std::size_t c = 0; c < row.size() && error.empty(); ++c) {
      const std::string& name = header[c];
      const KeyElement* key = nullptr;
      for (const auto& element : keys)
        if (element.name == name) key = &element;
      if (key != nullptr) {
        auto value = KeyValue(*key, row[c]);
        if (!value) error = value.error();
        else item.insert_or_assign(name, std::move(value).value());
      } else if (!row[c].empty()) {
        // An empty cell is an absent attribute (a sparse item), not an empty string.
        item.insert_or_assign(name, AttributeValue::String(row[c]));
      }
    }
    if (error.empty()) {
      for (const auto& key : keys)
        if (!item.contains(key.name)) error = "The key attribute " + key.name + " is missing";
    }
    if (!error.empty()) {
      result.errors.push_back("Row " + std::to_string(r + 1) + ": " + error);
      continue;
    }
    result.items.push_back(std::move(item));
  }
  return result;
}

// ---------------------------------------------------------------- gzip

std::string GzipCompress(std::string_view bytes) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(bytes.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

Result<std::string, std::string> GzipDecompress(std::string_view bytes, std::size_t max_output) {
  z_stream stream{};
  // 15 + 32: gzip or zlib, detected from the header.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return Fail(std::string("Cannot start decompression"));
  std::string out;
  char buffer[1 << 16];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  int status = Z_OK;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;
    out.append(buffer, sizeof buffer - stream.avail_out);
    if (out.size() > max_output) {
      inflateEnd(&stream);
      return Fail(std::string("The decompressed object is larger than the import allows"));
    }
    if (status == Z_STREAM_END) {
      // Concatenated gzip members (as `cat a.gz b.gz` makes) continue the stream.
      if (stream.avail_in == 0) break;
      inflateReset(&stream);
      continue;
    }
    if (stream.avail_in == 0 && stream.avail_out != 0) break;
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) return Fail(std::string("The object is not valid gzip data"));
  return out;
}

std::string ZstdCompress(std::string_view bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  std::size_t size = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3);
  out.resize(ZSTD_isError(size) ? 0 : size);
  return out;
}

Result<std::string, std::string> ZstdDecompress(std::string_view bytes, std::size_t max_output) {
  // Streaming, so a frame that does not state its size (or lies about it) is still bounded.
  ZSTD_DStream* stream = ZSTD_createDStream();
  if (stream == nullptr) return Fail(std::string("Cannot start decompression"));
  ZSTD_initDStream(stream);
  std::string out;
  std::string buffer(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{bytes.data(), bytes.size(), 0};
  std::size_t last = 0;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
    last = ZSTD_decompressStream(stream, &output, &input);
    if (ZSTD_isError(last)) {
      ZSTD_freeDStream(stream);
      return Fail(std::string("The object is not valid zstd data: ") + ZSTD_getErrorName(last));
    }
    out.append(buffer.data(), output.pos);
    if (out.size() > max_output) {
      ZSTD_freeDStream(stream);
      return Fail(std::string("The decompressed object is larger than the import allows"));
    }
    if (output.pos == 0 && last != 0 && input.pos == input.size) break;
  }
  // Flush what the decoder still holds for the last frame.
  while (last != 0) {
    ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
    last = ZSTD_decompressStream(stream, &output, &input);
    if (ZSTD_isError(last) || output.pos == 0) break;
    out.append(buffer.data(), output.pos);
    if (out.size() > max_output) {
      ZSTD_freeDStream(stream);
      return Fail(std::string("The decompressed object is larger than the import allows"));
    }
  }
  ZSTD_freeDStream(stream);
  if (last != 0) return Fail(std::string("The object is not valid zstd data: the last frame is truncated"));
  return out;
}

}  // namespace mallard::dynamodb::transfer
