#include "services/redshift_data/redshift_data_types.hpp"

#include <boost/json.hpp>

#include <cmath>

#include "common/encoding.hpp"
#include "sqlengine/sql_format.hpp"

namespace mallard::redshift_data {
namespace json = boost::json;
using sqlengine::SqlType;
using sqlengine::SqlTypeKind;
using sqlengine::SqlValue;

std::string RedshiftTypeName(const SqlType& type) {
  switch (type.kind) {
    case SqlTypeKind::Boolean: return "bool";
    case SqlTypeKind::TinyInt:
    case SqlTypeKind::SmallInt:
    case SqlTypeKind::UTinyInt: return "int2";
    case SqlTypeKind::Integer:
    case SqlTypeKind::USmallInt: return "int4";
    case SqlTypeKind::BigInt:
    case SqlTypeKind::UInteger: return "int8";
    case SqlTypeKind::UBigInt:
    case SqlTypeKind::HugeInt:
    case SqlTypeKind::UHugeInt:
    case SqlTypeKind::Decimal: return "numeric";
    case SqlTypeKind::Float: return "float4";
    case SqlTypeKind::Double: return "float8";
    case SqlTypeKind::Blob: return "varbyte";
    case SqlTypeKind::Date: return "date";
    case SqlTypeKind::Time: return "time";
    case SqlTypeKind::TimeTz: return "timetz";
    case SqlTypeKind::Timestamp: return "timestamp";
    case SqlTypeKind::TimestampTz: return "timestamptz";
    case SqlTypeKind::Interval: return "interval";
    case SqlTypeKind::List:
    case SqlTypeKind::Array:
    case SqlTypeKind::Struct:
    case SqlTypeKind::Map:
    case SqlTypeKind::Json: return "super";
    default: return "varchar";
  }
}

json::object ColumnMetadata(const sqlengine::SqlColumn& column, bool nullable, const std::string& schema,
                            const std::string& table) {
  std::string type_name = RedshiftTypeName(column.type);
  int precision = 0;
  int scale = 0;
  int length = 0;
  switch (column.type.kind) {
    case SqlTypeKind::TinyInt:
    case SqlTypeKind::SmallInt:
    case SqlTypeKind::UTinyInt: precision = 5; break;
    case SqlTypeKind::Integer:
    case SqlTypeKind::USmallInt: precision = 10; break;
    case SqlTypeKind::BigInt:
    case SqlTypeKind::UInteger: precision = 19; break;
    case SqlTypeKind::UBigInt: precision = 20; break;
    case SqlTypeKind::HugeInt:
    case SqlTypeKind::UHugeInt: precision = 38; break;
    case SqlTypeKind::Decimal:
      precision = column.type.precision;
      scale = column.type.scale;
      break;
    case SqlTypeKind::Float: precision = 8; scale = 8; break;
    case SqlTypeKind::Double: precision = 17; scale = 17; break;
    case SqlTypeKind::Boolean: precision = 1; break;
    default:
      if (type_name == "varchar") precision = length = 65535;
      break;
  }
  bool is_signed = type_name == "int2" || type_name == "int4" || type_name == "int8" || type_name == "numeric" ||
                   type_name == "float4" || type_name == "float8";
  return json::object{{"name", column.name},
                      {"label", column.name},
                      {"typeName", type_name},
                      {"length", length},
                      {"precision", precision},
                      {"scale", scale},
                      {"nullable", nullable ? 1 : 0},
                      {"isSigned", is_signed},
                      {"isCaseSensitive", type_name == "varchar"},
                      {"isCurrency", false},
                      {"schemaName", schema},
                      {"tableName", table}};
}

namespace {

// PostgreSQL's interval text: "1 year 2 mons 3 days 04:05:06".
std::string IntervalText(const SqlValue& value) {
  std::string text;
  auto add = [&](std::int64_t amount, const char* singular, const char* plural) {
    if (amount == 0) return;
    if (!text.empty()) text += " ";
    text += std::to_string(amount) + " " + (amount == 1 || amount == -1 ? singular : plural);
  };
  add(value.months / 12, "year", "years");
  add(value.months % 12, "mon", "mons");
  add(value.days, "day", "days");
  if (value.integer != 0 || text.empty()) {
    std::int64_t micros = value.integer;
    std::string sign = micros < 0 ? "-" : "";
    if (micros < 0) micros = -micros;
    if (!text.empty()) text += " ";
    text += sign;
    text += sqlengine::FormatTimeOfDay(micros, -1);
  }
  return text;
}

std::string TimestampText(std::int64_t micros) { return sqlengine::FormatTimestamp(micros, -1); }

// The text form of a scalar, as Redshift prints it.
std::string ScalarText(const SqlValue& value) {
  using Kind = SqlValue::Kind;
  switch (value.kind) {
    case Kind::Boolean: return value.boolean ? "true" : "false";
    case Kind::Integer: return std::to_string(value.integer);
    case Kind::Double: return sqlengine::FormatShortestDouble(value.real);
    case Kind::Exact:
    case Kind::Text: return value.text;
    case Kind::Blob: return sqlengine::HexBytes(value.text, false);
    case Kind::Date: return sqlengine::FormatDate(value.integer);
    case Kind::Time: return sqlengine::FormatTimeOfDay(value.integer, -1);
    case Kind::TimeTz: return sqlengine::FormatTimeOfDay(value.integer, -1) + sqlengine::FormatOffset(value.offset_seconds, false);
    case Kind::Timestamp: return TimestampText(value.integer);
    case Kind::TimestampTz: return TimestampText(value.integer) + "+00";
    case Kind::Interval: return IntervalText(value);
    default: return {};
  }
}

// SUPER values render as JSON: arrays, objects (struct fields / map keys), numbers, strings.
json::value SuperValue(const SqlValue& value, const SqlType& type) {
  static const SqlType kUnknown;
  auto child = [&](std::size_t index) -> const SqlType& {
    return index < type.children.size() ? type.children[index] : kUnknown;
  };
  using Kind = SqlValue::Kind;
  switch (value.kind) {
    case Kind::Null: return nullptr;
    case Kind::Boolean: return value.boolean;
    case Kind::Integer: return value.integer;
    case Kind::Double:
      if (std::isfinite(value.real)) return value.real;
      return json::string(sqlengine::FormatShortestDouble(value.real));
    case Kind::Exact: {
      boost::system::error_code error;
      json::value number = json::parse(value.text, error);
      return error ? json::value(json::string(value.text)) : number;
    }
    case Kind::List: {
      json::array items;
      for (const auto& item : value.items) items.push_back(SuperValue(item, child(0)));
      return items;
    }
    case Kind::Struct: {
      json::object fields;
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        std::string name = i < type.field_names.size() ? type.field_names[i] : std::to_string(i);
        fields[name] = SuperValue(value.items[i], child(i));
      }
      return fields;
    }
    case Kind::Map: {
      json::object entries;
      for (std::size_t i = 0; i + 1 < value.items.size(); i += 2) {
        entries[ScalarText(value.items[i])] = SuperValue(value.items[i + 1], child(1));
      }
      return entries;
    }
    default: return json::string(ScalarText(value));
  }
}

}  // namespace

json::object Field(const SqlValue& value, const SqlType& type) {
  using Kind = SqlValue::Kind;
  switch (value.kind) {
    case Kind::Null: return json::object{{"isNull", true}};
    case Kind::Boolean: return json::object{{"booleanValue", value.boolean}};
    case Kind::Integer:
      if (type.kind == SqlTypeKind::Decimal) return json::object{{"stringValue", ScalarText(value)}};
      return json::object{{"longValue", value.integer}};
    case Kind::Double:
      if (!std::isfinite(value.real)) return json::object{{"stringValue", ScalarText(value)}};
      return json::object{{"doubleValue", value.real}};
    case Kind::Blob: return json::object{{"blobValue", Base64Encode(value.text)}};
    case Kind::List:
    case Kind::Struct:
    case Kind::Map: return json::object{{"stringValue", json::serialize(SuperValue(value, type))}};
    default: break;
  }
  if (type.kind == SqlTypeKind::Json) return json::object{{"stringValue", value.text}};
  return json::object{{"stringValue", ScalarText(value)}};
}

}  // namespace mallard::redshift_data
