#include "sqlengine/dialect/redshift_ddl.hpp"

#include <unordered_map>
#include <unordered_set>

namespace mallard::sqlengine::dialect {

namespace {

using Form = Result<std::optional<FormResult>, DialectError>;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

Form Decline() { return std::optional<FormResult>(); }
Form Produce(std::string text, std::size_t next) { return std::optional<FormResult>(FormResult{std::move(text), next}); }
std::string Lower(std::string_view text) { return DialectRewriter::Lower(text); }

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xF]);
      out.push_back(kHex[c & 0xF]);
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

bool IsNameToken(const Token& token) {
  return token.kind == TokenKind::Word || token.kind == TokenKind::QuotedIdentifier;
}

// A column or table name as the engine must see it.
std::string EngineName(const DialectRewriter& rewriter, const Token& token) {
  return rewriter.EngineIdentifier(NamePart{IdentifierText(token), token.kind != TokenKind::Word, token.offset});
}

// The column name a record keys on (unquoted names fold to lower case, as the engine stores them).
std::string StoredName(const Token& token) {
  return token.kind == TokenKind::Word ? Lower(token.text) : IdentifierText(token);
}

// Column-attribute words Redshift has and the engine does not.
bool IsRedshiftColumnAttribute(const Token& token) {
  return token.IsKeyword("ENCODE") || token.IsKeyword("DISTKEY") || token.IsKeyword("SORTKEY") ||
         token.IsKeyword("IDENTITY") || token.IsKeyword("GENERATED");
}

}  // namespace

const std::vector<std::string>& RedshiftTypeWords() {
  static const std::vector<std::string> kWords = {
      "smallint", "int2", "integer", "int", "int4", "bigint", "int8", "decimal", "numeric", "real", "float4",
      "double", "float8", "float", "boolean", "bool", "char", "character", "nchar", "bpchar", "varchar", "nvarchar",
      "text", "date", "time", "timetz", "timestamp", "timestamptz", "super", "varbyte", "varbinary", "binary",
      "geometry", "geography", "hllsketch", "interval"};
  return kWords;
}

Result<RedshiftType, DialectError> MapRedshiftType(const TypeName& type) {
  const std::string& name = type.name;
  auto parameter = [&](std::size_t index, const std::string& fallback) {
    return index < type.parameters.size() ? type.parameters[index] : fallback;
  };
  auto simple = [](std::string engine, std::string declared) { return RedshiftType{std::move(engine), std::move(declared), 0}; };
  if (name == "smallint" || name == "int2") return simple("SMALLINT", "smallint");
  if (name == "integer" || name == "int" || name == "int4") return simple("INTEGER", "integer");
  if (name == "bigint" || name == "int8") return simple("BIGINT", "bigint");
  if (name == "decimal" || name == "numeric") {
    // Redshift's default precision and scale are (18, 0); DuckDB's are (18, 3).
    std::string precision = parameter(0, "18");
    std::string scale = parameter(1, "0");
    return simple("DECIMAL(" + precision + "," + scale + ")", "numeric(" + precision + "," + scale + ")");
  }
  if (name == "real" || name == "float4") return simple("REAL", "real");
  if (name == "double precision" || name == "float8" || name == "float" || name == "double") {
    if (name == "float" && !type.parameters.empty() && std::atoi(type.parameters[0].c_str()) <= 24) return simple("REAL", "real");
    return simple("DOUBLE", "double precision");
  }
  if (name == "boolean" || name == "bool") return simple("BOOLEAN", "boolean");
  if (name == "char" || name == "character" || name == "nchar" || name == "bpchar") {
    return simple("VARCHAR", "character(" + parameter(0, "1") + ")");
  }
  if (name == "varchar" || name == "character varying" || name == "nvarchar" || name == "text" ||
      name == "char varying") {
    return simple("VARCHAR", "character varying(" + parameter(0, "256") + ")");
  }
  if (name == "date") return simple("DATE", "date");
  if (name == "time") return simple("TIME", "time without time zone");
  if (name == "timetz" || name == "time with time zone") return simple("TIMETZ", "time with time zone");
  if (name == "timestamp") return simple("TIMESTAMP", "timestamp without time zone");
  if (name == "timestamptz" || name == "timestamp with time zone") return simple("TIMESTAMPTZ", "timestamp with time zone");
  if (name == "super") return simple("JSON", "super");
  if (name == "varbyte" || name == "varbinary" || name == "binary varying") {
    return simple("BLOB", "varbyte(" + parameter(0, "64000") + ")");
  }
  if (name == "geometry" || name == "geography" || name == "hllsketch") {
    return Fail(DialectError{"0A000", "type " + name + " is not supported by Mallard's Redshift Data"});
  }
  if (name.rfind("interval", 0) == 0) return simple("INTERVAL", "interval");
  // The engine's own types (blob, hugeint, uuid, json, T[] …) stay as written.
  if (name == "array" && type.element_types.size() == 1) return simple(type.element_types[0] + "[]", "");
  std::string engine;
  for (char c : name) engine.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  if (!type.parameters.empty()) {
    engine += "(";
    for (std::size_t i = 0; i < type.parameters.size(); ++i) engine += (i ? "," : "") + type.parameters[i];
    engine += ")";
  }
  return simple(engine, "");
}

Result<RedshiftType, DialectError> ParseRedshiftType(const DialectRewriter& rewriter, std::size_t begin, std::size_t end) {
  const auto& tokens = rewriter.Tokens();
  std::size_t i = rewriter.Next(begin, end);
  if (i >= end || !IsNameToken(tokens[i])) return Fail(rewriter.SyntaxError(i, "type expected"));
  TypeName type;
  type.name = Lower(IdentifierText(tokens[i]));
  ++i;
  auto peek = [&](std::size_t from) -> std::pair<std::string, std::size_t> {
    std::size_t at = rewriter.Next(from, end);
    if (at < end && tokens[at].kind == TokenKind::Word) return {Lower(tokens[at].text), at};
    return {"", at};
  };
  if (type.name == "double") {
    if (auto [word, at] = peek(i); word == "precision") {
      type.name = "double precision";
      i = at + 1;
    }
  } else if (type.name == "character" || type.name == "char" || type.name == "binary") {
    if (auto [word, at] = peek(i); word == "varying") {
      type.name = type.name == "binary" ? "binary varying" : "character varying";
      i = at + 1;
    }
  } else if (type.name == "interval") {
    static const std::unordered_set<std::string> kFields = {"year", "month", "day", "hour", "minute", "second", "to"};
    for (auto [word, at] = peek(i); kFields.count(word) != 0; std::tie(word, at) = peek(i)) i = at + 1;
  }
  std::size_t open = rewriter.Next(i, end);
  if (open < end && tokens[open].IsPunct('(')) {
    std::size_t close = rewriter.Close(open, end);
    if (close >= end) return Fail(rewriter.SyntaxError(tokens.size(), "unbalanced parenthesis"));
    for (const auto& [piece_begin, piece_end] : rewriter.SplitTopLevel(open + 1, close)) {
      std::size_t value = rewriter.Next(piece_begin, piece_end);
      if (value >= piece_end) return Fail(rewriter.SyntaxError(value, "type parameter expected"));
      if (tokens[value].IsKeyword("MAX")) {
        type.parameters.emplace_back(type.name.find("var") != std::string::npos || type.name == "nvarchar" ? "65535" : "4096");
      } else if (tokens[value].Is(TokenKind::Number)) {
        type.parameters.emplace_back(tokens[value].text);
      } else {
        return Fail(rewriter.SyntaxError(value, "type parameter expected"));
      }
      if (std::size_t rest = rewriter.Next(value + 1, piece_end); rest < piece_end) return Fail(rewriter.SyntaxError(rest, ""));
    }
    i = close + 1;
  }
  if (type.name == "timestamp" || type.name == "time") {
    auto [with, with_at] = peek(i);
    if (with == "with" || with == "without") {
      auto [time, time_at] = peek(with_at + 1);
      auto [zone, zone_at] = peek(time_at + 1);
      if (time == "time" && zone == "zone") {
        if (with == "with") type.name += " with time zone";
        i = zone_at + 1;
      }
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto mapped, MapRedshiftType(type));
  // The engine's array suffix, T[].
  std::size_t bracket = rewriter.Next(i, end);
  while (bracket < end && tokens[bracket].IsPunct('[')) {
    std::size_t bracket_close = rewriter.Next(bracket + 1, end);
    if (bracket_close >= end || !tokens[bracket_close].IsPunct(']')) break;
    mapped.engine += "[]";
    mapped.declared = "super";
    i = bracket_close + 1;
    bracket = rewriter.Next(i, end);
  }
  mapped.next = i;
  return mapped;
}

namespace {

// What CREATE TABLE declared beyond the engine's columns.
struct TableAttributes {
  std::string diststyle;  // AUTO, EVEN, KEY, ALL
  std::string distkey;
  std::vector<std::string> sortkey;
  std::string sortkey_style = "COMPOUND";
  bool sortkey_auto = false;
  std::optional<bool> backup;
  std::vector<std::pair<std::string, std::string>> encodings;
  std::vector<std::pair<std::string, std::string>> types;
  int max_varchar = 0;

  std::string Json() const {
    std::string style = diststyle.empty() ? (distkey.empty() ? "AUTO" : "KEY") : diststyle;
    std::string text = "{\"redshift_attributes\":{\"diststyle\":" + JsonString(style) + ",\"diststyle_text\":" +
                       JsonString(style == "KEY" ? "KEY(" + distkey + ")" : style == "AUTO" ? "AUTO(EVEN)" : style);
    if (!distkey.empty()) text += ",\"distkey\":" + JsonString(distkey);
    if (!sortkey.empty()) {
      text += ",\"sortkey\":[";
      for (std::size_t i = 0; i < sortkey.size(); ++i) text += (i ? "," : "") + JsonString(sortkey[i]);
      text += "],\"sortkey_style\":" + JsonString(sortkey_style);
    }
    if (sortkey_auto) text += ",\"sortkey_auto\":true";
    if (backup) text += std::string(",\"backup\":") + (*backup ? "true" : "false");
    auto object = [&](const char* key, const std::vector<std::pair<std::string, std::string>>& entries) {
      if (entries.empty()) return;
      text += ",\"" + std::string(key) + "\":{";
      for (std::size_t i = 0; i < entries.size(); ++i) {
        text += (i ? "," : "") + JsonString(entries[i].first) + ":" + JsonString(entries[i].second);
      }
      text += "}";
    };
    object("encodings", encodings);
    object("types", types);
    text += ",\"max_varchar\":" + std::to_string(max_varchar);
    return text + "}}";
  }
};

// The words of a parenthesised column list `( a, "b" )` at `open`.
Result<std::vector<std::string>, DialectError> NameList(const DialectRewriter& rewriter, std::size_t open, std::size_t close) {
  std::vector<std::string> names;
  const auto& tokens = rewriter.Tokens();
  for (const auto& [begin, piece_end] : rewriter.SplitTopLevel(open + 1, close)) {
    std::size_t name = rewriter.Next(begin, piece_end);
    if (name >= piece_end || !IsNameToken(tokens[name])) return Fail(rewriter.SyntaxError(name, ""));
    names.push_back(StoredName(tokens[name]));
  }
  return names;
}

}  // namespace

Form CreateTableForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t previous = rewriter.Previous(index);
  if (previous != kNone && !tokens[previous].IsPunct(';')) return Decline();
  std::size_t i = rewriter.Next(index + 1, end);
  bool temporary = false;
  if (i < end && tokens[i].IsKeyword("LOCAL")) i = rewriter.Next(i + 1, end);
  if (i < end && (tokens[i].IsKeyword("TEMP") || tokens[i].IsKeyword("TEMPORARY"))) {
    temporary = true;
    i = rewriter.Next(i + 1, end);
  }
  if (i >= end || !tokens[i].IsKeyword("TABLE")) return Decline();
  std::string head = temporary ? "CREATE TEMPORARY TABLE " : "CREATE TABLE ";
  i = rewriter.Next(i + 1, end);
  bool if_not_exists = false;
  if (i < end && tokens[i].IsKeyword("IF")) {
    std::size_t word = rewriter.Next(i + 1, end);
    std::size_t exists = word < end ? rewriter.Next(word + 1, end) : end;
    if (word >= end || !tokens[word].IsKeyword("NOT") || exists >= end || !tokens[exists].IsKeyword("EXISTS")) {
      return Fail(rewriter.SyntaxError(word, ""));
    }
    if_not_exists = true;
    head += "IF NOT EXISTS ";
    i = rewriter.Next(exists + 1, end);
  }
  // The table's name: [dev.][schema.]table.
  std::vector<const Token*> parts;
  while (i < end && IsNameToken(tokens[i])) {
    parts.push_back(&tokens[i]);
    std::size_t dot = rewriter.Next(i + 1, end);
    if (dot < end && tokens[dot].IsPunct('.')) {
      i = rewriter.Next(dot + 1, end);
      continue;
    }
    i = dot;
    break;
  }
  if (parts.empty() || parts.size() > 3) return Fail(rewriter.SyntaxError(i, ""));
  if (parts.size() == 3) parts.erase(parts.begin());  // the database: the engine has one
  std::string schema_prefix;
  if (parts.size() == 2) {
    std::string schema = StoredName(*parts[0]);
    schema_prefix = (schema == "public" ? std::string("main") : EngineName(rewriter, *parts[0])) + ".";
  }
  const std::string table = StoredName(*parts.back());
  const std::string table_name = schema_prefix + EngineName(rewriter, *parts.back());
  const std::size_t statement_end = rewriter.StatementEnd(i, end);

  TableAttributes attributes;
  std::string sequences;
  std::string columns;
  std::size_t cursor = i;
  if (cursor < statement_end && tokens[cursor].IsPunct('(')) {
    std::size_t close = rewriter.Close(cursor, statement_end);
    if (close >= statement_end) return Fail(rewriter.SyntaxError(tokens.size(), ""));
    std::size_t first = rewriter.Next(cursor + 1, close);
    if (first < close && tokens[first].IsKeyword("LIKE")) {
      return Fail(DialectError{"0A000", "CREATE TABLE … (LIKE …) is not supported by Mallard's Redshift Data"});
    }
    for (const auto& [begin, piece_end] : rewriter.SplitTopLevel(cursor + 1, close)) {
      std::size_t lead = rewriter.Next(begin, piece_end);
      if (lead >= piece_end) return Fail(rewriter.SyntaxError(piece_end, ""));
      if (!columns.empty()) columns += ", ";
      static const std::unordered_set<std::string> kConstraints = {"primary", "unique", "foreign", "check", "constraint"};
      if (tokens[lead].kind == TokenKind::Word && kConstraints.count(Lower(tokens[lead].text)) != 0) {
        MALLARD_ASSIGN_OR_RETURN(std::string constraint, rewriter.RewriteRange(begin, piece_end, depth + 1));
        columns += std::string(TrimSql(constraint));
        continue;
      }
      if (!IsNameToken(tokens[lead])) return Fail(rewriter.SyntaxError(lead, ""));
      const std::string column = StoredName(tokens[lead]);
      MALLARD_ASSIGN_OR_RETURN(auto type, ParseRedshiftType(rewriter, lead + 1, piece_end));
      if (type.declared.rfind("character", 0) == 0) {
        attributes.types.emplace_back(column, type.declared);
        std::size_t open_length = type.declared.find('(');
        if (open_length != std::string::npos) {
          attributes.max_varchar = std::max(attributes.max_varchar, std::atoi(type.declared.c_str() + open_length + 1));
        }
      }
      std::string definition = EngineName(rewriter, tokens[lead]) + " " + type.engine;
      std::size_t k = type.next;
      while (true) {
        std::size_t t = rewriter.Next(k, piece_end);
        if (t >= piece_end) break;
        const Token& word = tokens[t];
        if (word.IsKeyword("ENCODE")) {
          std::size_t encoding = rewriter.Next(t + 1, piece_end);
          if (encoding >= piece_end || tokens[encoding].kind != TokenKind::Word) return Fail(rewriter.SyntaxError(encoding, ""));
          attributes.encodings.emplace_back(column, Lower(tokens[encoding].text) == "raw" ? "none" : Lower(tokens[encoding].text));
          k = encoding + 1;
        } else if (word.IsKeyword("DISTKEY")) {
          attributes.distkey = column;
          k = t + 1;
        } else if (word.IsKeyword("SORTKEY")) {
          attributes.sortkey.push_back(column);
          k = t + 1;
        } else if (word.IsKeyword("IDENTITY") || word.IsKeyword("GENERATED")) {
          std::size_t identity = t;
          if (word.IsKeyword("GENERATED")) {  // GENERATED BY DEFAULT AS IDENTITY(seed, step)
            identity = t;
            for (int skip = 0; skip < 4; ++skip) identity = rewriter.Next(identity + 1, piece_end);
            if (identity >= piece_end || !tokens[identity].IsKeyword("IDENTITY")) return Fail(rewriter.SyntaxError(t, ""));
          }
          std::size_t open = rewriter.Next(identity + 1, piece_end);
          if (open >= piece_end || !tokens[open].IsPunct('(')) return Fail(rewriter.SyntaxError(open, ""));
          std::size_t identity_close = rewriter.Close(open, piece_end);
          auto numbers = rewriter.SplitTopLevel(open + 1, identity_close);
          if (identity_close >= piece_end || numbers.size() != 2) return Fail(rewriter.SyntaxError(open, ""));
          MALLARD_ASSIGN_OR_RETURN(std::string seed, rewriter.RewriteRange(numbers[0].first, numbers[0].second, depth + 1));
          MALLARD_ASSIGN_OR_RETURN(std::string step, rewriter.RewriteRange(numbers[1].first, numbers[1].second, depth + 1));
          // A plain name (DuckDB's nextval does not undo "" inside its quoted string).
          std::string plain = table + "_" + column + "_identity_seq";
          for (auto& c : plain) {
            const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            if (!keep) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '_';
          }
          std::string sequence = schema_prefix + QuoteIdentifier(plain);
          sequences += std::string(if_not_exists ? "CREATE " : "CREATE OR REPLACE ") + (temporary ? "TEMPORARY " : "") +
                       "SEQUENCE " + (if_not_exists ? "IF NOT EXISTS " : "") + sequence + " START WITH " +
                       std::string(TrimSql(seed)) + " INCREMENT BY " + std::string(TrimSql(step)) + "; ";
          definition += " DEFAULT nextval(" + QuoteString(sequence) + ")";
          k = identity_close + 1;
        } else if (word.IsKeyword("COLLATE")) {
          return Fail(DialectError{"0A000", "column collations are not supported by Mallard's Redshift Data"});
        } else {
          // Standard attributes (NOT NULL, DEFAULT …, PRIMARY KEY, REFERENCES …) up to the next
          // Redshift-only one.
          std::size_t stop = t;
          while (stop < piece_end && !IsRedshiftColumnAttribute(tokens[stop]) && !tokens[stop].IsKeyword("COLLATE")) {
            if (tokens[stop].IsPunct('(')) stop = rewriter.Close(stop, piece_end);
            ++stop;
          }
          MALLARD_ASSIGN_OR_RETURN(std::string standard, rewriter.RewriteRange(t, std::min(stop, piece_end), depth + 1));
          definition += " " + std::string(TrimSql(standard));
          k = stop;
        }
      }
      columns += definition;
    }
    cursor = close + 1;
  }
  // Table attributes after the column list, then an optional AS query.
  std::string query;
  while (true) {
    std::size_t t = rewriter.Next(cursor, statement_end);
    if (t >= statement_end) break;
    const Token& word = tokens[t];
    auto word_after = [&](std::size_t at) { return rewriter.Next(at + 1, statement_end); };
    if (word.IsKeyword("DISTSTYLE")) {
      std::size_t style = word_after(t);
      if (style >= statement_end || tokens[style].kind != TokenKind::Word) return Fail(rewriter.SyntaxError(style, ""));
      attributes.diststyle = Lower(tokens[style].text);
      for (auto& c : attributes.diststyle) c = static_cast<char>(c - 'a' + 'A');
      if (attributes.diststyle != "AUTO" && attributes.diststyle != "EVEN" && attributes.diststyle != "KEY" &&
          attributes.diststyle != "ALL") {
        return Fail(rewriter.SyntaxError(style, ""));
      }
      cursor = style + 1;
    } else if (word.IsKeyword("DISTKEY")) {
      std::size_t open = word_after(t);
      if (open >= statement_end || !tokens[open].IsPunct('(')) return Fail(rewriter.SyntaxError(open, ""));
      std::size_t close = rewriter.Close(open, statement_end);
      MALLARD_ASSIGN_OR_RETURN(auto names, NameList(rewriter, open, close));
      if (names.size() != 1) return Fail(rewriter.SyntaxError(open, ""));
      attributes.distkey = names[0];
      cursor = close + 1;
    } else if (word.IsKeyword("COMPOUND") || word.IsKeyword("INTERLEAVED") || word.IsKeyword("SORTKEY")) {
      std::size_t sortkey = t;
      if (!word.IsKeyword("SORTKEY")) {
        attributes.sortkey_style = word.IsKeyword("COMPOUND") ? "COMPOUND" : "INTERLEAVED";
        sortkey = word_after(t);
        if (sortkey >= statement_end || !tokens[sortkey].IsKeyword("SORTKEY")) return Fail(rewriter.SyntaxError(sortkey, ""));
      }
      std::size_t open = word_after(sortkey);
      if (open < statement_end && tokens[open].IsKeyword("AUTO")) {
        attributes.sortkey_auto = true;
        cursor = open + 1;
        continue;
      }
      if (open >= statement_end || !tokens[open].IsPunct('(')) return Fail(rewriter.SyntaxError(open, ""));
      std::size_t close = rewriter.Close(open, statement_end);
      MALLARD_ASSIGN_OR_RETURN(attributes.sortkey, NameList(rewriter, open, close));
      cursor = close + 1;
    } else if (word.IsKeyword("ENCODE")) {
      std::size_t mode = word_after(t);
      if (mode >= statement_end || !tokens[mode].IsKeyword("AUTO")) return Fail(rewriter.SyntaxError(mode, ""));
      cursor = mode + 1;
    } else if (word.IsKeyword("BACKUP")) {
      std::size_t value = word_after(t);
      if (value >= statement_end || !(tokens[value].IsKeyword("YES") || tokens[value].IsKeyword("NO"))) {
        return Fail(rewriter.SyntaxError(value, ""));
      }
      attributes.backup = tokens[value].IsKeyword("YES");
      cursor = value + 1;
    } else if (word.IsKeyword("AS")) {
      MALLARD_ASSIGN_OR_RETURN(query, rewriter.RewriteRange(t, statement_end, depth));
      cursor = statement_end;
    } else {
      return Fail(rewriter.SyntaxError(t, ""));
    }
  }
  std::string text = sequences + head + table_name;
  if (!columns.empty()) text += " (" + columns + ")";
  if (!query.empty()) text += " " + std::string(TrimSql(query));
  if (columns.empty() && query.empty()) return Fail(rewriter.SyntaxError(statement_end, ""));
  // IF NOT EXISTS may find the table already there: its record stays the one of its own CREATE.
  if (!temporary && !if_not_exists) text += "; COMMENT ON TABLE " + table_name + " IS " + QuoteString(attributes.Json());
  return Produce(text, statement_end);
}

Form AlterTableForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t previous = rewriter.Previous(index);
  if (previous != kNone && !tokens[previous].IsPunct(';')) return Decline();
  std::size_t table = rewriter.Next(index + 1, end);
  if (table >= end || !tokens[table].IsKeyword("TABLE")) return Decline();
  std::size_t statement_end = rewriter.StatementEnd(table, end);
  // The action follows the (possibly dotted) table name.
  std::size_t i = rewriter.Next(table + 1, statement_end);
  std::size_t name_begin = i;
  while (i < statement_end && IsNameToken(tokens[i])) {
    std::size_t dot = rewriter.Next(i + 1, statement_end);
    if (dot < statement_end && tokens[dot].IsPunct('.')) {
      i = rewriter.Next(dot + 1, statement_end);
      continue;
    }
    i = dot;
    break;
  }
  if (i >= statement_end) return Decline();
  std::size_t what = rewriter.Next(i + 1, statement_end);
  if (tokens[i].IsKeyword("ALTER") && what < statement_end &&
      (tokens[what].IsKeyword("DISTSTYLE") || tokens[what].IsKeyword("DISTKEY") || tokens[what].IsKeyword("SORTKEY") ||
       tokens[what].IsKeyword("COMPOUND") || tokens[what].IsKeyword("INTERLEAVED") || tokens[what].IsKeyword("ENCODE"))) {
    // The engine has no physical layout to change.
    return Produce("SET VARIABLE mallard_redshift_setting = 'alter table'", statement_end);
  }
  if (tokens[i].IsKeyword("ADD")) {
    std::size_t column = what;
    if (column < statement_end && tokens[column].IsKeyword("COLUMN")) column = rewriter.Next(column + 1, statement_end);
    if (column >= statement_end || !IsNameToken(tokens[column])) return Decline();
    static const std::unordered_set<std::string> kNotColumns = {"constraint", "primary", "unique", "foreign", "check"};
    if (tokens[column].kind == TokenKind::Word && kNotColumns.count(Lower(tokens[column].text)) != 0) return Decline();
    MALLARD_ASSIGN_OR_RETURN(std::string name, rewriter.RewriteRange(name_begin, i, depth));
    MALLARD_ASSIGN_OR_RETURN(auto type, ParseRedshiftType(rewriter, column + 1, statement_end));
    std::string rest;
    std::size_t k = type.next;
    while (true) {
      std::size_t t = rewriter.Next(k, statement_end);
      if (t >= statement_end) break;
      if (tokens[t].IsKeyword("ENCODE")) {
        k = rewriter.Next(t + 1, statement_end) + 1;
        continue;
      }
      std::size_t stop = t;
      while (stop < statement_end && !tokens[stop].IsKeyword("ENCODE")) ++stop;
      MALLARD_ASSIGN_OR_RETURN(std::string standard, rewriter.RewriteRange(t, stop, depth));
      rest += " " + std::string(TrimSql(standard));
      k = stop;
    }
    return Produce("ALTER TABLE " + std::string(TrimSql(name)) + " ADD COLUMN " + EngineName(rewriter, tokens[column]) + " " +
                       type.engine + rest,
                   statement_end);
  }
  return Decline();
}

// VACUUM [FULL | SORT ONLY | DELETE ONLY | REINDEX | RECLUSTER] [t] [TO n PERCENT] [BOOST] and
// ANALYZE [VERBOSE] [t [(columns)]] [PREDICATE COLUMNS | ALL COLUMNS]: the engine's VACUUM t /
// ANALYZE t (it has no sort order or compression to work on; a missing table still fails).
Result<std::optional<FormResult>, DialectError> MaintenanceForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const auto& tokens = rewriter.Tokens();
  std::size_t before = rewriter.Previous(index);
  if (before != kNone && !tokens[before].IsPunct(';')) return Decline();
  const bool vacuum = tokens[index].IsKeyword("VACUUM");
  std::size_t statement_end = rewriter.StatementEnd(index + 1, end);
  static const std::unordered_set<std::string> kOptions = {"full", "sort", "only", "delete", "reindex", "recluster",
                                                           "verbose"};
  std::size_t i = rewriter.Next(index + 1, statement_end);
  while (i < statement_end && tokens[i].kind == TokenKind::Word && kOptions.count(Lower(tokens[i].text)) != 0) {
    i = rewriter.Next(i + 1, statement_end);
  }
  if (i < statement_end && tokens[i].IsKeyword("COMPRESSION")) return Decline();
  QualifiedName name;
  static const std::unordered_set<std::string> kTrailers = {"to", "boost", "predicate", "all"};
  while (i < statement_end && (tokens[i].kind == TokenKind::Word || tokens[i].kind == TokenKind::QuotedIdentifier) &&
         !tokens[i].unterminated && !(tokens[i].kind == TokenKind::Word && kTrailers.count(Lower(tokens[i].text)) != 0)) {
    name.parts.push_back(NamePart{IdentifierText(tokens[i]), tokens[i].kind != TokenKind::Word, tokens[i].offset});
    std::size_t dot = rewriter.Next(i + 1, statement_end);
    i = dot;
    if (dot < statement_end && tokens[dot].IsPunct('.')) {
      i = rewriter.Next(dot + 1, statement_end);
      continue;
    }
    break;
  }
  if (i < statement_end && tokens[i].IsPunct('(')) i = rewriter.Next(rewriter.Close(i, statement_end) + 1, statement_end);
  // What may follow: TO n PERCENT, BOOST, PREDICATE COLUMNS, ALL COLUMNS.
  while (i < statement_end) {
    const Token& word = tokens[i];
    const bool allowed = word.IsKeyword("TO") || word.IsKeyword("PERCENT") || word.IsKeyword("BOOST") ||
                         word.IsKeyword("PREDICATE") || word.IsKeyword("ALL") || word.IsKeyword("COLUMNS") ||
                         word.Is(TokenKind::Number);
    if (!allowed) return Fail(rewriter.SyntaxError(i, ""));
    i = rewriter.Next(i + 1, statement_end);
  }
  std::string text = vacuum ? "VACUUM" : "ANALYZE";
  if (!name.parts.empty()) {
    MALLARD_RETURN_IF_ERROR(rewriter.Rules().map_name(name));
    text += " ";
    for (std::size_t k = 0; k < name.parts.size(); ++k) text += (k ? "." : "") + rewriter.EngineIdentifier(name.parts[k]);
  }
  return Produce(text, statement_end);
}

}  // namespace mallard::sqlengine::dialect
