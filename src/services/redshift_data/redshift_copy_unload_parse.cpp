#include "services/redshift_data/redshift_copy_unload_parse.hpp"

#include <algorithm>
#include <limits>

#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::redshift_data {

namespace dialect = sqlengine::dialect;
using dialect::Token;
using dialect::TokenKind;

namespace {

// 1-based character (not byte) position of byte `offset`, as PostgreSQL counts for "Position".
std::size_t CharacterPosition(std::string_view sql, std::size_t offset) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < offset && i < sql.size(); ++i) {
    if ((static_cast<unsigned char>(sql[i]) & 0xC0) != 0x80) ++characters;
  }
  return characters + 1;
}

std::string AsciiUpper(std::string_view text) {
  std::string upper(text);
  for (auto& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

std::string AsciiLowerCopy(std::string_view text) {
  std::string lower(text);
  for (auto& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// The significant tokens of `sql` (no blanks or comments), with byte offsets into the whole
// statement (`base` is added for a tail tokenized on its own).
class TokenCursor {
 public:
  TokenCursor(std::string_view whole, std::string_view part, std::size_t base) : whole_(whole) {
    for (auto token : dialect::Tokenize(part)) {
      if (token.IsTrivia()) continue;
      token.offset += base;
      tokens_.push_back(token);
    }
  }

  bool AtEnd() const {
    // A trailing ';' ends the statement like the end of the text.
    return index_ >= tokens_.size() || (index_ + 1 == tokens_.size() && tokens_[index_].IsPunct(';'));
  }
  const Token* Peek(std::size_t ahead = 0) const {
    return index_ + ahead < tokens_.size() ? &tokens_[index_ + ahead] : nullptr;
  }
  const Token& Take() { return tokens_[index_++]; }

  bool PeekKeyword(std::string_view keyword, std::size_t ahead = 0) const {
    const Token* token = Peek(ahead);
    return token != nullptr && token->IsKeyword(keyword);
  }
  bool AcceptKeyword(std::string_view keyword) {
    if (!PeekKeyword(keyword)) return false;
    ++index_;
    return true;
  }
  bool AcceptPunct(char c) {
    if (AtEnd() || !tokens_[index_].IsPunct(c)) return false;
    ++index_;
    return true;
  }

  // The error Redshift reports for the current token.
  BulkParseError SyntaxError() const {
    if (AtEnd()) return {"syntax error at end of input", CharacterPosition(whole_, whole_.size())};
    const Token& token = tokens_[index_];
    std::string text(token.text.substr(0, 64));
    if (token.unterminated) {
      if (token.Is(TokenKind::String)) return {"unterminated quoted string at or near \"" + text + "\"", CharacterPosition(whole_, token.offset)};
      if (token.Is(TokenKind::QuotedIdentifier)) return {"unterminated quoted identifier at or near \"" + text + "\"", CharacterPosition(whole_, token.offset)};
      if (token.Is(TokenKind::Comment)) return {"unterminated /* comment at or near \"" + text + "\"", CharacterPosition(whole_, token.offset)};
    }
    return {"syntax error at or near \"" + text + "\"", CharacterPosition(whole_, token.offset)};
  }
  BulkParseError ErrorAt(std::string message, const Token& token) const {
    return {std::move(message), CharacterPosition(whole_, token.offset)};
  }

  Result<std::string, BulkParseError> ExpectString() {
    if (AtEnd() || !tokens_[index_].Is(TokenKind::String) || tokens_[index_].unterminated) return Fail(SyntaxError());
    return dialect::StringText(Take());
  }
  // A non-negative integer literal (Redshift's option arguments); one that overflows is refused.
  Result<std::int64_t, BulkParseError> ExpectInteger() {
    if (AtEnd() || !tokens_[index_].Is(TokenKind::Number)) return Fail(SyntaxError());
    const Token& token = tokens_[index_];
    std::int64_t value = 0;
    for (char c : token.text) {
      if (c < '0' || c > '9') return Fail(SyntaxError());
      if (value > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) {
        return Fail(ErrorAt("value \"" + std::string(token.text.substr(0, 32)) + "\" is out of range for type bigint", token));
      }
      value = value * 10 + (c - '0');
    }
    ++index_;
    return value;
  }
  // A decimal literal (MAXFILESIZE 5.5 MB).
  Result<double, BulkParseError> ExpectNumber() {
    if (AtEnd() || !tokens_[index_].Is(TokenKind::Number)) return Fail(SyntaxError());
    const Token& token = tokens_[index_];
    double value = 0;
    double scale = 0;
    for (char c : token.text) {
      if (c == '.' && scale == 0) {
        scale = 1;
      } else if (c >= '0' && c <= '9') {
        if (scale == 0) {
          value = value * 10 + (c - '0');
        } else {
          scale /= 10;
          value += (c - '0') * scale;
        }
      } else {
        return Fail(SyntaxError());
      }
    }
    ++index_;
    return value;
  }
  // An identifier: a word (folded to lower case, as Redshift folds names) or a quoted identifier.
  Result<std::string, BulkParseError> ExpectIdentifier() {
    if (AtEnd()) return Fail(SyntaxError());
    const Token& token = tokens_[index_];
    if (token.Is(TokenKind::Word)) {
      ++index_;
      return AsciiLowerCopy(token.text);
    }
    if (token.Is(TokenKind::QuotedIdentifier) && !token.unterminated) {
      ++index_;
      std::string name = dialect::IdentifierText(token);
      if (name.empty()) return Fail(ErrorAt("zero-length delimited identifier at or near \"\"\"\"", token));
      return name;
    }
    return Fail(SyntaxError());
  }

 private:
  std::string_view whole_;
  std::vector<Token> tokens_;
  std::size_t index_ = 0;
};

// Redshift's backslash escapes in a delimiter or quote character ('\t', '\174', '\\').
std::string UnescapeCharacterOption(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    char next = text[++i];
    switch (next) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      default:
        if (next >= '0' && next <= '7') {
          int value = next - '0';
          for (int digits = 1; digits < 3 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7'; ++digits) {
            value = value * 8 + (text[++i] - '0');
          }
          out.push_back(static_cast<char>(value & 0xFF));
        } else {
          out.push_back('\\');
          out.push_back(next);
        }
    }
  }
  return out;
}

// Skips an optional AS.
void OptionalAs(TokenCursor& cursor) { cursor.AcceptKeyword("AS"); }

// IAM_ROLE {default | 'arn'}, CREDENTIALS [AS] '…', ACCESS_KEY_ID '…' SECRET_ACCESS_KEY '…'
// [SESSION_TOKEN '…']: returns true when the cursor was at one of them.
Result<bool, BulkParseError> ParseAuthorization(TokenCursor& cursor, std::string& iam_role, std::string& credentials,
                                                 std::string& access_key_id) {
  if (cursor.AcceptKeyword("IAM_ROLE")) {
    if (cursor.AcceptKeyword("DEFAULT")) {
      iam_role = "default";
    } else {
      MALLARD_ASSIGN_OR_RETURN(iam_role, cursor.ExpectString());
    }
    return true;
  }
  if (cursor.AcceptKeyword("CREDENTIALS")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(credentials, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("ACCESS_KEY_ID")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(access_key_id, cursor.ExpectString());
    if (!cursor.AcceptKeyword("SECRET_ACCESS_KEY")) return Fail(cursor.SyntaxError());
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto secret, cursor.ExpectString());
    (void)secret;  // never kept: nothing checks it, and it must not end up in a log
    return true;
  }
  if (cursor.AcceptKeyword("SESSION_TOKEN") || cursor.AcceptKeyword("MASTER_SYMMETRIC_KEY")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto ignored, cursor.ExpectString());
    (void)ignored;
    return true;
  }
  return false;
}

// ON | TRUE | OFF | FALSE after PARALLEL, COMPUPDATE, STATUPDATE (absent: ON).
bool ParseOnOff(TokenCursor& cursor) {
  if (cursor.AcceptKeyword("ON") || cursor.AcceptKeyword("TRUE")) return true;
  if (cursor.AcceptKeyword("OFF") || cursor.AcceptKeyword("FALSE")) return false;
  return true;
}

bool ParseCompression(TokenCursor& cursor, FileCompression& compression) {
  if (cursor.AcceptKeyword("GZIP")) compression = FileCompression::Gzip;
  else if (cursor.AcceptKeyword("BZIP2")) compression = FileCompression::Bzip2;
  else if (cursor.AcceptKeyword("ZSTD")) compression = FileCompression::Zstd;
  else if (cursor.AcceptKeyword("LZOP")) compression = FileCompression::Lzop;
  else return false;
  return true;
}

// [schema.]table, each part a word or a quoted identifier.
Result<Done, BulkParseError> ParseTableName(TokenCursor& cursor, std::string& schema, std::string& table) {
  MALLARD_ASSIGN_OR_RETURN(std::string first, cursor.ExpectIdentifier());
  if (!cursor.AcceptPunct('.')) {
    table = std::move(first);
    return Done{};
  }
  MALLARD_ASSIGN_OR_RETURN(std::string second, cursor.ExpectIdentifier());
  if (cursor.AcceptPunct('.')) {
    // database.schema.table: Redshift's one database ("dev") is the only one there is.
    MALLARD_ASSIGN_OR_RETURN(table, cursor.ExpectIdentifier());
    schema = std::move(second);
    return Done{};
  }
  schema = std::move(first);
  table = std::move(second);
  return Done{};
}

Result<std::vector<std::string>, BulkParseError> ParseNameList(TokenCursor& cursor) {
  std::vector<std::string> names;
  if (!cursor.AcceptPunct('(')) return Fail(cursor.SyntaxError());
  do {
    MALLARD_ASSIGN_OR_RETURN(auto name, cursor.ExpectIdentifier());
    names.push_back(std::move(name));
  } while (cursor.AcceptPunct(','));
  if (!cursor.AcceptPunct(')')) return Fail(cursor.SyntaxError());
  return names;
}

// [FORMAT] [AS] data_format for COPY; returns false when the cursor is not at one.
Result<bool, BulkParseError> ParseLoadFormat(TokenCursor& cursor, CopyStatement& copy) {
  std::size_t ahead = 0;
  bool has_format_word = cursor.PeekKeyword("FORMAT");
  if (has_format_word) ++ahead;
  if (cursor.PeekKeyword("AS", ahead)) ++ahead;
  static constexpr std::string_view kFormats[] = {"CSV", "JSON", "PARQUET", "AVRO", "ORC", "FIXEDWIDTH", "SHAPEFILE"};
  bool at_format = false;
  for (auto name : kFormats) at_format = at_format || cursor.PeekKeyword(name, ahead);
  if (!at_format) {
    if (has_format_word) {
      cursor.AcceptKeyword("FORMAT");
      cursor.AcceptKeyword("AS");
      return Fail(cursor.SyntaxError());
    }
    return false;
  }
  cursor.AcceptKeyword("FORMAT");
  cursor.AcceptKeyword("AS");
  if (cursor.AcceptKeyword("CSV")) {
    copy.format = LoadFormat::Csv;
    if (cursor.AcceptKeyword("QUOTE")) {
      OptionalAs(cursor);
      MALLARD_ASSIGN_OR_RETURN(auto quote, cursor.ExpectString());
      copy.csv_quote = UnescapeCharacterOption(quote);
    }
  } else if (cursor.AcceptKeyword("JSON")) {
    copy.format = LoadFormat::Json;
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.json_option, cursor.ExpectString());
  } else if (cursor.AcceptKeyword("PARQUET")) {
    copy.format = LoadFormat::Parquet;
    cursor.AcceptKeyword("SERIALIZETOJSON");
  } else if (cursor.AcceptKeyword("AVRO")) {
    copy.format = LoadFormat::Avro;
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.avro_option, cursor.ExpectString());
  } else if (cursor.AcceptKeyword("ORC")) {
    copy.format = LoadFormat::Orc;
    cursor.AcceptKeyword("SERIALIZETOJSON");
  } else if (cursor.AcceptKeyword("FIXEDWIDTH")) {
    copy.format = LoadFormat::FixedWidth;
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.fixed_width_spec, cursor.ExpectString());
  } else if (cursor.AcceptKeyword("SHAPEFILE")) {
    copy.format = LoadFormat::Shapefile;
  }
  return true;
}

// One COPY parameter; false when the cursor is at no parameter COPY knows.
Result<bool, BulkParseError> ParseCopyParameter(TokenCursor& cursor, CopyStatement& copy) {
  MALLARD_ASSIGN_OR_RETURN(bool authorization, ParseAuthorization(cursor, copy.iam_role, copy.credentials, copy.access_key_id));
  if (authorization) return true;
  MALLARD_ASSIGN_OR_RETURN(bool format, ParseLoadFormat(cursor, copy));
  if (format) return true;
  if (ParseCompression(cursor, copy.compression)) return true;
  if (cursor.AcceptKeyword("DELIMITER")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto delimiter, cursor.ExpectString());
    copy.delimiter = UnescapeCharacterOption(delimiter);
    return true;
  }
  if (cursor.AcceptKeyword("NULL")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto null_as, cursor.ExpectString());
    copy.null_as = std::move(null_as);
    return true;
  }
  if (cursor.AcceptKeyword("IGNOREHEADER")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.ignore_header, cursor.ExpectInteger());
    return true;
  }
  if (cursor.AcceptKeyword("MAXERROR")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.max_error, cursor.ExpectInteger());
    copy.max_error_given = true;
    return true;
  }
  if (cursor.AcceptKeyword("DATEFORMAT")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.date_format, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("TIMEFORMAT")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.time_format, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("REGION")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.region, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("ACCEPTINVCHARS")) {
    copy.accept_inv_chars = true;
    std::size_t ahead = cursor.PeekKeyword("AS") ? 1 : 0;
    const Token* next = cursor.Peek(ahead);
    if (next != nullptr && next->Is(TokenKind::String)) {
      OptionalAs(cursor);
      MALLARD_ASSIGN_OR_RETURN(copy.accept_inv_chars_replacement, cursor.ExpectString());
    }
    return true;
  }
  if (cursor.AcceptKeyword("ENCODING")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(copy.encoding, cursor.ExpectIdentifier());
    return true;
  }
  if (cursor.AcceptKeyword("COMPROWS")) {
    MALLARD_ASSIGN_OR_RETURN(auto rows, cursor.ExpectInteger());
    (void)rows;
    return true;
  }
  if (cursor.AcceptKeyword("COMPUPDATE")) {
    if (!cursor.AcceptKeyword("PRESET")) ParseOnOff(cursor);
    return true;
  }
  if (cursor.AcceptKeyword("STATUPDATE")) {
    ParseOnOff(cursor);
    return true;
  }
  struct Flag {
    std::string_view keyword;
    bool CopyStatement::*member;
  };
  static constexpr Flag kFlags[] = {
      {"MANIFEST", &CopyStatement::manifest},           {"ENCRYPTED", &CopyStatement::encrypted},
      {"EMPTYASNULL", &CopyStatement::empty_as_null},   {"BLANKSASNULL", &CopyStatement::blanks_as_null},
      {"ACCEPTANYDATE", &CopyStatement::accept_any_date}, {"TRUNCATECOLUMNS", &CopyStatement::truncate_columns},
      {"REMOVEQUOTES", &CopyStatement::remove_quotes},  {"ESCAPE", &CopyStatement::escape},
      {"FILLRECORD", &CopyStatement::fill_record},      {"IGNOREBLANKLINES", &CopyStatement::ignore_blank_lines},
      {"TRIMBLANKS", &CopyStatement::trim_blanks},      {"EXPLICIT_IDS", &CopyStatement::explicit_ids},
      {"ROUNDEC", &CopyStatement::round_decimals},      {"IGNOREALLERRORS", &CopyStatement::ignore_all_errors},
      {"NOLOAD", &CopyStatement::no_load},
  };
  for (const auto& flag : kFlags) {
    if (cursor.AcceptKeyword(flag.keyword)) {
      copy.*flag.member = true;
      return true;
    }
  }
  return false;
}

// 'n' [MB | GB] in bytes (MAXFILESIZE, ROWGROUPSIZE; MB when no unit is given).
Result<std::int64_t, BulkParseError> ParseSize(TokenCursor& cursor) {
  OptionalAs(cursor);
  MALLARD_ASSIGN_OR_RETURN(double amount, cursor.ExpectNumber());
  double unit = 1024.0 * 1024.0;
  if (cursor.AcceptKeyword("GB")) unit *= 1024.0;
  else cursor.AcceptKeyword("MB");
  double bytes = amount * unit;
  if (bytes > 1e15) bytes = 1e15;
  return static_cast<std::int64_t>(bytes);
}

// The quoted SELECT of UNLOAD ('…'): '' and \' are quotes, \\ a backslash. Returns the offset
// after the closing quote.
Result<std::size_t, BulkParseError> ScanUnloadQuery(std::string_view sql, std::size_t open_quote, std::string& query) {
  std::size_t i = open_quote + 1;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'') {
      if (i + 1 < sql.size() && sql[i + 1] == '\'') {
        query.push_back('\'');
        i += 2;
        continue;
      }
      return i + 1;
    }
    if (c == '\\' && i + 1 < sql.size() && (sql[i + 1] == '\'' || sql[i + 1] == '\\')) {
      query.push_back(sql[i + 1]);
      i += 2;
      continue;
    }
    query.push_back(c);
    ++i;
  }
  std::string near(sql.substr(open_quote, 64));
  return Fail(BulkParseError{"unterminated quoted string at or near \"" + near + "\"", CharacterPosition(sql, open_quote)});
}

Result<bool, BulkParseError> ParseUnloadOption(TokenCursor& cursor, UnloadStatement& unload) {
  MALLARD_ASSIGN_OR_RETURN(bool authorization, ParseAuthorization(cursor, unload.iam_role, unload.credentials, unload.access_key_id));
  if (authorization) return true;
  if (ParseCompression(cursor, unload.compression)) return true;
  {
    std::size_t ahead = 0;
    bool has_format_word = cursor.PeekKeyword("FORMAT");
    if (has_format_word) ++ahead;
    if (cursor.PeekKeyword("AS", ahead)) ++ahead;
    if (cursor.PeekKeyword("CSV", ahead) || cursor.PeekKeyword("JSON", ahead) || cursor.PeekKeyword("PARQUET", ahead)) {
      cursor.AcceptKeyword("FORMAT");
      cursor.AcceptKeyword("AS");
      if (cursor.AcceptKeyword("CSV")) unload.format = UnloadFormat::Csv;
      else if (cursor.AcceptKeyword("JSON")) unload.format = UnloadFormat::Json;
      else if (cursor.AcceptKeyword("PARQUET")) unload.format = UnloadFormat::Parquet;
      return true;
    }
    if (has_format_word) {
      cursor.AcceptKeyword("FORMAT");
      cursor.AcceptKeyword("AS");
      return Fail(cursor.SyntaxError());
    }
  }
  if (cursor.AcceptKeyword("PARTITION")) {
    if (!cursor.AcceptKeyword("BY")) return Fail(cursor.SyntaxError());
    MALLARD_ASSIGN_OR_RETURN(unload.partition_by, ParseNameList(cursor));
    unload.partition_include = cursor.AcceptKeyword("INCLUDE");
    return true;
  }
  if (cursor.AcceptKeyword("MANIFEST")) {
    unload.manifest = true;
    unload.manifest_verbose = cursor.AcceptKeyword("VERBOSE");
    return true;
  }
  if (cursor.AcceptKeyword("DELIMITER")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto delimiter, cursor.ExpectString());
    unload.delimiter = UnescapeCharacterOption(delimiter);
    return true;
  }
  if (cursor.AcceptKeyword("FIXEDWIDTH")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(unload.fixed_width_spec, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("ENCRYPTED")) {
    unload.encrypted = true;
    cursor.AcceptKeyword("AUTO");
    return true;
  }
  if (cursor.AcceptKeyword("KMS_KEY_ID")) {
    MALLARD_ASSIGN_OR_RETURN(unload.kms_key_id, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("NULL")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto null_as, cursor.ExpectString());
    unload.null_as = std::move(null_as);
    return true;
  }
  if (cursor.AcceptKeyword("PARALLEL")) {
    unload.parallel = ParseOnOff(cursor);
    return true;
  }
  if (cursor.AcceptKeyword("MAXFILESIZE")) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, ParseSize(cursor));
    unload.max_file_size_bytes = bytes;
    return true;
  }
  if (cursor.AcceptKeyword("ROWGROUPSIZE")) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, ParseSize(cursor));
    unload.row_group_size_bytes = bytes;
    return true;
  }
  if (cursor.AcceptKeyword("REGION")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(unload.region, cursor.ExpectString());
    return true;
  }
  if (cursor.AcceptKeyword("EXTENSION")) {
    OptionalAs(cursor);
    MALLARD_ASSIGN_OR_RETURN(auto extension, cursor.ExpectString());
    unload.extension = std::move(extension);
    return true;
  }
  struct Flag {
    std::string_view keyword;
    bool UnloadStatement::*member;
  };
  static constexpr Flag kFlags[] = {
      {"HEADER", &UnloadStatement::header},       {"ADDQUOTES", &UnloadStatement::add_quotes},
      {"ESCAPE", &UnloadStatement::escape},       {"ALLOWOVERWRITE", &UnloadStatement::allow_overwrite},
      {"CLEANPATH", &UnloadStatement::clean_path},
  };
  for (const auto& flag : kFlags) {
    if (cursor.AcceptKeyword(flag.keyword)) {
      unload.*flag.member = true;
      return true;
    }
  }
  return false;
}

// Combinations Redshift refuses, checked once every option is read.
Result<Done, BulkParseError> CheckUnloadOptions(const UnloadStatement& unload) {
  auto refuse = [](std::string message) { return Fail(BulkParseError{std::move(message), 0}); };
  if (unload.allow_overwrite && unload.clean_path) return refuse("Cannot use both ALLOWOVERWRITE and CLEANPATH options together.");
  if (unload.format == UnloadFormat::Parquet) {
    if (unload.delimiter) return refuse("DELIMITER option is not supported for PARQUET format.");
    if (!unload.fixed_width_spec.empty()) return refuse("FIXEDWIDTH option is not supported for PARQUET format.");
    if (unload.add_quotes) return refuse("ADDQUOTES option is not supported for PARQUET format.");
    if (unload.null_as) return refuse("NULL AS option is not supported for PARQUET format.");
    if (unload.escape) return refuse("ESCAPE option is not supported for PARQUET format.");
    if (unload.header) return refuse("HEADER option is not supported for PARQUET format.");
    if (unload.compression == FileCompression::Gzip || unload.compression == FileCompression::Bzip2) {
      return refuse("GZIP or BZIP2 compression is not supported for PARQUET format.");
    }
  }
  if (unload.format == UnloadFormat::Json) {
    if (unload.delimiter) return refuse("DELIMITER option is not supported for JSON format.");
    if (!unload.fixed_width_spec.empty()) return refuse("FIXEDWIDTH option is not supported for JSON format.");
    if (unload.add_quotes) return refuse("ADDQUOTES option is not supported for JSON format.");
    if (unload.null_as) return refuse("NULL AS option is not supported for JSON format.");
    if (unload.escape) return refuse("ESCAPE option is not supported for JSON format.");
    if (unload.header) return refuse("HEADER option is not supported for JSON format.");
  }
  if (unload.format == UnloadFormat::Csv && !unload.fixed_width_spec.empty()) {
    return refuse("FIXEDWIDTH option is not supported for CSV format.");
  }
  if (unload.delimiter && !unload.fixed_width_spec.empty()) return refuse("DELIMITER and FIXEDWIDTH are mutually exclusive.");
  if (unload.header && !unload.fixed_width_spec.empty()) return refuse("HEADER and FIXEDWIDTH are mutually exclusive.");
  if (unload.delimiter && unload.delimiter->size() != 1) return refuse("DELIMITER must be a single character.");
  if (unload.max_file_size_bytes) {
    constexpr std::int64_t kMiB = 1024 * 1024;
    if (*unload.max_file_size_bytes < 5 * kMiB || *unload.max_file_size_bytes > 6200 * kMiB) {
      return refuse("MAXFILESIZE must be between 5 MB and 6.2 GB.");
    }
  }
  if (unload.row_group_size_bytes) {
    constexpr std::int64_t kMiB = 1024 * 1024;
    if (unload.format != UnloadFormat::Parquet) return refuse("ROWGROUPSIZE is only supported for PARQUET format.");
    if (*unload.row_group_size_bytes < 32 * kMiB || *unload.row_group_size_bytes > 128 * kMiB) {
      return refuse("ROWGROUPSIZE must be between 32 MB and 128 MB.");
    }
  }
  return Done{};
}

Result<Done, BulkParseError> CheckCopyOptions(const CopyStatement& copy) {
  auto refuse = [](std::string message) { return Fail(BulkParseError{std::move(message), 0}); };
  bool columnar = copy.format == LoadFormat::Parquet || copy.format == LoadFormat::Orc;
  if (columnar) {
    // "COPY from columnar data formats": only these parameters are supported.
    static constexpr std::string_view kColumnar[] = {"FORMAT", "IAM_ROLE", "CREDENTIALS", "ACCESS_KEY_ID", "SESSION_TOKEN",
                                                     "MANIFEST", "STATUPDATE"};
    for (const auto& name : copy.parameters) {
      if (std::find(std::begin(kColumnar), std::end(kColumnar), name) == std::end(kColumnar)) {
        return refuse(name + " is not supported for COPY from columnar data formats (PARQUET, ORC): only IAM_ROLE, "
                      "CREDENTIALS, ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, MANIFEST and STATUPDATE are");
      }
    }
  }
  if (copy.format == LoadFormat::Csv && copy.escape) return refuse("CSV is not compatible with ESCAPE");
  if (copy.format == LoadFormat::Csv && copy.remove_quotes) return refuse("CSV is not compatible with REMOVEQUOTES");
  // Redshift takes several characters ('|~|'); the engine's reader up to 4 bytes.
  if (copy.delimiter && copy.delimiter->empty()) return refuse("COPY delimiter must not be empty");
  if (copy.delimiter && copy.delimiter->size() > 4) {
    return refuse("COPY delimiter of more than 4 bytes is not supported by Mallard's COPY");
  }
  if (copy.format == LoadFormat::Csv && copy.csv_quote.size() != 1) return refuse("COPY quote must be a single one-byte character");
  if (copy.format == LoadFormat::Csv && copy.delimiter && *copy.delimiter == copy.csv_quote) {
    return refuse("COPY delimiter must not appear in the QUOTE specification");
  }
  return Done{};
}

}  // namespace

BulkStatementKind ClassifyBulkStatement(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      auto end = sql.find('\n', i);
      i = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(i, 2) == "/*") {
      // Nested, as PostgreSQL and Redshift nest them.
      int depth = 0;
      while (i < sql.size()) {
        if (sql.substr(i, 2) == "/*") {
          ++depth;
          i += 2;
        } else if (sql.substr(i, 2) == "*/") {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  std::size_t start = i;
  while (i < sql.size() && ((sql[i] >= 'a' && sql[i] <= 'z') || (sql[i] >= 'A' && sql[i] <= 'Z') || sql[i] == '_')) ++i;
  std::string word = AsciiUpper(sql.substr(start, i - start));
  // "COPY" alone: a word character right after it would make another word (COPYX).
  if (i < sql.size() && (static_cast<unsigned char>(sql[i]) >= 0x80 || (sql[i] >= '0' && sql[i] <= '9') || sql[i] == '$')) return BulkStatementKind::None;
  if (word == "COPY") return BulkStatementKind::Copy;
  if (word == "UNLOAD") return BulkStatementKind::Unload;
  return BulkStatementKind::None;
}

std::vector<std::string> SplitAroundBulkStatements(std::string_view sql) {
  // Cheap refusals first: most texts are one statement, and name neither word.
  if (sql.find(';') == std::string_view::npos) return {};
  std::string lower = AsciiLowerCopy(sql);
  if (lower.find("copy") == std::string::npos && lower.find("unload") == std::string::npos) return {};
  // One pass over the text (client SQL of 100 KB with thousands of ';' stays linear): quotes,
  // quoted identifiers and comments hide their ';'. The first literal of an UNLOAD is its SELECT,
  // where \' is a quote too.
  std::vector<std::string> parts;
  bool any_bulk = false;
  std::size_t start = 0;
  const std::size_t n = sql.size();
  auto begin_statement = [&](std::size_t at, bool& unload_literal_pending) {
    BulkStatementKind kind = ClassifyBulkStatement(sql.substr(at));
    any_bulk = any_bulk || kind != BulkStatementKind::None;
    unload_literal_pending = kind == BulkStatementKind::Unload;
  };
  auto end_statement = [&](std::size_t at) {
    std::string part(sql.substr(start, at - start));
    if (part.find_first_not_of(" \t\r\n\f\v") != std::string::npos) parts.push_back(std::move(part));
  };
  bool unload_literal_pending = false;
  begin_statement(0, unload_literal_pending);
  std::size_t i = 0;
  while (i < n) {
    char c = sql[i];
    if (c == '\'') {
      const bool backslashes = unload_literal_pending;
      unload_literal_pending = false;
      std::size_t j = i + 1;
      while (j < n) {
        if (sql[j] == '\'') {
          if (j + 1 < n && sql[j + 1] == '\'') {
            j += 2;
            continue;
          }
          break;
        }
        j += backslashes && sql[j] == '\\' && j + 1 < n ? 2 : 1;
      }
      i = j + 1;
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < n && !(sql[j] == '"' && !(j + 1 < n && sql[j + 1] == '"'))) j += sql[j] == '"' ? 2 : 1;
      i = j + 1;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      std::size_t newline = sql.find('\n', i);
      i = newline == std::string_view::npos ? n : newline + 1;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 0;
      while (i < n) {
        if (sql.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (sql.compare(i, 2, "*/") == 0) {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else if (c == ';') {
      end_statement(i);
      start = i + 1;
      begin_statement(start, unload_literal_pending);
      ++i;
    } else {
      ++i;
    }
  }
  if (start < n) end_statement(n);
  if (!any_bulk || parts.size() < 2) return {};
  return parts;
}

std::string BulkParseError::Render() const {
  if (position == 0) return message;
  return message + "\n  Position: " + std::to_string(position);
}

Result<CopyStatement, BulkParseError> ParseCopy(std::string_view sql) {
  TokenCursor cursor(sql, sql, 0);
  CopyStatement copy;
  if (!cursor.AcceptKeyword("COPY")) return Fail(cursor.SyntaxError());
  MALLARD_RETURN_IF_ERROR(ParseTableName(cursor, copy.schema, copy.table));
  const Token* next = cursor.Peek();
  if (next != nullptr && next->IsPunct('(')) {
    MALLARD_ASSIGN_OR_RETURN(copy.columns, ParseNameList(cursor));
  }
  if (cursor.PeekKeyword("JOB")) {
    return Fail(cursor.ErrorAt("COPY JOB is not supported", *cursor.Peek()));
  }
  if (!cursor.AcceptKeyword("FROM")) return Fail(cursor.SyntaxError());
  const Token* source = cursor.Peek();
  MALLARD_ASSIGN_OR_RETURN(copy.source, cursor.ExpectString());
  auto lower_source = AsciiLowerCopy(copy.source.substr(0, 8));
  if (lower_source.rfind("s3://", 0) != 0) {
    // Redshift also loads from DynamoDB, EMR and SSH hosts; Mallard's COPY reads its own S3.
    return Fail(cursor.ErrorAt("LOAD source is not supported. (Hint: only S3 based load is allowed)", *source));
  }
  while (!cursor.AtEnd()) {
    std::string name = AsciiUpper(cursor.Peek()->text);
    static constexpr std::string_view kFormatWords[] = {"FORMAT", "AS", "CSV", "JSON", "PARQUET", "AVRO", "ORC",
                                                        "FIXEDWIDTH", "SHAPEFILE"};
    for (auto word : kFormatWords) {
      if (name == word) name = "FORMAT";
    }
    MALLARD_ASSIGN_OR_RETURN(bool known, ParseCopyParameter(cursor, copy));
    if (!known) return Fail(cursor.SyntaxError());
    copy.parameters.push_back(std::move(name));
  }
  MALLARD_RETURN_IF_ERROR(CheckCopyOptions(copy));
  return copy;
}

Result<UnloadStatement, BulkParseError> ParseUnload(std::string_view sql) {
  // UNLOAD ( '…' ): the quoted SELECT is scanned by hand, since Redshift also takes \' in it,
  // which the shared lexer (standard strings) would read as the end of the literal.
  TokenCursor head(sql, sql, 0);
  if (!head.AcceptKeyword("UNLOAD")) return Fail(head.SyntaxError());
  if (!head.AcceptPunct('(')) return Fail(head.SyntaxError());
  const Token* quote = head.Peek();
  if (quote == nullptr || !quote->Is(TokenKind::String)) return Fail(head.SyntaxError());
  UnloadStatement unload;
  MALLARD_ASSIGN_OR_RETURN(std::size_t after_query, ScanUnloadQuery(sql, quote->offset, unload.query));
  TokenCursor cursor(sql, sql.substr(after_query), after_query);
  if (!cursor.AcceptPunct(')')) return Fail(cursor.SyntaxError());
  if (!cursor.AcceptKeyword("TO")) return Fail(cursor.SyntaxError());
  const Token* destination = cursor.Peek();
  MALLARD_ASSIGN_OR_RETURN(unload.destination, cursor.ExpectString());
  if (AsciiLowerCopy(unload.destination.substr(0, 5)) != "s3://") {
    return Fail(cursor.ErrorAt("UNLOAD destination must be an S3 path (s3://bucket/prefix)", *destination));
  }
  while (!cursor.AtEnd()) {
    MALLARD_ASSIGN_OR_RETURN(bool known, ParseUnloadOption(cursor, unload));
    if (!known) return Fail(cursor.SyntaxError());
  }
  MALLARD_RETURN_IF_ERROR(CheckUnloadOptions(unload));
  return unload;
}

}  // namespace mallard::redshift_data
