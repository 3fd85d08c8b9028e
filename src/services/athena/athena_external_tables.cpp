#include "services/athena/athena_external_tables.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <system_error>

#include "services/athena/athena_external_projection.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::athena::external {
namespace json = boost::json;
using sqlengine::dialect::QuoteIdentifier;
using sqlengine::dialect::QuoteString;

namespace {

// ---- the definition as JSON -------------------------------------------------------------------

json::value TypeJson(const HiveType& type) {
  json::object object{{"name", type.name}};
  if (!type.parameters.empty()) {
    json::array parameters;
    for (int parameter : type.parameters) parameters.emplace_back(parameter);
    object["parameters"] = std::move(parameters);
  }
  if (!type.children.empty()) {
    json::array children;
    for (const auto& child : type.children) children.push_back(TypeJson(child));
    object["children"] = std::move(children);
  }
  if (!type.field_names.empty()) {
    json::array names;
    for (const auto& name : type.field_names) names.emplace_back(name);
    object["fields"] = std::move(names);
  }
  return object;
}

bool TypeFromJson(const json::value& value, HiveType& type, int depth) {
  if (depth > 64 || !value.is_object()) return false;
  const auto& object = value.get_object();
  const auto* name = object.if_contains("name");
  if (name == nullptr || !name->is_string()) return false;
  type.name = std::string(name->get_string());
  if (const auto* parameters = object.if_contains("parameters"); parameters && parameters->is_array()) {
    for (const auto& parameter : parameters->get_array()) {
      if (!parameter.is_int64()) return false;
      type.parameters.push_back(static_cast<int>(parameter.get_int64()));
    }
  }
  if (const auto* children = object.if_contains("children"); children && children->is_array()) {
    for (const auto& child : children->get_array()) {
      type.children.emplace_back();
      if (!TypeFromJson(child, type.children.back(), depth + 1)) return false;
    }
  }
  if (const auto* fields = object.if_contains("fields"); fields && fields->is_array()) {
    for (const auto& field : fields->get_array()) {
      if (!field.is_string()) return false;
      type.field_names.emplace_back(field.get_string());
    }
  }
  if (type.name == "decimal" && type.parameters.size() != 2) return false;
  if (type.name == "array" && type.children.size() != 1) return false;
  if (type.name == "map" && type.children.size() != 2) return false;
  if (type.name == "struct" && type.children.size() != type.field_names.size()) return false;
  return true;
}

json::array ColumnsJson(const std::vector<ColumnSpec>& columns) {
  json::array array;
  for (const auto& column : columns) {
    array.push_back(json::object{{"name", column.name}, {"type", TypeJson(column.type)}, {"comment", column.comment}});
  }
  return array;
}

bool ColumnsFromJson(const json::value* value, std::vector<ColumnSpec>& columns) {
  if (value == nullptr || !value->is_array()) return false;
  for (const auto& item : value->get_array()) {
    if (!item.is_object()) return false;
    ColumnSpec column;
    const auto* name = item.get_object().if_contains("name");
    const auto* type = item.get_object().if_contains("type");
    const auto* comment = item.get_object().if_contains("comment");
    if (name == nullptr || !name->is_string() || type == nullptr || !TypeFromJson(*type, column.type, 0)) return false;
    column.name = std::string(name->get_string());
    if (comment != nullptr && comment->is_string()) column.comment = std::string(comment->get_string());
    columns.push_back(std::move(column));
  }
  return true;
}

json::array PropertiesJson(const Properties& properties) {
  json::array array;
  for (const auto& [key, value] : properties) array.push_back(json::array{json::string(key), json::string(value)});
  return array;
}

bool PropertiesFromJson(const json::value* value, Properties& properties) {
  if (value == nullptr) return true;
  if (!value->is_array()) return false;
  for (const auto& item : value->get_array()) {
    if (!item.is_array() || item.get_array().size() != 2 || !item.get_array()[0].is_string() ||
        !item.get_array()[1].is_string()) {
      return false;
    }
    properties.emplace_back(std::string(item.get_array()[0].get_string()), std::string(item.get_array()[1].get_string()));
  }
  return true;
}

std::string Text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// ---- files --------------------------------------------------------------------------------------

bool Hidden(const std::string& name) { return name.empty() || name[0] == '_' || name[0] == '.'; }
bool GlobSafe(const std::string& path) { return path.find_first_of("*?[]{}") == std::string::npos; }

constexpr std::size_t kMaxWalkDepth = 64;
constexpr std::size_t kMaxDataDirectories = 100000;

// Directories at or below `directory` (skipping hidden ones) that directly hold a data file: a
// regular, non-empty file whose name does not start with `_` or `.`.
void CollectDataDirectories(const std::filesystem::path& directory, std::size_t depth,
                            std::vector<std::filesystem::path>& out) {
  if (depth > kMaxWalkDepth || out.size() >= kMaxDataDirectories) return;
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) return;
  bool has_file = false;
  std::vector<std::filesystem::path> children;
  for (const auto& entry : entries) {
    std::string name = entry.path().filename().string();
    if (Hidden(name)) continue;
    std::error_code status_error;
    auto status = entry.symlink_status(status_error);
    if (status_error) continue;
    if (std::filesystem::is_regular_file(status)) {
      if (!has_file && entry.file_size(status_error) > 0 && !status_error && GlobSafe(name)) has_file = true;
    } else if (std::filesystem::is_directory(status) && GlobSafe(name)) {
      children.push_back(entry.path());
    }
  }
  if (has_file) out.push_back(directory);
  std::sort(children.begin(), children.end());
  for (const auto& child : children) CollectDataDirectories(child, depth + 1, out);
}

std::string EngineType(const HiveType& type) { return EngineTypeText(type); }

bool IsPrimitive(const HiveType& type) { return type.children.empty(); }

std::string NullOf(const ColumnSpec& column) { return "NULL::" + EngineType(column.type) + " AS " + QuoteIdentifier(column.name); }

std::string Delimiter(const ExternalTableSpec& spec, std::string_view key, std::string fallback) {
  const std::string* value = FindProperty(spec.serde_properties, key);
  return value != nullptr && !value->empty() ? *value : fallback;
}

std::string SkipLines(const ExternalTableSpec& spec) {
  const std::string* skip = FindProperty(spec.table_properties, "skip.header.line.count");
  if (skip == nullptr || skip->empty() || skip->size() > 6 || skip->find_first_not_of("0123456789") != std::string::npos) {
    return "0";
  }
  return *skip;
}

std::string TextColumns(std::size_t count) {
  std::string columns = "{";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) columns += ", ";
    columns += "'c" + std::to_string(i) + "': 'VARCHAR'";
  }
  return columns + "}";
}

// The SELECT list and FROM of one source.
std::string SourceBranch(const ExternalTable& table, const Source& source) {
  const ExternalTableSpec& spec = table.spec;
  const std::string glob = QuoteString((source.directory / "[!_.]*").string());
  const ReadKind kind = ReadKindOf(spec);
  std::vector<std::string> select;
  std::string from;
  switch (kind) {
    case ReadKind::Parquet: {
      std::string typed_empty;
      for (const auto& column : spec.columns) typed_empty += (typed_empty.empty() ? "" : ", ") + NullOf(column);
      from = "(SELECT " + typed_empty + " WHERE false) UNION ALL BY NAME (SELECT * FROM read_parquet(" + glob +
             ", union_by_name = true, hive_partitioning = false))";
      for (const auto& column : spec.columns) {
        select.push_back("TRY_CAST(" + QuoteIdentifier(column.name) + " AS " + EngineType(column.type) + ") AS " +
                         QuoteIdentifier(column.name));
      }
      from = "(" + from + ")";
      break;
    }
    case ReadKind::Json: {
      // One JSON value per line; each column is the value of the key with its name in any case,
      // as the openx and hcatalog serdes lower-case keys (openx's `mapping.<column>` names another
      // key). Scalars are converted from their text, so "2" reads as 2 in an int column.
      const std::string* malformed = FindProperty(spec.serde_properties, "ignore.malformed.json");
      const bool ignore_malformed = malformed != nullptr && (*malformed == "true" || *malformed == "TRUE");
      from = "read_json_objects(" + glob + ", format = 'newline_delimited', hive_partitioning = false" +
             (ignore_malformed ? ", ignore_errors = true" : "") + ")";
      for (const auto& column : spec.columns) {
        std::string key;
        if (const std::string* mapped = FindProperty(spec.serde_properties, "mapping." + column.name)) {
          key = QuoteString(*mapped);
        } else {
          key = "list_filter(json_keys(\"json\"), lambda k: lower(k) = " + QuoteString(column.name) + ")[1]";
        }
        const std::string pointer = "'/' || replace(replace(" + key + ", '~', '~0'), '/', '~1')";
        const std::string& type = column.type.name;
        std::string expression;
        if (type == "string" || type == "varchar" || type == "char") {
          expression = "json_extract_string(\"json\", " + pointer + ")";
        } else if (type == "array" || type == "map" || type == "struct") {
          expression = "TRY_CAST(json_extract(\"json\", " + pointer + ") AS " + EngineType(column.type) + ")";
        } else {
          expression = "TRY_CAST(json_extract_string(\"json\", " + pointer + ") AS " + EngineType(column.type) + ")";
        }
        select.push_back(expression + " AS " + QuoteIdentifier(column.name));
      }
      break;
    }
    case ReadKind::DelimitedText:
    case ReadKind::OpenCsv: {
      const bool open_csv = kind == ReadKind::OpenCsv;
      std::string options = "columns = " + TextColumns(spec.columns.size()) +
                            ", header = false, auto_detect = false, null_padding = true, strict_mode = false, "
                            "hive_partitioning = false, skip = " + SkipLines(spec);
      if (open_csv) {
        // OpenCSV reads a doubled quote inside quotes as one quote whatever its escapeChar; DuckDB
        // has one escape character, so the doubled quote wins over a backslash escapeChar (README).
        const std::string quote = Delimiter(spec, "quoteChar", "\"");
        std::string escape = Delimiter(spec, "escapeChar", "\\");
        if (escape == "\\") escape = quote;
        options += ", delim = " + QuoteString(Delimiter(spec, "separatorChar", ",")) + ", quote = " + QuoteString(quote) +
                   ", escape = " + QuoteString(escape);
      } else {
        options += ", delim = " + QuoteString(Delimiter(spec, "field.delim", "\x01")) +
                   ", quote = '', escape = '', nullstr = " + QuoteString(Delimiter(spec, "serialization.null.format", "\\N"));
      }
      from = "read_csv(" + glob + ", " + options + ")";
      for (std::size_t i = 0; i < spec.columns.size(); ++i) {
        const ColumnSpec& column = spec.columns[i];
        std::string field = QuoteIdentifier("c" + std::to_string(i));
        std::string expression;
        const std::string& type = column.type.name;
        if (type == "string" || type == "varchar" || type == "char") {
          expression = open_csv ? "COALESCE(" + field + ", '')" : field;
        } else if (type == "array") {
          expression = "TRY_CAST(string_split(" + field + ", " + QuoteString(Delimiter(spec, "collection.delim", "\x02")) +
                       ") AS " + EngineType(column.type) + ")";
        } else if (type == "map" && IsPrimitive(column.type.children[0]) && IsPrimitive(column.type.children[1])) {
          // k1:v1<collection.delim>k2:v2, keys and values by mapkey.delim (Hive's \002 and \003).
          expression = "TRY_CAST(map_from_entries(list_transform(string_split(" + field + ", " +
                       QuoteString(Delimiter(spec, "collection.delim", "\x02")) + "), lambda e: {'k': split_part(e, " +
                       QuoteString(Delimiter(spec, "mapkey.delim", "\x03")) + ", 1), 'v': split_part(e, " +
                       QuoteString(Delimiter(spec, "mapkey.delim", "\x03")) + ", 2)})) AS " + EngineType(column.type) + ")";
        } else if (type == "struct" && std::all_of(column.type.children.begin(), column.type.children.end(), IsPrimitive)) {
          // Fields in order, separated by collection.delim.
          std::string fields;
          const std::string parts = "string_split(" + field + ", " + QuoteString(Delimiter(spec, "collection.delim", "\x02")) + ")";
          for (std::size_t f = 0; f < column.type.children.size(); ++f) {
            fields += (f > 0 ? ", " : "") + QuoteIdentifier(column.type.field_names[f]) + " := TRY_CAST(" + parts + "[" +
                      std::to_string(f + 1) + "] AS " + EngineType(column.type.children[f]) + ")";
          }
          expression = "CASE WHEN " + field + " IS NULL THEN NULL ELSE struct_pack(" + fields + ") END";
        } else if (type == "map" || type == "struct") {
          expression = "NULL::" + EngineType(column.type);  // nested collections in text are not read (README)
        } else {
          expression = "TRY_CAST(" + field + " AS " + EngineType(column.type) + ")";
        }
        select.push_back(expression + " AS " + QuoteIdentifier(column.name));
      }
      break;
    }
    case ReadKind::Orc:
    case ReadKind::Avro:
    case ReadKind::Unsupported: {
      // DuckDB 1.4.4 reads neither without extensions the engine may not load: a query over files
      // fails with Athena's error category, an empty location reads no rows.
      const std::string format = kind == ReadKind::Orc ? "ORC" : kind == ReadKind::Avro ? "Avro" : spec.serde;
      for (std::size_t i = 0; i < spec.columns.size(); ++i) {
        const ColumnSpec& column = spec.columns[i];
        select.push_back(i == 0 ? "CAST(error(" +
                                      QuoteString("NOT_SUPPORTED: reading " + format + " files is not supported (table " +
                                                  table.database + "." + spec.table.name + "); use Parquet, JSON or text") +
                                      ") AS " + EngineType(column.type) + ") AS " + QuoteIdentifier(column.name)
                                : NullOf(column));
      }
      from = "range(1)";
      break;
    }
  }
  for (std::size_t i = 0; i < spec.partition_columns.size(); ++i) {
    const ColumnSpec& column = spec.partition_columns[i];
    const std::string& value = i < source.partition_values.size() ? source.partition_values[i] : std::string();
    if (value == "__HIVE_DEFAULT_PARTITION__") {
      select.push_back(NullOf(column));
    } else {
      select.push_back("TRY_CAST(" + QuoteString(value) + " AS " + EngineType(column.type) + ") AS " +
                       QuoteIdentifier(column.name));
    }
  }
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < select.size(); ++i) sql += (i > 0 ? ", " : "") + select[i];
  return sql + " FROM " + from;
}

}  // namespace

std::string DefinitionJson(const ExternalTable& table) {
  const ExternalTableSpec& spec = table.spec;
  json::array partitions;
  for (const auto& partition : table.partitions) {
    json::array values;
    for (const auto& [key, value] : partition.values) values.push_back(json::array{json::string(key), json::string(value)});
    partitions.push_back(json::object{{"values", std::move(values)}, {"location", partition.location}});
  }
  json::object object{{"version", 1},
                      {"database", table.database},
                      {"name", spec.table.name},
                      {"columns", ColumnsJson(spec.columns)},
                      {"partition_columns", ColumnsJson(spec.partition_columns)},
                      {"comment", spec.comment},
                      {"format", static_cast<int>(spec.format)},
                      {"serde", spec.serde},
                      {"serde_properties", PropertiesJson(spec.serde_properties)},
                      {"input_format", spec.input_format},
                      {"output_format", spec.output_format},
                      {"location", spec.location},
                      {"table_properties", PropertiesJson(spec.table_properties)},
                      {"partitions", std::move(partitions)},
                      {"created", table.created_seconds}};
  return json::serialize(object);
}

Result<ExternalTable, std::string> ParseDefinitionJson(std::string_view text) {
  json::parse_options options;
  options.max_depth = 10000;
  boost::system::error_code error;
  json::value value = json::parse(text, error, {}, options);
  if (error || !value.is_object()) return Fail(std::string("the external table definition is not JSON"));
  const auto& object = value.get_object();
  ExternalTable table;
  table.database = Text(object, "database");
  table.spec.table.database = table.database;
  table.spec.table.name = Text(object, "name");
  table.spec.comment = Text(object, "comment");
  table.spec.serde = Text(object, "serde");
  table.spec.input_format = Text(object, "input_format");
  table.spec.output_format = Text(object, "output_format");
  table.spec.location = Text(object, "location");
  if (const auto* format = object.if_contains("format"); format && format->is_int64()) {
    table.spec.format = static_cast<StorageFormat>(std::clamp<std::int64_t>(format->get_int64(), 0, 5));
  }
  if (const auto* created = object.if_contains("created"); created && created->is_int64()) {
    table.created_seconds = created->get_int64();
  }
  if (!ColumnsFromJson(object.if_contains("columns"), table.spec.columns) ||
      !ColumnsFromJson(object.if_contains("partition_columns"), table.spec.partition_columns) ||
      !PropertiesFromJson(object.if_contains("serde_properties"), table.spec.serde_properties) ||
      !PropertiesFromJson(object.if_contains("table_properties"), table.spec.table_properties)) {
    return Fail(std::string("the external table definition is damaged"));
  }
  if (const auto* partitions = object.if_contains("partitions"); partitions && partitions->is_array()) {
    for (const auto& item : partitions->get_array()) {
      if (!item.is_object()) continue;
      PartitionSpec partition;
      Properties values;
      if (!PropertiesFromJson(item.get_object().if_contains("values"), values)) continue;
      partition.values.assign(values.begin(), values.end());
      partition.location = Text(item.get_object(), "location");
      table.partitions.push_back(std::move(partition));
    }
  }
  if (table.spec.table.name.empty() || table.database.empty()) return Fail(std::string("the external table definition has no name"));
  return table;
}

std::vector<std::string> MetadataSetupStatements() {
  return {std::string("CREATE SCHEMA IF NOT EXISTS ") + kMetadataSchema,
          std::string("CREATE TABLE IF NOT EXISTS ") + kMetadataTable +
              " (database_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL, definition VARCHAR NOT NULL, "
              "PRIMARY KEY (database_name, table_name))"};
}

std::string MetadataDeleteStatement(const std::string& database, const std::string& name) {
  return std::string("DELETE FROM ") + kMetadataTable + " WHERE database_name = " + QuoteString(database) +
         " AND table_name = " + QuoteString(name);
}

std::string MetadataInsertStatement(const ExternalTable& table) {
  return std::string("INSERT INTO ") + kMetadataTable + " VALUES (" + QuoteString(table.database) + ", " +
         QuoteString(table.spec.table.name) + ", " + QuoteString(DefinitionJson(table)) + ")";
}

std::string WithSlash(std::string location) {
  while (!location.empty() && location.back() == '/') location.pop_back();
  return location + "/";
}

std::string EscapePartitionValue(std::string_view value) {
  // Hive's FileUtils.escapePathName: control characters and "#%'*/:=?\\{[]^ and DEL as %XX.
  static const std::string_view kEscaped = "\"#%'*/:=?\\{[]^";
  std::string out;
  for (char c : value) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || kEscaped.find(c) != std::string_view::npos) {
      static const char* kHex = "0123456789ABCDEF";
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::string UnescapePartitionValue(std::string_view value) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size() && hex(value[i + 1]) >= 0 && hex(value[i + 2]) >= 0) {
      out += static_cast<char>(hex(value[i + 1]) * 16 + hex(value[i + 2]));
      i += 2;
    } else {
      out += value[i];
    }
  }
  return out;
}

std::string PartitionPath(const std::vector<std::string>& keys, const std::vector<std::string>& values) {
  std::string path;
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i) {
    if (i > 0) path += "/";
    path += EscapePartitionValue(keys[i]) + "=" + EscapePartitionValue(values[i]);
  }
  return path;
}

bool HasDataFiles(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> found;
  CollectDataDirectories(directory, 0, found);
  return !found.empty();
}

Result<std::vector<PartitionSpec>, std::string> EffectivePartitions(const ExternalTable& table,
                                                                    const services::S3LocalFiles& files,
                                                                    std::int64_t now_seconds) {
  if (ProjectionEnabled(table.spec)) return ProjectedPartitions(table, files, now_seconds);
  std::vector<PartitionSpec> partitions = table.partitions;
  std::vector<std::string> keys;
  for (const auto& column : table.spec.partition_columns) keys.push_back(column.name);
  for (auto& partition : partitions) {
    if (partition.location.empty()) {
      std::vector<std::string> values;
      for (const auto& [key, value] : partition.values) values.push_back(value);
      partition.location = WithSlash(table.spec.location) + PartitionPath(keys, values) + "/";
    }
  }
  return partitions;
}

Result<std::vector<Source>, std::string> CurrentSources(const ExternalTable& table, const services::S3LocalFiles& files,
                                                        std::int64_t now_seconds) {
  std::vector<Source> sources;
  auto add = [&](const std::string& location, std::vector<std::string> values) -> Status<std::string> {
    auto resolved = files.Resolve(location);
    if (!resolved.ok()) return Fail(resolved.error());
    if (!GlobSafe(resolved->directory.string())) {
      return Fail("the location " + location + " has a character the engine's file patterns reserve (* ? [ ] { })");
    }
    std::vector<std::filesystem::path> directories;
    CollectDataDirectories(resolved->directory, 0, directories);
    for (auto& directory : directories) sources.push_back(Source{std::move(directory), values});
    return Done{};
  };
  if (table.spec.partition_columns.empty()) {
    MALLARD_RETURN_IF_ERROR(add(table.spec.location, {}));
    return sources;
  }
  MALLARD_ASSIGN_OR_RETURN(auto partitions, EffectivePartitions(table, files, now_seconds));
  for (const auto& partition : partitions) {
    std::vector<std::string> values;
    for (const auto& [key, value] : partition.values) values.push_back(value);
    MALLARD_RETURN_IF_ERROR(add(partition.location, std::move(values)));
  }
  return sources;
}

std::string SourceSignature(const std::vector<Source>& sources) {
  std::string signature;
  for (const auto& source : sources) {
    signature += source.directory.string();
    for (const auto& value : source.partition_values) signature += '\x1f' + value;
    signature += '\x1e';
  }
  return signature;
}

std::string ViewStatement(const ExternalTable& table, const std::string& engine_schema,
                          const std::vector<Source>& sources) {
  std::string body;
  if (sources.empty()) {
    body = "SELECT ";
    bool first = true;
    for (const auto* columns : {&table.spec.columns, &table.spec.partition_columns}) {
      for (const auto& column : *columns) {
        body += (first ? "" : ", ") + NullOf(column);
        first = false;
      }
    }
    body += " WHERE false";
  } else {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (i > 0) body += "\nUNION ALL ";
      body += SourceBranch(table, sources[i]);
    }
  }
  return "CREATE OR REPLACE VIEW " + QuoteIdentifier(engine_schema) + "." + QuoteIdentifier(table.spec.table.name) +
         " AS " + body;
}

std::string ViewMarkerStatement(const ExternalTable& table, const std::string& engine_schema) {
  return "COMMENT ON VIEW " + QuoteIdentifier(engine_schema) + "." + QuoteIdentifier(table.spec.table.name) + " IS '" +
         std::string(kExternalViewComment) + "'";
}

// ---- the mirror ---------------------------------------------------------------------------------

void ExternalCatalog::MarkStale() {
  std::lock_guard lock(mutex_);
  loaded_ = false;
  tables_.clear();
  signatures_.clear();
}

bool ExternalCatalog::Loaded() {
  std::lock_guard lock(mutex_);
  return loaded_;
}

Status<std::string> ExternalCatalog::Load(sqlengine::SqlEngine& engine) {
  {
    std::lock_guard lock(mutex_);
    if (loaded_) return Done{};
  }
  std::map<std::pair<std::string, std::string>, ExternalTable> tables;
  auto exists = RunNow(engine, {std::string("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                                            "AND schema_name = '") + kMetadataSchema + "' AND table_name = 'external_tables'"});
  if (exists.ok() && !exists->empty() && !exists->front().empty() && exists->front()[0].integer > 0) {
    MALLARD_ASSIGN_OR_RETURN(auto rows, RunNow(engine, {std::string("SELECT definition FROM ") + kMetadataTable}));
    for (const auto& row : rows) {
      if (row.empty()) continue;
      auto table = ParseDefinitionJson(row[0].text);
      if (!table.ok()) continue;  // a damaged row is skipped rather than hiding every table
      tables[{table->database, table->spec.table.name}] = std::move(table).value();
    }
  }
  std::lock_guard lock(mutex_);
  if (!loaded_) {
    tables_ = std::move(tables);
    loaded_ = true;
  }
  return Done{};
}

std::optional<ExternalTable> ExternalCatalog::Find(const std::string& database, const std::string& name) {
  std::lock_guard lock(mutex_);
  auto found = tables_.find({database, name});
  if (found == tables_.end()) return std::nullopt;
  return found->second;
}

std::vector<ExternalTable> ExternalCatalog::All() {
  std::lock_guard lock(mutex_);
  std::vector<ExternalTable> all;
  for (const auto& [key, table] : tables_) all.push_back(table);
  return all;
}

std::vector<std::pair<std::string, std::string>> ExternalCatalog::Names() {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> names;
  names.reserve(tables_.size());
  for (const auto& [key, table] : tables_) names.push_back(key);
  return names;
}

void ExternalCatalog::Put(const ExternalTable& table) {
  std::lock_guard lock(mutex_);
  tables_[{table.database, table.spec.table.name}] = table;
}

void ExternalCatalog::Erase(const std::string& database, const std::string& name) {
  std::lock_guard lock(mutex_);
  tables_.erase({database, name});
  signatures_.erase({database, name});
}

bool ExternalCatalog::UpdateSignature(const std::string& database, const std::string& name, const std::string& signature) {
  std::lock_guard lock(mutex_);
  // "" in the map stands for "never built"; a table without sources has the signature "\x1d".
  const std::string normalized = signature.empty() ? std::string("\x1d") : signature;
  auto& current = signatures_[{database, name}];
  if (current == normalized) return false;
  current = normalized;
  return true;
}

Result<std::vector<sqlengine::SqlRow>, std::string> RunNow(sqlengine::SqlEngine& engine,
                                                           std::vector<std::string> statements) {
  sqlengine::QueryRequest request;
  request.statements = std::move(statements);
  auto query = engine.Prepare(std::move(request));
  auto outcomes = query->Run();
  if (outcomes.empty()) return std::vector<sqlengine::SqlRow>{};
  if (!outcomes.back().succeeded) return Fail(outcomes.back().error_message);
  return std::move(outcomes.back().rows);
}

}  // namespace mallard::athena::external
