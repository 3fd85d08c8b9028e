#include "services/athena/athena_types.hpp"

#include "sqlengine/sql_format.hpp"

namespace mallard::athena {
using sqlengine::SqlType;
using sqlengine::SqlTypeKind;
using sqlengine::SqlValue;

AthenaType AthenaTypeOf(const SqlType& type) {
  switch (type.kind) {
    case SqlTypeKind::Null: return {"unknown", 0, 0, false};
    case SqlTypeKind::Boolean: return {"boolean", 0, 0, false};
    case SqlTypeKind::TinyInt: return {"tinyint", 3, 0, false};
    case SqlTypeKind::SmallInt:
    case SqlTypeKind::UTinyInt: return {"smallint", 5, 0, false};
    case SqlTypeKind::Integer:
    case SqlTypeKind::USmallInt: return {"integer", 10, 0, false};
    case SqlTypeKind::BigInt:
    case SqlTypeKind::UInteger: return {"bigint", 19, 0, false};
    case SqlTypeKind::UBigInt: return {"decimal", 20, 0, false};
    case SqlTypeKind::HugeInt:
    case SqlTypeKind::UHugeInt: return {"decimal", 38, 0, false};
    case SqlTypeKind::Float: return {"float", 17, 0, false};
    case SqlTypeKind::Double: return {"double", 17, 0, false};
    case SqlTypeKind::Decimal: return {"decimal", type.precision, type.scale, false};
    case SqlTypeKind::Varchar:
    case SqlTypeKind::Enum:
    case SqlTypeKind::Bit: return {"varchar", 2147483647, 0, true};
    case SqlTypeKind::Json: return {"json", 0, 0, true};
    case SqlTypeKind::Uuid: return {"uuid", 0, 0, false};
    case SqlTypeKind::Blob: return {"varbinary", 1073741824, 0, false};
    case SqlTypeKind::Date: return {"date", 0, 0, false};
    case SqlTypeKind::Time: return {"time", 3, 0, false};
    case SqlTypeKind::TimeTz: return {"time with time zone", 3, 0, false};
    case SqlTypeKind::Timestamp: return {"timestamp", 3, 0, false};
    case SqlTypeKind::TimestampTz: return {"timestamp with time zone", 3, 0, false};
    case SqlTypeKind::Interval: return {"interval day to second", 0, 0, false};
    case SqlTypeKind::List:
    case SqlTypeKind::Array: return {"array", 0, 0, false};
    case SqlTypeKind::Struct: return {"row", 0, 0, false};
    case SqlTypeKind::Map: return {"map", 0, 0, false};
    case SqlTypeKind::Union:
    case SqlTypeKind::Other: return {"varchar", 2147483647, 0, true};
  }
  return {"varchar", 2147483647, 0, true};
}

std::string HiveTypeName(const SqlType& type) {
  switch (type.kind) {
    case SqlTypeKind::Boolean: return "boolean";
    case SqlTypeKind::TinyInt: return "tinyint";
    case SqlTypeKind::SmallInt:
    case SqlTypeKind::UTinyInt: return "smallint";
    case SqlTypeKind::Integer:
    case SqlTypeKind::USmallInt: return "int";
    case SqlTypeKind::BigInt:
    case SqlTypeKind::UInteger: return "bigint";
    case SqlTypeKind::UBigInt: return "decimal(20,0)";
    case SqlTypeKind::HugeInt:
    case SqlTypeKind::UHugeInt: return "decimal(38,0)";
    case SqlTypeKind::Float: return "float";
    case SqlTypeKind::Double: return "double";
    case SqlTypeKind::Decimal:
      return "decimal(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case SqlTypeKind::Blob: return "binary";
    case SqlTypeKind::Date: return "date";
    case SqlTypeKind::Timestamp:
    case SqlTypeKind::TimestampTz: return "timestamp";
    case SqlTypeKind::List:
    case SqlTypeKind::Array: return "array<" + HiveTypeName(type.children.at(0)) + ">";
    case SqlTypeKind::Map:
      return "map<" + HiveTypeName(type.children.at(0)) + "," + HiveTypeName(type.children.at(1)) + ">";
    case SqlTypeKind::Struct: {
      std::string text = "struct<";
      for (std::size_t i = 0; i < type.children.size(); ++i) {
        if (i != 0) text += ",";
        text += type.field_names[i] + ":" + HiveTypeName(type.children[i]);
      }
      return text + ">";
    }
    default: return "string";
  }
}

namespace {

int FractionDigits(std::int64_t micros) { return micros % 1000 == 0 ? 3 : 6; }

std::string RenderNested(const SqlValue& value, const SqlType& type);

std::string RenderInterval(const SqlValue& value) {
  if (value.months != 0 && value.days == 0 && value.integer == 0) {
    std::int32_t months = value.months;
    std::string sign = months < 0 ? "-" : "";
    if (months < 0) months = -months;
    return sign + std::to_string(months / 12) + "-" + std::to_string(months % 12);
  }
  // Day-to-second form; whole months are counted as 30 days, as Trino does when it folds them.
  std::int64_t micros = (static_cast<std::int64_t>(value.months) * 30 + value.days) * 86'400'000'000 + value.integer;
  std::string sign = micros < 0 ? "-" : "";
  if (micros < 0) micros = -micros;
  std::int64_t days = micros / 86'400'000'000;
  return sign + std::to_string(days) + " " +
         sqlengine::FormatTimeOfDay(micros % 86'400'000'000, 3);
}

std::string RenderScalar(const SqlValue& value, const SqlType& type) {
  using Kind = SqlValue::Kind;
  switch (value.kind) {
    case Kind::Null: return "null";
    case Kind::Boolean: return value.boolean ? "true" : "false";
    case Kind::Integer: return std::to_string(value.integer);
    case Kind::Double: return sqlengine::FormatJavaDouble(value.real, type.kind == SqlTypeKind::Float);
    case Kind::Exact:
    case Kind::Text: return value.text;
    case Kind::Blob: return sqlengine::HexBytes(value.text, true);
    case Kind::Date: return sqlengine::FormatDate(value.integer);
    case Kind::Time: return sqlengine::FormatTimeOfDay(value.integer, FractionDigits(value.integer));
    case Kind::TimeTz:
      return sqlengine::FormatTimeOfDay(value.integer, FractionDigits(value.integer)) +
             sqlengine::FormatOffset(value.offset_seconds, true);
    // Athena's timestamps are timestamp(3) (Hive tables, localtimestamp, date_parse) and timestamp(3) with time zone
    // (current_timestamp, from_iso8601_timestamp, AT TIME ZONE): always three fractional digits, truncated to the
    // millisecond.
    case Kind::Timestamp: return sqlengine::FormatTimestamp(value.integer, 3);
    case Kind::TimestampTz: return sqlengine::FormatTimestamp(value.integer, 3) + " UTC";
    case Kind::Interval: return RenderInterval(value);
    case Kind::List:
    case Kind::Struct:
    case Kind::Map: return RenderNested(value, type);
  }
  return {};
}

// Trino's text forms: arrays [a, b], maps {k=v}, rows {name=value}; nested NULLs print as null.
std::string RenderNested(const SqlValue& value, const SqlType& type) {
  static const SqlType kUnknown;
  auto child_type = [&](std::size_t index) -> const SqlType& {
    return index < type.children.size() ? type.children[index] : kUnknown;
  };
  std::string text;
  switch (value.kind) {
    case SqlValue::Kind::List:
      text = "[";
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        if (i != 0) text += ", ";
        text += RenderScalar(value.items[i], child_type(0));
      }
      return text + "]";
    case SqlValue::Kind::Map:
      text = "{";
      for (std::size_t i = 0; i + 1 < value.items.size(); i += 2) {
        if (i != 0) text += ", ";
        text += RenderScalar(value.items[i], child_type(0)) + "=" + RenderScalar(value.items[i + 1], child_type(1));
      }
      return text + "}";
    case SqlValue::Kind::Struct:
      text = "{";
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        if (i != 0) text += ", ";
        text += (i < type.field_names.size() ? type.field_names[i] : "field" + std::to_string(i)) + "=" +
                RenderScalar(value.items[i], child_type(i));
      }
      return text + "}";
    default: return RenderScalar(value, type);
  }
}

}  // namespace

std::optional<std::string> RenderAthenaValue(const SqlValue& value, const SqlType& type) {
  if (value.kind == SqlValue::Kind::Null) return std::nullopt;
  return RenderScalar(value, type);
}

}  // namespace mallard::athena
