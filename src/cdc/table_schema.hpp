#pragma once
// What the pipeline knows of one source table: its columns (PostgreSQL and DuckLake types), its
// key, and where it lands in the lake; and the comparison of two relation descriptions that turns
// a source DDL into lake column changes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cdc/pg_type_map.hpp"
#include "lake/lake_types.hpp"

namespace mallard::cdc {

// What the rows a table already had read as in a column added to it: PostgreSQL's stored
// "missing value" (pg_attribute.attmissingval, the non-volatile default evaluated once at ADD
// COLUMN) or NULL. kUnknown: the column has a default but no missing value — a volatile default
// (PostgreSQL rewrote the table with a value per row), a table rewritten since, or a default set
// after the column was added — so only a fresh snapshot knows the rows' values.
struct ColumnBackfill {
  enum class Kind { kNull, kValue, kUnknown } kind = Kind::kNull;
  std::string value;   // kValue: the value in PostgreSQL's text output
  std::string reason;  // kUnknown: why
};

struct SourceColumn {
  std::string name;
  std::string pg_type;  // format_type()
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;
  ColumnType type;
  bool key = false;
  // A lake column the source no longer has by its name (renamed while the pipe was away): whether
  // it is part of the key is what the column it pairs with in the next description says.
  bool key_unknown = false;
  ColumnBackfill backfill;  // from the source catalog when the stream describes the relation
  // pg_attribute.attnum (0: unknown). A RENAME keeps it, DROP + ADD gives a new one: the only way to
  // tell them apart, since a relation description carries names and types only.
  std::int32_t attnum = 0;
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
  enum class Kind { kAdd, kDrop, kRename, kRetype } kind;
  std::string name;      // add: new column; drop/rename/retype: old name
  std::string new_name;  // rename
  std::string duckdb_type;  // add; retype: the new lake type (empty: the lake type stays)
  std::optional<std::string> backfill;  // add: the value existing rows read as (PostgreSQL text); none: NULL
};

struct SchemaDiff {
  std::vector<ColumnChange> changes;
  std::optional<std::string> error;   // key or incompatible type change: not followed, the table errors
  std::optional<std::string> resync;  // a change only a fresh snapshot follows (a volatile default)
};

// How a column's type change at the source reaches the lake.
enum class TypeChange {
  kSame,          // nothing changed
  kRelabel,       // the lake type and every value stay (varchar(n) → varchar(m >= n) or text)
  kPromote,       // a lossless widening of the lake type (int16 → int32 → int64; decimal(p,s) → decimal(p',s')
                  // with no fewer integer digits and no smaller scale); old files read as the new type
  kIncompatible,  // anything else: values may differ or not fit; the table needs a resync
};
TypeChange ClassifyTypeChange(const SourceColumn& before, const SourceColumn& after);

// The columns a resumed table starts from: the lake table's (its rows are there; the pipeline's
// bookkeeping columns left out), each described by the source type it came from where that is
// known — the current source column of the same name and lake type, else the PostgreSQL type the
// lake type is mapped from (integers, decimals) — so the stream's first relation description
// classifies a change made while the pipe was away as it would have live (a widening followed in
// place, anything else stops the table). Otherwise pg_type stays empty: only the same lake type
// counts as unchanged. The attribute number stays unknown: the current catalog's column of a name
// may be another one (renamed while the pipe was away and the name reused).
std::vector<SourceColumn> ColumnsOfLakeTable(const std::vector<lake::LakeColumn>& lake_columns,
                                             const std::vector<SourceColumn>& source_columns);

// Compares the columns the pipeline has with those a Relation message (or the catalog) now
// reports. Renames are recognised by position: a column whose name changed while its type and
// position stayed.
SchemaDiff DiffColumns(const std::vector<SourceColumn>& before, const std::vector<SourceColumn>& after);

}  // namespace mallard::cdc
