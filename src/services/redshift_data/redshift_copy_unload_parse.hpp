#pragma once
// Redshift's COPY (load a table from S3) and UNLOAD (write a query's result to S3), parsed by hand
// on the shared SQL lexer: what the statement asks for, every parameter Redshift documents, and a
// syntax error with the 1-based character position Redshift reports. Carrying them out is
// redshift_copy_unload.hpp; nothing here touches files or the engine.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace mallard::redshift_data {

enum class BulkStatementKind { None, Copy, Unload };
// COPY or UNLOAD by the statement's first word (comments and blanks skipped), None otherwise.
BulkStatementKind ClassifyBulkStatement(std::string_view sql);

// The statements of a text that holds a COPY or UNLOAD among others ("TRUNCATE t; COPY t FROM …"),
// split at its top-level semicolons (an UNLOAD's quoted SELECT, `\'` escapes included, stays
// whole), blank ones dropped. Empty when the text holds no COPY/UNLOAD or only one statement.
std::vector<std::string> SplitAroundBulkStatements(std::string_view sql);

enum class FileCompression { None, Gzip, Bzip2, Zstd, Lzop };

// What COPY reads: Redshift's default pipe-delimited text, or FORMAT [AS] ….
enum class LoadFormat { Text, Csv, Json, Parquet, Avro, Orc, FixedWidth, Shapefile };

struct CopyStatement {
  std::string schema;                // as written (case folded unless quoted); empty when unqualified
  std::string table;
  std::vector<std::string> columns;  // the column list, empty for every column
  std::string source;                // 's3://bucket/prefix' (or the manifest's location)
  // Authorization is recorded, never checked: Mallard's S3 is local.
  std::string iam_role;              // "default" or the ARN(s)
  std::string credentials;
  std::string access_key_id;
  LoadFormat format = LoadFormat::Text;
  std::string csv_quote = "\"";                  // CSV QUOTE [AS] 'c'
  std::string json_option;                       // 'auto', 'auto ignorecase', 'noshred' or 's3://jsonpaths'
  std::string avro_option;
  std::string fixed_width_spec;
  std::optional<std::string> delimiter;          // DELIMITER [AS] 'c'
  std::optional<std::string> null_as;            // NULL [AS] '…'
  std::int64_t ignore_header = 0;
  std::int64_t max_error = 0;
  bool max_error_given = false;
  bool manifest = false;
  bool encrypted = false;
  bool empty_as_null = false;
  bool blanks_as_null = false;
  bool accept_inv_chars = false;
  std::string accept_inv_chars_replacement = "?";
  bool accept_any_date = false;
  bool truncate_columns = false;
  bool remove_quotes = false;
  bool escape = false;
  bool fill_record = false;
  bool ignore_blank_lines = false;
  bool trim_blanks = false;
  bool explicit_ids = false;
  bool round_decimals = false;
  bool ignore_all_errors = false;
  bool no_load = false;
  std::string date_format;  // "" (unset), "auto" or a Redshift format
  std::string time_format;  // "" (unset), "auto", "epochsecs", "epochmillisecs" or a Redshift format
  std::string encoding;
  FileCompression compression = FileCompression::None;
  std::string region;
  // Every parameter as written, upper case, in order ("IAM_ROLE", "FORMAT", "MAXERROR", …): the
  // columnar formats take only a few of them.
  std::vector<std::string> parameters;
};

enum class UnloadFormat { Text, Csv, Json, Parquet };

struct UnloadStatement {
  std::string query;        // the SELECT with its doubled quotes (and \' escapes) undone
  std::string destination;  // 's3://bucket/name-prefix'
  std::string iam_role;
  std::string credentials;
  std::string access_key_id;
  UnloadFormat format = UnloadFormat::Text;
  std::vector<std::string> partition_by;
  bool partition_include = false;
  bool manifest = false;
  bool manifest_verbose = false;
  bool header = false;
  std::optional<std::string> delimiter;
  std::string fixed_width_spec;
  bool encrypted = false;
  std::string kms_key_id;
  FileCompression compression = FileCompression::None;
  bool add_quotes = false;
  std::optional<std::string> null_as;
  bool escape = false;
  bool allow_overwrite = false;
  bool clean_path = false;
  bool parallel = true;
  std::optional<std::int64_t> max_file_size_bytes;   // MAXFILESIZE n [MB|GB]: 5 MB … 6.2 GB
  std::optional<std::int64_t> row_group_size_bytes;  // ROWGROUPSIZE n [MB|GB]: 32 MB … 128 MB
  std::string region;
  std::optional<std::string> extension;
};

// Why a statement is not valid COPY/UNLOAD, as Redshift says it, with the 1-based character
// position of the offending token (PostgreSQL's "Position"); 0 when the problem is not at one token
// (two options that exclude each other).
struct BulkParseError {
  std::string message;
  std::size_t position = 0;
  // "syntax error at or near \"X\"" plus, when known, Redshift's position line.
  std::string Render() const;
};

Result<CopyStatement, BulkParseError> ParseCopy(std::string_view sql);
Result<UnloadStatement, BulkParseError> ParseUnload(std::string_view sql);

}  // namespace mallard::redshift_data
