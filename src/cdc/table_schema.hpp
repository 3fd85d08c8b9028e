#pragma once
// What the pipeline knows of one source table: its columns (PostgreSQL and DuckLake types), its
// key, and where it lands in the lake; and the comparison of two relation descriptions that turns
// a source DDL into lake column changes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cdc/pg_type_map.hpp"

namespace mallard::cdc {

struct SourceColumn {
  std::string name;
  std::string pg_type;  // format_type()
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
  ColumnType type;
  bool key = false;
};

struct TableName {
  std::string schema;
  std::string name;
  std::string Qualified() const;  // "schema"."name", quoted for SQL
  std::string Label() const { return schema + "." + name; }
  bool operator==(const TableName& other) const = default;
  bool operator<(const TableName& other) const { return Label() < other.Label(); }
  // "schema.table" or "table" (schema `public`).
  static std::optional<TableName> Parse(const std::string& text);
};

struct TableSchema {
  TableName source;
  TableName target;
  std::vector<SourceColumn> columns;
  char replica_identity = 'd';
  std::vector<std::size_t> KeyIndexes() const;
  std::vector<std::string> KeyNames() const;
  // The first unsupported column's reason, if any.
  std::optional<std::string> Unsupported() const;
};

// One lake column change derived from a new relation description.
struct ColumnChange {
  enum class Kind { kAdd, kDrop, kRename } kind;
  std::string name;      // add: new column; drop/rename: old name
  std::string new_name;  // rename
  std::string duckdb_type;  // add
};

struct SchemaDiff {
  std::vector<ColumnChange> changes;
  std::optional<std::string> error;  // key or type change: not followed, the table errors
};

// Compares the columns the pipeline has with those a Relation message (or the catalog) now
// reports. Renames are recognised by position: a column whose name changed while its type and
// position stayed.
SchemaDiff DiffColumns(const std::vector<SourceColumn>& before, const std::vector<SourceColumn>& after);

}  // namespace mallard::cdc
