#pragma once
// What the pipeline asks of the source database outside the replication stream: a table's
// columns, key and replica identity; the publication; the slot.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cdc/pg/pg_connection.hpp"
#include "cdc/table_schema.hpp"

namespace mallard::cdc {

using pg::PgConnection;
using pg::PgError;

// The conninfo with the session settings the text decoding relies on (UTC, ISO dates, …).
Result<std::string, PgError> SourceConnInfo(const std::string& conninfo);

// Columns in attribute order (generated columns excluded: logical replication does not send
// them), keys from the primary key, else the replica identity index; no key with REPLICA
// IDENTITY FULL means append mode. A table without either is refused with a clear error.
Result<TableSchema, PgError> DescribeSourceTable(PgConnection& connection, const TableName& table);
// Every ordinary or partitioned table of `schema`.
Result<std::vector<TableName>, PgError> TablesInSchema(PgConnection& connection, const std::string& schema);

// Checks, before anything is created, that the connected role can do what the pipe will do:
// REPLICATION (slots, streaming), SELECT on every table (snapshots), and either the publication
// already publishing the tables or what creating or extending it takes (CREATE on the database,
// ownership of the publication and of the tables). One error lists everything missing, with the
// statements that grant it.
Status<PgError> CheckSourcePrivileges(PgConnection& connection, const std::string& publication,
                                      const std::vector<TableName>& tables);
// True when `publication` exists.
Result<bool, PgError> PublicationExists(PgConnection& connection, const std::string& publication);
Status<PgError> EnsurePublication(PgConnection& connection, const std::string& publication,
                                  const std::vector<TableName>& tables);
Status<PgError> DropFromPublication(PgConnection& connection, const std::string& publication, const TableName& table);
Result<bool, PgError> SlotExists(PgConnection& connection, const std::string& slot);
// A column type as the catalog names it, for a relation description from the stream.
struct SourceType {
  std::string format_type;
  char kind = 'b';
  char element_kind = 'b';
};
Result<SourceType, PgError> DescribeType(PgConnection& connection, std::uint32_t type_oid, std::int32_t type_modifier);
// What existing rows read as in each column of relation `relation_oid` (by column name; a
// partitioned table's leaf partitions must all agree), from pg_attribute's missing value and
// pg_attrdef — read when the stream describes the relation, so for a column just added.
// Each live column's pg_attribute.attnum and type, by name (what tells a rename from a drop and
// an add).
struct AttributeNumber {
  std::int32_t attnum = 0;
  std::uint32_t type_oid = 0;
};
Result<std::map<std::string, AttributeNumber>, PgError> DescribeAttributeNumbers(PgConnection& connection,
                                                                                 std::uint32_t relation_oid);
Result<std::map<std::string, ColumnBackfill>, PgError> DescribeColumnBackfill(PgConnection& connection,
                                                                              std::uint32_t relation_oid);

// One column's catalog facts in one (leaf) relation.
struct AttributeDefault {
  bool has_missing = false;      // pg_attribute.atthasmissing
  std::string missing_array;     // pg_attribute.attmissingval::text, a one-element array: {free}, {"a b"}
  bool has_default = false;      // a pg_attrdef row
};
// The backfill the facts of one column in every leaf relation add up to (pure).
ColumnBackfill DecideBackfill(const std::vector<AttributeDefault>& leaves);
// The single element of a one-dimensional PostgreSQL array literal, unquoted and unescaped
// ({free} → free, {"a \"b\""} → a "b"); none when it is not one non-NULL element.
std::optional<std::string> SingleArrayElement(const std::string& array_text);

// The source's current WAL position (for lag).
Result<std::uint64_t, PgError> CurrentWalLsn(PgConnection& connection);

}  // namespace mallard::cdc
