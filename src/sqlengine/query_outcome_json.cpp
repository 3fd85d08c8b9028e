#include "sqlengine/query_outcome_json.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/encoding.hpp"

namespace mallard::sqlengine {
namespace {

using sqlengine::QueryOutcome;
using sqlengine::SqlColumn;
using sqlengine::SqlType;
using sqlengine::SqlValue;
namespace json = boost::json;

// Deep enough for any nested type or value DuckDB produces; deeper is refused, never recursed.
constexpr int kMaxDepth = 64;

std::string DoubleText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

Result<double, std::string> ParseDouble(std::string_view text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return Fail("not a number: " + std::string(text));
  return value;
}

json::object TypeToJson(const SqlType& type) {
  json::object out{{"kind", static_cast<int>(type.kind)}, {"engine_name", type.engine_name}};
  if (type.precision != 0 || type.scale != 0) {
    out["precision"] = type.precision;
    out["scale"] = type.scale;
  }
  if (!type.field_names.empty()) {
    json::array names;
    for (const auto& name : type.field_names) names.emplace_back(name);
    out["field_names"] = std::move(names);
  }
  if (!type.children.empty()) {
    json::array children;
    for (const auto& child : type.children) children.emplace_back(TypeToJson(child));
    out["children"] = std::move(children);
  }
  return out;
}

json::value ValueToJson(const SqlValue& value) {
  json::object out{{"k", static_cast<int>(value.kind)}};
  switch (value.kind) {
    case SqlValue::Kind::Null: break;
    case SqlValue::Kind::Boolean: out["b"] = value.boolean; break;
    case SqlValue::Kind::Double: out["d"] = DoubleText(value.real); break;
    case SqlValue::Kind::Blob: out["t"] = Base64Encode(value.text); break;
    case SqlValue::Kind::Exact:
    case SqlValue::Kind::Text: out["t"] = value.text; break;
    case SqlValue::Kind::List:
    case SqlValue::Kind::Struct:
    case SqlValue::Kind::Map: {
      json::array items;
      for (const auto& item : value.items) items.emplace_back(ValueToJson(item));
      out["items"] = std::move(items);
      break;
    }
    default:  // integers, dates, times, timestamps, intervals
      out["i"] = value.integer;
      if (value.months != 0) out["months"] = value.months;
      if (value.days != 0) out["days"] = value.days;
      if (value.offset_seconds != 0) out["offset_seconds"] = value.offset_seconds;
  }
  return out;
}

const json::object* AsObject(const json::value& value) { return value.if_object(); }

Result<std::int64_t, std::string> Int(const json::object& object, std::string_view key, std::int64_t fallback = 0) {
  const auto* found = object.if_contains(key);
  if (found == nullptr) return fallback;
  if (const auto* number = found->if_int64()) return *number;
  if (const auto* number = found->if_uint64(); number && *number <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(*number);
  }
  return Fail(std::string(key) + " is not an integer");
}

Result<std::string, std::string> Text(const json::object& object, std::string_view key) {
  const auto* found = object.if_contains(key);
  if (found == nullptr) return std::string();
  if (const auto* text = found->if_string()) return std::string(*text);
  return Fail(std::string(key) + " is not a string");
}

Result<SqlType, std::string> TypeFromJson(const json::value& json, int depth) {
  if (depth > kMaxDepth) return Fail(std::string("column type nested too deeply"));
  const auto* object = AsObject(json);
  if (object == nullptr) return Fail(std::string("column type is not an object"));
  SqlType type;
  MALLARD_ASSIGN_OR_RETURN(auto kind, Int(*object, "kind"));
  if (kind < 0 || kind > static_cast<int>(sqlengine::SqlTypeKind::Other)) return Fail("unknown type kind " + std::to_string(kind));
  type.kind = static_cast<sqlengine::SqlTypeKind>(kind);
  MALLARD_ASSIGN_OR_RETURN(type.engine_name, Text(*object, "engine_name"));
  MALLARD_ASSIGN_OR_RETURN(auto precision, Int(*object, "precision"));
  MALLARD_ASSIGN_OR_RETURN(auto scale, Int(*object, "scale"));
  if (precision < 0 || precision > 255 || scale < 0 || scale > 255) return Fail(std::string("bad DECIMAL precision or scale"));
  type.precision = static_cast<std::uint8_t>(precision);
  type.scale = static_cast<std::uint8_t>(scale);
  if (const auto* names = object->if_contains("field_names")) {
    if (!names->is_array()) return Fail(std::string("field_names is not an array"));
    for (const auto& name : names->get_array()) {
      if (!name.is_string()) return Fail(std::string("a field name is not a string"));
      type.field_names.emplace_back(name.get_string());
    }
  }
  if (const auto* children = object->if_contains("children")) {
    if (!children->is_array()) return Fail(std::string("children is not an array"));
    for (const auto& child : children->get_array()) {
      MALLARD_ASSIGN_OR_RETURN(auto parsed, TypeFromJson(child, depth + 1));
      type.children.push_back(std::move(parsed));
    }
  }
  return type;
}

Result<SqlValue, std::string> ValueFromJson(const json::value& json, int depth) {
  if (depth > kMaxDepth) return Fail(std::string("value nested too deeply"));
  const auto* object = AsObject(json);
  if (object == nullptr) return Fail(std::string("cell is not an object"));
  SqlValue value;
  MALLARD_ASSIGN_OR_RETURN(auto kind, Int(*object, "k"));
  if (kind < 0 || kind > static_cast<int>(SqlValue::Kind::Map)) return Fail("unknown cell kind " + std::to_string(kind));
  value.kind = static_cast<SqlValue::Kind>(kind);
  switch (value.kind) {
    case SqlValue::Kind::Null: break;
    case SqlValue::Kind::Boolean: {
      const auto* flag = object->if_contains("b");
      if (flag == nullptr || !flag->is_bool()) return Fail(std::string("boolean cell without b"));
      value.boolean = flag->get_bool();
      break;
    }
    case SqlValue::Kind::Double: {
      MALLARD_ASSIGN_OR_RETURN(auto text, Text(*object, "d"));
      MALLARD_ASSIGN_OR_RETURN(value.real, ParseDouble(text));
      break;
    }
    case SqlValue::Kind::Blob: {
      MALLARD_ASSIGN_OR_RETURN(auto text, Text(*object, "t"));
      auto bytes = Base64Decode(text);
      if (!bytes) return Fail(std::string("blob cell is not base64"));
      value.text = std::move(*bytes);
      break;
    }
    case SqlValue::Kind::Exact:
    case SqlValue::Kind::Text: {
      MALLARD_ASSIGN_OR_RETURN(value.text, Text(*object, "t"));
      break;
    }
    case SqlValue::Kind::List:
    case SqlValue::Kind::Struct:
    case SqlValue::Kind::Map: {
      if (const auto* items = object->if_contains("items")) {
        if (!items->is_array()) return Fail(std::string("items is not an array"));
        for (const auto& item : items->get_array()) {
          MALLARD_ASSIGN_OR_RETURN(auto parsed, ValueFromJson(item, depth + 1));
          value.items.push_back(std::move(parsed));
        }
      }
      break;
    }
    default: {
      MALLARD_ASSIGN_OR_RETURN(value.integer, Int(*object, "i"));
      MALLARD_ASSIGN_OR_RETURN(auto months, Int(*object, "months"));
      MALLARD_ASSIGN_OR_RETURN(auto days, Int(*object, "days"));
      MALLARD_ASSIGN_OR_RETURN(auto offset, Int(*object, "offset_seconds"));
      if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX || offset < INT32_MIN ||
          offset > INT32_MAX) {
        return Fail(std::string("interval or offset out of range"));
      }
      value.months = static_cast<std::int32_t>(months);
      value.days = static_cast<std::int32_t>(days);
      value.offset_seconds = static_cast<std::int32_t>(offset);
    }
  }
  return value;
}

}  // namespace

json::array OutcomesToJson(const std::vector<QueryOutcome>& outcomes) {
  json::array out;
  for (const auto& outcome : outcomes) {
    json::array columns;
    for (const auto& column : outcome.columns) {
      columns.emplace_back(json::object{{"name", column.name}, {"type", TypeToJson(column.type)}});
    }
    json::array rows;
    for (const auto& row : outcome.rows) {
      json::array cells;
      for (const auto& cell : row) cells.emplace_back(ValueToJson(cell));
      rows.emplace_back(std::move(cells));
    }
    out.emplace_back(json::object{{"succeeded", outcome.succeeded},
                                  {"cancelled", outcome.cancelled},
                                  {"error_message", outcome.error_message},
                                  {"user_error", outcome.user_error},
                                  {"has_result_set", outcome.has_result_set},
                                  {"statement_kind", static_cast<int>(outcome.statement_kind)},
                                  {"columns", std::move(columns)},
                                  {"rows", std::move(rows)},
                                  {"rows_affected", outcome.rows_affected},
                                  {"result_bytes", outcome.result_bytes},
                                  {"engine_millis", outcome.engine_millis},
                                  {"planning_millis", outcome.planning_millis}});
  }
  return out;
}

Result<std::vector<QueryOutcome>, std::string> OutcomesFromJson(const json::value& json) {
  if (!json.is_array()) return Fail(std::string("outcomes is not an array"));
  std::vector<QueryOutcome> outcomes;
  for (const auto& item : json.get_array()) {
    const auto* object = AsObject(item);
    if (object == nullptr) return Fail(std::string("an outcome is not an object"));
    QueryOutcome outcome;
    auto flag = [&](std::string_view key, bool& target) -> Status<std::string> {
      const auto* found = object->if_contains(key);
      if (found == nullptr) return Done{};
      if (!found->is_bool()) return Fail(std::string(key) + " is not a boolean");
      target = found->get_bool();
      return Done{};
    };
    MALLARD_RETURN_IF_ERROR(flag("succeeded", outcome.succeeded));
    MALLARD_RETURN_IF_ERROR(flag("cancelled", outcome.cancelled));
    MALLARD_RETURN_IF_ERROR(flag("user_error", outcome.user_error));
    MALLARD_RETURN_IF_ERROR(flag("has_result_set", outcome.has_result_set));
    MALLARD_ASSIGN_OR_RETURN(outcome.error_message, Text(*object, "error_message"));
    MALLARD_ASSIGN_OR_RETURN(auto kind, Int(*object, "statement_kind"));
    if (kind < 0 || kind > static_cast<int>(sqlengine::StatementKind::Utility)) return Fail(std::string("unknown statement_kind"));
    outcome.statement_kind = static_cast<sqlengine::StatementKind>(kind);
    MALLARD_ASSIGN_OR_RETURN(outcome.rows_affected, Int(*object, "rows_affected", -1));
    MALLARD_ASSIGN_OR_RETURN(outcome.result_bytes, Int(*object, "result_bytes"));
    MALLARD_ASSIGN_OR_RETURN(outcome.engine_millis, Int(*object, "engine_millis"));
    MALLARD_ASSIGN_OR_RETURN(outcome.planning_millis, Int(*object, "planning_millis"));
    if (const auto* columns = object->if_contains("columns")) {
      if (!columns->is_array()) return Fail(std::string("columns is not an array"));
      for (const auto& column : columns->get_array()) {
        const auto* fields = AsObject(column);
        if (fields == nullptr) return Fail(std::string("a column is not an object"));
        SqlColumn parsed;
        MALLARD_ASSIGN_OR_RETURN(parsed.name, Text(*fields, "name"));
        const auto* type = fields->if_contains("type");
        if (type == nullptr) return Fail("column " + parsed.name + " has no type");
        MALLARD_ASSIGN_OR_RETURN(parsed.type, TypeFromJson(*type, 0));
        outcome.columns.push_back(std::move(parsed));
      }
    }
    if (const auto* rows = object->if_contains("rows")) {
      if (!rows->is_array()) return Fail(std::string("rows is not an array"));
      for (const auto& row : rows->get_array()) {
        if (!row.is_array()) return Fail(std::string("a row is not an array"));
        sqlengine::SqlRow cells;
        for (const auto& cell : row.get_array()) {
          MALLARD_ASSIGN_OR_RETURN(auto parsed, ValueFromJson(cell, 0));
          cells.push_back(std::move(parsed));
        }
        // A row as wide as the columns: readers index the columns by cell.
        if (cells.size() != outcome.columns.size())
          return Fail("a row has " + std::to_string(cells.size()) + " cells for " + std::to_string(outcome.columns.size()) +
                      " columns");
        outcome.rows.push_back(std::move(cells));
      }
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

}  // namespace mallard::sqlengine
