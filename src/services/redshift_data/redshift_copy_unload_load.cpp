// COPY: the files a COPY names, the engine SQL that loads them into the table, and the
// stl_load_errors rows of what it rejected.
#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

#include "services/redshift_data/redshift_copy_unload.hpp"
#include "services/redshift_data/redshift_copy_unload_internal.hpp"

namespace mallard::redshift_data::bulk {

namespace {

namespace json = boost::json;
using sqlengine::SqlColumn;
using sqlengine::SqlTypeKind;

constexpr std::uintmax_t kMaxManifestBytes = 64 * 1024 * 1024;

std::string LoadFailedMessage(const std::string& table) {
  return "Load into table '" + table + "' failed.  Check 'stl_load_errors' system table for details.";
}

bool IsCharacterType(SqlTypeKind kind) {
  return kind == SqlTypeKind::Varchar || kind == SqlTypeKind::Json || kind == SqlTypeKind::Enum || kind == SqlTypeKind::Uuid;
}

// The engine's spelling of a column's type, for CAST.
std::string EngineTypeName(const sqlengine::SqlType& type) {
  if (!type.engine_name.empty()) return type.engine_name;
  switch (type.kind) {
    case SqlTypeKind::Boolean: return "BOOLEAN";
    case SqlTypeKind::TinyInt: return "TINYINT";
    case SqlTypeKind::SmallInt: return "SMALLINT";
    case SqlTypeKind::Integer: return "INTEGER";
    case SqlTypeKind::BigInt: return "BIGINT";
    case SqlTypeKind::HugeInt: return "HUGEINT";
    case SqlTypeKind::UTinyInt: return "UTINYINT";
    case SqlTypeKind::USmallInt: return "USMALLINT";
    case SqlTypeKind::UInteger: return "UINTEGER";
    case SqlTypeKind::UBigInt: return "UBIGINT";
    case SqlTypeKind::UHugeInt: return "UHUGEINT";
    case SqlTypeKind::Float: return "FLOAT";
    case SqlTypeKind::Double: return "DOUBLE";
    case SqlTypeKind::Decimal: return "DECIMAL(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case SqlTypeKind::Json: return "JSON";
    case SqlTypeKind::Uuid: return "UUID";
    case SqlTypeKind::Blob: return "BLOB";
    case SqlTypeKind::Date: return "DATE";
    case SqlTypeKind::Time: return "TIME";
    case SqlTypeKind::TimeTz: return "TIMETZ";
    case SqlTypeKind::Timestamp: return "TIMESTAMP";
    case SqlTypeKind::TimestampTz: return "TIMESTAMPTZ";
    case SqlTypeKind::Interval: return "INTERVAL";
    default: return "VARCHAR";
  }
}

// Redshift's type name in an stl_load_errors row.
std::string RedshiftTypeName(const sqlengine::SqlType& type) {
  switch (type.kind) {
    case SqlTypeKind::SmallInt: return "int2";
    case SqlTypeKind::Integer: return "int4";
    case SqlTypeKind::BigInt: return "int8";
    case SqlTypeKind::Float: return "float4";
    case SqlTypeKind::Double: return "float8";
    case SqlTypeKind::Decimal: return "numeric";
    case SqlTypeKind::Boolean: return "bool";
    case SqlTypeKind::Date: return "date";
    case SqlTypeKind::Timestamp: return "timestamp";
    case SqlTypeKind::TimestampTz: return "timestamptz";
    case SqlTypeKind::Time: return "time";
    case SqlTypeKind::TimeTz: return "timetz";
    case SqlTypeKind::Varchar: return "varchar";
    default: return EngineTypeName(type);
  }
}

// Redshift's error code and reason for a value that does not convert (STL_LOAD_ERRORS, "Load
// error reference"), as SQL over the raw value `raw`.
std::pair<int, std::string> ReasonFor(const sqlengine::SqlType& type, const std::string& raw) {
  switch (type.kind) {
    case SqlTypeKind::TinyInt: case SqlTypeKind::SmallInt: case SqlTypeKind::Integer: case SqlTypeKind::BigInt:
    case SqlTypeKind::HugeInt: case SqlTypeKind::Decimal: case SqlTypeKind::Float: case SqlTypeKind::Double:
      return {1207, "'Invalid digit, Value ''' || left(" + raw + ", 1) || ''', Pos 0, Type: " +
                        std::string(type.kind == SqlTypeKind::Decimal ? "Decimal" : type.kind == SqlTypeKind::Float || type.kind == SqlTypeKind::Double ? "Double" : "Integer") + "'"};
    case SqlTypeKind::Date: return {1205, "'Invalid Date Format - length must be 10 or more'"};
    case SqlTypeKind::Timestamp: case SqlTypeKind::TimestampTz:
      return {1206, "'Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]'"};
    case SqlTypeKind::Boolean: return {1206, "'Invalid boolean value: ' || " + raw};
    default: return {1216, "'Invalid input for type " + EngineTypeName(type) + ": ' || " + raw};
  }
}

}  // namespace

std::vector<std::string> LoadErrorsTableSql() {
  std::string table = SqlIdentifier(kLoadErrorsSchema) + "." + SqlIdentifier(kLoadErrorsTable);
  return {"CREATE SCHEMA IF NOT EXISTS " + SqlIdentifier(kLoadErrorsSchema),
          "CREATE TABLE IF NOT EXISTS " + table +
              " (userid INTEGER, slice INTEGER, tbl INTEGER, starttime TIMESTAMP, session INTEGER, query INTEGER,"
              " filename VARCHAR, line_number BIGINT, colname VARCHAR, type VARCHAR, col_length VARCHAR, position INTEGER,"
              " raw_line VARCHAR, raw_field_value VARCHAR, err_code INTEGER, err_reason VARCHAR, is_partial INTEGER,"
              " start_offset BIGINT, copy_job_id BIGINT)"};
}

namespace {

// Runs `insert` after making the table; true when it recorded at least one row.
bool RecordLoadErrors(sqlengine::SqlEngine& engine, const std::string& insert, const std::string& schema) {
  auto statements = LoadErrorsTableSql();
  statements.push_back(insert);
  auto ran = RunOnEngine(engine, std::move(statements), schema);
  return ran.size() == 3 && ran[2].succeeded && ran[2].rows_affected > 0;
}


std::string LoadErrorsTarget() { return SqlIdentifier(kLoadErrorsSchema) + "." + SqlIdentifier(kLoadErrorsTable); }

// The line number an engine CSV error names ("CSV Error on Line: 4"), 0 when none.
std::int64_t LineFromEngineMessage(const std::string& message) {
  static constexpr std::string_view kMarker = "on Line: ";
  auto at = message.find(kMarker);
  if (at == std::string::npos) return 0;
  std::int64_t line = 0;
  for (std::size_t i = at + kMarker.size(); i < message.size() && message[i] >= '0' && message[i] <= '9' && line < 1'000'000'000'000; ++i) {
    line = line * 10 + (message[i] - '0');
  }
  return line;
}

std::string FirstLine(const std::string& text) {
  auto end = text.find('\n');
  std::string line = end == std::string::npos ? text : text.substr(0, end);
  return line.size() > 512 ? line.substr(0, 512) : line;
}

// Redshift JSONPath ($['a'].b[0]) as the engine's JSON path ($."a"."b"[0]); empty when malformed.
std::string EngineJsonPath(const std::string& path) {
  if (path.empty() || path[0] != '$') return {};
  // A member name becomes ."name"; one holding a double quote has no spelling there.
  auto member = [](const std::string& name) -> std::string {
    return name.empty() || name.find('"') != std::string::npos ? std::string() : ".\"" + name + "\"";
  };
  std::string out = "$";
  std::size_t i = 1;
  while (i < path.size()) {
    std::string part;
    if (path[i] == '.') {
      std::size_t start = ++i;
      while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
      part = member(path.substr(start, i - start));
    } else if (path[i] == '[') {
      std::size_t close = path.find(']', i);
      if (close == std::string::npos) return {};
      std::string inner = path.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') && inner.back() == inner.front()) {
        part = member(inner.substr(1, inner.size() - 2));
      } else if (!inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos) {
        part = "[" + inner + "]";
      }
      i = close + 1;
    }
    if (part.empty()) return {};
    out += part;
  }
  return out;
}

Result<std::string, std::string> ReadSmallFile(const std::filesystem::path& path) {
  std::error_code error;
  auto size = std::filesystem::file_size(path, error);
  if (error) return Fail(std::string("S3ServiceException:The specified key does not exist.,Status 404,Error NoSuchKey"));
  if (size > kMaxManifestBytes) return Fail(std::string("file is larger than 64 MiB"));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (!in && !in.eof()) return Fail(std::string("cannot read ") + path.string());
  return buffer.str();
}

Result<json::value, std::string> ParseJsonDocument(const std::string& text) {
  json::parse_options options;
  options.max_depth = 10000;
  std::error_code error;
  json::value value = json::parse(text, error, {}, options);
  if (error) return Fail(error.message());
  return value;
}

// The files of a manifest: every entry that exists; a missing mandatory one fails.
Result<std::vector<std::string>, std::string> ManifestFiles(const services::S3LocalFiles& files, const std::filesystem::path& manifest) {
  auto text = ReadSmallFile(manifest);
  if (!text.ok()) return Fail("Problem reading manifest file - " + text.error());
  auto document = ParseJsonDocument(*text);
  const json::array* entries = nullptr;
  if (document.ok() && document->is_object()) {
    if (const auto* found = document->as_object().if_contains("entries")) entries = found->if_array();
  }
  if (entries == nullptr) return Fail(std::string("Manifest file is not in correct json format"));
  std::vector<std::string> paths;
  for (const auto& entry : *entries) {
    const auto* object = entry.if_object();
    const auto* url = object ? object->if_contains("url") : nullptr;
    if (url == nullptr || !url->is_string()) return Fail(std::string("Manifest file is not in correct json format"));
    bool mandatory = false;
    if (const auto* flag = object->if_contains("mandatory"); flag != nullptr && flag->is_bool()) mandatory = flag->as_bool();
    std::string location(url->as_string());
    auto resolved = files.Resolve(location);
    std::error_code error;
    // A link made by hand under the store is no object (and could lead out of it).
    if (resolved.ok() && std::filesystem::symlink_status(resolved->directory, error).type() == std::filesystem::file_type::regular) {
      paths.push_back(resolved->directory.string());
    } else if (mandatory) {
      return Fail("Problem reading manifest file - mandatory file " + location + " does not exist");
    }
  }
  if (paths.empty()) return Fail(std::string("Manifest file has no files to load"));
  return paths;
}

std::string CompressionOption(FileCompression compression);

// The JSON readers spell "no compression" differently from read_csv.
std::string JsonCompressionOption(FileCompression compression) {
  return compression == FileCompression::None ? "'uncompressed'" : CompressionOption(compression);
}

std::string CompressionOption(FileCompression compression) {
  switch (compression) {
    case FileCompression::Gzip: return "'gzip'";
    case FileCompression::Zstd: return "'zstd'";
    default: return "'none'";
  }
}

// read_csv for Redshift's delimited text or CSV, every column VARCHAR; `column_count` 0 lets the
// engine find the number of columns. `counted` reads one column more than the target has and pads
// short records with NULL, with no null string (NULL AS is applied by the caller), so a NULL is
// only ever a missing field and the number of fields a record had can be told.
std::string DelimitedReader(const CopyStatement& copy, const std::vector<std::string>& paths, std::size_t column_count,
                            bool counted = false) {
  bool csv = copy.format == LoadFormat::Csv;
  std::string delimiter = copy.delimiter.value_or(csv ? "," : "|");
  std::string quote = csv ? copy.csv_quote : copy.remove_quotes ? "\"" : "";
  std::string null_string = counted ? "chr(1) || 'mallard: no null string' || chr(2)" : SqlString(copy.null_as.value_or("\\N"));
  std::string reader = "read_csv(" + SqlPathList(paths) + ", header = false, skip = " + std::to_string(copy.ignore_header) +
                       ", delim = " + SqlString(delimiter) + ", quote = " + SqlString(quote) + ", escape = " +
                       SqlString(csv ? quote : "") + ", nullstr = " + null_string +
                       ", allow_quoted_nulls = false, compression = " + CompressionOption(copy.compression) +
                       ", null_padding = " + (copy.fill_record || counted ? "true" : "false") + ", filename = true, hive_partitioning = false";
  if (column_count == 0) return reader + ", all_varchar = true)";
  if (counted) ++column_count;
  reader += ", auto_detect = false, columns = {";
  for (std::size_t i = 0; i < column_count; ++i) reader += (i ? ", " : "") + SqlString("c" + std::to_string(i)) + ": 'VARCHAR'";
  return reader + "})";
}

// The value of source column `c` converted to the target column's type, as Redshift converts it.
std::string Converted(const CopyStatement& copy, const SqlColumn& column, const std::string& c) {
  if (IsCharacterType(column.type.kind)) {
    std::string value = copy.trim_blanks ? "rtrim(" + c + ")" : c;
    std::string nulls;
    if (copy.empty_as_null) nulls += " WHEN " + c + " = '' THEN NULL";
    if (copy.blanks_as_null) nulls += " WHEN trim(" + c + ") = '' THEN NULL";
    std::string converted = nulls.empty() ? value : "CASE" + nulls + " ELSE " + value + " END";
    return column.type.kind == SqlTypeKind::Varchar ? converted : "TRY_CAST(" + converted + " AS " + EngineTypeName(column.type) + ")";
  }
  std::string raw = "NULLIF(trim(" + c + "), '')";
  if (column.type.kind == SqlTypeKind::Date && !copy.date_format.empty() && copy.date_format != "auto") {
    std::string format = StrptimeFormat(copy.date_format);
    if (!format.empty()) return "CAST(TRY_STRPTIME(" + raw + ", " + SqlString(format) + ") AS DATE)";
  }
  bool timestamp = column.type.kind == SqlTypeKind::Timestamp || column.type.kind == SqlTypeKind::TimestampTz;
  if (timestamp && !copy.time_format.empty() && copy.time_format != "auto") {
    if (copy.time_format == "epochsecs") return "CAST(to_timestamp(TRY_CAST(" + raw + " AS DOUBLE)) AS " + EngineTypeName(column.type) + ")";
    if (copy.time_format == "epochmillisecs") return "CAST(epoch_ms(TRY_CAST(" + raw + " AS BIGINT)) AS " + EngineTypeName(column.type) + ")";
    std::string format = StrptimeFormat(copy.time_format);
    if (!format.empty()) return "CAST(TRY_STRPTIME(" + raw + ", " + SqlString(format) + ") AS " + EngineTypeName(column.type) + ")";
  }
  return "TRY_CAST(" + raw + " AS " + EngineTypeName(column.type) + ")";
}

// A source column's text as loaded. ESCAPE undoes backslash escapes ("\|" → "|") here only when
// the engine's CSV reader split the fields (compressed files); EscapedTextReader does it otherwise.
std::string SourceText(const CopyStatement& copy, std::size_t index, bool escapes_undone) {
  std::string c = "c" + std::to_string(index);
  return copy.escape && !escapes_undone ? "regexp_replace(" + c + ", '\\\\(.)', '\\1', 'gs')" : c;
}

// A character as an RE2 pattern atom.
std::string RegexCharacter(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("\\x{") + kHex[c >> 4] + kHex[c & 15] + "}";
}

// Redshift's delimited text with ESCAPE, read as Redshift reads it: a backslash escapes the next
// character, so an escaped newline stays inside the record and an escaped delimiter inside the
// field. Records and fields are split here, over each file's text (the engine's CSV reader only
// knows escapes inside quotes). Gives c0…c(n-1) (NULL AS applied, escapes undone), filename,
// mallard_raw (the record) and mallard_fields (how many fields it had).
std::string EscapedTextReader(const CopyStatement& copy, const std::vector<std::string>& paths, std::size_t column_count) {
  std::string delimiter = RegexCharacter(static_cast<unsigned char>(copy.delimiter.value_or("|")[0]));
  std::string null_as = SqlString(copy.null_as.value_or("\\N"));
  std::string records =
      "SELECT filename, unnest(regexp_extract_all(CASE WHEN content = '' OR right(content, 1) = chr(10) THEN content "
      "ELSE content || chr(10) END, '((?:\\\\.|[^\\n\\\\])*)\\n', 1, 's')) AS mallard_raw FROM read_text(" +
      SqlPathList(paths) + ")";
  std::string numbered = "SELECT *, row_number() OVER (PARTITION BY filename) AS mallard_record FROM (" + records + ")";
  std::string fields = "SELECT *, regexp_extract_all(mallard_raw || " + SqlString(copy.delimiter.value_or("|")) +
                       ", '((?:\\\\.|[^" + delimiter + "\\\\])*)" + delimiter + "', 1, 's') AS mallard_list FROM (" +
                       numbered + ") WHERE mallard_record > " + std::to_string(copy.ignore_header) +
                       (copy.ignore_blank_lines ? " AND mallard_raw <> ''" : "");
  std::string select = "SELECT ";
  for (std::size_t i = 0; i < column_count; ++i) {
    std::string field = "mallard_list[" + std::to_string(i + 1) + "]";
    if (copy.remove_quotes) {
      field = "CASE WHEN length(" + field + ") >= 2 AND starts_with(" + field + ", '\"') AND ends_with(" + field +
              ", '\"') THEN " + field + "[2:-2] ELSE " + field + " END";
    }
    select += "CASE WHEN mallard_list[" + std::to_string(i + 1) + "] = " + null_as + " THEN NULL ELSE regexp_replace(" +
              field + ", '\\\\(.)', '\\1', 'gs') END AS c" + std::to_string(i) + ", ";
  }
  return select + "filename, mallard_raw, len(mallard_list) AS mallard_fields FROM (" + fields + ")";
}

}  // namespace

BulkPlan PlanCopy(sqlengine::SqlEngine& engine, const services::S3LocalFiles* files, const std::string& sql,
                  const std::string& schema) {
  BulkPlan plan;
  plan.kind = BulkStatementKind::Copy;
  auto parsed = ParseCopy(sql);
  if (!parsed.ok()) {
    plan.error = parsed.error().Render();
    return plan;
  }
  const CopyStatement& copy = *parsed;
  plan.table_display = copy.table;
  plan.no_load = copy.no_load;
  plan.columnar = copy.format == LoadFormat::Parquet;
  switch (copy.format) {
    case LoadFormat::Avro: plan.error = "FORMAT AS AVRO is not supported: Mallard's SQL engine (DuckDB 1.4.4) reads no Avro; use CSV, JSON or PARQUET"; return plan;
    case LoadFormat::Orc: plan.error = "FORMAT AS ORC is not supported: Mallard's SQL engine (DuckDB 1.4.4) reads no ORC; use CSV, JSON or PARQUET"; return plan;
    case LoadFormat::FixedWidth: plan.error = "FIXEDWIDTH is not supported by Mallard's COPY; use CSV, delimited text, JSON or PARQUET"; return plan;
    case LoadFormat::Shapefile: plan.error = "FORMAT AS SHAPEFILE is not supported by Mallard's COPY"; return plan;
    default: break;
  }
  if (copy.compression == FileCompression::Bzip2 || copy.compression == FileCompression::Lzop) {
    plan.error = std::string(copy.compression == FileCompression::Bzip2 ? "BZIP2" : "LZOP") +
                 " is not supported by Mallard's COPY: the SQL engine reads GZIP and ZSTD files";
    return plan;
  }
  if (copy.format == LoadFormat::Json && copy.json_option == "noshred") {
    plan.error = "JSON 'noshred' is not supported by Mallard's COPY (it loads into SUPER columns)";
    return plan;
  }
  if (files == nullptr) {
    plan.error = "COPY needs Mallard's S3 (this server runs no S3 service)";
    return plan;
  }
  auto source = files->Resolve(copy.source);
  if (!source.ok()) {
    plan.error = source.error();
    return plan;
  }
  if (!files->BucketExists(source->bucket)) {
    plan.error = "S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket,Rid local";
    return plan;
  }
  std::vector<std::string> paths;
  if (copy.manifest) {
    auto listed = ManifestFiles(*files, source->directory);
    if (!listed.ok()) {
      plan.error = listed.error();
      return plan;
    }
    paths = std::move(listed).value();
  } else {
    std::filesystem::path bucket_root = files->Root() / source->bucket;
    for (const auto& key : KeysWithPrefix(bucket_root, source->prefix)) paths.push_back((bucket_root / key).string());
    if (paths.empty()) {
      plan.error = "The specified S3 prefix '" + source->prefix + "' does not exist";
      return plan;
    }
  }
  {
    // The first file's s3:// name, for a failure recorded without a scan.
    std::string root = files->Root().string();
    plan.first_file = paths.front().rfind(root + "/", 0) == 0 ? "s3://" + paths.front().substr(root.size() + 1) : paths.front();
  }

  // The target: its columns when it exists now (a batch may create it just before the COPY).
  std::string engine_schema = copy.schema.empty() ? schema : copy.schema == "public" ? engine.DefaultSchema() : copy.schema;
  std::string target = (copy.schema.empty() ? "" : SqlIdentifier(engine_schema) + ".") + SqlIdentifier(copy.table);
  std::vector<SqlColumn> table_columns;
  if (auto described = engine.DescribeTable(engine_schema.empty() ? engine.DefaultSchema() : engine_schema, copy.table);
      described.ok() && described->has_value()) {
    plan.table_known = true;
    table_columns = (*described)->columns;
  }
  std::vector<SqlColumn> targets;
  if (plan.table_known) {
    if (copy.columns.empty()) {
      // IDENTITY columns (the Redshift dialect gives them a sequence named …_identity_seq) take
      // their generated values: the data fills the other columns, unless EXPLICIT_IDS.
      std::set<std::string> identity;
      if (!copy.explicit_ids) {
        auto rows = SelectRows(engine,
                               "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = " +
                                   SqlString(engine_schema.empty() ? engine.DefaultSchema() : engine_schema) +
                                   " AND table_name = " + SqlString(copy.table) +
                                   " AND column_default LIKE 'nextval(%\\_identity\\_seq'')' ESCAPE '\\'",
                               schema);
        if (rows.ok()) {
          for (const auto& row : *rows) {
            if (!row.empty()) identity.insert(row.front().text);
          }
        }
      }
      for (const auto& column : table_columns) {
        if (identity.count(column.name) == 0) targets.push_back(column);
      }
    } else {
      for (const auto& name : copy.columns) {
        auto found = std::find_if(table_columns.begin(), table_columns.end(), [&](const SqlColumn& c) { return c.name == name; });
        if (found == table_columns.end()) {
          plan.error = "column \"" + name + "\" of relation \"" + copy.table + "\" does not exist";
          return plan;
        }
        targets.push_back(*found);
      }
    }
  }
  std::string column_list;
  if (!copy.columns.empty() || plan.table_known) {
    column_list = " (";
    const auto& names = copy.columns;
    if (!names.empty()) {
      for (std::size_t i = 0; i < names.size(); ++i) column_list += (i ? ", " : "") + SqlIdentifier(names[i]);
    } else {
      for (std::size_t i = 0; i < targets.size(); ++i) column_list += (i ? ", " : "") + SqlIdentifier(targets[i].name);
    }
    column_list += ")";
  }

  // JSON with a JSONPaths file: the paths, in column order.
  std::vector<std::string> json_paths;
  bool json_auto = copy.format == LoadFormat::Json && (copy.json_option == "auto" || copy.json_option == "auto ignorecase");
  if (copy.format == LoadFormat::Json && !json_auto) {
    auto location = files->Resolve(copy.json_option);
    if (!location.ok()) {
      plan.error = "Invalid JSONPath format: " + location.error();
      return plan;
    }
    auto text = ReadSmallFile(location->directory);
    if (!text.ok()) {
      plan.error = "Problem reading JSONPaths file - " + text.error();
      return plan;
    }
    auto document = ParseJsonDocument(*text);
    const json::array* list = nullptr;
    if (document.ok() && document->is_object()) {
      if (const auto* found = document->as_object().if_contains("jsonpaths")) list = found->if_array();
    }
    if (list == nullptr) {
      plan.error = "Invalid JSONPath format: the file needs a \"jsonpaths\" array";
      return plan;
    }
    for (const auto& item : *list) {
      std::string converted = item.is_string() ? EngineJsonPath(std::string(item.as_string())) : "";
      if (converted.empty()) {
        plan.error = "Invalid JSONPath format: " + (item.is_string() ? std::string(item.as_string()) : json::serialize(item));
        return plan;
      }
      json_paths.push_back(std::move(converted));
    }
    std::size_t column_count = !copy.columns.empty() ? copy.columns.size() : targets.size();
    if ((plan.table_known || !copy.columns.empty()) && json_paths.size() != column_count) {
      plan.error = "Number of jsonpaths and the number of columns should match. JSONPath size: " + std::to_string(json_paths.size()) +
                   ", Number of columns in table or column list: " + std::to_string(column_count);
      return plan;
    }
  }

  // Without the target's types (or for Parquet, typed already) the engine converts on insert.
  if (copy.format == LoadFormat::Parquet || !plan.table_known) {
    std::string select;
    if (copy.format == LoadFormat::Parquet) {
      select = "SELECT * FROM read_parquet(" + SqlPathList(paths) + ", hive_partitioning = false)";
    } else if (json_auto) {
      plan.engine_sql = "INSERT INTO " + target + " BY NAME SELECT * FROM read_json(" + SqlPathList(paths) +
                        ", format = 'auto', hive_partitioning = false, compression = " + JsonCompressionOption(copy.compression) + ")";
    } else if (copy.format == LoadFormat::Json) {
      select = "SELECT ";
      for (std::size_t i = 0; i < json_paths.size(); ++i) select += (i ? ", " : "") + std::string("json_extract_string(json, ") + SqlString(json_paths[i]) + ")";
      select += " FROM read_json_objects(" + SqlPathList(paths) + ", format = 'auto', hive_partitioning = false, compression = " + JsonCompressionOption(copy.compression) + ")";
    } else {
      select = "SELECT * EXCLUDE (filename) FROM " + DelimitedReader(copy, paths, 0);
    }
    if (plan.engine_sql.empty()) plan.engine_sql = "INSERT INTO " + target + column_list + " " + select;
    if (copy.no_load) plan.engine_sql = "SELECT count(*) FROM (" + plan.engine_sql.substr(plan.engine_sql.find("SELECT")) + ")";
    return plan;
  }

  // The target is known: every value is read as text and converted here, so a value that does
  // not convert is a rejected row (counted against MAXERROR, recorded in stl_load_errors) and not
  // a failure of the whole statement.
  // ESCAPE splits records and fields itself (not for compressed files, which only the CSV reader opens).
  const bool escaped_text = copy.escape && copy.format == LoadFormat::Text && copy.compression == FileCompression::None &&
                            copy.delimiter.value_or("|").size() == 1;
  std::string source_sql;
  if (copy.format == LoadFormat::Json) {
    source_sql = "SELECT ";
    for (std::size_t i = 0; i < targets.size(); ++i) {
      std::string extract;
      if (!json_paths.empty()) {
        extract = "json_extract_string(json, " + SqlString(json_paths[i]) + ")";
      } else if (copy.json_option == "auto ignorecase") {
        extract = "json_extract_string(json, '$.\"' || list_filter(json_keys(json), k -> lower(k) = " +
                  SqlString(targets[i].name) + ")[1] || '\"')";
      } else {
        extract = "json_extract_string(json, " + SqlString("$.\"" + targets[i].name + "\"") + ")";
      }
      source_sql += extract + " AS c" + std::to_string(i) + ", ";
    }
    source_sql += "filename, json AS mallard_raw, " + std::to_string(targets.size()) + " AS mallard_fields FROM read_json_objects(" + SqlPathList(paths) +
              ", format = 'auto', filename = true, hive_partitioning = false, compression = " + JsonCompressionOption(copy.compression) + ")";
  } else if (escaped_text) {
    source_sql = EscapedTextReader(copy, paths, targets.size());
  } else {
    // One column more than the target: a record's field count is where its NULL padding starts
    // (a record with even more fields still fails the whole COPY in the engine's reader).
    const std::size_t n = targets.size();
    std::string null_as = SqlString(copy.null_as.value_or("\\N"));
    std::string raw = "concat_ws(" + SqlString(copy.delimiter.value_or(copy.format == LoadFormat::Csv ? "," : "|"));
    std::string fields = "CASE";
    for (std::size_t i = n + 1; i-- > 0;) fields += " WHEN c" + std::to_string(i) + " IS NOT NULL THEN " + std::to_string(i + 1);
    fields += " ELSE 0 END";
    source_sql = "SELECT ";
    for (std::size_t i = 0; i < n; ++i) {
      std::string c = "c" + std::to_string(i);
      source_sql += "CASE WHEN " + c + " = " + null_as + " THEN NULL ELSE " + c + " END AS " + c + ", ";
    }
    for (std::size_t i = 0; i <= n; ++i) raw += ", c" + std::to_string(i);
    source_sql += "filename, " + raw + ") AS mallard_raw, " + fields + " AS mallard_fields FROM " +
                  DelimitedReader(copy, paths, n, true);
  }
  std::string converted = "SELECT *";
  // A record with too few fields (unless FILLRECORD) or too many is rejected as a whole: the
  // lists' first entry describes it, the columns follow.
  const std::string field_count = std::to_string(targets.size());
  std::string all_ok = copy.fill_record ? "mallard_fields <= " + field_count : "mallard_fields = " + field_count;
  std::string first_bad = "CASE WHEN NOT (" + all_ok + ") THEN 1";
  std::string names = "[''";
  std::string types = "[''";
  std::string raws = "[''";
  std::string reasons = "[CASE WHEN mallard_fields < " + field_count + " THEN 'Delimiter not found' ELSE 'Extra column(s) found' END";
  std::string codes = "[CASE WHEN mallard_fields < " + field_count + " THEN 1214 ELSE 1216 END";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::string index = std::to_string(i);
    std::string text = SourceText(copy, i, escaped_text);
    converted += ", " + Converted(copy, targets[i], text) + " AS v" + index;
    std::string ok = IsCharacterType(targets[i].type.kind) && targets[i].type.kind == SqlTypeKind::Varchar
                         ? "true"
                         : "(v" + index + " IS NOT NULL OR NULLIF(trim(c" + index + "), '') IS NULL)";
    all_ok += " AND " + ok;
    first_bad += " WHEN NOT " + ok + " THEN " + std::to_string(i + 2);
    names += ", " + SqlString(targets[i].name);
    types += ", " + SqlString(RedshiftTypeName(targets[i].type));
    raws += ", c" + index;
    auto [code, reason] = ReasonFor(targets[i].type, "coalesce(c" + index + ", '')");
    reasons += ", " + reason;
    codes += ", " + std::to_string(code);
  }
  first_bad += " ELSE NULL END";
  converted += " FROM (" + source_sql + ")";
  // The load reads the files once (the CTE is materialized for the load and its MAXERROR gate)
  // and keeps only the converted values; the scan for stl_load_errors, which runs only when rows
  // were rejected, also numbers the records and keeps the raw text.
  std::string values;
  for (std::size_t i = 0; i < targets.size(); ++i) values += (i ? ", " : "") + std::string("v") + std::to_string(i);
  std::string loaded = "WITH checked AS MATERIALIZED (SELECT " + (values.empty() ? std::string() : values + ", ") + all_ok +
                       " AS mallard_ok FROM (" + converted + ")) ";
  std::string checked = "WITH checked AS (SELECT *, " + all_ok +
                        " AS mallard_ok, row_number() OVER (PARTITION BY filename) AS mallard_row FROM (" + converted + ")) ";
  std::int64_t allowed = copy.ignore_all_errors ? std::numeric_limits<std::int64_t>::max() : copy.max_error;
  plan.rows_may_be_skipped = allowed > 0;
  std::string gate = "(SELECT CASE WHEN count(*) FILTER (WHERE NOT mallard_ok) > " + std::to_string(allowed) + " THEN error(" +
                     SqlString(LoadFailedMessage(copy.table)) + ") ELSE 1 END AS mallard_gate FROM checked) AS gate";
  if (copy.no_load) {
    plan.engine_sql = loaded + "SELECT count(*) FROM checked, " + gate + " WHERE mallard_ok AND mallard_gate = 1";
  } else {
    plan.engine_sql = "INSERT INTO " + target + column_list + " " + loaded + "SELECT " + (values.empty() ? "*" : values) +
                      " FROM checked, " + gate + " WHERE mallard_ok AND mallard_gate = 1";
  }
  // The local path's characters before the key, to give each rejected row its s3:// name.
  std::string root = files->Root().string();
  std::size_t root_characters = 0;
  for (unsigned char c : root) root_characters += (c & 0xC0) != 0x80 ? 1 : 0;
  std::int64_t header_lines = copy.format == LoadFormat::Json ? 0 : copy.ignore_header;
  plan.error_scan_sql = "INSERT INTO " + LoadErrorsTarget() + " " + checked +
                        "SELECT 100, 0, 0, CAST(now() AS TIMESTAMP), 0, 0, 's3://' || substr(replace(filename, '\\', '/'), " +
                        std::to_string(root_characters + 2) + "), mallard_row + " + std::to_string(header_lines) + ", " +
                        names + "][bad], " + types + "][bad], '0', 0, left(mallard_raw, 1024), left(" + raws +
                        "][bad], 1024), " + codes + "][bad], left(" + reasons + "][bad], 512), 0, 0, NULL FROM (SELECT *, " +
                        first_bad + " AS bad FROM checked WHERE NOT mallard_ok) LIMIT 100000";
  return plan;
}

void FinishCopy(sqlengine::SqlEngine& engine, const BulkPlan& plan, const std::string& schema,
                sqlengine::QueryOutcome& outcome) {
  if (outcome.cancelled) return;
  if (plan.no_load && outcome.succeeded) {
    outcome.has_result_set = false;
    outcome.rows.clear();
    outcome.columns.clear();
    outcome.rows_affected = 0;
    outcome.statement_kind = sqlengine::StatementKind::Dml;
    return;
  }
  const bool skipped_rows_possible = !plan.error_scan_sql.empty();
  if (outcome.succeeded) {
    // Rows MAXERROR let through are recorded too, as Redshift records them.
    if (skipped_rows_possible && plan.rows_may_be_skipped) RecordLoadErrors(engine, plan.error_scan_sql, schema);
    return;
  }
  const std::string engine_message = outcome.error_message;
  if (!plan.table_known && engine_message.find("does not exist") != std::string::npos &&
      engine_message.find("Table") != std::string::npos) {
    outcome.error_message = "relation \"" + plan.table_display + "\" does not exist";
    return;
  }
  // "COPY from columnar data formats": the error goes to the client only, not to stl_load_errors.
  if (plan.columnar) return;
  bool recorded = false;
  if (skipped_rows_possible) {
    recorded = RecordLoadErrors(engine, plan.error_scan_sql, schema);
  }
  if (!recorded) {
    std::string root_free = plan.first_file;
    std::string insert = "INSERT INTO " + LoadErrorsTarget() +
                         " VALUES (100, 0, 0, CAST(now() AS TIMESTAMP), 0, 0, " + SqlString(root_free) + ", " +
                         std::to_string(LineFromEngineMessage(engine_message)) + ", '', '', '0', 0, '', '', 1216, " +
                         SqlString(FirstLine(engine_message)) + ", 0, 0, NULL)";
    RecordLoadErrors(engine, insert, schema);
  }
  outcome.error_message = LoadFailedMessage(plan.table_display);
}

}  // namespace mallard::redshift_data::bulk
