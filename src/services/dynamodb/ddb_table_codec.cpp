#include "services/dynamodb/ddb_table_codec.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <set>

#include "common/ids.hpp"
#include "services/dynamodb/ddb_input.hpp"

namespace mallard::dynamodb::codec {
namespace json = boost::json;
using errors::InvalidParameter;
using errors::Validation;

namespace {

constexpr std::size_t kMaxGlobalIndexes = 20;
constexpr std::size_t kMaxLocalIndexes = 5;
constexpr std::size_t kMaxNonKeyAttributes = 100;
constexpr std::size_t kMaxKeyAttributeNameBytes = 255;
constexpr std::size_t kMaxTagsPerResource = 50;
// A global index's key may have up to four HASH and four RANGE attributes (multi-attribute keys;
// DynamoDB Developer Guide, "Multi-attribute key schema").
constexpr std::size_t kMaxMultiAttributeKeyParts = 4;
// The warm throughput every new table and GSI has (DynamoDB Developer Guide, "warm throughput").
constexpr std::int64_t kMinWarmReadUnits = 12000;
constexpr std::int64_t kMinWarmWriteUnits = 4000;

bool IsTableNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

// One KeySchemaElement: its attribute (typed by AttributeDefinitions; S until they are checked)
// and whether it is the HASH part. Shared by table/LSI and multi-attribute GSI key schemas.
struct KeySchemaEntry {
  KeyElement key;
  bool hash = false;
};
Result<KeySchemaEntry> ReadKeySchemaElement(const json::value& json, const std::map<std::string, AttrType>& definitions,
                                            std::string_view member) {
  if (!json.is_object()) return Fail(input::WrongType(member, "structure"));
  const auto& element = json.get_object();
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(element, "AttributeName"));
  MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(element, "KeyType", {"HASH", "RANGE"}, ""));
  if (type.empty()) return Fail(input::MissingMember("KeyType"));
  if (name.empty() || name.size() > 255)
    return Fail(input::ConstraintError("AttributeName", "'" + name + "'", "Member must have length between 1 and 255"));
  AttrType attribute_type = AttrType::S;
  if (auto it = definitions.find(name); it != definitions.end()) attribute_type = it->second;
  return KeySchemaEntry{KeyElement{std::move(name), attribute_type}, type == "HASH"};
}

// The key schema of a global index: one to four HASH attributes, then up to four RANGE attributes.
// Message wording: "The first KeySchemaElement…", "All HASH key attributes must precede RANGE key
// attributes in the KeySchema" and "The KeySchema exceeds the maximum allowed number of HASH key
// attributes" are AWS's (probed against DynamoDB by alchemy-run/alchemy#1216), with the
// "Invalid KeySchema: " prefix of AWS's other key-schema messages; the duplicate-name one is ours.
Result<KeySchema> ParseMultiAttributeKeySchema(const json::array& json, const std::map<std::string, AttrType>& definitions,
                                               std::string_view member) {
  KeySchema keys;
  std::size_t hashes = 0, ranges = 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < json.size(); ++i) {
    MALLARD_ASSIGN_OR_RETURN(auto entry, ReadKeySchemaElement(json[i], definitions, member));
    KeyElement key = std::move(entry.key);
    if (entry.hash) {
      if (i == 0) {
        keys.partition = std::move(key);
      } else {
        if (ranges != 0)
          return Fail(Validation("Invalid KeySchema: All HASH key attributes must precede RANGE key attributes in the KeySchema"));
        keys.more_partition.push_back(std::move(key));
      }
      ++hashes;
    } else {
      if (i == 0) return Fail(Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
      if (!keys.sort) keys.sort = std::move(key);
      else keys.more_sort.push_back(std::move(key));
      ++ranges;
    }
  }
  if (hashes > kMaxMultiAttributeKeyParts)
    return Fail(Validation("Invalid KeySchema: The KeySchema exceeds the maximum allowed number of HASH key attributes"));
  if (ranges > kMaxMultiAttributeKeyParts)
    return Fail(Validation("Invalid KeySchema: The KeySchema exceeds the maximum allowed number of RANGE key attributes"));
  for (std::size_t i = 0; i < json.size(); ++i) {
    const std::string name(json[i].get_object().at("AttributeName").get_string());
    if (names.insert(name).second) continue;
    if (hashes == 1 && ranges == 1)
      return Fail(Validation("Both the Hash Key and the Range Key element in the KeySchema have the same name"));
    return Fail(Validation("Invalid KeySchema: Duplicate key attribute name: " + name));
  }
  return keys;
}

Result<KeySchema> ParseKeySchema(const json::array& json, const std::map<std::string, AttrType>& definitions,
                                 std::string_view member, bool global_index = false) {
  if (json.empty())
    return Fail(input::ConstraintError(member, "'[]'", "Member must have length greater than or equal to 1"));
  if (global_index) return ParseMultiAttributeKeySchema(json, definitions, member);
  if (json.size() > 2)
    return Fail(input::ConstraintError(member, fmt::format("'{}'", json::serialize(json)),
                                       "Member must have length less than or equal to 2"));
  KeySchema keys;
  bool have_hash = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    MALLARD_ASSIGN_OR_RETURN(auto entry, ReadKeySchemaElement(json[i], definitions, member));
    if (entry.hash != (i == 0))  // a HASH after the first element, or a first element that is not HASH
      return Fail(Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
    if (entry.hash) {
      keys.partition = std::move(entry.key);
      have_hash = true;
    } else {
      keys.sort = std::move(entry.key);
    }
  }
  if (!have_hash) return Fail(Validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
  if (json.size() == 2 && !keys.sort) return Fail(Validation("Invalid KeySchema: Too many hash keys"));
  if (keys.sort && keys.sort->name == keys.partition.name)
    return Fail(Validation("Both the Hash Key and the Range Key element in the KeySchema have the same name"));
  return keys;
}

Result<IndexProjection> ParseProjection(const json::object* json, const std::string& index_name) {
  IndexProjection projection;
  if (!json) return Fail(input::MissingMember("Projection"));
  MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(*json, "ProjectionType", {"ALL", "KEYS_ONLY", "INCLUDE"}, ""));
  if (type.empty()) return Fail(InvalidParameter("Unknown ProjectionType: null"));
  projection.type = type == "ALL" ? ProjectionType::All : type == "KEYS_ONLY" ? ProjectionType::KeysOnly
                                                                             : ProjectionType::Include;
  MALLARD_ASSIGN_OR_RETURN(auto non_key, input::OptionalArray(*json, "NonKeyAttributes"));
  if (non_key) {
    if (projection.type != ProjectionType::Include)
      return Fail(InvalidParameter("ProjectionType is " + type + ", but NonKeyAttributes is specified"));
    std::set<std::string> seen;
    for (const auto& value : *non_key) {
      if (!value.is_string()) return Fail(input::WrongType("NonKeyAttributes", "string"));
      std::string name(value.get_string());
      // Attributes projected by name are limited like key names (AWS refuses 256 bytes).
      if (name.empty() || name.size() > kMaxKeyAttributeNameBytes)
        return Fail(InvalidParameter("Projected attribute name length must be between 1 and 255 bytes: index " +
                                     index_name));
      if (!seen.insert(name).second)
        return Fail(InvalidParameter("Duplicate NonKeyAttribute: " + name + " for index: " + index_name));
      projection.non_key_attributes.push_back(std::move(name));
    }
    if (projection.non_key_attributes.size() > kMaxNonKeyAttributes)
      return Fail(errors::LimitExceeded("The number of projected attributes in all indexes exceeds the limit of 100"));
  } else if (projection.type == ProjectionType::Include) {
    return Fail(InvalidParameter("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"));
  }
  return projection;
}

std::string Iso8601Label(std::int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, millis % 1000);
}

}  // namespace

double EpochSeconds(std::int64_t millis) { return static_cast<double>(millis) / 1000.0; }
std::string StreamLabel(std::int64_t millis) { return Iso8601Label(millis); }

Status<> ValidateTableName(const std::string& name, std::string_view member) {
  std::vector<std::string> problems;
  if (name.size() < 3) problems.push_back("Member must have length greater than or equal to 3");
  if (name.size() > 255) problems.push_back("Member must have length less than or equal to 255");
  bool pattern_ok = true;
  for (char c : name) pattern_ok = pattern_ok && IsTableNameChar(c);
  if (!pattern_ok) problems.push_back("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  if (problems.empty()) return Done{};
  std::string message = std::to_string(problems.size()) +
                        (problems.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i) message += "; ";
    message += "Value '" + name + "' at '" + input::FieldName(member) + "' failed to satisfy constraint: " + problems[i];
  }
  return Fail(Validation(message));
}

namespace {
// AWS's tag alphabet: letters, digits, white space and + - = . _ : / @. Letters and spaces outside
// ASCII are accepted as a whole (no Unicode category tables here): every non-ASCII character passes.
bool IsTagText(const std::string& text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) || std::isspace(u)) continue;
    if (std::string_view("+-=._:/@").find(c) == std::string_view::npos) return false;
  }
  return true;
}
}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseTags(const json::array& json) {
  std::vector<std::pair<std::string, std::string>> tags;
  for (std::size_t i = 0; i < json.size(); ++i) {
    if (!json[i].is_object()) return Fail(input::WrongType("Tags", "structure"));
    MALLARD_ASSIGN_OR_RETURN(auto key, input::RequiredString(json[i].get_object(), "Key"));
    MALLARD_ASSIGN_OR_RETURN(auto value, input::RequiredString(json[i].get_object(), "Value"));
    const std::string path = "tags." + std::to_string(i + 1) + ".member.";
    // Lengths are UTF-8 bytes, as DynamoDB counts them (128 for keys, 256 for values).
    if (key.empty() || key.size() > 128)
      return Fail(input::ConstraintError(path + "key", "'" + key + "'",
                                         key.empty() ? "Member must have length greater than or equal to 1"
                                                     : "Member must have length less than or equal to 128"));
    if (value.size() > 256)
      return Fail(input::ConstraintError(path + "value", "'" + value + "'",
                                         "Member must have length less than or equal to 256"));
    if (!IsTagText(key))
      return Fail(input::ConstraintError(path + "key", "'" + key + "'",
                                         "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"));
    if (!IsTagText(value))
      return Fail(input::ConstraintError(path + "value", "'" + value + "'",
                                         "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"));
    if (key.rfind("aws:", 0) == 0) return Fail(Validation("System tags (aws:*) cannot be added or modified"));
    tags.emplace_back(std::move(key), std::move(value));
  }
  return tags;
}

std::string TableNameFromArnOrName(const std::string& name_or_arn) {
  if (name_or_arn.rfind("arn:", 0) != 0) return name_or_arn;
  const auto slash = name_or_arn.find(":table/");
  if (slash == std::string::npos) return name_or_arn;
  std::string rest = name_or_arn.substr(slash + 7);
  return rest.substr(0, rest.find('/'));
}

std::string TableArn(const Scope& scope, const std::string& name) {
  return "arn:aws:dynamodb:" + scope.region + ":" + scope.account + ":table/" + name;
}

Result<std::map<std::string, AttrType>> ParseAttributeDefinitions(const json::array& json) {
  std::map<std::string, AttrType> definitions;
  for (const auto& value : json) {
    if (!value.is_object()) return Fail(input::WrongType("AttributeDefinitions", "structure"));
    const auto& element = value.get_object();
    MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(element, "AttributeName"));
    // KeySchemaAttributeName: 1-255 bytes, like the key schema that names them.
    if (name.empty() || name.size() > kMaxKeyAttributeNameBytes)
      return Fail(input::ConstraintError("AttributeDefinitions." + std::to_string(definitions.size() + 1) +
                                             ".member.attributeName",
                                         "'" + name + "'",
                                         name.empty() ? "Member must have length greater than or equal to 1"
                                                      : "Member must have length less than or equal to 255"));
    MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(element, "AttributeType", {"B", "N", "S"}, ""));
    if (type.empty()) return Fail(input::MissingMember("AttributeType"));
    AttrType parsed = AttrType::S;
    ParseTypeTag(type, parsed);
    if (!definitions.emplace(name, parsed).second)
      return Fail(InvalidParameter("Duplicate AttributeName in AttributeDefinitions: " + name));
  }
  return definitions;
}

Result<Throughput> ParseThroughput(const json::object& json, std::string_view member) {
  Throughput throughput;
  MALLARD_ASSIGN_OR_RETURN(auto read, input::OptionalInt(json, "ReadCapacityUnits"));
  MALLARD_ASSIGN_OR_RETURN(auto write, input::OptionalInt(json, "WriteCapacityUnits"));
  if (!read) return Fail(input::MissingMember(std::string(member) + ".readCapacityUnits"));
  if (!write) return Fail(input::MissingMember(std::string(member) + ".writeCapacityUnits"));
  for (auto [value, name] : {std::pair{*read, "readCapacityUnits"}, std::pair{*write, "writeCapacityUnits"}}) {
    if (value < 1)
      return Fail(Validation("1 validation error detected: Value '" + std::to_string(value) + "' at '" +
                             input::FieldName(member) + "." + name +
                             "' failed to satisfy constraint: Member must have value greater than or equal to 1"));
  }
  throughput.read_units = *read;
  throughput.write_units = *write;
  return throughput;
}

Result<StreamSettings> ParseStreamSpecification(const json::object& json) {
  StreamSettings settings;
  MALLARD_ASSIGN_OR_RETURN(auto enabled, input::OptionalBool(json, "StreamEnabled"));
  if (!enabled) return Fail(input::MissingMember("StreamSpecification.StreamEnabled"));
  MALLARD_ASSIGN_OR_RETURN(auto view_type,
                           input::EnumMember(json, "StreamViewType",
                                             {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"}, ""));
  settings.enabled = *enabled;
  if (settings.enabled && view_type.empty())
    return Fail(Validation("One or more parameter values were invalid: StreamViewType is required when StreamEnabled is true"));
  if (!settings.enabled && !view_type.empty())
    return Fail(Validation("One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false"));
  settings.view_type = view_type;
  return settings;
}

Status<> CheckIndexKeysDefined(const TableDefinition& table) {
  std::set<std::string> used{table.keys.partition.name};
  if (table.keys.sort) used.insert(table.keys.sort->name);
  for (const auto& index : table.indexes)
    ForEachKeyElement(index.keys, [&](const KeyElement& element) { used.insert(element.name); });
  std::string missing;
  for (const auto& name : used)
    if (table.attribute_definitions.count(name) == 0) missing += (missing.empty() ? "" : ", ") + name;
  if (!missing.empty()) {
    std::string defined;
    for (const auto& [name, type] : table.attribute_definitions) defined += (defined.empty() ? "" : ", ") + name;
    return Fail(InvalidParameter("Some index key attributes are not defined in AttributeDefinitions. Keys: [" +
                                 missing + "], AttributeDefinitions: [" + defined + "]"));
  }
  if (used.size() != table.attribute_definitions.size())
    return Fail(InvalidParameter(
        "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"));
  return Done{};
}

Result<IndexDefinition> ParseIndex(const json::object& json, const TableDefinition& table, bool global) {
  IndexDefinition index;
  index.global = global;
  MALLARD_ASSIGN_OR_RETURN(index.name, input::RequiredString(json, "IndexName"));
  if (index.name.size() < 3 || index.name.size() > 255 ||
      !std::all_of(index.name.begin(), index.name.end(), IsTableNameChar))
    return Fail(Validation("1 validation error detected: Value '" + index.name +
                           "' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression "
                           "pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"));
  MALLARD_ASSIGN_OR_RETURN(auto key_json, input::OptionalArray(json, "KeySchema"));
  if (!key_json) return Fail(input::MissingMember("KeySchema"));
  MALLARD_ASSIGN_OR_RETURN(index.keys, ParseKeySchema(*key_json, table.attribute_definitions, "KeySchema", global));
  MALLARD_ASSIGN_OR_RETURN(auto projection_json, input::OptionalObject(json, "Projection"));
  MALLARD_ASSIGN_OR_RETURN(index.projection, ParseProjection(projection_json, index.name));
  MALLARD_ASSIGN_OR_RETURN(auto throughput_json, input::OptionalObject(json, "ProvisionedThroughput"));
  if (global) {
    if (table.billing_mode == "PROVISIONED") {
      if (!throughput_json)
        return Fail(InvalidParameter("ProvisionedThroughput must be specified for index: " + index.name));
      MALLARD_ASSIGN_OR_RETURN(index.throughput, ParseThroughput(*throughput_json, "ProvisionedThroughput"));
    } else if (throughput_json) {
      return Fail(InvalidParameter(
          "ProvisionedThroughput should not be specified for index: " + index.name +
          " when BillingMode is PAY_PER_REQUEST"));
    }
  } else {
    if (throughput_json) return Fail(InvalidParameter("ProvisionedThroughput should not be specified for LocalSecondaryIndex: " + index.name));
    if (!table.keys.sort)
      return Fail(InvalidParameter(
          "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"));
    if (index.keys.partition.name != table.keys.partition.name)
      return Fail(InvalidParameter("Index KeySchema does not have the same leading hash key as table KeySchema for index: " +
                                   index.name + ". index hash key: " + index.keys.partition.name +
                                   ", table hash key: " + table.keys.partition.name));
    if (!index.keys.sort)
      return Fail(InvalidParameter("Index KeySchema does not have a range key for index: " + index.name));
  }
  MALLARD_ASSIGN_OR_RETURN(auto warm_json, input::OptionalObject(json, "WarmThroughput"));
  if (warm_json) {
    if (!global) return Fail(InvalidParameter("WarmThroughput cannot be specified for LocalSecondaryIndex: " + index.name));
    MALLARD_ASSIGN_OR_RETURN(index.warm, ParseWarmThroughput(*warm_json, "index " + index.name));
  }
  index.arn = table.arn + "/index/" + index.name;
  return index;
}

Result<std::string> ParseSseSpecification(const json::object& json, const Scope& scope) {
  MALLARD_ASSIGN_OR_RETURN(auto enabled, input::OptionalBool(json, "Enabled"));
  MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(json, "SSEType", {"AES256", "KMS"}, ""));
  MALLARD_ASSIGN_OR_RETURN(auto key, input::OptionalString(json, "KMSMasterKeyId"));
  if (!enabled.value_or(false)) {
    if (key) return Fail(InvalidParameter("KMSMasterKeyId can only be specified when SSE is enabled"));
    return std::string();  // the AWS owned key
  }
  if (type == "AES256") return Fail(InvalidParameter("SSEType AES256 is not supported"));
  // A key id, key ARN, alias name or alias ARN; DynamoDB reports the key's ARN. The default is the
  // AWS managed key alias/aws/dynamodb.
  const std::string kms = "arn:aws:kms:" + scope.region + ":" + scope.account + ":";
  if (!key || key->empty()) return kms + "alias/aws/dynamodb";
  if (key->rfind("arn:", 0) == 0) return *key;
  if (key->rfind("alias/", 0) == 0) return kms + *key;
  return kms + "key/" + *key;
}

Result<WarmThroughput> ParseWarmThroughput(const json::object& json, std::string_view member) {
  WarmThroughput warm;
  MALLARD_ASSIGN_OR_RETURN(auto read, input::OptionalInt(json, "ReadUnitsPerSecond"));
  MALLARD_ASSIGN_OR_RETURN(auto write, input::OptionalInt(json, "WriteUnitsPerSecond"));
  if (!read && !write)
    return Fail(InvalidParameter("At least one of ReadUnitsPerSecond or WriteUnitsPerSecond must be specified in " +
                                 std::string(member)));
  if (read && *read < kMinWarmReadUnits)
    return Fail(InvalidParameter("Requested ReadUnitsPerSecond " + std::to_string(*read) + " for " +
                                 std::string(member) + " is lower than the minimum of " +
                                 std::to_string(kMinWarmReadUnits)));
  if (write && *write < kMinWarmWriteUnits)
    return Fail(InvalidParameter("Requested WriteUnitsPerSecond " + std::to_string(*write) + " for " +
                                 std::string(member) + " is lower than the minimum of " +
                                 std::to_string(kMinWarmWriteUnits)));
  warm.read_units_per_second = read.value_or(0);
  warm.write_units_per_second = write.value_or(0);
  return warm;
}

Status<> RaiseWarmThroughput(WarmThroughput& current, const WarmThroughput& requested) {
  auto raise = [](std::int64_t& value, std::int64_t wanted, std::int64_t floor, const char* name) -> Status<> {
    if (wanted == 0) return Done{};
    if (wanted < std::max(value, floor))
      return Fail(InvalidParameter(std::string("Requested ") + name + " " + std::to_string(wanted) +
                                   " is lower than the current value " + std::to_string(std::max(value, floor)) +
                                   "; warm throughput can only be increased"));
    value = wanted;
    return Done{};
  };
  MALLARD_RETURN_IF_ERROR(raise(current.read_units_per_second, requested.read_units_per_second, kMinWarmReadUnits,
                                "ReadUnitsPerSecond"));
  return raise(current.write_units_per_second, requested.write_units_per_second, kMinWarmWriteUnits,
               "WriteUnitsPerSecond");
}

json::object WarmThroughputJson(const WarmThroughput& warm, const Throughput& throughput, const std::string& billing_mode,
                                const std::string& status) {
  // At least the minimum every table and GSI gets, and at least what is provisioned.
  const bool provisioned = billing_mode == "PROVISIONED";
  std::int64_t read = std::max(warm.read_units_per_second, kMinWarmReadUnits);
  std::int64_t write = std::max(warm.write_units_per_second, kMinWarmWriteUnits);
  if (provisioned) {
    read = std::max(read, throughput.read_units);
    write = std::max(write, throughput.write_units);
  }
  return json::object{{"ReadUnitsPerSecond", read}, {"WriteUnitsPerSecond", write}, {"Status", status}};
}

Result<TableDefinition> ParseCreateTable(const json::object& input, const Scope& scope, std::int64_t now_millis) {
  TableDefinition table;
  MALLARD_ASSIGN_OR_RETURN(auto name, input::RequiredString(input, "TableName"));
  table.name = TableNameFromArnOrName(name);
  MALLARD_RETURN_IF_ERROR(ValidateTableName(table.name));
  table.arn = TableArn(scope, table.name);
  table.table_id = NewUuid();
  table.created_millis = now_millis;

  MALLARD_ASSIGN_OR_RETURN(auto definitions_json, input::OptionalArray(input, "AttributeDefinitions"));
  if (!definitions_json) return Fail(input::MissingMember("AttributeDefinitions"));
  MALLARD_ASSIGN_OR_RETURN(table.attribute_definitions, ParseAttributeDefinitions(*definitions_json));
  MALLARD_ASSIGN_OR_RETURN(auto key_json, input::OptionalArray(input, "KeySchema"));
  if (!key_json) return Fail(input::MissingMember("KeySchema"));
  MALLARD_ASSIGN_OR_RETURN(table.keys, ParseKeySchema(*key_json, table.attribute_definitions, "KeySchema"));

  MALLARD_ASSIGN_OR_RETURN(table.billing_mode,
                           input::EnumMember(input, "BillingMode", {"PROVISIONED", "PAY_PER_REQUEST"}, "PROVISIONED"));
  MALLARD_ASSIGN_OR_RETURN(auto throughput_json, input::OptionalObject(input, "ProvisionedThroughput"));
  if (table.billing_mode == "PROVISIONED") {
    if (!throughput_json)
      return Fail(InvalidParameter(
          "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"));
    MALLARD_ASSIGN_OR_RETURN(table.throughput, ParseThroughput(*throughput_json, "ProvisionedThroughput"));
  } else {
    if (throughput_json)
      return Fail(InvalidParameter(
          "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"));
    table.billing_mode_changed_millis = now_millis;
  }

  std::set<std::string> index_names;
  for (auto [member, global] : {std::pair{"GlobalSecondaryIndexes", true}, std::pair{"LocalSecondaryIndexes", false}}) {
    MALLARD_ASSIGN_OR_RETURN(auto indexes_json, input::OptionalArray(input, member));
    if (!indexes_json) continue;
    if (indexes_json->empty())
      return Fail(InvalidParameter(std::string("List of ") + member + " is empty"));
    if (global && indexes_json->size() > kMaxGlobalIndexes)
      return Fail(InvalidParameter("GlobalSecondaryIndex count exceeds the per-table limit of 20"));
    if (!global && indexes_json->size() > kMaxLocalIndexes)
      return Fail(InvalidParameter("Number of LocalSecondaryIndexes exceeds per-table limit of 5"));
    for (const auto& value : *indexes_json) {
      if (!value.is_object()) return Fail(input::WrongType(member, "structure"));
      MALLARD_ASSIGN_OR_RETURN(auto index, ParseIndex(value.get_object(), table, global));
      if (!index_names.insert(index.name).second) return Fail(InvalidParameter("Duplicate index name: " + index.name));
      table.indexes.push_back(std::move(index));
    }
  }
  MALLARD_RETURN_IF_ERROR(CheckIndexKeysDefined(table));
  // Key types come from the definitions (ParseKeySchema saw them, but indexes parsed before a
  // mismatch was reported must agree too).
  auto typed = [&](KeyElement& element) { element.type = table.attribute_definitions.at(element.name); };
  typed(table.keys.partition);
  if (table.keys.sort) typed(*table.keys.sort);
  for (auto& index : table.indexes) ForEachKeyElement(index.keys, typed);

  MALLARD_ASSIGN_OR_RETURN(auto stream_json, input::OptionalObject(input, "StreamSpecification"));
  if (stream_json) {
    MALLARD_ASSIGN_OR_RETURN(table.stream, ParseStreamSpecification(*stream_json));
    if (table.stream.enabled) table.stream.label = StreamLabel(now_millis);
  }
  MALLARD_ASSIGN_OR_RETURN(auto tags_json, input::OptionalArray(input, "Tags"));
  if (tags_json) {
    MALLARD_ASSIGN_OR_RETURN(auto tags, ParseTags(*tags_json));
    for (auto& [key, value] : tags) table.tags[key] = std::move(value);
    if (table.tags.size() > kMaxTagsPerResource)
      return Fail(errors::LimitExceeded("Too many tags for resource: the limit is 50"));
  }
  MALLARD_ASSIGN_OR_RETURN(table.table_class,
                           input::EnumMember(input, "TableClass", {"STANDARD", "STANDARD_INFREQUENT_ACCESS"}, "STANDARD"));
  MALLARD_ASSIGN_OR_RETURN(auto protection, input::OptionalBool(input, "DeletionProtectionEnabled"));
  table.deletion_protection = protection.value_or(false);
  MALLARD_ASSIGN_OR_RETURN(auto sse_json, input::OptionalObject(input, "SSESpecification"));
  if (sse_json) {
    MALLARD_ASSIGN_OR_RETURN(table.sse_kms_key_arn, ParseSseSpecification(*sse_json, scope));
  }
  MALLARD_ASSIGN_OR_RETURN(auto warm_json, input::OptionalObject(input, "WarmThroughput"));
  if (warm_json) {
    MALLARD_ASSIGN_OR_RETURN(table.warm, ParseWarmThroughput(*warm_json, "table " + table.name));
  }
  return table;
}

json::array KeySchemaJson(const KeySchema& keys) {
  json::array schema;
  for (std::size_t i = 0; i < keys.PartitionCount(); ++i)
    schema.push_back(json::object{{"AttributeName", keys.PartitionAt(i).name}, {"KeyType", "HASH"}});
  for (std::size_t i = 0; i < keys.SortCount(); ++i)
    schema.push_back(json::object{{"AttributeName", keys.SortAt(i).name}, {"KeyType", "RANGE"}});
  return schema;
}

json::object ProjectionJson(const IndexProjection& projection) {
  json::object json;
  json["ProjectionType"] = projection.type == ProjectionType::All        ? "ALL"
                           : projection.type == ProjectionType::KeysOnly ? "KEYS_ONLY"
                                                                         : "INCLUDE";
  if (projection.type == ProjectionType::Include) {
    json::array names;
    for (const auto& name : projection.non_key_attributes) names.emplace_back(name);
    json["NonKeyAttributes"] = std::move(names);
  }
  return json;
}

json::object ThroughputJson(const Throughput& throughput, const std::string& billing_mode) {
  json::object json;
  const bool provisioned = billing_mode == "PROVISIONED";
  if (provisioned && throughput.last_increase_millis)
    json["LastIncreaseDateTime"] = EpochSeconds(throughput.last_increase_millis);
  if (provisioned && throughput.last_decrease_millis)
    json["LastDecreaseDateTime"] = EpochSeconds(throughput.last_decrease_millis);
  json["NumberOfDecreasesToday"] = provisioned ? throughput.decreases_today : 0;
  json["ReadCapacityUnits"] = provisioned ? throughput.read_units : 0;
  json["WriteCapacityUnits"] = provisioned ? throughput.write_units : 0;
  return json;
}

json::object TableDescriptionJson(const TableDefinition& table, const TableStats& stats) {
  json::object json;
  json::array definitions;
  for (const auto& [name, type] : table.attribute_definitions)
    definitions.push_back(json::object{{"AttributeName", name}, {"AttributeType", std::string(TypeTag(type))}});
  json["AttributeDefinitions"] = std::move(definitions);
  json["TableName"] = table.name;
  json["KeySchema"] = KeySchemaJson(table.keys);
  json["TableStatus"] = table.status;
  json["CreationDateTime"] = EpochSeconds(table.created_millis);
  json["ProvisionedThroughput"] = ThroughputJson(table.throughput, table.billing_mode);
  json["TableSizeBytes"] = stats.size_bytes;
  json["ItemCount"] = stats.item_count;
  json["TableArn"] = table.arn;
  json["TableId"] = table.table_id;
  if (table.billing_mode == "PAY_PER_REQUEST" || table.billing_mode_changed_millis != 0) {
    json::object summary{{"BillingMode", table.billing_mode}};
    if (table.billing_mode == "PAY_PER_REQUEST")
      summary["LastUpdateToPayPerRequestDateTime"] = EpochSeconds(table.billing_mode_changed_millis);
    json["BillingModeSummary"] = std::move(summary);
  }
  json::array globals, locals;
  for (const auto& index : table.indexes) {
    json::object entry{{"IndexName", index.name},
                       {"KeySchema", KeySchemaJson(index.keys)},
                       {"Projection", ProjectionJson(index.projection)}};
    auto stat = stats.indexes.find(index.name);
    entry["IndexSizeBytes"] = stat == stats.indexes.end() ? 0 : stat->second.size_bytes;
    entry["ItemCount"] = stat == stats.indexes.end() ? 0 : stat->second.item_count;
    entry["IndexArn"] = index.arn;
    if (index.global) {
      entry["IndexStatus"] = index.status;
      entry["ProvisionedThroughput"] = ThroughputJson(index.throughput, table.billing_mode);
      entry["WarmThroughput"] = WarmThroughputJson(index.warm, index.throughput, table.billing_mode, index.status);
      globals.push_back(std::move(entry));
    } else {
      locals.push_back(std::move(entry));
    }
  }
  if (!globals.empty()) json["GlobalSecondaryIndexes"] = std::move(globals);
  if (!locals.empty()) json["LocalSecondaryIndexes"] = std::move(locals);
  if (table.stream.enabled)
    json["StreamSpecification"] = json::object{{"StreamEnabled", true}, {"StreamViewType", table.stream.view_type}};
  if (!table.stream.label.empty()) {
    json["LatestStreamLabel"] = table.stream.label;
    json["LatestStreamArn"] = table.arn + "/stream/" + table.stream.label;
  }
  if (table.table_class != "STANDARD")
    json["TableClassSummary"] = json::object{{"TableClass", table.table_class}};
  json["DeletionProtectionEnabled"] = table.deletion_protection;
  if (!table.sse_kms_key_arn.empty())
    json["SSEDescription"] =
        json::object{{"Status", "ENABLED"}, {"SSEType", "KMS"}, {"KMSMasterKeyArn", table.sse_kms_key_arn}};
  json["WarmThroughput"] = WarmThroughputJson(table.warm, table.throughput, table.billing_mode, table.status);
  if (!table.restored_from_backup_arn.empty() || !table.restored_from_table_arn.empty()) {
    json::object restore;
    if (!table.restored_from_backup_arn.empty()) restore["SourceBackupArn"] = table.restored_from_backup_arn;
    if (!table.restored_from_table_arn.empty()) restore["SourceTableArn"] = table.restored_from_table_arn;
    restore["RestoreDateTime"] = EpochSeconds(table.restored_millis);
    restore["RestoreInProgress"] = false;
    json["RestoreSummary"] = std::move(restore);
  }
  return json;
}

json::object DeletedTableDescriptionJson(const TableDefinition& table, const TableStats& stats) {
  // DeleteTable answers with a reduced description (AWS CLI/SDK examples of real responses): no key
  // schema, attribute definitions, indexes or creation time.
  json::object json{{"TableName", table.name},
                    {"TableStatus", "DELETING"},
                    {"ProvisionedThroughput", ThroughputJson(table.throughput, table.billing_mode)},
                    {"TableSizeBytes", stats.size_bytes},
                    {"ItemCount", stats.item_count},
                    {"TableArn", table.arn},
                    {"TableId", table.table_id}};
  json["ProvisionedThroughput"].as_object().erase("LastIncreaseDateTime");
  json["ProvisionedThroughput"].as_object().erase("LastDecreaseDateTime");
  if (table.billing_mode == "PAY_PER_REQUEST") {
    json["BillingModeSummary"] = json::object{
        {"BillingMode", table.billing_mode},
        {"LastUpdateToPayPerRequestDateTime", EpochSeconds(table.billing_mode_changed_millis)}};
  }
  return json;
}

json::object StreamDescriptionJson(const StreamDescription& stream) {
  json::object json;
  json["StreamArn"] = stream.arn;
  json["StreamLabel"] = stream.label;
  json["StreamStatus"] = stream.status;
  json["StreamViewType"] = stream.view_type;
  json["CreationRequestDateTime"] = EpochSeconds(stream.created_millis);
  json["TableName"] = stream.table_name;
  json["KeySchema"] = KeySchemaJson(stream.keys);
  json::array shards;
  for (const auto& shard : stream.shards) {
    json::object range{{"StartingSequenceNumber", shard.starting_sequence_number}};
    if (!shard.ending_sequence_number.empty()) range["EndingSequenceNumber"] = shard.ending_sequence_number;
    json::object entry{{"ShardId", shard.shard_id}, {"SequenceNumberRange", std::move(range)}};
    if (!shard.parent_shard_id.empty()) entry["ParentShardId"] = shard.parent_shard_id;
    shards.push_back(std::move(entry));
  }
  json["Shards"] = std::move(shards);
  return json;
}

}  // namespace mallard::dynamodb::codec
