#pragma once
// AttributeValue: one DynamoDB value of any of the ten types, with the JSON codec (the
// AttributeValue shape of the awsJson API), AWS's validation rules, item-size accounting and the
// comparisons that conditions and sort keys need. Binary values hold raw bytes (base64 only on the
// wire).
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_decimal.hpp"

namespace mallard::dynamodb {

enum class AttrType : unsigned char { S, N, B, BOOL, NUL, SS, NS, BS, L, M };

// "S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M" (the wire tags).
std::string_view TypeTag(AttrType type);
// Inverse of TypeTag; false when `tag` is not one of the ten.
bool ParseTypeTag(std::string_view tag, AttrType& out);

struct AttributeValue;
using AttributeMap = std::map<std::string, AttributeValue>;
using Item = AttributeMap;

struct AttributeValue {
  AttrType type = AttrType::NUL;
  std::string bytes;                // S (UTF-8 text) or B (raw bytes)
  Decimal number;                   // N
  bool boolean = false;             // BOOL
  std::vector<std::string> byte_set;  // SS (UTF-8) or BS (raw bytes), in the order given
  std::vector<Decimal> number_set;  // NS, in the order given
  std::vector<AttributeValue> list;  // L
  AttributeMap map;                 // M

  static AttributeValue String(std::string text);
  static AttributeValue Number(Decimal number);
  static AttributeValue Binary(std::string raw);
  static AttributeValue Bool(bool value);
  static AttributeValue Null();
  static AttributeValue List(std::vector<AttributeValue> items);
  static AttributeValue Map(AttributeMap members);

  bool IsSet() const { return type == AttrType::SS || type == AttrType::NS || type == AttrType::BS; }
  bool IsScalarKeyType() const { return type == AttrType::S || type == AttrType::N || type == AttrType::B; }
};

// Deep equality as DynamoDB conditions see it: sets compare as sets (order-free), numbers
// numerically, maps by member; values of different types are never equal.
bool Equals(const AttributeValue& a, const AttributeValue& b);
// Orders two values of the same scalar type (S by UTF-8 bytes, N numerically, B by raw bytes):
// -1, 0, 1. Precondition: a.type == b.type and both are S, N or B.
int CompareScalar(const AttributeValue& a, const AttributeValue& b);
// memcmp-ordered bytes of an S/N/B value, consistent with CompareScalar (sort-key indexes, Redis).
std::string OrderedKeyBytes(const AttributeValue& value);

// Decodes one wire AttributeValue ({"S": "x"}, {"N": "1"}, {"B": "<base64>"}, ...) with AWS's
// validation: exactly one type member; numbers valid (Decimal::Parse); base64 valid; sets non-empty
// and without duplicates (numbers compared numerically); nesting bounded. On failure returns AWS's
// message text (without the "One or more parameter values were invalid: " prefix where AWS adds it
// per context; see the .cpp for the exact strings), e.g.
//   "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
//   "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
//   "An string set  may not be empty"  /  "An number set  may not be empty"  / "Binary sets should not be empty"
//   "Input collection [a, a] contains duplicates."
// Prefer DecodeValue / DecodeMap below, which return the complete AWS error.
Result<AttributeValue, std::string> ValueFromJson(const boost::json::value& json);
// An item / key / attribute-value map: {"name": AttributeValue, ...}.
Result<AttributeMap, std::string> MapFromJson(const boost::json::object& json);

// The same decoding with the complete error AWS returns: SerializationException for wire-type
// mismatches (a string where a value object is expected, {"N": 1}, {"BOOL": "x"}, invalid base64),
// which AWS reports before any validation anywhere in the value; otherwise ValidationException
// whose message carries the "One or more parameter values were invalid: " prefix exactly where AWS
// puts it (empty sets, duplicate strings/binaries, NULL not true) and not where AWS does not
// (empty or multi-typed values, number errors, duplicate numbers, nesting depth). Callers that
// embed the message (e.g. "ExpressionAttributeValues contains invalid value: <message> for key
// :v") use error().message as is.
Result<AttributeValue> DecodeValue(const boost::json::value& json);
Result<AttributeMap> DecodeMap(const boost::json::object& json);
// M and L containers allowed in one chain, top-level attribute's container included.
inline constexpr int kMaxNestingLevels = 32;
boost::json::value ValueToJson(const AttributeValue& value);
boost::json::object MapToJson(const AttributeMap& map);

// Size accounting as AWS documents it: name length in UTF-8 bytes plus the value size (strings and
// binaries by length, numbers by Decimal::StorageSize, BOOL/NULL 1 byte, lists/maps 3 bytes of
// overhead plus 1 byte per element plus the elements, sets the sum of their members).
std::size_t ValueSize(const AttributeValue& value);
std::size_t ItemSize(const AttributeMap& item);
inline constexpr std::size_t kMaxItemSize = 400 * 1024;

}  // namespace mallard::dynamodb
