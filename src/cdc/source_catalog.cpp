#include "cdc/source_catalog.hpp"

#include <libpq-fe.h>

#include <memory>
#include <set>

#include "infra/libpq/pq_library.hpp"
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
  if (const std::string& load_error = libpq::LoadLibPq(); !load_error.empty()) {
    return Fail(PgError{PgError::Code::kConnection, load_error, ""});
  }
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
      "AND coalesce(bt.typcategory, t.typcategory) = 'A'), 'b'), a.attnum "
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
    column.attnum = std::stoi(row[6].value_or("0"));
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

Result<bool, PgError> PublicationExists(PgConnection& connection, const std::string& publication) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query("SELECT 1 FROM pg_publication WHERE pubname = " + lake::SqlString(publication)));
  return !rows.empty();
}

Status<PgError> CheckSourcePrivileges(PgConnection& connection, const std::string& publication,
                                      const std::vector<TableName>& tables) {
  MALLARD_ASSIGN_OR_RETURN(auto role, connection.Query(
      "SELECT current_user, rolreplication OR rolsuper, has_database_privilege(current_database(), 'CREATE'), "
      "current_database() FROM pg_roles WHERE rolname = current_user"));
  if (role.empty()) return Done{};  // not a visible role (never in practice): let the statements speak
  std::string user = lake::SqlIdentifier(role[0][0].value_or("")), database = lake::SqlIdentifier(role[0][3].value_or(""));
  std::vector<std::string> missing;
  if (role[0][1] != "t") missing.push_back("REPLICATION (ALTER ROLE " + user + " REPLICATION)");
  MALLARD_ASSIGN_OR_RETURN(auto exists, PublicationExists(connection, publication));
  std::set<TableName> published;
  bool owns_publication = !exists;
  if (exists) {
    MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query(
        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = " + lake::SqlString(publication)));
    for (const auto& row : rows) published.insert({row[0].value_or(""), row[1].value_or("")});
    MALLARD_ASSIGN_OR_RETURN(auto owner, connection.Query(
        "SELECT pg_has_role(pubowner, 'USAGE') FROM pg_publication WHERE pubname = " + lake::SqlString(publication)));
    owns_publication = !owner.empty() && owner[0][0] == "t";
  }
  std::vector<std::string> not_selectable, not_owned;
  for (const auto& table : tables) {
    std::string regclass = lake::SqlString(table.Qualified()) + "::regclass";
    MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query(
        "SELECT has_table_privilege(" + regclass + ", 'SELECT'), pg_has_role(c.relowner, 'USAGE') FROM pg_class c "
        "WHERE c.oid = " + regclass));
    if (rows.empty()) continue;  // described earlier; dropped meanwhile: the next step says so
    if (rows[0][0] != "t") not_selectable.push_back(table.Qualified());
    if (!published.count(table) && rows[0][1] != "t") not_owned.push_back(table.Qualified());
  }
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
  };
  if (!not_selectable.empty()) missing.push_back("SELECT on " + join(not_selectable) + " (GRANT SELECT ON " + join(not_selectable) + " TO " + user + ")");
  std::vector<std::string> unpublished;
  for (const auto& table : tables) {
    if (!published.count(table)) unpublished.push_back(table.Qualified());
  }
  std::string quoted = lake::SqlIdentifier(publication);
  if (!exists && role[0][2] != "t") {
    missing.push_back("CREATE on database " + database + " to create publication " + quoted + " (GRANT CREATE ON DATABASE " +
                      database + " TO " + user + "; or have an owner of the tables run CREATE PUBLICATION " + quoted +
                      " FOR TABLE " + join(unpublished) + " WITH (publish_via_partition_root = true))");
  }
  if (exists && !unpublished.empty() && !owns_publication) {
    missing.push_back("ownership of publication " + quoted + " to add " + join(unpublished) + " (or have its owner run "
                      "ALTER PUBLICATION " + quoted + " ADD TABLE " + join(unpublished) + ")");
  }
  if (!not_owned.empty()) {
    missing.push_back("ownership of " + join(not_owned) + " to add them to publication " + quoted + " (or have their owner run " +
                      (exists ? "ALTER PUBLICATION " + quoted + " ADD TABLE " : "CREATE PUBLICATION " + quoted + " FOR TABLE ") +
                      join(not_owned) + ")");
  }
  if (missing.empty()) return Done{};
  std::string message = "role " + user + " lacks permissions the pipe needs on the source: ";
  for (std::size_t i = 0; i < missing.size(); ++i) message += (i ? "; " : "") + missing[i];
  return Fail(PgError{PgError::Code::kPermission, message, ""});
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

std::optional<std::string> SingleArrayElement(const std::string& array_text) {
  if (array_text.size() < 2 || array_text.front() != '{' || array_text.back() != '}') return std::nullopt;
  std::string body = array_text.substr(1, array_text.size() - 2);
  if (body.empty()) return std::nullopt;
  if (body.front() != '"') {
    // Unquoted: no separators, quotes or braces inside; NULL (any case) is a null element.
    if (body.find_first_of(",{}\"\\") != std::string::npos) return std::nullopt;
    std::string upper = body;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "NULL") return std::nullopt;
    return body;
  }
  std::string out;
  std::size_t i = 1;
  for (; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\') {
      if (++i >= body.size()) return std::nullopt;
      out += body[i];
    } else if (c == '"') {
      break;
    } else {
      out += c;
    }
  }
  if (i != body.size() - 1) return std::nullopt;  // unterminated, or more than one element
  return out;
}

ColumnBackfill DecideBackfill(const std::vector<AttributeDefault>& leaves) {
  ColumnBackfill out;
  if (leaves.empty()) return out;  // a partitioned table without partitions has no rows
  bool all_missing = true, none_missing = true, any_default = false;
  for (const auto& leaf : leaves) {
    (leaf.has_missing ? none_missing : all_missing) = false;
    any_default = any_default || leaf.has_default;
  }
  if (all_missing) {
    auto value = SingleArrayElement(leaves.front().missing_array);
    bool same = value.has_value();
    for (const auto& leaf : leaves) same = same && leaf.missing_array == leaves.front().missing_array;
    if (same) {
      out.kind = ColumnBackfill::Kind::kValue;
      out.value = *value;
      return out;
    }
    out.kind = ColumnBackfill::Kind::kUnknown;
    out.reason = "with defaults that differ between partitions";
    return out;
  }
  if (none_missing && !any_default) return out;  // no default: existing rows are NULL
  out.kind = ColumnBackfill::Kind::kUnknown;
  out.reason = "with a default PostgreSQL did not store for existing rows (a volatile default that rewrote the "
               "table with a value per row, a default set after the column was added, or a table rewritten since)";
  return out;
}

Result<std::map<std::string, ColumnBackfill>, PgError> DescribeColumnBackfill(PgConnection& connection,
                                                                              std::uint32_t relation_oid) {
  std::string oid = std::to_string(relation_oid);
  // A plain table holds its rows itself; a partitioned table keeps no rows (and no missing
  // values): its leaf partitions do (pg_partition_tree lists nothing for a plain table).
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query(
      "SELECT a.attname, a.atthasmissing, a.attmissingval::text, d.adbin IS NOT NULL FROM pg_attribute a "
      "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE a.attrelid IN (SELECT oid FROM pg_class WHERE oid = " + oid + " AND relkind <> 'p' "
      "UNION SELECT relid FROM pg_partition_tree(" + oid + "::regclass) WHERE isleaf) "
      "AND a.attnum > 0 AND NOT a.attisdropped"));
  std::map<std::string, std::vector<AttributeDefault>> facts;
  for (const auto& row : rows) {
    facts[row[0].value_or("")].push_back({row[1] == "t", row[2].value_or(""), row[3] == "t"});
  }
  std::map<std::string, ColumnBackfill> out;
  for (const auto& [name, leaves] : facts) out[name] = DecideBackfill(leaves);
  return out;
}

Result<std::map<std::string, AttributeNumber>, PgError> DescribeAttributeNumbers(PgConnection& connection,
                                                                                 std::uint32_t relation_oid) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query(
      "SELECT attname, attnum, atttypid FROM pg_attribute WHERE attrelid = " + std::to_string(relation_oid) +
      " AND attnum > 0 AND NOT attisdropped"));
  std::map<std::string, AttributeNumber> out;
  for (const auto& row : rows) {
    out[row[0].value_or("")] = {std::stoi(row[1].value_or("0")),
                                static_cast<std::uint32_t>(std::stoul(row[2].value_or("0")))};
  }
  return out;
}

Result<std::uint64_t, PgError> CurrentWalLsn(PgConnection& connection) {
  MALLARD_ASSIGN_OR_RETURN(auto rows, connection.Query("SELECT pg_current_wal_lsn()::text"));
  if (rows.empty() || !rows[0][0]) return std::uint64_t{0};
  auto lsn = pg::Lsn::Parse(*rows[0][0]);
  return lsn ? lsn->value : 0;
}

}  // namespace mallard::cdc
