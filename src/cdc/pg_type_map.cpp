#include "cdc/pg_type_map.hpp"

#include <regex>

#include "lake/lake_types.hpp"

namespace mallard::cdc {
namespace {

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

std::optional<std::string> ScalarType(const std::string& type, char kind) {
  if (kind == 'e') return "VARCHAR";
  if (type == "smallint") return "SMALLINT";
  if (type == "integer") return "INTEGER";
  if (type == "bigint") return "BIGINT";
  if (type == "oid") return "UINTEGER";
  if (type == "real") return "FLOAT";
  if (type == "double precision") return "DOUBLE";
  if (type == "boolean") return "BOOLEAN";
  if (type == "bytea") return "BLOB";
  if (type == "date") return "DATE";
  if (type == "uuid") return "UUID";
  if (type == "json" || type == "jsonb") return "JSON";
  if (type == "interval" || StartsWith(type, "interval")) return "INTERVAL";
  if (StartsWith(type, "timestamp")) return type.find("with time zone") != std::string::npos ? "TIMESTAMPTZ" : "TIMESTAMP";
  if (StartsWith(type, "time")) return type.find("with time zone") != std::string::npos ? "TIMETZ" : "TIME";
  if (type == "numeric") return "DECIMAL(38,10)";
  static const std::regex numeric(R"(numeric\((\d+),(\d+)\))");
  std::smatch match;
  if (std::regex_match(type, match, numeric)) {
    int precision = std::stoi(match[1].str()), scale = std::stoi(match[2].str());
    if (precision <= 38 && scale <= precision && scale >= 0) return "DECIMAL(" + match[1].str() + "," + match[2].str() + ")";
    return "DECIMAL(38,10)";
  }
  return std::nullopt;
}

}  // namespace

ColumnType MapPostgresType(const std::string& format_type, char type_kind, char element_kind) {
  ColumnType out;
  std::string base = format_type;
  int dimensions = 0;
  while (base.size() > 2 && base.compare(base.size() - 2, 2, "[]") == 0) {
    base.resize(base.size() - 2);
    ++dimensions;
  }
  char kind = dimensions > 0 ? element_kind : type_kind;
  if (kind == 'c' || kind == 'r' || kind == 'm' || kind == 'p') {
    out.supported = false;
    out.unsupported_reason = "column type " + format_type + " (composite, range or pseudo type) has no DuckLake mapping";
    return out;
  }
  // Everything else without a dedicated mapping keeps its text form.
  out.duckdb_type = ScalarType(base, kind).value_or("VARCHAR");
  for (int i = 0; i < dimensions; ++i) out.duckdb_type += "[]";
  return out;
}

std::optional<std::string> PostgresTypeOfLakeType(const std::string& lake_type) {
  if (lake_type == "int16") return "smallint";
  if (lake_type == "int32") return "integer";
  if (lake_type == "int64") return "bigint";
  // The lake's own decimal parser (exact "decimal(P,S)", 1 <= P <= 38) rather than a second one.
  if (auto decimal = lake::ParseDecimalType(lake_type)) {
    // Also the column of an unconstrained numeric and of one wider than 38 digits: not one type.
    if (decimal->precision == 38 && decimal->scale == 10) return std::nullopt;
    return "numeric(" + std::to_string(decimal->precision) + "," + std::to_string(decimal->scale) + ")";
  }
  return std::nullopt;
}

namespace {

std::string PlainCast(const std::string& t, const std::string& text_expression) {
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "[]") == 0) {
    // PostgreSQL arrays print as {a,"b c",NULL}; DuckDB reads lists as [a, "b c", NULL].
    return "CAST(translate(" + text_expression + ", '{}', '[]') AS " + t + ")";
  }
  if (t == "BLOB") return "from_hex(substr(" + text_expression + ", 3))";  // bytea_output=hex: \x0102
  if (t == "INTERVAL") return "CAST(replace(" + text_expression + ", '+', '') AS INTERVAL)";
  if (t == "VARCHAR") return text_expression;
  return "CAST(" + text_expression + " AS " + t + ")";
}

}  // namespace

std::string CastFromPostgresText(const ColumnType& type, const std::string& text_expression) {
  std::string cast = PlainCast(type.duckdb_type, text_expression);
  if (type.duckdb_type.rfind("DECIMAL(38,10)", 0) == 0) {
    // The column (or list element) for an unconstrained numeric or one wider than 38 digits: a
    // value with a significant digit past the 10th decimal would be rounded silently, so it stops
    // the table instead.
    cast = "CASE WHEN regexp_matches(" + text_expression + ", '\\.[0-9]{10}[0-9]*[1-9]') THEN error('numeric value ' || " +
           text_expression + " || ' has more than 10 decimal places; the lake column is DECIMAL(38,10) (declare the "
           "source column numeric(p,s) with p <= 38 to keep its scale)') ELSE " + cast + " END";
  }
  return cast;
}

}  // namespace mallard::cdc
