#include "services/athena/athena_ctas_unload.hpp"

#include <algorithm>
#include <fstream>

#include "services/athena/athena_external_projection.hpp"
#include "services/athena/athena_types.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::athena::external {
using sqlengine::dialect::QuoteIdentifier;
using sqlengine::dialect::QuoteString;

namespace {

std::string Upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// How files are written: DuckDB's COPY options and the file name's extension.
struct WriteFormat {
  StorageFormat format = StorageFormat::Parquet;
  std::string copy_options;  // FORMAT …, COMPRESSION …, DELIMITER …
  std::string extension;     // "" for Parquet (as Athena names its files), ".gz" for gzip text
};

// Athena's format names (CTAS `format`, UNLOAD `format`) with compression and field delimiter.
Result<WriteFormat, std::string> ChooseFormat(const std::string& format_name, const std::string& compression_name,
                                              const std::string& delimiter) {
  WriteFormat write;
  const std::string format = Upper(format_name.empty() ? "PARQUET" : format_name);
  std::string compression = Upper(compression_name);
  if (format == "PARQUET") {
    write.format = StorageFormat::Parquet;
    if (compression.empty()) compression = "GZIP";  // Athena's default for Parquet output
    if (compression != "SNAPPY" && compression != "GZIP" && compression != "ZSTD" && compression != "LZ4" &&
        compression != "NONE" && compression != "UNCOMPRESSED") {
      return Fail("Unsupported compression for PARQUET: " + compression_name);
    }
    if (compression == "NONE") compression = "UNCOMPRESSED";
    write.copy_options = "FORMAT PARQUET, COMPRESSION " + compression;
    return write;
  }
  if (format == "TEXTFILE" || format == "JSON") {
    write.format = format == "JSON" ? StorageFormat::Json : StorageFormat::TextFile;
    if (compression.empty()) compression = "GZIP";
    std::string duck_compression;
    if (compression == "GZIP") {
      duck_compression = "gzip";
      write.extension = ".gz";
    } else if (compression == "ZSTD") {
      duck_compression = "zstd";
      write.extension = ".zst";
    } else if (compression == "NONE" || compression == "UNCOMPRESSED") {
      duck_compression = "uncompressed";
    } else {
      return Fail("Unsupported compression for " + format + ": " + compression_name);
    }
    if (write.format == StorageFormat::Json) {
      write.copy_options = "FORMAT JSON, COMPRESSION " + duck_compression;
    } else {
      write.copy_options = "FORMAT CSV, HEADER false, QUOTE '', ESCAPE '', NULLSTR '\\N', DELIMITER " +
                           QuoteString(delimiter.empty() ? std::string("\x01") : delimiter) + ", COMPRESSION " +
                           duck_compression;
    }
    return write;
  }
  if (format == "ORC" || format == "AVRO") {
    return Fail("NOT_SUPPORTED: writing " + format + " files is not supported by this server's SQL engine; use PARQUET, "
                "TEXTFILE or JSON");
  }
  return Fail("Unsupported format: " + format_name + " (PARQUET, TEXTFILE, JSON, ORC, AVRO)");
}

// The columns a query produces, read by running it with LIMIT 0.
Result<std::vector<sqlengine::SqlColumn>, std::string> QueryColumns(const ExternalContext& context, const std::string& query) {
  sqlengine::QueryRequest request;
  request.statements.push_back("SELECT * FROM (" + query + ") AS mallard_query LIMIT 0");
  request.schema = context.engine_schema(context.database);
  auto outcomes = context.engine->Prepare(std::move(request))->Run();
  if (outcomes.empty()) return std::vector<sqlengine::SqlColumn>{};
  if (!outcomes.back().succeeded) return Fail(outcomes.back().error_message);
  return outcomes.back().columns;
}

// The query as the engine runs it. It is pasted into `COPY (…) TO '<path>'`, so the translated
// text must still be one bracket-balanced statement (the parser checked the original).
Result<std::string, std::string> Translated(const ExternalContext& context, const std::string& query) {
  std::string translated = query;
  if (context.translate) {
    MALLARD_ASSIGN_OR_RETURN(translated, context.translate(query));
  }
  int depth = 0;
  for (const auto& token : sqlengine::dialect::Tokenize(translated)) {
    if (token.unterminated) return Fail(std::string("the query has an unterminated literal or comment"));
    if (token.kind != sqlengine::dialect::TokenKind::Punctuation) continue;
    if (token.text == "(" || token.text == "[") ++depth;
    if (token.text == ")" || token.text == "]") --depth;
    if (depth < 0 || token.text == ";") return Fail(std::string("the query must be one statement"));
  }
  if (depth != 0) return Fail(std::string("the query's brackets do not balance"));
  return translated;
}

// Whether any file (an S3 object) lies at or below `directory`.
bool HoldsFiles(const std::filesystem::path& directory) {
  std::error_code error;
  if (std::filesystem::is_regular_file(directory, error)) return true;
  std::filesystem::recursive_directory_iterator entries(directory, error), end;
  for (; !error && entries != end; entries.increment(error)) {
    std::error_code status_error;
    if (entries->is_regular_file(status_error)) return true;
  }
  return false;
}

// The S3 directory a statement writes to: the bucket must exist and, unless `may_hold_files`, the
// directory must hold nothing yet (Athena's HIVE_PATH_ALREADY_EXISTS).
Result<std::filesystem::path, std::string> TargetDirectory(const ExternalContext& context, const std::string& location,
                                                           bool may_hold_files, const std::string& what) {
  if (context.files == nullptr) return Fail(std::string("this server has no S3 to write files to"));
  MALLARD_ASSIGN_OR_RETURN(auto resolved, context.files->Resolve(location));
  if (!context.files->BucketExists(resolved.bucket)) {
    return Fail("HIVE_UNKNOWN_ERROR: The specified bucket does not exist (Service: Amazon S3; Status Code: 404; "
                "Error Code: NoSuchBucket; Bucket: " + resolved.bucket + ")");
  }
  if (!may_hold_files && HoldsFiles(resolved.directory)) {
    {
      return Fail("HIVE_PATH_ALREADY_EXISTS: Target directory for " + what + " already exists: " + WithSlash(location) +
                  ". You may need to manually clean the data at location '" + WithSlash(location) +
                  "' before retrying. Athena will not delete data in your account.");
    }
  }
  // DuckDB's COPY creates no parent directories (an empty directory is no S3 object).
  std::error_code error;
  std::filesystem::create_directories(resolved.directory, error);
  if (error && !std::filesystem::is_directory(resolved.directory)) {
    return Fail("cannot write to " + location + ": " + error.message());
  }
  return resolved.directory;
}

std::string CopyStatement(const std::string& query, const std::filesystem::path& directory, const WriteFormat& write,
                          const std::vector<std::string>& partition_by, const std::string& file_stem, bool append) {
  if (partition_by.empty()) {
    return "COPY (" + query + ") TO " + QuoteString((directory / (file_stem + "_00000" + write.extension)).string()) +
           " (" + write.copy_options + ")";
  }
  std::string columns;
  for (const auto& column : partition_by) columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(column);
  return "COPY (" + query + ") TO " + QuoteString(directory.string()) + " (" + write.copy_options + ", PARTITION_BY (" +
         columns + "), FILENAME_PATTERN " + QuoteString(file_stem + "_{uuid}") + (append ? ", APPEND" : ", OVERWRITE_OR_IGNORE") +
         ")";
}

std::string StringWith(const WithProperties& with, std::string_view name) {
  const WithProperty* property = FindWith(with, name);
  return property != nullptr && !property->is_list ? property->value : std::string();
}

// The table spec of files written in `format` (the serde Athena records for each).
void DescribeStorage(ExternalTableSpec& spec, StorageFormat format, const std::string& delimiter) {
  spec.format = format;
  switch (format) {
    case StorageFormat::Parquet:
      spec.serde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
      spec.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
      spec.output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
      break;
    case StorageFormat::Json:
      spec.serde = "org.openx.data.jsonserde.JsonSerDe";
      spec.input_format = "org.apache.hadoop.mapred.TextInputFormat";
      spec.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
      break;
    default:
      spec.serde = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
      spec.input_format = "org.apache.hadoop.mapred.TextInputFormat";
      spec.output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
      SetProperty(spec.serde_properties, "field.delim", delimiter.empty() ? std::string("\x01") : delimiter);
      break;
  }
}

HiveType HiveTypeOf(const sqlengine::SqlType& type) {
  auto parsed = ParseHiveType(HiveTypeName(type));
  if (parsed) return *parsed;
  HiveType fallback;
  fallback.name = "string";
  return fallback;
}

const std::vector<std::string> kKnownCtasProperties = {
    "format", "external_location", "partitioned_by", "bucketed_by", "bucket_count", "write_compression",
    "compression", "parquet_compression", "orc_compression", "field_delimiter", "table_type", "location"};

}  // namespace

ExternalPlan PlanCreateTableAs(ExternalCatalog& catalog, const ExternalContext& context, const CreateTableAs& ctas) {
  const char* kind = "CREATE_TABLE_AS_SELECT";
  for (const auto& property : ctas.with) {
    if (std::find(kKnownCtasProperties.begin(), kKnownCtasProperties.end(), property.name) == kKnownCtasProperties.end()) {
      return Failed("Catalog 'awsdatacatalog' table property '" + property.name + "' does not exist", kind);
    }
  }
  if (Upper(StringWith(ctas.with, "table_type")) == "ICEBERG") {
    return Failed("NOT_SUPPORTED: Iceberg tables are not supported by this server; use table_type = 'HIVE'", kind);
  }
  const std::string database = ctas.table.database.empty() ? context.database : ctas.table.database;
  if (!EngineHasDatabase(context, database)) {
    return Failed("SCHEMA_NOT_FOUND: Schema " + database + " does not exist", kind);
  }
  if (catalog.Find(database, ctas.table.name) || EngineHasTable(context, database, ctas.table.name)) {
    if (ctas.if_not_exists) {
      ExternalPlan plan;
      plan.substatement_type = kind;
      return plan;
    }
    return Failed("TABLE_ALREADY_EXISTS: Table '" + database + "." + ctas.table.name + "' already exists", kind);
  }
  std::string compression = StringWith(ctas.with, "write_compression");
  if (compression.empty()) compression = StringWith(ctas.with, "parquet_compression");
  if (compression.empty()) compression = StringWith(ctas.with, "compression");
  const std::string delimiter = StringWith(ctas.with, "field_delimiter");
  auto write = ChooseFormat(StringWith(ctas.with, "format"), compression, delimiter);
  if (!write.ok()) return Failed(write.error(), kind);
  std::string location = StringWith(ctas.with, "external_location");
  if (location.empty()) location = WithSlash(context.output_location) + "tables/" + context.query_id + "/";
  auto directory = TargetDirectory(context, location, false, "table '" + database + "." + ctas.table.name + "'");
  if (!directory.ok()) return Failed(directory.error(), kind);
  auto query = Translated(context, ctas.query);
  if (!query.ok()) return Failed(query.error(), kind);
  auto columns = QueryColumns(context, *query);
  if (!columns.ok()) return Failed(columns.error(), kind);

  std::vector<std::string> partition_by;
  if (const WithProperty* partitioned = FindWith(ctas.with, "partitioned_by")) partition_by = partitioned->list;
  // Athena's rule: the partition columns are the last columns of the SELECT, in the same order.
  if (partition_by.size() > columns->size()) return Failed("Partition columns must be among the query's columns", kind);
  const std::size_t data_columns = columns->size() - partition_by.size();
  for (std::size_t i = 0; i < partition_by.size(); ++i) {
    std::string name = (*columns)[data_columns + i].name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != partition_by[i]) {
      std::string list;
      for (const auto& column : partition_by) list += (list.empty() ? "" : ", ") + column;
      return Failed("HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the table and in the same "
                    "order as the table properties: [" + list + "]", kind);
    }
  }
  ExternalTable table;
  table.database = database;
  table.created_seconds = context.now_seconds;
  table.spec.table = TableName{database, ctas.table.name};
  table.spec.location = location;
  DescribeStorage(table.spec, write->format, delimiter);
  for (std::size_t i = 0; i < columns->size(); ++i) {
    ColumnSpec column;
    column.name = (*columns)[i].name;
    for (char& c : column.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    column.type = HiveTypeOf((*columns)[i].type);
    (i < data_columns ? table.spec.columns : table.spec.partition_columns).push_back(std::move(column));
  }
  if (table.spec.columns.empty()) return Failed("A table must have at least one column that is not a partition column", kind);
  SetProperty(table.spec.table_properties, "has_encrypted_data", "false");

  ExternalPlan plan;
  plan.substatement_type = kind;
  if (ctas.with_data) {
    plan.service_copies.push_back(plan.statements.size());
    plan.statements.push_back(CopyStatement(*query, *directory, *write, partition_by, context.query_id, false));
  }
  if (ctas.with_data) plan.written_location = WithSlash(location);
  auto registration = RegisterStatements(catalog, context, table, true);
  if (!registration.ok()) return Failed(registration.error(), kind);
  for (auto& statement : *registration) plan.statements.push_back(std::move(statement));
  plan.single_transaction = true;
  plan.changes_catalog = true;
  if (!partition_by.empty() && ctas.with_data) {
    plan.after_success = [context, database, name = table.spec.table.name] {
      if (context.catalog_owner) RegisterWrittenPartitions(*context.catalog_owner, context, database, name);
    };
  }
  return plan;
}

ExternalPlan PlanInsertInto(ExternalCatalog& catalog, const ExternalContext& context, const InsertInto& insert,
                            const ExternalTable& table) {
  (void)catalog;
  const char* kind = "INSERT";
  ExternalPlan plan;
  plan.statement_type = "DML";
  std::string format_name;
  switch (ReadKindOf(table.spec)) {
    case ReadKind::Parquet: format_name = "PARQUET"; break;
    case ReadKind::Json: format_name = "JSON"; break;
    case ReadKind::DelimitedText:
    case ReadKind::OpenCsv: format_name = "TEXTFILE"; break;
    case ReadKind::Orc:
    case ReadKind::Avro:
    case ReadKind::Unsupported:
      plan = Failed("NOT_SUPPORTED: INSERT INTO a table stored with " + table.spec.serde + " is not supported", kind);
      plan.statement_type = "DML";
      return plan;
  }
  const std::string* delimiter = FindProperty(table.spec.serde_properties, "field.delim");
  auto write = ChooseFormat(format_name, format_name == "PARQUET" ? "SNAPPY" : "GZIP", delimiter ? *delimiter : "");
  auto fail = [&](std::string message) {
    ExternalPlan failed = Failed(std::move(message), kind);
    failed.statement_type = "DML";
    return failed;
  };
  if (!write.ok()) return fail(write.error());
  if (ReadKindOf(table.spec) == ReadKind::OpenCsv) {
    // OpenCSVSerde's files: quoted where needed with its quoteChar, a quote doubled inside quotes.
    auto property = [&](const char* key, const char* fallback) {
      const std::string* value = FindProperty(table.spec.serde_properties, key);
      return value != nullptr && !value->empty() ? *value : std::string(fallback);
    };
    const std::string quote = property("quoteChar", "\"");
    write->copy_options = "FORMAT CSV, HEADER false, DELIMITER " + QuoteString(property("separatorChar", ",")) +
                          ", QUOTE " + QuoteString(quote) + ", ESCAPE " + QuoteString(quote) + ", NULLSTR '', COMPRESSION gzip";
  }
  auto directory = TargetDirectory(context, table.spec.location, true, "table");
  if (!directory.ok()) return fail(directory.error());
  auto query = Translated(context, insert.query);
  if (!query.ok()) return fail(query.error());
  auto columns = QueryColumns(context, *query);
  if (!columns.ok()) return fail(columns.error());

  std::vector<const ColumnSpec*> targets;
  for (const auto* list : {&table.spec.columns, &table.spec.partition_columns}) {
    for (const auto& column : *list) targets.push_back(&column);
  }
  // Which query column feeds each table column (by the INSERT's column list, else by position).
  std::vector<int> source(targets.size(), -1);
  if (insert.columns.empty()) {
    if (columns->size() != targets.size()) {
      return fail("Insert query has mismatched column types: Table has " + std::to_string(targets.size()) +
                  " columns, query has " + std::to_string(columns->size()));
    }
    for (std::size_t i = 0; i < targets.size(); ++i) source[i] = static_cast<int>(i);
  } else {
    if (insert.columns.size() != columns->size()) {
      return fail("Insert query has mismatched column types: " + std::to_string(insert.columns.size()) +
                  " columns named, query has " + std::to_string(columns->size()));
    }
    for (std::size_t k = 0; k < insert.columns.size(); ++k) {
      auto found = std::find_if(targets.begin(), targets.end(), [&](const ColumnSpec* c) { return c->name == insert.columns[k]; });
      if (found == targets.end()) return fail("Insert column name does not exist in target table: " + insert.columns[k]);
      if (source[found - targets.begin()] != -1) return fail("Insert column name is specified more than once: " + insert.columns[k]);
      source[found - targets.begin()] = static_cast<int>(k);
    }
  }
  std::string aliases;
  for (std::size_t k = 0; k < columns->size(); ++k) aliases += (k > 0 ? ", " : "") + QuoteIdentifier("c" + std::to_string(k));
  std::string select;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::string type = EngineTypeText(targets[i]->type);
    std::string value = source[i] < 0 ? "NULL" : QuoteIdentifier("c" + std::to_string(source[i]));
    select += (i > 0 ? ", " : "") + ("CAST(" + value + " AS " + type + ") AS " + QuoteIdentifier(targets[i]->name));
  }
  std::string shaped = "SELECT " + select + " FROM (" + *query + ") AS mallard_insert(" + aliases + ")";
  std::vector<std::string> partition_by;
  for (const auto& column : table.spec.partition_columns) partition_by.push_back(column.name);
  plan.service_copies.push_back(plan.statements.size());
  plan.statements.push_back(CopyStatement(shaped, *directory, *write, partition_by, context.query_id, true));
  plan.written_location = WithSlash(table.spec.location);
  plan.substatement_type = kind;
  if (!partition_by.empty() && !ProjectionEnabled(table.spec)) {
    plan.after_success = [context, database = table.database, name = table.spec.table.name] {
      if (context.catalog_owner) RegisterWrittenPartitions(*context.catalog_owner, context, database, name);
    };
  }
  return plan;
}

ExternalPlan PlanUnload(const ExternalContext& context, const Unload& unload) {
  const char* kind = "UNLOAD";
  auto fail = [&](std::string message) {
    ExternalPlan failed = Failed(std::move(message), kind);
    failed.statement_type = "DML";
    return failed;
  };
  static const std::vector<std::string> known = {"format", "compression", "field_delimiter", "partitioned_by",
                                                 "compression_level"};
  for (const auto& property : unload.with) {
    if (std::find(known.begin(), known.end(), property.name) == known.end()) {
      return fail("Unsupported UNLOAD property: " + property.name);
    }
  }
  auto write = ChooseFormat(StringWith(unload.with, "format"), StringWith(unload.with, "compression"),
                            StringWith(unload.with, "field_delimiter"));
  if (!write.ok()) return fail(write.error());
  auto directory = TargetDirectory(context, unload.location, false, "UNLOAD");
  if (!directory.ok()) return fail(directory.error());
  auto query = Translated(context, unload.query);
  if (!query.ok()) return fail(query.error());
  std::vector<std::string> partition_by;
  if (const WithProperty* partitioned = FindWith(unload.with, "partitioned_by")) partition_by = partitioned->list;
  if (!partition_by.empty()) {
    auto columns = QueryColumns(context, *query);
    if (!columns.ok()) return fail(columns.error());
    for (const auto& name : partition_by) {
      bool found = std::any_of(columns->begin(), columns->end(), [&](const sqlengine::SqlColumn& column) {
        std::string lowered = column.name;
        for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return lowered == name;
      });
      if (!found) return fail("Partition column " + name + " is not a column of the query");
    }
  }
  ExternalPlan plan;
  plan.statement_type = "DML";
  plan.substatement_type = kind;
  plan.service_copies.push_back(plan.statements.size());
  plan.statements.push_back(CopyStatement(*query, *directory, *write, partition_by, context.query_id, false));
  plan.written_location = WithSlash(unload.location);
  return plan;
}

void WriteDataManifest(const ExternalContext& context, const std::string& written_location,
                       const std::string& manifest_location) {
  if (context.files == nullptr) return;
  auto written = context.files->Resolve(written_location);
  auto manifest = context.files->Resolve(manifest_location);
  if (!written.ok() || !manifest.ok()) return;
  std::vector<std::string> urls;
  std::error_code error;
  std::filesystem::recursive_directory_iterator entries(written->directory, error), end;
  for (; !error && entries != end; entries.increment(error)) {
    std::error_code status_error;
    if (!entries->is_regular_file(status_error)) continue;
    if (entries->path().filename().string().rfind(context.query_id, 0) != 0) continue;
    urls.push_back(written_location + entries->path().lexically_relative(written->directory).generic_string());
  }
  std::sort(urls.begin(), urls.end());
  std::string body;
  for (const auto& url : urls) body += url + "\n";
  std::filesystem::create_directories(manifest->directory.parent_path(), error);
  // Written in the store's own temporary directory (same file system, never listed as an object)
  // and renamed into place: a reader never sees half a manifest.
  std::filesystem::path staging = context.files->Root() / ".mallard-s3" / "tmp";
  if (!std::filesystem::is_directory(staging, error)) staging = manifest->directory.parent_path();
  const std::filesystem::path temporary = staging / (".athena-" + context.query_id + "-manifest.tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << body;
    if (!out) return;
  }
  std::filesystem::rename(temporary, manifest->directory, error);
}

void RegisterWrittenPartitions(ExternalCatalog& catalog, const ExternalContext& context, const std::string& database,
                               const std::string& name) {
  if (context.files == nullptr) return;
  auto found = catalog.Find(database, name);
  if (!found || ProjectionEnabled(found->spec)) return;
  std::lock_guard persist(catalog.PersistMutex());
  found = catalog.Find(database, name);  // again, under the lock: the latest state
  if (!found) return;
  ExternalTable table = *found;
  auto discovered = DiscoverPartitionDirectories(table, *context.files);
  if (!discovered.ok()) return;
  bool added = false;
  for (const auto& values : *discovered) {
    PartitionSpec spec;
    for (std::size_t i = 0; i < values.size(); ++i) spec.values.emplace_back(table.spec.partition_columns[i].name, values[i]);
    bool known = std::any_of(table.partitions.begin(), table.partitions.end(),
                             [&](const PartitionSpec& partition) { return partition.values == spec.values; });
    if (known || values.size() != table.spec.partition_columns.size()) continue;
    table.partitions.push_back(std::move(spec));
    added = true;
  }
  if (!added) return;
  auto statements = RegisterStatements(catalog, context, table, true);
  if (!statements.ok()) return;
  sqlengine::QueryRequest request;
  request.statements = std::move(statements).value();
  request.single_transaction = true;
  auto outcomes = context.engine->Prepare(std::move(request))->Run();
  if (outcomes.empty() || !outcomes.back().succeeded) catalog.MarkStale();
}

}  // namespace mallard::athena::external
