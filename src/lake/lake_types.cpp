#include "lake/lake_types.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mallard::lake {
namespace {

struct ScalarName {
  duckdb_type id;
  const char* lake;
  const char* duckdb;
};

// One table both ways; the first DuckLake name listed for a DuckDB type is the one written.
constexpr ScalarName kScalars[] = {
    {DUCKDB_TYPE_BOOLEAN, "boolean", "BOOLEAN"},
    {DUCKDB_TYPE_TINYINT, "int8", "TINYINT"},
    {DUCKDB_TYPE_SMALLINT, "int16", "SMALLINT"},
    {DUCKDB_TYPE_INTEGER, "int32", "INTEGER"},
    {DUCKDB_TYPE_BIGINT, "int64", "BIGINT"},
    {DUCKDB_TYPE_UTINYINT, "uint8", "UTINYINT"},
    {DUCKDB_TYPE_USMALLINT, "uint16", "USMALLINT"},
    {DUCKDB_TYPE_UINTEGER, "uint32", "UINTEGER"},
    {DUCKDB_TYPE_UBIGINT, "uint64", "UBIGINT"},
    {DUCKDB_TYPE_FLOAT, "float32", "FLOAT"},
    {DUCKDB_TYPE_DOUBLE, "float64", "DOUBLE"},
    {DUCKDB_TYPE_TIME, "time", "TIME"},
    {DUCKDB_TYPE_TIME_TZ, "timetz", "TIMETZ"},
    {DUCKDB_TYPE_DATE, "date", "DATE"},
    {DUCKDB_TYPE_TIMESTAMP, "timestamp", "TIMESTAMP"},
    {DUCKDB_TYPE_TIMESTAMP_TZ, "timestamptz", "TIMESTAMPTZ"},
    {DUCKDB_TYPE_TIMESTAMP_S, "timestamp_s", "TIMESTAMP_S"},
    {DUCKDB_TYPE_TIMESTAMP_MS, "timestamp_ms", "TIMESTAMP_MS"},
    {DUCKDB_TYPE_TIMESTAMP_NS, "timestamp_ns", "TIMESTAMP_NS"},
    {DUCKDB_TYPE_INTERVAL, "interval", "INTERVAL"},
    {DUCKDB_TYPE_VARCHAR, "varchar", "VARCHAR"},
    {DUCKDB_TYPE_BLOB, "blob", "BLOB"},
    {DUCKDB_TYPE_UUID, "uuid", "UUID"},
};

// DuckLake names accepted on read only.
constexpr std::pair<const char*, const char*> kReadAliases[] = {
    {"timestamp_us", "TIMESTAMP"}, {"time_ns", "TIME_NS"}, {"json", "JSON"}};

std::string Alias(const duckdb::LogicalType& type) {
  char* alias = duckdb_logical_type_get_alias(type.get());
  if (alias == nullptr) return "";
  std::string out = alias;
  duckdb_free(alias);
  return out;
}

void AppendFieldIds(const LakeColumn& column, std::string& out) {
  out += SqlString(column.name) + ": ";
  if (column.children.empty()) {
    out += std::to_string(column.column_id);
    return;
  }
  out += "{'__duckdb_field_id': " + std::to_string(column.column_id);
  for (const auto& child : column.children) {
    out += ", ";
    AppendFieldIds(child, out);
  }
  out += "}";
}

// RETURN_STATS names a leaf by its quoted path: "id", "s"."x", "l"."element".
void CollectLeaves(const LakeColumn& column, const std::string& prefix, bool top_level, std::vector<LeafColumn>& out) {
  std::string key = (prefix.empty() ? "" : prefix + ".") + SqlIdentifier(column.name);
  if (column.children.empty()) {
    out.push_back({&column, key, top_level});
    return;
  }
  for (const auto& child : column.children) CollectLeaves(child, key, false, out);
}

void AppendFingerprint(const LakeColumn& column, std::string& out) {
  out += std::to_string(column.column_id) + ":" + column.name + ":" + column.type + "(";
  for (const auto& child : column.children) AppendFingerprint(child, out);
  out += ")";
}

bool IsIntegerType(const std::string& type) {
  return type.rfind("int", 0) == 0 || type.rfind("uint", 0) == 0 || type.rfind("decimal", 0) == 0;
}

// Compares canonical decimal texts ("-12.50", "7") without converting to binary.
int CompareDecimalText(const std::string& left, const std::string& right) {
  bool left_negative = !left.empty() && left[0] == '-';
  bool right_negative = !right.empty() && right[0] == '-';
  if (left_negative != right_negative) return left_negative ? -1 : 1;
  auto split = [](const std::string& text) {
    std::string digits = text;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.erase(0, 1);
    auto dot = digits.find('.');
    std::string whole = dot == std::string::npos ? digits : digits.substr(0, dot);
    std::string fraction = dot == std::string::npos ? "" : digits.substr(dot + 1);
    whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size()));
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return std::pair{whole, fraction};
  };
  auto [left_whole, left_fraction] = split(left);
  auto [right_whole, right_fraction] = split(right);
  int magnitude = 0;
  if (left_whole.size() != right_whole.size()) {
    magnitude = left_whole.size() < right_whole.size() ? -1 : 1;
  } else if (int c = left_whole.compare(right_whole); c != 0) {
    magnitude = c < 0 ? -1 : 1;
  } else if (int f = left_fraction.compare(right_fraction); f != 0) {
    magnitude = f < 0 ? -1 : 1;
  }
  return left_negative ? -magnitude : magnitude;
}

double FloatStat(const std::string& text) {
  if (text == "inf" || text == "infinity") return HUGE_VAL;
  if (text == "-inf" || text == "-infinity") return -HUGE_VAL;
  return std::strtod(text.c_str(), nullptr);
}

}  // namespace

LakeResult<LakeColumn> ColumnFromDuckDbType(const std::string& name, const duckdb::LogicalType& type) {
  LakeColumn column;
  column.name = name;
  duckdb_type id = type.Id();
  if (id == DUCKDB_TYPE_VARCHAR && Alias(type) == "JSON") {
    column.type = "json";
    return column;
  }
  for (const auto& scalar : kScalars) {
    if (scalar.id == id) {
      column.type = scalar.lake;
      return column;
    }
  }
  switch (id) {
    case DUCKDB_TYPE_DECIMAL:
      column.type = "decimal(" + std::to_string(type.DecimalWidth()) + "," + std::to_string(type.DecimalScale()) + ")";
      return column;
    case DUCKDB_TYPE_LIST: {
      column.type = "list";
      MALLARD_ASSIGN_OR_RETURN(auto element, ColumnFromDuckDbType("element", type.ListChild()));
      column.children.push_back(std::move(element));
      return column;
    }
    case DUCKDB_TYPE_MAP: {
      column.type = "map";
      MALLARD_ASSIGN_OR_RETURN(auto key, ColumnFromDuckDbType("key", type.MapKey()));
      MALLARD_ASSIGN_OR_RETURN(auto value, ColumnFromDuckDbType("value", type.MapValue()));
      key.nulls_allowed = false;
      column.children.push_back(std::move(key));
      column.children.push_back(std::move(value));
      return column;
    }
    case DUCKDB_TYPE_STRUCT: {
      column.type = "struct";
      for (std::size_t i = 0; i < type.StructChildCount(); ++i) {
        MALLARD_ASSIGN_OR_RETURN(auto field, ColumnFromDuckDbType(type.StructChildName(i), type.StructChild(i)));
        column.children.push_back(std::move(field));
      }
      return column;
    }
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      // DuckDB's Parquet writer stores 128-bit integers as DOUBLE, which loses digits.
      return LakeFail(LakeErrorCode::kInvalid, "column \"" + name +
                                                   "\": 128-bit integers do not round-trip through Parquet; use DECIMAL(38,0)");
    case DUCKDB_TYPE_ENUM:
      return LakeFail(LakeErrorCode::kInvalid, "column \"" + name + "\": DuckLake has no ENUM type; store it as VARCHAR");
    case DUCKDB_TYPE_ARRAY:
      return LakeFail(LakeErrorCode::kInvalid,
                      "column \"" + name + "\": DuckLake has no fixed-size ARRAY type; use a list (e.g. INTEGER[])");
    default:
      return LakeFail(LakeErrorCode::kInvalid,
                      "column \"" + name + "\": DuckDB type id " + std::to_string(static_cast<int>(id)) +
                          " has no DuckLake equivalent");
  }
}

LakeResult<LakeColumn> ColumnFromSpec(duckdb::Connection& connection, const ColumnSpec& spec) {
  if (spec.name.empty()) return LakeFail(LakeErrorCode::kInvalid, "a column name must not be empty");
  auto statement = connection.Prepare("SELECT CAST(NULL AS " + spec.type + ") AS c");
  if (!statement.ok()) {
    return LakeFail(LakeErrorCode::kInvalid, "column \"" + spec.name + "\": unknown type '" + spec.type + "': " +
                                                 statement.error().message);
  }
  auto result = statement->ExecuteStreaming();
  if (!result.ok()) return LakeFail(LakeErrorCode::kInvalid, "column \"" + spec.name + "\": " + result.error().message);
  MALLARD_ASSIGN_OR_RETURN(auto column, ColumnFromDuckDbType(spec.name, result->ColumnType(0)));
  column.nulls_allowed = spec.nullable;
  if (spec.default_value) {
    // Normalise the literal through DuckDB so the catalog holds the value's canonical text.
    auto literal = connection.Prepare("SELECT CAST(CAST(" + *spec.default_value + " AS " + spec.type + ") AS VARCHAR)");
    if (!literal.ok()) {
      return LakeFail(LakeErrorCode::kInvalid, "column \"" + spec.name + "\": bad default " + *spec.default_value +
                                                   ": " + literal.error().message);
    }
    auto value = literal->ExecuteStreaming();
    if (!value.ok()) return LakeFail(LakeErrorCode::kInvalid, "column \"" + spec.name + "\": " + value.error().message);
    auto chunk = value->NextChunk();
    if (chunk.ok() && chunk->has_value() && (**chunk).Size() == 1 && (**chunk).Column(0).IsValid(0)) {
      column.initial_default = std::string(duckdb::StringAt((**chunk).Column(0), 0));
      column.default_value = column.initial_default;
    }
  }
  return column;
}

std::optional<DecimalType> ParseDecimalType(std::string_view type) {
  // "decimal(P,S)" exactly, as DuckLake writes it. from_chars rather than sscanf: sscanf's %d on
  // digits that overflow an int is undefined, and a damaged catalog's text must not reach SQL.
  constexpr std::string_view kOpen = "decimal(";
  if (type.substr(0, kOpen.size()) != kOpen || type.back() != ')') return std::nullopt;
  std::string_view inner = type.substr(kOpen.size(), type.size() - kOpen.size() - 1);
  auto comma = inner.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<int> {
    if (digits.empty() || digits.size() > 2) return std::nullopt;  // at most 38: two digits
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    int value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return value;
  };
  auto precision = number(inner.substr(0, comma));
  auto scale = number(inner.substr(comma + 1));
  if (!precision || !scale || *precision < 1 || *precision > kMaxDecimalPrecision || *scale > *precision) {
    return std::nullopt;
  }
  return DecimalType{*precision, *scale};
}

bool TypePromotionAllowed(const std::string& from, const std::string& to) {
  if (from == to) return false;
  auto integer = [](const std::string& type) -> std::pair<int, bool> {  // bits, signed
    for (int bits : {8, 16, 32, 64}) {
      if (type == "int" + std::to_string(bits)) return {bits, true};
      if (type == "uint" + std::to_string(bits)) return {bits, false};
    }
    return {0, false};
  };
  auto [from_bits, from_signed] = integer(from);
  auto [to_bits, to_signed] = integer(to);
  if (from_bits > 0 && to_bits > 0) return to_bits > from_bits && (to_signed || !from_signed);
  auto from_decimal = ParseDecimalType(from), to_decimal = ParseDecimalType(to);
  if (!from_decimal || !to_decimal) return false;
  // Neither the integer digits nor the scale may shrink.
  return to_decimal->precision - to_decimal->scale >= from_decimal->precision - from_decimal->scale &&
         to_decimal->scale >= from_decimal->scale;
}

void AssignColumnIds(LakeColumn& column, std::int64_t& next_id) {
  column.column_id = next_id++;
  for (auto& child : column.children) AssignColumnIds(child, next_id);
}

void AssignColumnIds(std::vector<LakeColumn>& columns, std::int64_t& next_id) {
  for (auto& column : columns) AssignColumnIds(column, next_id);
}

std::int64_t MaxColumnId(const std::vector<LakeColumn>& columns) {
  std::int64_t max_id = 0;
  for (const auto& column : columns) {
    max_id = std::max({max_id, column.column_id, MaxColumnId(column.children)});
  }
  return max_id;
}

bool ContainsJson(const LakeColumn& column) {
  if (column.type == "json") return true;
  for (const auto& child : column.children) {
    if (ContainsJson(child)) return true;
  }
  return false;
}

LakeResult<std::string> DuckDbTypeSql(const LakeColumn& column, bool json_as_varchar) {
  const std::string& type = column.type;
  if (type == "json" && json_as_varchar) return std::string("VARCHAR");
  for (const auto& scalar : kScalars) {
    if (type == scalar.lake) return std::string(scalar.duckdb);
  }
  for (const auto& [lake, duck] : kReadAliases) {
    if (type == lake) return std::string(duck);
  }
  if (auto decimal = ParseDecimalType(type)) {
    return "DECIMAL(" + std::to_string(decimal->precision) + "," + std::to_string(decimal->scale) + ")";
  }
  if (type == "list") {
    if (column.children.size() != 1) return LakeFail(LakeErrorCode::kInvalid, "list column \"" + column.name + "\" has no element");
    MALLARD_ASSIGN_OR_RETURN(auto element, DuckDbTypeSql(column.children[0], json_as_varchar));
    return element + "[]";
  }
  if (type == "map") {
    if (column.children.size() != 2) return LakeFail(LakeErrorCode::kInvalid, "map column \"" + column.name + "\" needs key and value");
    MALLARD_ASSIGN_OR_RETURN(auto key, DuckDbTypeSql(column.children[0], json_as_varchar));
    MALLARD_ASSIGN_OR_RETURN(auto value, DuckDbTypeSql(column.children[1], json_as_varchar));
    return "MAP(" + key + ", " + value + ")";
  }
  if (type == "struct") {
    std::string out = "STRUCT(";
    for (std::size_t i = 0; i < column.children.size(); ++i) {
      MALLARD_ASSIGN_OR_RETURN(auto field, DuckDbTypeSql(column.children[i], json_as_varchar));
      out += (i ? ", " : "") + SqlIdentifier(column.children[i].name) + " " + field;
    }
    return out + ")";
  }
  return LakeFail(LakeErrorCode::kUnsupported, "column \"" + column.name + "\" has DuckLake type '" + type +
                                                   "', which Mallard does not read");
}

std::string FieldIdsOption(const std::vector<LakeColumn>& columns) {
  std::string out = "{";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    AppendFieldIds(columns[i], out);
  }
  return out + "}";
}

LakeResult<std::string> ReadSchemaArgument(const std::vector<LakeColumn>& columns) {
  std::string out = "MAP {";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& column = columns[i];
    MALLARD_ASSIGN_OR_RETURN(auto type, DuckDbTypeSql(column, /*json_as_varchar=*/true));
    // Every default is given as text, which the reader casts to the column's type: the values of
    // one MAP literal must share a type, so a typed default (a DATE next to a VARCHAR) made every
    // read of the table fail to bind.
    std::string default_value = "NULL::VARCHAR";
    if (column.initial_default && *column.initial_default != "NULL") default_value = SqlString(*column.initial_default);
    out += (i ? ", " : "") + std::to_string(column.column_id) + ": {name: " + SqlString(column.name) +
           ", type: " + SqlString(type) + ", default_value: " + default_value + "}";
  }
  return out + "}";
}

std::vector<LeafColumn> LeafColumns(const std::vector<LakeColumn>& columns) {
  std::vector<LeafColumn> out;
  for (const auto& column : columns) CollectLeaves(column, "", true, out);
  return out;
}

std::string ColumnsFingerprint(const std::vector<LakeColumn>& columns) {
  std::string out;
  for (const auto& column : columns) AppendFingerprint(column, out);
  return out;
}

int CompareStatValues(const std::string& type, const std::string& left, const std::string& right) {
  if (type == "float32" || type == "float64") {
    double l = FloatStat(left), r = FloatStat(right);
    return l < r ? -1 : (l > r ? 1 : 0);
  }
  if (IsIntegerType(type)) return CompareDecimalText(left, right);
  // Dates and timestamps are rendered in fixed-width ISO form, so text order is time order;
  // "infinity" sorts after and "-infinity" before every finite value.
  if (type.rfind("date", 0) == 0 || type.rfind("timestamp", 0) == 0) {
    auto rank = [](const std::string& text) { return text == "-infinity" ? -1 : (text == "infinity" ? 1 : 0); };
    if (rank(left) != rank(right)) return rank(left) < rank(right) ? -1 : 1;
  }
  int c = left.compare(right);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace mallard::lake
