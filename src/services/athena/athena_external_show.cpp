#include "services/athena/athena_external_show.hpp"

#include <algorithm>

#include "services/athena/athena_types.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::athena::external {
using sqlengine::dialect::QuoteIdentifier;
using sqlengine::dialect::QuoteString;

namespace {

std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

ExternalPlan Answer(std::string substatement_type, const std::vector<std::string>& columns,
                    const std::vector<std::vector<std::string>>& rows) {
  ExternalPlan plan;
  plan.substatement_type = std::move(substatement_type);
  plan.statements.push_back(SelectRows(columns, rows));
  return plan;
}

// Hive's SHOW TABLES pattern (`*` and `.*` any run, `.` one character, `|` alternatives) as SQL:
// one LIKE per alternative on the lower-cased name.
std::string PatternCondition(const std::string& column, const std::string& pattern) {
  std::string condition;
  std::size_t start = 0;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find('|', start);
    if (end == std::string::npos) end = pattern.size();
    std::string like;
    for (std::size_t i = start; i < end; ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(pattern[i])));
      if (c == '.' && i + 1 < end && pattern[i + 1] == '*') {
        like += '%';
        ++i;
      } else if (c == '*') {
        like += '%';
      } else if (c == '.') {
        like += '_';
      } else if (c == '%' || c == '_' || c == '\\') {
        like += '\\';
        like += c;
      } else {
        like += c;
      }
    }
    condition += (condition.empty() ? "" : " OR ") + ("lower(" + column + ") LIKE " + QuoteString(like) + " ESCAPE '\\'");
    start = end + 1;
  }
  return "(" + condition + ")";
}

std::string TypeText(const HiveType& type) { return HiveTypeText(type); }

std::string QuotedProperties(const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string text;
  for (std::size_t i = 0; i < properties.size(); ++i) {
    text += "  " + QuoteString(properties[i].first) + "=" + QuoteString(properties[i].second);
    if (i + 1 < properties.size()) text += ", ";
    text += "\n";
  }
  return text;
}

}  // namespace

std::string SelectRows(const std::vector<std::string>& columns, const std::vector<std::vector<std::string>>& rows) {
  std::string names;
  for (std::size_t i = 0; i < columns.size(); ++i) names += (i > 0 ? ", " : "") + QuoteIdentifier(columns[i]);
  if (rows.empty()) {
    std::string select = "SELECT ";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      select += (i > 0 ? ", " : "") + ("NULL::VARCHAR AS " + QuoteIdentifier(columns[i]));
    }
    return select + " WHERE false";
  }
  std::string values;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    values += r > 0 ? ", (" : "(";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string& cell = i < rows[r].size() ? rows[r][i] : std::string();
      values += (i > 0 ? ", " : "") + QuoteString(cell) + "::VARCHAR";
    }
    values += ")";
  }
  return "SELECT * FROM (VALUES " + values + ") AS answer(" + names + ")";
}

ExternalPlan PlanShowTables(const ExternalContext& context, const ShowTables& show) {
  const std::string database = show.database.empty() ? context.database : show.database;
  if (!EngineHasDatabase(context, database)) {
    return Failed("FAILED: SemanticException [Error 10072]: Database does not exist: " + database, "SHOW_TABLES");
  }
  const std::string schema = QuoteString(context.engine_schema(database));
  std::string sql =
      "SELECT tab_name FROM (SELECT lower(table_name) AS tab_name FROM duckdb_tables() WHERE database_name = "
      "current_database() AND schema_name = " + schema + " AND NOT internal UNION SELECT lower(view_name) FROM duckdb_views() "
      "WHERE database_name = current_database() AND schema_name = " + schema + " AND NOT internal AND NOT temporary)";
  if (show.pattern) sql += " WHERE " + PatternCondition("tab_name", *show.pattern);
  ExternalPlan plan;
  plan.substatement_type = "SHOW_TABLES";
  plan.statements.push_back(sql + " ORDER BY tab_name");
  return plan;
}

ExternalPlan PlanShowDatabases(const ExternalContext& context, const ShowDatabases& show) {
  auto schemas = context.engine->ListSchemas();
  if (!schemas.ok()) return Failed(schemas.error(), "SHOW_DATABASES");
  std::vector<std::string> names;
  for (const auto& schema : *schemas) {
    std::string name = schema == context.engine->DefaultSchema() ? "default" : Lowered(schema);
    if (show.pattern && !sqlengine::MatchesHivePattern(name, *show.pattern)) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<std::vector<std::string>> rows;
  for (auto& name : names) rows.push_back({std::move(name)});
  return Answer("SHOW_DATABASES", {"database_name"}, rows);
}

ExternalPlan PlanShowPartitions(const ExternalTable& table) {
  if (table.spec.partition_columns.empty()) {
    return Failed("FAILED: SemanticException [Error 10241]: Table " + table.spec.table.name + " is not a partitioned table",
                  "SHOW_PARTITIONS");
  }
  std::vector<std::string> keys;
  for (const auto& column : table.spec.partition_columns) keys.push_back(column.name);
  std::vector<std::string> names;
  for (const auto& partition : table.partitions) {
    std::vector<std::string> values;
    for (const auto& [key, value] : partition.values) values.push_back(value);
    names.push_back(PartitionPath(keys, values));
  }
  std::sort(names.begin(), names.end());
  std::vector<std::vector<std::string>> rows;
  for (auto& name : names) rows.push_back({std::move(name)});
  return Answer("SHOW_PARTITIONS", {"partition"}, rows);
}

ExternalPlan PlanShowTableProperties(const ExternalTable& table) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"EXTERNAL", "TRUE"});
  for (const auto& [key, value] : table.spec.table_properties) rows.push_back({key, value});
  rows.push_back({"transient_lastDdlTime", std::to_string(table.created_seconds)});
  return Answer("SHOW_TBLPROPERTIES", {"prpt_name", "prpt_value"}, rows);
}

std::vector<std::string> CreateTableText(const ExternalTable& table) {
  const ExternalTableSpec& spec = table.spec;
  std::string text = "CREATE EXTERNAL TABLE `" + table.database + "`.`" + spec.table.name + "`(\n";
  auto columns = [](const std::vector<ColumnSpec>& list) {
    std::string out;
    for (std::size_t i = 0; i < list.size(); ++i) {
      out += "  `" + list[i].name + "` " + TypeText(list[i].type);
      if (!list[i].comment.empty()) out += " COMMENT " + QuoteString(list[i].comment);
      out += i + 1 < list.size() ? ", \n" : ")\n";
    }
    return out;
  };
  text += columns(spec.columns);
  if (!spec.comment.empty()) text += "COMMENT " + QuoteString(spec.comment) + "\n";
  if (!spec.partition_columns.empty()) text += "PARTITIONED BY ( \n" + columns(spec.partition_columns);
  text += "ROW FORMAT SERDE \n  " + QuoteString(spec.serde) + " \n";
  if (!spec.serde_properties.empty()) text += "WITH SERDEPROPERTIES ( \n" + QuotedProperties(spec.serde_properties) + ") \n";
  text += "STORED AS INPUTFORMAT \n  " + QuoteString(spec.input_format) + " \nOUTPUTFORMAT \n  " +
          QuoteString(spec.output_format) + "\nLOCATION\n  " + QuoteString(spec.location) + "\n";
  std::vector<std::pair<std::string, std::string>> properties(spec.table_properties.begin(), spec.table_properties.end());
  properties.emplace_back("transient_lastDdlTime", std::to_string(table.created_seconds));
  text += "TBLPROPERTIES (\n" + QuotedProperties(properties) + ")";
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

ExternalPlan PlanShowCreateTable(const ExternalContext& context, const ExternalTable* table, const TableName& name) {
  std::vector<std::vector<std::string>> rows;
  if (table != nullptr) {
    for (auto& line : CreateTableText(*table)) rows.push_back({std::move(line)});
    return Answer("SHOW_CREATE_TABLE", {"createtab_stmt"}, rows);
  }
  const std::string database = name.database.empty() ? context.database : name.database;
  auto tables = context.engine->ListTables(context.engine_schema(database));
  if (!tables.ok()) return Failed(tables.error(), "SHOW_CREATE_TABLE");
  for (const auto& info : *tables) {
    if (Lowered(info.name) != name.name) continue;
    rows.push_back({"CREATE TABLE `" + database + "`.`" + name.name + "`("});
    for (std::size_t i = 0; i < info.columns.size(); ++i) {
      rows.push_back({"  `" + Lowered(info.columns[i].name) + "` " + HiveTypeName(info.columns[i].type) +
                      (i + 1 < info.columns.size() ? ", " : ")")});
    }
    return Answer("SHOW_CREATE_TABLE", {"createtab_stmt"}, rows);
  }
  return Failed(TableNotFound(database, name.name), "SHOW_CREATE_TABLE");
}

namespace {

// Columns (name, Hive type, comment) of an engine table, or nothing when it is not there.
std::optional<std::vector<std::vector<std::string>>> EngineColumns(const ExternalContext& context, const TableName& name) {
  const std::string database = name.database.empty() ? context.database : name.database;
  auto tables = context.engine->ListTables(context.engine_schema(database));
  if (!tables.ok()) return std::nullopt;
  for (const auto& info : *tables) {
    if (Lowered(info.name) != name.name) continue;
    std::vector<std::vector<std::string>> columns;
    for (const auto& column : info.columns) columns.push_back({Lowered(column.name), HiveTypeName(column.type), ""});
    return columns;
  }
  return std::nullopt;
}

}  // namespace

ExternalPlan PlanShowColumns(const ExternalContext& context, const ExternalTable* table, const TableName& name) {
  std::vector<std::vector<std::string>> rows;
  if (table != nullptr) {
    for (const auto* list : {&table->spec.columns, &table->spec.partition_columns}) {
      for (const auto& column : *list) rows.push_back({column.name});
    }
    return Answer("SHOW_COLUMNS", {"field"}, rows);
  }
  auto columns = EngineColumns(context, name);
  if (!columns) return Failed(TableNotFound(name.database.empty() ? context.database : name.database, name.name), "SHOW_COLUMNS");
  for (auto& column : *columns) rows.push_back({std::move(column[0])});
  return Answer("SHOW_COLUMNS", {"field"}, rows);
}

ExternalPlan PlanDescribe(const ExternalContext& context, const ExternalTable* table, const DescribeTable& describe) {
  std::vector<std::vector<std::string>> rows;
  if (table == nullptr) {
    auto columns = EngineColumns(context, describe.table);
    if (!columns) {
      const std::string database = describe.table.database.empty() ? context.database : describe.table.database;
      return Failed(TableNotFound(database, describe.table.name), "DESCRIBE_TABLE");
    }
    return Answer("DESCRIBE_TABLE", {"col_name", "data_type", "comment"}, *columns);
  }
  const ExternalTableSpec& spec = table->spec;
  for (const auto& column : spec.columns) rows.push_back({column.name, TypeText(column.type), column.comment});
  for (const auto& column : spec.partition_columns) rows.push_back({column.name, TypeText(column.type), column.comment});
  if (!spec.partition_columns.empty()) {
    rows.push_back({"", "", ""});
    rows.push_back({"# Partition Information", "", ""});
    rows.push_back({"# col_name", "data_type", "comment"});
    rows.push_back({"", "", ""});
    for (const auto& column : spec.partition_columns) rows.push_back({column.name, TypeText(column.type), column.comment});
  }
  if (describe.formatted) {
    rows.push_back({"", "", ""});
    rows.push_back({"# Detailed Table Information", "", ""});
    rows.push_back({"Database:", table->database, ""});
    rows.push_back({"Table:", spec.table.name, ""});
    rows.push_back({"Location:", spec.location, ""});
    rows.push_back({"Table Type:", "EXTERNAL_TABLE", ""});
    rows.push_back({"Table Parameters:", "", ""});
    for (const auto& [key, value] : CatalogParameters(*table)) rows.push_back({"", key, value});
    rows.push_back({"", "", ""});
    rows.push_back({"# Storage Information", "", ""});
    rows.push_back({"SerDe Library:", spec.serde, ""});
    rows.push_back({"InputFormat:", spec.input_format, ""});
    rows.push_back({"OutputFormat:", spec.output_format, ""});
    rows.push_back({"Storage Desc Params:", "", ""});
    for (const auto& [key, value] : spec.serde_properties) rows.push_back({"", key, value});
  }
  return Answer("DESCRIBE_TABLE", {"col_name", "data_type", "comment"}, rows);
}

std::string Classification(const ExternalTable& table) {
  if (const std::string* given = FindProperty(table.spec.table_properties, "classification")) return *given;
  switch (ReadKindOf(table.spec)) {
    case ReadKind::Parquet: return "parquet";
    case ReadKind::Json: return "json";
    case ReadKind::Orc: return "orc";
    case ReadKind::Avro: return "avro";
    case ReadKind::Unsupported: return "unknown";
    case ReadKind::DelimitedText:
    case ReadKind::OpenCsv: return "csv";
  }
  return "csv";
}

std::vector<std::pair<std::string, std::string>> CatalogParameters(const ExternalTable& table) {
  const ExternalTableSpec& spec = table.spec;
  std::vector<std::pair<std::string, std::string>> parameters = {
      {"EXTERNAL", "TRUE"},
      {"inputformat", spec.input_format},
      {"location", spec.location},
      {"outputformat", spec.output_format},
      {"serde.serialization.lib", spec.serde},
  };
  for (const auto& [key, value] : spec.serde_properties) parameters.emplace_back("serde.param." + key, value);
  bool classified = false;
  for (const auto& [key, value] : spec.table_properties) {
    parameters.emplace_back(key, value);
    classified = classified || key == "classification";
  }
  if (!classified) parameters.emplace_back("classification", Classification(table));
  parameters.emplace_back("transient_lastDdlTime", std::to_string(table.created_seconds));
  return parameters;
}

}  // namespace mallard::athena::external
