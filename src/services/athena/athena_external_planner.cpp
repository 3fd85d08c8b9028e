#include "services/athena/athena_external_planner.hpp"

#include <algorithm>
#include <set>

#include "services/athena/athena_ctas_unload.hpp"
#include "services/athena/athena_external_projection.hpp"
#include "services/athena/athena_external_show.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::athena::external {
namespace lex = sqlengine::dialect;
using lex::QuoteIdentifier;
using lex::QuoteString;

namespace {

std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

std::string DatabaseOf(const ExternalContext& context, const TableName& name) {
  return name.database.empty() ? context.database : name.database;
}

ExternalPlan Succeeded(std::string substatement_type) {
  ExternalPlan plan;
  plan.substatement_type = std::move(substatement_type);
  return plan;
}

Status<std::string> CheckLocation(const ExternalContext& context, const std::string& location) {
  if (context.files == nullptr) return Fail(std::string("this server has no S3 to keep table files in"));
  auto resolved = context.files->Resolve(location);
  if (!resolved.ok()) return Fail(resolved.error());
  return Done{};
}

// The table's view and metadata row rewritten after a change to it.
ExternalPlan Reregister(ExternalCatalog& catalog, const ExternalContext& context, const ExternalTable& table,
                        std::string substatement_type) {
  auto statements = RegisterStatements(catalog, context, table, true);
  if (!statements.ok()) return Failed(statements.error(), substatement_type);
  ExternalPlan plan;
  plan.statements = std::move(statements).value();
  plan.single_transaction = true;
  plan.changes_catalog = true;
  plan.substatement_type = std::move(substatement_type);
  return plan;
}

// Orders a partition spec by the table's partition columns; the error names what does not fit.
Result<PartitionSpec, std::string> Normalized(const ExternalTable& table, const PartitionSpec& given, bool partial) {
  PartitionSpec spec;
  spec.location = given.location;
  for (const auto& column : table.spec.partition_columns) {
    auto found = std::find_if(given.values.begin(), given.values.end(),
                              [&](const auto& value) { return value.first == column.name; });
    if (found == given.values.end()) {
      if (partial) continue;
      return Fail("FAILED: SemanticException [Error 10006]: Partition spec is incomplete: missing " + column.name);
    }
    spec.values.emplace_back(column.name, found->second);
  }
  for (const auto& [key, value] : given.values) {
    bool known = std::any_of(table.spec.partition_columns.begin(), table.spec.partition_columns.end(),
                             [&](const ColumnSpec& column) { return column.name == key; });
    if (!known) return Fail("FAILED: SemanticException [Error 10098]: Non-Partition column appears in the partition specification: " + key);
  }
  return spec;
}

bool SameValues(const PartitionSpec& a, const PartitionSpec& b) { return a.values == b.values; }

bool Matches(const PartitionSpec& partition, const PartitionSpec& filter) {
  for (const auto& [key, value] : filter.values) {
    auto found = std::find_if(partition.values.begin(), partition.values.end(), [&](const auto& v) { return v.first == key; });
    if (found == partition.values.end() || found->second != value) return false;
  }
  return true;
}

std::string PartitionName(const PartitionSpec& partition) {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  for (const auto& [key, value] : partition.values) {
    keys.push_back(key);
    values.push_back(value);
  }
  return PartitionPath(keys, values);
}

ExternalPlan PlanCreate(ExternalCatalog& catalog, const ExternalContext& context, const CreateExternalTable& create) {
  const char* kind = "CREATE_TABLE";
  ExternalTable table;
  table.spec = create.spec;
  table.database = DatabaseOf(context, create.spec.table);
  table.spec.table.database = table.database;
  table.created_seconds = context.now_seconds;
  if (auto checked = CheckLocation(context, table.spec.location); !checked.ok()) return Failed(checked.error(), kind);
  if (!EngineHasDatabase(context, table.database)) {
    return Failed("FAILED: SemanticException [Error 10072]: Database does not exist: " + table.database, kind);
  }
  // The engine's catalogue decides whether the name is taken: metadata whose view went with a
  // dropped database (DROP DATABASE … CASCADE) is replaced.
  if (EngineHasTable(context, table.database, table.spec.table.name)) {
    if (create.spec.if_not_exists) return Succeeded(kind);
    return Failed("AlreadyExistsException: Table " + table.database + "." + table.spec.table.name + " already exists", kind);
  }
  if (auto checked = CheckProjection(table.spec); !checked.ok()) return Failed(checked.error(), kind);
  return Reregister(catalog, context, table, kind);
}

ExternalPlan PlanAddPartitions(ExternalCatalog& catalog, const ExternalContext& context, ExternalTable table,
                               const AddPartitions& add) {
  const char* kind = "ALTER_TABLE_ADD_PARTITION";
  if (table.spec.partition_columns.empty()) {
    return Failed("FAILED: SemanticException table is not partitioned but partition spec exists: " + table.spec.table.name, kind);
  }
  for (const auto& given : add.partitions) {
    auto spec = Normalized(table, given, false);
    if (!spec.ok()) return Failed(spec.error(), kind);
    if (!spec->location.empty()) {
      if (auto checked = CheckLocation(context, spec->location); !checked.ok()) return Failed(checked.error(), kind);
    }
    auto existing = std::find_if(table.partitions.begin(), table.partitions.end(),
                                 [&](const PartitionSpec& partition) { return SameValues(partition, *spec); });
    if (existing != table.partitions.end()) {
      if (add.if_not_exists) continue;
      return Failed("AlreadyExistsException: Partition already exists: " + PartitionName(*spec), kind);
    }
    table.partitions.push_back(std::move(spec).value());
  }
  return Reregister(catalog, context, table, kind);
}

ExternalPlan PlanDropPartitions(ExternalCatalog& catalog, const ExternalContext& context, ExternalTable table,
                                const DropPartitions& drop) {
  const char* kind = "ALTER_TABLE_DROP_PARTITION";
  for (const auto& given : drop.partitions) {
    auto filter = Normalized(table, given, true);
    if (!filter.ok()) return Failed(filter.error(), kind);
    auto end = std::remove_if(table.partitions.begin(), table.partitions.end(),
                              [&](const PartitionSpec& partition) { return Matches(partition, *filter); });
    if (end == table.partitions.end() && !drop.if_exists) {
      return Failed("FAILED: SemanticException [Error 10006]: Partition not found " + PartitionName(*filter), kind);
    }
    table.partitions.erase(end, table.partitions.end());
  }
  return Reregister(catalog, context, table, kind);
}

ExternalPlan PlanRepair(ExternalCatalog& catalog, const ExternalContext& context, ExternalTable table) {
  const char* kind = "MSCK_REPAIR_TABLE";
  if (context.files == nullptr) return Failed("this server has no S3 to keep table files in", kind);
  auto discovered = DiscoverPartitionDirectories(table, *context.files);
  if (!discovered.ok()) return Failed(discovered.error(), kind);
  std::vector<std::string> missing;
  for (const auto& values : *discovered) {
    PartitionSpec spec;
    for (std::size_t i = 0; i < values.size(); ++i) spec.values.emplace_back(table.spec.partition_columns[i].name, values[i]);
    bool known = std::any_of(table.partitions.begin(), table.partitions.end(),
                             [&](const PartitionSpec& partition) { return SameValues(partition, spec); });
    if (known) continue;
    missing.push_back(table.spec.table.name + ":" + PartitionName(spec));
    table.partitions.push_back(std::move(spec));
  }
  if (missing.empty()) return Succeeded(kind);
  ExternalPlan plan = Reregister(catalog, context, table, kind);
  if (plan.failure) return plan;
  // Hive's report: which directories were not in the metastore, then each partition added.
  std::vector<std::vector<std::string>> rows;
  std::string not_in_metastore = "Partitions not in metastore:";
  for (const auto& name : missing) not_in_metastore += "\t" + name;
  rows.push_back({not_in_metastore});
  for (const auto& name : missing) rows.push_back({"Repair: Added partition to metastore " + name});
  plan.statements.push_back(SelectRows({"result"}, rows));
  return plan;
}

}  // namespace

ExternalPlan Failed(std::string message, std::string substatement_type) {
  ExternalPlan plan;
  plan.failure = std::move(message);
  plan.substatement_type = std::move(substatement_type);
  return plan;
}

std::string TableNotFound(const std::string& database, const std::string& name) {
  return "FAILED: SemanticException [Error 10001]: Table not found " + database + "." + name;
}

bool EngineHasDatabase(const ExternalContext& context, const std::string& database) {
  if (database == "default") return true;
  auto schemas = context.engine->ListSchemas();
  if (!schemas.ok()) return false;
  const std::string schema = context.engine_schema(database);
  return std::any_of(schemas->begin(), schemas->end(), [&](const std::string& name) { return Lowered(name) == Lowered(schema); });
}

// By name only, from the engine's catalogue tables: binding the views (ListTables reads every
// view's columns) would be slow, and a view whose files moved would not bind.
bool EngineHasTable(const ExternalContext& context, const std::string& database, const std::string& name) {
  const std::string schema = QuoteString(context.engine_schema(database));
  const std::string table = QuoteString(name);
  auto rows = RunNow(*context.engine,
                     {"SELECT count(*) FROM (SELECT table_name AS name FROM duckdb_tables() WHERE database_name = "
                      "current_database() AND schema_name = " + schema + " UNION ALL SELECT view_name FROM duckdb_views() "
                      "WHERE database_name = current_database() AND schema_name = " + schema + " AND NOT temporary) "
                      "WHERE lower(name) = " + table});
  return rows.ok() && !rows->empty() && !rows->front().empty() && rows->front()[0].integer > 0;
}

Result<std::vector<std::string>, std::string> RegisterStatements(ExternalCatalog& catalog, const ExternalContext& context,
                                                                 const ExternalTable& table, bool replace) {
  if (context.files == nullptr) return Fail(std::string("this server has no S3 to keep table files in"));
  MALLARD_ASSIGN_OR_RETURN(auto sources, CurrentSources(table, *context.files, context.now_seconds));
  std::vector<std::string> statements = MetadataSetupStatements();
  if (replace) statements.push_back(MetadataDeleteStatement(table.database, table.spec.table.name));
  statements.push_back(MetadataInsertStatement(table));
  statements.push_back(ViewStatement(table, context.engine_schema(table.database), sources));
  statements.push_back(ViewMarkerStatement(table, context.engine_schema(table.database)));
  catalog.Put(table);
  catalog.UpdateSignature(table.database, table.spec.table.name, SourceSignature(sources));
  return statements;
}

std::optional<ExternalPlan> PlanExternalStatement(ExternalCatalog& catalog, const ExternalContext& context,
                                                  std::string_view sql) {
  ExternalParse parse = ParseExternalStatement(sql);
  if (!parse.statement && !parse.error) return std::nullopt;
  if (parse.error) return Failed(parse.error->message, "UNKNOWN");
  if (auto loaded = catalog.Load(*context.engine); !loaded.ok()) return Failed(loaded.error(), "UNKNOWN");
  const ExternalStatement& statement = *parse.statement;
  // The external table a statement names, when it names one.
  auto external = [&](const TableName& name) -> std::optional<ExternalTable> {
    const std::string database = DatabaseOf(context, name);
    auto table = catalog.Find(database, name.name);
    // Metadata of a table whose database was dropped with CASCADE is a ghost, not a table.
    if (table && !EngineHasTable(context, database, name.name)) return std::nullopt;
    return table;
  };

  if (const auto* create = std::get_if<CreateExternalTable>(&statement)) return PlanCreate(catalog, context, *create);
  if (const auto* drop = std::get_if<DropTable>(&statement)) {
    auto table = external(drop->table);
    if (!table) return std::nullopt;  // the engine's own table: DROP TABLE as before
    ExternalPlan plan = Succeeded("DROP_TABLE");
    plan.statements = MetadataSetupStatements();
    plan.statements.push_back(MetadataDeleteStatement(table->database, table->spec.table.name));
    plan.statements.push_back("DROP VIEW IF EXISTS " + QuoteIdentifier(context.engine_schema(table->database)) + "." +
                              QuoteIdentifier(table->spec.table.name));
    plan.single_transaction = true;
    plan.changes_catalog = true;
    catalog.Erase(table->database, table->spec.table.name);
    return plan;
  }
  if (const auto* insert = std::get_if<InsertInto>(&statement)) {
    auto table = external(insert->table);
    if (!table) return std::nullopt;
    return PlanInsertInto(catalog, context, *insert, *table);
  }
  if (const auto* ctas = std::get_if<CreateTableAs>(&statement)) return PlanCreateTableAs(catalog, context, *ctas);
  if (const auto* unload = std::get_if<Unload>(&statement)) return PlanUnload(context, *unload);
  if (const auto* show = std::get_if<ShowTables>(&statement)) return PlanShowTables(context, *show);
  if (const auto* show = std::get_if<ShowDatabases>(&statement)) return PlanShowDatabases(context, *show);

  // The rest work on one table, external or (for SHOW COLUMNS and DESCRIBE) the engine's.
  auto one_table = [&](const TableName& name, const char* kind, bool engine_tables_too) -> std::variant<ExternalTable, ExternalPlan> {
    if (auto table = external(name)) return *table;
    const std::string database = DatabaseOf(context, name);
    if (engine_tables_too && EngineHasTable(context, database, name.name)) return ExternalPlan{};
    return Failed(TableNotFound(database, name.name), kind);
  };
  auto settle = [&](auto&& work, const TableName& name, const char* kind, bool engine_tables_too) -> ExternalPlan {
    auto found = one_table(name, kind, engine_tables_too);
    if (auto* plan = std::get_if<ExternalPlan>(&found)) {
      if (plan->failure) return *plan;
      return work(nullptr);
    }
    return work(&std::get<ExternalTable>(found));
  };
  if (const auto* add = std::get_if<AddPartitions>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanAddPartitions(catalog, context, *table, *add); }, add->table,
                  "ALTER_TABLE_ADD_PARTITION", false);
  }
  if (const auto* drop = std::get_if<DropPartitions>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanDropPartitions(catalog, context, *table, *drop); },
                  drop->table, "ALTER_TABLE_DROP_PARTITION", false);
  }
  if (const auto* set = std::get_if<SetTableProperties>(&statement)) {
    return settle(
        [&](const ExternalTable* found) {
          ExternalTable table = *found;
          for (const auto& [key, value] : set->properties) SetProperty(table.spec.table_properties, key, value);
          if (auto checked = CheckProjection(table.spec); !checked.ok()) return Failed(checked.error(), "ALTER_TABLE_SET_TBLPROPERTIES");
          return Reregister(catalog, context, table, "ALTER_TABLE_SET_TBLPROPERTIES");
        },
        set->table, "ALTER_TABLE_SET_TBLPROPERTIES", false);
  }
  if (const auto* set = std::get_if<SetLocation>(&statement)) {
    return settle(
        [&](const ExternalTable* found) {
          ExternalTable table = *found;
          if (auto checked = CheckLocation(context, set->location); !checked.ok()) {
            return Failed(checked.error(), "ALTER_TABLE_SET_LOCATION");
          }
          table.spec.location = set->location;
          return Reregister(catalog, context, table, "ALTER_TABLE_SET_LOCATION");
        },
        set->table, "ALTER_TABLE_SET_LOCATION", false);
  }
  if (const auto* change = std::get_if<ChangeColumns>(&statement)) {
    const char* kind = change->replace ? "ALTER_TABLE_REPLACE_COLUMNS" : "ALTER_TABLE_ADD_COLUMNS";
    return settle(
        [&](const ExternalTable* found) {
          ExternalTable table = *found;
          if (change->replace) table.spec.columns.clear();
          for (const auto& column : change->columns) {
            auto same = [&](const ColumnSpec& other) { return other.name == column.name; };
            if (std::any_of(table.spec.columns.begin(), table.spec.columns.end(), same) ||
                std::any_of(table.spec.partition_columns.begin(), table.spec.partition_columns.end(), same)) {
              return Failed("FAILED: SemanticException [Error 10036]: Duplicate column name: " + column.name, kind);
            }
            table.spec.columns.push_back(column);
          }
          return Reregister(catalog, context, table, kind);
        },
        change->table, kind, false);
  }
  if (const auto* repair = std::get_if<RepairTable>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanRepair(catalog, context, *table); }, repair->table,
                  "MSCK_REPAIR_TABLE", false);
  }
  if (const auto* show = std::get_if<ShowPartitions>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanShowPartitions(*table); }, show->table, "SHOW_PARTITIONS", false);
  }
  if (const auto* show = std::get_if<ShowTableProperties>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanShowTableProperties(*table); }, show->table,
                  "SHOW_TBLPROPERTIES", false);
  }
  if (const auto* show = std::get_if<ShowCreateTable>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanShowCreateTable(context, table, show->table); }, show->table,
                  "SHOW_CREATE_TABLE", true);
  }
  if (const auto* show = std::get_if<ShowColumns>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanShowColumns(context, table, show->table); }, show->table,
                  "SHOW_COLUMNS", true);
  }
  if (const auto* describe = std::get_if<DescribeTable>(&statement)) {
    return settle([&](const ExternalTable* table) { return PlanDescribe(context, table, *describe); }, describe->table,
                  "DESCRIBE_TABLE", true);
  }
  return std::nullopt;
}

Result<std::vector<std::string>, std::string> RefreshStatements(ExternalCatalog& catalog, const ExternalContext& context,
                                                                std::string_view sql) {
  std::vector<std::string> statements;
  if (context.files == nullptr || context.engine == nullptr) return statements;
  if (auto loaded = catalog.Load(*context.engine); !loaded.ok()) return statements;
  auto tables = catalog.Names();
  if (tables.empty()) return statements;
  std::set<std::string> names;
  for (const auto& token : lex::Tokenize(sql)) {
    if (token.kind == lex::TokenKind::Word || token.kind == lex::TokenKind::QuotedIdentifier ||
        token.kind == lex::TokenKind::BacktickIdentifier) {
      names.insert(Lowered(lex::IdentifierText(token)));
    }
  }
  for (const auto& [database, name] : tables) {
    if (names.count(name) == 0) continue;
    // A table of another database only when the query names that database too.
    if (database != context.database && names.count(database) == 0) continue;
    auto found = catalog.Find(database, name);
    if (!found) continue;
    const ExternalTable& table = *found;
    // Athena reads the table's S3 location at query time: a bucket deleted since fails the query.
    if (auto location = context.files->Resolve(table.spec.location);
        location.ok() && !context.files->BucketExists(location->bucket)) {
      return Fail("HIVE_UNKNOWN_ERROR: The specified bucket does not exist (Service: Amazon S3; Status Code: 404; "
                  "Error Code: NoSuchBucket; Bucket: " + location->bucket + ")");
    }
    MALLARD_ASSIGN_OR_RETURN(auto sources, CurrentSources(table, *context.files, context.now_seconds));
    const ReadKind kind = ReadKindOf(table.spec);
    if (kind == ReadKind::Unsupported && !sources.empty()) {
      return Fail("NOT_SUPPORTED: the serde " + table.spec.serde + " of table " + table.database + "." +
                  table.spec.table.name + " is not supported by this server; use Parquet, JSON "
                  "(org.openx.data.jsonserde.JsonSerDe), LazySimpleSerDe or OpenCSVSerde");
    }
    if ((kind == ReadKind::Orc || kind == ReadKind::Avro) && !sources.empty()) {
      // The engine (DuckDB 1.4.4) has no ORC or Avro reader it may load: the DDL is kept, reading fails.
      return Fail("NOT_SUPPORTED: reading " + std::string(kind == ReadKind::Orc ? "ORC" : "Avro") + " files is not "
                  "supported by this server's SQL engine (table " + table.database + "." + table.spec.table.name +
                  "); store the data as Parquet, JSON or text");
    }
    if (catalog.UpdateSignature(table.database, table.spec.table.name, SourceSignature(sources))) {
      statements.push_back(ViewStatement(table, context.engine_schema(table.database), sources));
      statements.push_back(ViewMarkerStatement(table, context.engine_schema(table.database)));
    }
  }
  return statements;
}

}  // namespace mallard::athena::external
