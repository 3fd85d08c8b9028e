#pragma once
// Redshift's types and table DDL for the translator: type names as Redshift spells them
// (varchar(max), character varying(n), int2/int4/int8, float4/float8, super, bpchar, timestamptz,
// varbyte) in the engine's spelling, and CREATE TABLE / ALTER TABLE with Redshift's physical
// attributes. DISTSTYLE, DISTKEY, [COMPOUND|INTERLEAVED] SORTKEY, ENCODE and BACKUP are accepted
// and recorded as the table's comment, a JSON object under "redshift_attributes", together with the
// declared type of each character column (DuckDB keeps no varchar length), so svv_table_info,
// pg_table_def and svv_columns show them. IDENTITY(seed, step) columns draw from a sequence
// created with the table.
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_rewriter.hpp"

namespace mallard::sqlengine::dialect {

struct RedshiftType {
  std::string engine;    // DuckDB's spelling: "VARCHAR", "DECIMAL(18,0)", "JSON"
  std::string declared;  // Redshift's format_type spelling: "character varying(256)"
  std::size_t next = 0;  // token after the type (ParseRedshiftType)
};

// The type written at tokens [begin, end) (trivia allowed around it).
Result<RedshiftType, DialectError> ParseRedshiftType(const DialectRewriter& rewriter, std::size_t begin, std::size_t end);
// A type the shared rewriter parsed.
Result<RedshiftType, DialectError> MapRedshiftType(const TypeName& type);
// The first words of Redshift type names, for `::type` casts.
const std::vector<std::string>& RedshiftTypeWords();

// CREATE [TEMP] TABLE … with Redshift's attributes; declines other CREATE statements.
Result<std::optional<FormResult>, DialectError> CreateTableForm(DialectRewriter& rewriter, std::size_t index,
                                                                std::size_t end, int depth);
// ALTER TABLE t ALTER DISTSTYLE/DISTKEY/SORTKEY/ENCODE …: accepted (recorded nowhere else: the
// engine has no physical layout); ALTER TABLE … ADD COLUMN c type with Redshift's types.
Result<std::optional<FormResult>, DialectError> AlterTableForm(DialectRewriter& rewriter, std::size_t index,
                                                               std::size_t end, int depth);

// VACUUM … / ANALYZE … with Redshift's options, as the engine's VACUUM t / ANALYZE t.
Result<std::optional<FormResult>, DialectError> MaintenanceForm(DialectRewriter& rewriter, std::size_t index,
                                                                std::size_t end, int depth);

}  // namespace mallard::sqlengine::dialect
