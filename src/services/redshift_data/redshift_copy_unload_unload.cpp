// UNLOAD: the engine writes the query's result into a staging directory of the S3 root; the files
// then take the names Redshift gives them (<prefix>0000_part_00, <prefix>000 with PARALLEL OFF,
// col=value/ directories with PARTITION BY) and the manifest is written beside them.
#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <system_error>

#include "services/redshift_data/redshift_copy_unload_internal.hpp"
#include "sqlengine/dialect/redshift_dialect.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::redshift_data::bulk {

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using sqlengine::SqlColumn;
using sqlengine::SqlTypeKind;

constexpr const char* kNotEmpty =
    "Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually removing the "
    "target files in S3, or using the ALLOWOVERWRITE option.";

std::string Padded(std::size_t value, std::size_t width) {
  std::string text = std::to_string(value);
  return text.size() >= width ? text : std::string(width - text.size(), '0') + text;
}

// Replace every occurrence of `from` (one character) by `to`, as SQL over `expression`.
std::string ReplaceSql(const std::string& expression, const std::string& from, const std::string& to) {
  return "replace(" + expression + ", " + SqlString(from) + ", " + SqlString(to) + ")";
}

// A column's text in a delimited (text or CSV) unload file: booleans as t/f (Redshift's output),
// ESCAPE's backslashes for character columns, ADDQUOTES; NULL stays NULL here.
std::string FieldText(const UnloadStatement& unload, const SqlColumn& column, const std::string& delimiter) {
  std::string value = "q." + SqlIdentifier(column.name);
  if (column.type.kind == SqlTypeKind::Boolean) return "CASE WHEN " + value + " THEN 't' WHEN NOT " + value + " THEN 'f' END";
  std::string text = "CAST(" + value + " AS VARCHAR)";
  if (unload.escape && unload.format == UnloadFormat::Text && column.type.kind == SqlTypeKind::Varchar) {
    text = ReplaceSql(text, "\\", "\\\\");
    text = ReplaceSql(text, "\n", "\\\n");
    text = ReplaceSql(text, "\r", "\\\r");
    if (delimiter != "\\") text = ReplaceSql(text, delimiter, "\\" + delimiter);
    if (unload.add_quotes) {
      text = ReplaceSql(text, "\"", "\\\"");
      text = ReplaceSql(text, "'", "\\'");
    }
  }
  if (unload.add_quotes && unload.format == UnloadFormat::Text) text = "'\"' || " + text + " || '\"'";
  return text;
}

// The result column's type as an UNLOAD MANIFEST VERBOSE schema element.
json::object TypeElement(const sqlengine::SqlType& type) {
  json::object element;
  switch (type.kind) {
    case SqlTypeKind::SmallInt: case SqlTypeKind::TinyInt: element["base"] = "smallint"; break;
    case SqlTypeKind::Integer: element["base"] = "integer"; break;
    case SqlTypeKind::BigInt: element["base"] = "bigint"; break;
    case SqlTypeKind::Float: element["base"] = "real"; break;
    case SqlTypeKind::Double: element["base"] = "double precision"; break;
    case SqlTypeKind::Decimal:
      element["base"] = "numeric";
      element["precision"] = type.precision;
      element["scale"] = type.scale;
      break;
    case SqlTypeKind::Boolean: element["base"] = "boolean"; break;
    case SqlTypeKind::Date: element["base"] = "date"; break;
    case SqlTypeKind::Timestamp: element["base"] = "timestamp without time zone"; break;
    case SqlTypeKind::TimestampTz: element["base"] = "timestamp with time zone"; break;
    case SqlTypeKind::Time: element["base"] = "time without time zone"; break;
    case SqlTypeKind::Varchar: element["base"] = "character varying"; break;
    default: element["base"] = type.engine_name; break;
  }
  return element;
}

std::string CompressionName(FileCompression compression) {
  switch (compression) {
    case FileCompression::Gzip: return "gzip";
    case FileCompression::Zstd: return "zstd";
    default: return "none";
  }
}

// The trailing number of a staged file's name ("part_12.csv" → 12), for the order of parts.
std::size_t PartIndex(const std::string& name) {
  std::size_t end = name.find('.');
  std::string stem = name.substr(0, end);
  std::size_t start = stem.find_last_not_of("0123456789");
  std::size_t index = 0;
  for (std::size_t i = start == std::string::npos ? 0 : start + 1; i < stem.size() && index < 1'000'000'000; ++i) {
    index = index * 10 + static_cast<std::size_t>(stem[i] - '0');
  }
  return index;
}

// Writes `text` to `path` through a file in `staging` (on the same file system), so the bucket
// never shows a half-written manifest or a temporary name.
Result<Done, std::string> WriteFileAtomically(const fs::path& staging, const fs::path& path, const std::string& text) {
  fs::path temporary = staging / "manifest.tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Fail("cannot write " + path.string());
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    fs::remove(temporary, error);
    return Fail("cannot write " + path.string() + ": " + error.message());
  }
  return Done{};
}

// Whether the outermost SELECT of `query` has a LIMIT (Redshift refuses it; a LIMIT inside a
// subquery is fine).
bool HasOuterLimit(std::string_view query) {
  int depth = 0;
  for (const auto& token : sqlengine::dialect::Tokenize(query)) {
    if (token.IsPunct('(')) ++depth;
    else if (token.IsPunct(')')) --depth;
    else if (depth == 0 && token.IsKeyword("LIMIT")) return true;
  }
  return false;
}

// Whether `query` is one whole statement that can sit inside `( … )` of the engine's COPY: every
// bracket it opens it closes (never one it did not open), no string, identifier or comment left
// open, no `;` before its end. Otherwise a query could close the COPY's brackets and name another
// file to write.
bool EmbedsSafely(std::string_view query) {
  int depth = 0;
  bool ended = false;
  for (const auto& token : sqlengine::dialect::Tokenize(query)) {
    if (token.unterminated) return false;
    if (token.IsTrivia()) continue;
    if (ended) return false;  // something after a ';'
    if (token.IsPunct('(')) ++depth;
    else if (token.IsPunct(')') && --depth < 0) return false;
    else if (token.IsPunct(';')) ended = true;
  }
  return depth == 0;
}

}  // namespace

BulkPlan PlanUnload(sqlengine::SqlEngine& engine, const services::S3LocalFiles* files, const std::string& sql,
                    const std::string& schema, const std::string& statement_tag) {
  BulkPlan plan;
  plan.kind = BulkStatementKind::Unload;
  auto parsed = ParseUnload(sql);
  if (!parsed.ok()) {
    plan.error = parsed.error().Render();
    return plan;
  }
  const UnloadStatement& unload = *parsed;
  if (unload.compression == FileCompression::Lzop) {
    plan.error = "LZOP is not supported by UNLOAD (use GZIP, BZIP2 or ZSTD)";
    return plan;
  }
  if (unload.compression == FileCompression::Bzip2) {
    plan.error = "BZIP2 is not supported by Mallard's UNLOAD: the SQL engine writes GZIP and ZSTD";
    return plan;
  }
  if (!unload.fixed_width_spec.empty()) {
    plan.error = "FIXEDWIDTH is not supported by Mallard's UNLOAD; use DELIMITER, CSV, JSON or PARQUET";
    return plan;
  }
  if (files == nullptr) {
    plan.error = "UNLOAD needs Mallard's S3 (this server runs no S3 service)";
    return plan;
  }
  auto destination = files->Resolve(unload.destination);
  if (!destination.ok()) {
    plan.error = destination.error();
    return plan;
  }
  if (!files->BucketExists(destination->bucket)) {
    plan.error = "S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket,Rid local";
    return plan;
  }
  // The SELECT's columns, which the text format's fields, the header and the manifest need.
  if (HasOuterLimit(unload.query)) {
    plan.error = "Limit clause is not supported in the outermost select of an UNLOAD statement";
    return plan;
  }
  // The quoted SELECT is Redshift's SQL like any statement: translated in a session of its own.
  sqlengine::dialect::RedshiftSession session;
  auto translated = sqlengine::dialect::TranslateRedshift(unload.query, session);
  if (!translated.ok()) {
    plan.error = sqlengine::dialect::RedshiftErrorText(translated.error());
    return plan;
  }
  std::string query = std::move(translated).value();
  while (!query.empty() && (query.back() == ';' || query.back() == ' ' || query.back() == '\n' || query.back() == '\t' || query.back() == '\r')) query.pop_back();
  if (!EmbedsSafely(query)) {
    plan.error = "syntax error in the query of UNLOAD: it must be one SELECT statement";
    return plan;
  }
  auto described = RunOnEngine(engine, {"SELECT * FROM (" + query + "\n) AS q LIMIT 0"}, schema);
  if (described.empty() || !described.back().succeeded) {
    plan.error = described.empty() ? "the SQL engine returned no result" : described.back().error_message;
    return plan;
  }
  plan.columns = described.back().columns;
  for (const auto& name : unload.partition_by) {
    bool present = std::any_of(plan.columns.begin(), plan.columns.end(), [&](const SqlColumn& c) { return c.name == name; });
    if (!present) {
      plan.error = "Partition column \"" + name + "\" is not in the result of the UNLOAD query";
      return plan;
    }
  }
  plan.bucket = destination->bucket;
  plan.bucket_root = files->Root() / destination->bucket;
  plan.key_prefix = destination->prefix;
  plan.parallel = unload.parallel;
  plan.manifest = unload.manifest;
  plan.manifest_verbose = unload.manifest_verbose;
  plan.format = unload.format;
  if (unload.extension) {
    std::string extension = *unload.extension;
    while (!extension.empty() && extension.front() == '.') extension.erase(extension.begin());
    plan.extension = extension.empty() ? "" : "." + extension;
  } else if (unload.format == UnloadFormat::Parquet) {
    plan.extension = ".parquet";
  } else if (unload.compression == FileCompression::Gzip) {
    plan.extension = ".gz";
  } else if (unload.compression == FileCompression::Zstd) {
    plan.extension = ".zst";
  }

  auto existing = KeysWithPrefix(plan.bucket_root, plan.key_prefix);
  if (!existing.empty()) {
    if (unload.clean_path) {
      for (const auto& key : existing) {
        std::error_code ignored;
        fs::remove(plan.bucket_root / key, ignored);
      }
    } else if (!unload.allow_overwrite) {
      plan.error = kNotEmpty;
      return plan;
    }
  }

  plan.staging = files->Root() / ".mallard-s3" / "tmp" / ("redshift-unload-" + statement_tag);
  std::error_code error;
  fs::remove_all(plan.staging, error);
  fs::create_directories(plan.staging, error);
  if (error) {
    plan.error = "cannot prepare the UNLOAD: " + error.message();
    return plan;
  }

  // What the engine writes: the text format as one preformatted line per row (Redshift's text is
  // not CSV: no quoting), the others as columns.
  const std::string delimiter = unload.delimiter.value_or(unload.format == UnloadFormat::Csv ? "," : "|");
  auto partitioned = [&](const std::string& name) {
    return std::find(unload.partition_by.begin(), unload.partition_by.end(), name) != unload.partition_by.end();
  };
  std::string select = "SELECT ";
  std::string options;
  std::string header_line;
  if (unload.format == UnloadFormat::Text) {
    std::string line;
    bool first = true;
    for (const auto& column : plan.columns) {
      if (partitioned(column.name) && !unload.partition_include) continue;
      line += first ? "" : " || " + SqlString(delimiter) + " || ";
      line += "coalesce(" + FieldText(unload, column, delimiter) + ", " + SqlString(unload.null_as.value_or("")) + ")";
      header_line += (first ? "" : delimiter) + column.name;
      first = false;
    }
    select += (line.empty() ? "''" : line) + " AS " + SqlIdentifier(header_line.empty() ? "line" : header_line);
    options = "FORMAT csv, QUOTE '', ESCAPE '', DELIMITER '\x1f', HEADER " + std::string(unload.header ? "true" : "false") +
              ", COMPRESSION " + SqlString(CompressionName(unload.compression));
  } else if (unload.format == UnloadFormat::Csv) {
    bool first = true;
    for (const auto& column : plan.columns) {
      if (partitioned(column.name) && !unload.partition_include) continue;
      select += (first ? "" : ", ") + FieldText(unload, column, delimiter) + " AS " + SqlIdentifier(column.name);
      first = false;
    }
    if (first) select += "NULL AS empty";
    options = "FORMAT csv, DELIMITER " + SqlString(delimiter) + ", QUOTE '\"', ESCAPE '\"', NULLSTR " +
              SqlString(unload.null_as.value_or("")) + ", HEADER " + (unload.header ? "true" : "false") +
              ", COMPRESSION " + SqlString(CompressionName(unload.compression));
    if (unload.add_quotes) options += ", FORCE_QUOTE *";
  } else {
    bool first = true;
    for (const auto& column : plan.columns) {
      if (partitioned(column.name) && !unload.partition_include) continue;
      select += (first ? "" : ", ") + std::string("q.") + SqlIdentifier(column.name);
      first = false;
    }
    if (first) select += "NULL AS empty";
    if (unload.format == UnloadFormat::Json) {
      options = "FORMAT json, COMPRESSION " + SqlString(CompressionName(unload.compression));
    } else {
      options = "FORMAT parquet, COMPRESSION " + std::string(unload.compression == FileCompression::Zstd ? "'zstd'" : "'snappy'");
      if (unload.row_group_size_bytes) options += ", ROW_GROUP_SIZE_BYTES " + std::to_string(*unload.row_group_size_bytes);
    }
  }
  // Partition columns ride along for PARTITION_BY; the engine leaves them out of the files.
  // A NULL goes to Hive's default partition, as Redshift writes it (the engine would name it NULL,
  // the same directory as the string 'NULL').
  for (const auto& name : unload.partition_by) {
    select += ", coalesce(CAST(q." + SqlIdentifier(name) + " AS VARCHAR), '__HIVE_DEFAULT_PARTITION__') AS " +
              SqlIdentifier("mallard_partition_" + name);
  }
  select += " FROM (" + query + "\n) AS q";

  std::string target;
  if (!unload.partition_by.empty() || unload.max_file_size_bytes) {
    target = plan.staging.string();
    options += ", FILENAME_PATTERN 'part_{i}'";
    if (unload.max_file_size_bytes) options += ", FILE_SIZE_BYTES " + std::to_string(*unload.max_file_size_bytes);
    if (!unload.partition_by.empty()) {
      options += ", PARTITION_BY (";
      for (std::size_t i = 0; i < unload.partition_by.size(); ++i) {
        options += (i ? ", " : "") + SqlIdentifier("mallard_partition_" + unload.partition_by[i]);
      }
      options += ")";
    }
  } else {
    target = (plan.staging / "part_0").string();
  }
  plan.engine_sql = "COPY (" + select + ") TO " + SqlString(target) + " (" + options + ")";
  return plan;
}

void FinishUnload(sqlengine::SqlEngine& engine, const BulkPlan& plan, const std::string& schema,
                  sqlengine::QueryOutcome& outcome) {
  std::error_code error;
  if (plan.format == UnloadFormat::Parquet && outcome.rows_affected == 0) {
    // An empty result writes no Parquet file and no manifest, as Redshift's UNLOAD does.
    fs::remove_all(plan.staging, error);
    return;
  }
  struct Staged {
    fs::path path;
    std::string group;  // "col=value/…" under PARTITION BY, "" otherwise
    std::size_t index = 0;
  };
  std::map<std::string, std::vector<Staged>> groups;
  for (fs::recursive_directory_iterator it(plan.staging, error), end; !error && it != end; it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    Staged staged;
    staged.path = it->path();
    std::string group = fs::relative(it->path().parent_path(), plan.staging, error).generic_string();
    if (group == ".") group.clear();
    // The engine names partition directories after the helper columns: give them the user's names.
    std::string renamed;
    std::size_t start = 0;
    while (start < group.size()) {
      std::size_t slash = group.find('/', start);
      std::string segment = group.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      static constexpr std::string_view kHelper = "mallard_partition_";
      if (segment.compare(0, kHelper.size(), kHelper) == 0) segment = segment.substr(kHelper.size());
      renamed += (renamed.empty() ? "" : "/") + segment;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    staged.group = renamed;
    staged.index = PartIndex(it->path().filename().string());
    groups[staged.group].push_back(std::move(staged));
  }
  json::array entries;
  std::int64_t total_bytes = 0;
  std::int64_t total_records = 0;
  auto fail = [&](std::string message) {
    outcome.succeeded = false;
    outcome.error_message = std::move(message);
    fs::remove_all(plan.staging, error);
  };
  std::size_t file_count = 0;
  for (const auto& [name, staged_files] : groups) file_count += staged_files.size();
  for (auto& [group, staged_files] : groups) {
    std::sort(staged_files.begin(), staged_files.end(), [](const Staged& a, const Staged& b) { return a.index < b.index; });
    for (std::size_t part = 0; part < staged_files.size(); ++part) {
      std::string prefix = plan.key_prefix;
      if (!group.empty() && !prefix.empty() && prefix.back() != '/') prefix += '/';
      std::string name = plan.parallel ? "0000_part_" + Padded(part, 2) : Padded(part, 3);
      std::string key = prefix + (group.empty() ? "" : group + "/") + name + plan.extension;
      std::int64_t records = 0;
      if (plan.manifest_verbose) {
        if (file_count == 1) {
          records = outcome.rows_affected;
        } else {
          std::string path = SqlString(staged_files[part].path.string());
          std::string reader = plan.format == UnloadFormat::Parquet ? "read_parquet(" + path + ")"
                               : plan.format == UnloadFormat::Json ? "read_json_objects(" + path + ", format = 'auto')"
                                                                    : "read_csv(" + path + ", header = false, all_varchar = true, delim = '\x1f', quote = '', auto_detect = false, columns = {'line': 'VARCHAR'})";
          auto counted = SelectRows(engine, "SELECT count(*) FROM " + reader, schema);
          if (counted.ok() && !counted->empty() && !counted->front().empty()) records = counted->front().front().integer;
        }
      }
      fs::path destination = plan.bucket_root / key;
      fs::create_directories(destination.parent_path(), error);
      if (error) return fail("cannot write s3://" + plan.bucket + "/" + key + ": " + error.message());
      fs::rename(staged_files[part].path, destination, error);
      if (error) return fail("cannot write s3://" + plan.bucket + "/" + key + ": " + error.message());
      std::int64_t bytes = static_cast<std::int64_t>(fs::file_size(destination, error));
      if (error) bytes = 0;
      total_bytes += bytes;
      total_records += records;
      json::object meta{{"content_length", bytes}};
      if (plan.manifest_verbose) meta["record_count"] = records;
      entries.push_back(json::object{{"url", "s3://" + plan.bucket + "/" + key}, {"meta", std::move(meta)}});
    }
  }
  if (!plan.manifest) {
    fs::remove_all(plan.staging, error);
    return;
  }
  json::object manifest{{"entries", std::move(entries)}};
  if (plan.manifest_verbose) {
    json::array elements;
    for (const auto& column : plan.columns) elements.push_back(json::object{{"name", column.name}, {"type", TypeElement(column.type)}});
    manifest["schema"] = json::object{{"elements", std::move(elements)}};
    manifest["meta"] = json::object{{"content_length", total_bytes}, {"record_count", total_records}};
    manifest["author"] = json::object{{"name", "Amazon Redshift"}, {"version", "1.0.0"}};
  }
  auto written = WriteFileAtomically(plan.staging, plan.bucket_root / (plan.key_prefix + "manifest"), json::serialize(manifest));
  fs::remove_all(plan.staging, error);
  if (!written.ok()) {
    outcome.succeeded = false;
    outcome.error_message = written.error();
  }
}

}  // namespace mallard::redshift_data::bulk
