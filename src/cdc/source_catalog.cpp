#include "cdc/source_catalog.hpp"

#include <libpq-fe.h>

#include <memory>
#include <set>

#include "lake/catalog_store.hpp"

namespace mallard::cdc {
namespace {

std::string ConnInfoValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

Result<std::string, PgError> SourceConnInfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? error : "cannot parse the connection string";
    if (error) PQfreemem(error);
    return Fail(PgError{PgError::Code::kConnection, "bad source connection string: " + message, ""});
  }
  std::string out;
  std::string extra_options;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || option->val[0] == '\0') continue;
    std::string keyword = option->keyword;
    if (keyword == "options") {
      extra_options = option->val;
      continue;
    }
    out += keyword + "=" + ConnInfoValue(option->val) + " ";
  }
  PQconninfoFree(options);
  out += "options=" + ConnInfoValue(std::string(kPostgresSessionOptions) + (extra_options.empty() ? "" : " " + extra_options));
  if (out.find("application_name=") == std::string::npos) out += " application_name='mallard pipe'";
  return out;
}

Result<TableSchema, PgError> DescribeSourceTable(PgConnection& connection, const TableName& table) {
  std::string where = "n.nspname = " + lake::SqlString(table.schema) + " AND c.relname = " + lake::SqlString(table.name);
  MALLARD_ASSIGN_OR_RETURN(auto relation, connection.Query(
      "SELECT c.oid, c.relreplident, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " + where));
  if (relation.empty()) {
    return Fail(PgError{PgError::Code::kObjectMissing, "source table " + table.Label() + " does not exist", "42P01"});
  }
  std::string oid = relation[0][0].value_or("0");
  char relkind = relation[0][2].value_or("r")[0];
  if (relkind != 'r' && relkind != 'p') {
    return Fail(PgError{PgError::Code::kObjectMissing, table.Label() + " is not a table", ""});
  }
  TableSchema schema;
  schema.source = table;
  schema.target = table;
  schema.replica_identity = relation[0][1].value_or("d")[0];
  MALLARD_ASSIGN_OR_RETURN(auto columns, connection.Query(
      "SELECT a.attname, CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) "
      "ELSE format_type(a.atttypid, a.atttypmod) END, a.atttypid, a.atttypmod, "
      "CASE WHEN t.typtype = 'd' THEN bt.typtype ELSE t.typtype END, "
      "coalesce((SELECT e.typtype FROM pg_type e WHERE e.oid = coalesce(NULLIF(bt.typelem, 0), t.typelem) "
      "AND coalesce(bt.typcategory, t.typcategory) = 'A'), 'b') "
      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type bt ON bt.oid = t.typbasetype "
      "WHERE a.attrelid = " + oid + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
      "ORDER BY a.attnum"));
  // The key: the primary key, else the replica identity index.
  MALLARD_ASSIGN_OR_RETURN(auto key_rows, connection.Query(
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
      "WHERE i.indrelid = " + oid + " AND (i.indisprimary OR (i.indisreplident AND NOT EXISTS ("
      "SELECT 1 FROM pg_index p WHERE p.indrelid = " + oid + " AND p.indisprimary))) "));
  std::set<std::string> keys;
  for (const auto& row : key_rows) keys.insert(row[0].value_or(""));
  for (const auto& row : columns) {
    SourceColumn column;
    column.name = row[0].value_or("");
    column.pg_type = row[1].value_or("");
    column.type_oid = static_cast<std::uint32_t>(std::stoul(row[2].value_or("0")));
    column.type_modifier = std::stoi(row[3].value_or("-1"));
    column.type = MapPostgresType(column.pg_type, row[4].value_or("b")[0], row[5].value_or("b")[0]);
    column.key = keys.count(column.name) > 0;
    schema.columns.push_back(std::move(column));
  }
  if (schema.columns.empty()) {
    return Fail(PgError{PgError::Code::kObjectMissing, "source table " + table.Label() + " has no columns", ""});
  }
  if (keys.empty() && schema.replica_identity != 'f') {
    return Fail(PgError{PgError::Code::kQuery,
                        "source table " + table.Label() +
                            " has no primary key: add one, or set REPLICA IDENTITY FULL to sync it in append mode "
                            "(every change becomes a row)",
                        ""});
  }
  return schema;
}

Result<std::vector<TableName>, PgError> TablesInSchema(PgConnection& connection, const std::string& schema) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = " +
      lake::SqlString(schema) + " AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname"));
  std::vector<TableName> out;
  for (const auto& row : rows) out.push_back({schema, row[0].value_or("")});
  return out;
}

Status<PgError> EnsurePublication(PgConnection& connection, const std::string& publication,
                                  const std::vector<TableName>& tables) {
  MALLARD_ASSIGN_OR_RETURN(auto existing, connection.Query("SELECT 1 FROM pg_publication WHERE pubname = " + lake::SqlString(publication)));
  std::string list;
  for (const auto& table : tables) list += (list.empty() ? "" : ", ") + table.Qualified();
  std::string quoted = lake::SqlIdentifier(publication);
  if (existing.empty()) {
    return connection.Execute("CREATE PUBLICATION " + quoted + (list.empty() ? "" : " FOR TABLE " + list) +
                              " WITH (publish_via_partition_root = true)");
  }
  MALLARD_ASSIGN_OR_RETURN(auto published, connection.Query(
      "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = " + lake::SqlString(publication)));
  std::set<TableName> present;
  for (const auto& row : published) present.insert({row[0].value_or(""), row[1].value_or("")});
  for (const auto& table : tables) {
    if (!present.count(table)) {
      MALLARD_RETURN_IF_ERROR(connection.Execute("ALTER PUBLICATION " + quoted + " ADD TABLE " + table.Qualified()));
    }
  }
  return Done{};
}

Status<PgError> DropFromPublication(PgConnection& connection, const std::string& publication, const TableName& table) {
  MALLARD_ASSIGN_OR_RETURN(auto published, connection.Query(
      "SELECT 1 FROM pg_publication_tables WHERE pubname = " + lake::SqlString(publication) + " AND schemaname = " +
      lake::SqlString(table.schema) + " AND tablename = " + lake::SqlString(table.name)));
  if (published.empty()) return Done{};
  return connection.Execute("ALTER PUBLICATION " + lake::SqlIdentifier(publication) + " DROP TABLE " + table.Qualified());
}

Result<bool, PgError> SlotExists(PgConnection& connection, const std::string& slot) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query("SELECT database = current_database(), database, plugin FROM "
                                                       "pg_replication_slots WHERE slot_name = " + lake::SqlString(slot)));
  if (rows.empty()) return false;
  if (rows[0][0] != "t" || rows[0][2] != "pgoutput") {
    return Fail(PgError{PgError::Code::kQuery,
                        "replication slot " + slot + " already exists for database " + rows[0][1].value_or("(physical)") +
                            " (plugin " + rows[0][2].value_or("none") + "); choose another --group",
                        ""});
  }
  return true;
}

Result<SourceType, PgError> DescribeType(PgConnection& connection, std::uint32_t type_oid, std::int32_t type_modifier) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query(
      "SELECT CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(t.oid, " +
      std::to_string(type_modifier) + ") END, CASE WHEN t.typtype = 'd' THEN bt.typtype ELSE t.typtype END, "
      "coalesce((SELECT e.typtype FROM pg_type e WHERE e.oid = coalesce(NULLIF(bt.typelem, 0), t.typelem) "
      "AND coalesce(bt.typcategory, t.typcategory) = 'A'), 'b') "
      "FROM pg_type t LEFT JOIN pg_type bt ON bt.oid = t.typbasetype WHERE t.oid = " + std::to_string(type_oid)));
  if (rows.empty()) return Fail(PgError{PgError::Code::kObjectMissing, "type " + std::to_string(type_oid) + " does not exist", ""});
  return SourceType{rows[0][0].value_or("text"), rows[0][1].value_or("b")[0], rows[0][2].value_or("b")[0]};
}

Result<std::uint64_t, PgError> CurrentWalLsn(PgConnection& connection) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query("SELECT pg_current_wal_lsn()::text"));
  if (rows.empty() || !rows[0][0]) return std::uint64_t{0};
  auto lsn = pg::Lsn::Parse(*rows[0][0]);
  return lsn ? lsn->value : 0;
}

}  // namespace mallard::cdc
