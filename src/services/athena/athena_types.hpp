#pragma once
// Athena's view of SQL types and values: the type names GetQueryResults reports (Trino's), the Hive
// type strings the Glue-style catalogue APIs report, and the text form of every value.
#include <optional>
#include <string>

#include "sqlengine/sql_types.hpp"

namespace mallard::athena {

struct AthenaType {
  std::string name;     // "integer", "decimal", "timestamp with time zone", "array", "row", ...
  int precision = 0;
  int scale = 0;
  bool case_sensitive = false;
};

AthenaType AthenaTypeOf(const sqlengine::SqlType& type);
// Hive DDL spelling for ListTableMetadata / GetTableMetadata: "int", "decimal(10,2)", "array<string>".
std::string HiveTypeName(const sqlengine::SqlType& type);
// VarCharValue text; std::nullopt for NULL (Athena sends a Datum without VarCharValue).
std::optional<std::string> RenderAthenaValue(const sqlengine::SqlValue& value, const sqlengine::SqlType& type);

}  // namespace mallard::athena
