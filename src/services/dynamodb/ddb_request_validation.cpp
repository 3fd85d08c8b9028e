#include "services/dynamodb/ddb_request_validation.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "services/dynamodb/model/ddb_errors.hpp"

namespace mallard::dynamodb::request_validation {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxReportedViolations = 10;  // AWS lists at most ten
constexpr std::string_view kJavaPackage = "com.amazonaws.dynamodb.v20120810.";
// What the deserialiser says when a parameterised collection (a list or map that is itself an
// element of a list or a value of a map) is given a scalar: the Java class cast it attempts.
constexpr std::string_view kParameterizedCast =
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class "
    "(sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of "
    "loader 'bootstrap')";

enum class Kind : char {
  String = 's', Integer = 'i', Long = 'l', Boolean = 'b', Double = 'd', Blob = 'B', Timestamp = 'T',
  Structure = 'S', List = 'L', Map = 'M'
};

struct ModelShape {
  std::string name;
  Kind kind = Kind::String;
  std::vector<std::pair<std::string, const ModelShape*>> members;
  std::vector<std::string> required;
  std::vector<std::string> enumeration;
  std::optional<std::int64_t> min, max;
  std::string pattern;
  const ModelShape* element = nullptr;
  const ModelShape* key = nullptr;
  const ModelShape* value = nullptr;
  bool constrained = false;  // it or anything below it has a constraint to check

  bool HasOwnConstraints() const {
    return !required.empty() || !enumeration.empty() || min || max || !pattern.empty();
  }
  bool IsRequired(const std::string& member) const {
    return std::find(required.begin(), required.end(), member) != required.end();
  }
};

struct ServiceModel {
  std::deque<ModelShape> shapes;  // stable addresses
  std::map<std::string, const ModelShape*, std::less<>> operations;
};

struct Models {
  ServiceModel dynamodb, streams;
};

constexpr const char* kModelJson =
#include "services/dynamodb/ddb_request_model_data.inc"
    ;

void LoadService(const json::object& source, ServiceModel& out) {
  std::map<std::string, ModelShape*, std::less<>> by_name;
  const auto& shapes = source.at("shapes").as_object();
  for (const auto& entry : shapes) {
    out.shapes.emplace_back();
    out.shapes.back().name = std::string(entry.key());
    by_name[out.shapes.back().name] = &out.shapes.back();
  }
  auto find = [&](const json::value& name) -> const ModelShape* { return by_name.at(std::string(name.as_string())); };
  for (const auto& entry : shapes) {
    ModelShape& shape = *by_name.at(std::string(entry.key()));
    const auto& spec = entry.value().as_object();
    shape.kind = static_cast<Kind>(spec.at("t").as_string()[0]);
    if (const auto* members = spec.if_contains("m"); members && shape.kind == Kind::Structure) {
      for (const auto& member : members->as_array())
        shape.members.emplace_back(std::string(member.as_array()[0].as_string()), find(member.as_array()[1]));
    }
    if (const auto* required = spec.if_contains("r"))
      for (const auto& name : required->as_array()) shape.required.emplace_back(name.as_string());
    if (const auto* values = spec.if_contains("e"))
      for (const auto& value : values->as_array()) shape.enumeration.emplace_back(value.as_string());
    if (const auto* min = spec.if_contains("n")) shape.min = min->to_number<std::int64_t>();
    if (const auto* max = spec.if_contains("x")) shape.max = max->to_number<std::int64_t>();
    if (const auto* pattern = spec.if_contains("p")) shape.pattern = std::string(pattern->as_string());
    if (const auto* element = spec.if_contains("el")) shape.element = find(*element);
    if (const auto* key = spec.if_contains("k")) shape.key = find(*key);
    if (const auto* value = spec.if_contains("v")) shape.value = find(*value);
  }
  // `constrained` to a fixed point (AttributeValue is recursive): lets the constraint walk skip
  // items and keys, whose attribute values have no constraint of their own.
  for (auto& shape : out.shapes) shape.constrained = shape.HasOwnConstraints();
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& shape : out.shapes) {
      if (shape.constrained) continue;
      bool below = (shape.element && shape.element->constrained) || (shape.key && shape.key->constrained) ||
                   (shape.value && shape.value->constrained);
      for (const auto& [_, member] : shape.members) below = below || member->constrained;
      if (below) shape.constrained = changed = true;
    }
  }
  for (const auto& [operation, input] : source.at("operations").as_object())
    out.operations[std::string(operation)] = find(input);
}

const Models& LoadedModels() {
  static const Models models = [] {
    Models loaded;
    const json::object document = json::parse(kModelJson).as_object();
    LoadService(document.at("dynamodb").as_object(), loaded.dynamodb);
    LoadService(document.at("dynamodbstreams").as_object(), loaded.streams);
    return loaded;
  }();
  return models;
}

std::string LowerFirst(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

// The class name AWS's deserialiser prints for a shape.
std::string JavaType(const ModelShape& shape) {
  switch (shape.kind) {
    case Kind::String: return "java.lang.String";
    case Kind::Integer: return "java.lang.Integer";
    case Kind::Long: return "java.lang.Long";
    case Kind::Boolean: return "java.lang.Boolean";
    case Kind::Double: return "java.lang.Double";
    case Kind::Blob: return "java.nio.ByteBuffer";
    case Kind::Timestamp: return "java.util.Date";
    case Kind::Structure: return std::string(kJavaPackage) + shape.name;
    case Kind::List: return "java.util.List<" + JavaType(*shape.element) + ">";
    case Kind::Map: return "java.util.Map<java.lang.String, " + JavaType(*shape.value) + ">";
  }
  return "java.lang.Object";
}

std::string_view ScalarTypeName(Kind kind) {
  switch (kind) {
    case Kind::Integer: return "Integer";
    case Kind::Long: return "Long";
    case Kind::Boolean: return "Boolean";
    case Kind::Double: return "Double";
    default: return "String";
  }
}

// The parser token AWS names when a scalar does not convert ("TRUE_VALUE cannot be converted to String").
std::string_view TokenName(const json::value& value) {
  if (value.is_bool()) return value.get_bool() ? "TRUE_VALUE" : "FALSE_VALUE";
  if (value.is_double()) return "DECIMAL_VALUE";
  if (value.is_string()) return "STRING_VALUE";
  return "NUMBER_VALUE";
}

bool IsBase64Alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

std::optional<std::string> Base64Error(std::string_view text) {
  if (text.size() % 4 != 0)
    return "Base64 encoded length is expected a multiple of 4 bytes but found: " + std::to_string(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsBase64Alphabet(text[i])) continue;
    const bool padding = text[i] == '=' && i + 2 >= text.size() && text.back() == '=';
    if (padding) continue;
    if (text[i] == '=') return std::string("Invalid last non-pad Base64 character dectected");
    return "Invalid Base64 character: '" + std::string(1, text[i]) + "'";
  }
  if (!Base64DecodeStrict(text)) return std::string("Invalid last non-pad Base64 character dectected");
  return std::nullopt;
}

std::optional<std::string> MemberTypeError(const ModelShape& shape, const json::object& object);

// Stage 1. `in_collection`: the value is a list element or a map value (Java's "value" position),
// where structures and parameterised collections are reported differently from a member's.
std::optional<std::string> WireTypeError(const ModelShape& shape, const json::value& value, bool in_collection) {
  if (value.is_null()) return std::nullopt;
  constexpr std::string_view kStructureFound = "Start of structure or map found where not expected";
  switch (shape.kind) {
    case Kind::String:
    case Kind::Boolean:
    case Kind::Integer:
    case Kind::Long:
    case Kind::Double: {
      if (value.is_array()) return "Unrecognized collection type class " + JavaType(shape);
      if (value.is_object()) return std::string(kStructureFound);
      const bool fits = shape.kind == Kind::String    ? value.is_string()
                        : shape.kind == Kind::Boolean ? value.is_bool()
                                                      : value.is_number();
      if (fits) return std::nullopt;
      if (shape.kind == Kind::Boolean && value.is_string()) return std::string("Unexpected token received from parser");
      return std::string(TokenName(value)) + " cannot be converted to " + std::string(ScalarTypeName(shape.kind));
    }
    case Kind::Timestamp:
      if (value.is_array()) return "Unrecognized collection type class " + JavaType(shape);
      if (value.is_object()) return std::string(kStructureFound);
      return std::nullopt;
    case Kind::Blob:
      if (value.is_array()) return "Unrecognized collection type class " + JavaType(shape);
      if (value.is_object()) return std::string(kStructureFound);
      if (!value.is_string()) return std::string("only base-64-encoded strings are convertible to bytes");
      return Base64Error(std::string_view(value.get_string().data(), value.get_string().size()));
    case Kind::List:
      if (value.is_object()) return std::string(kStructureFound);
      if (!value.is_array()) return in_collection ? std::string(kParameterizedCast) : std::string("Unexpected field type");
      for (const auto& element : value.get_array())
        if (auto error = WireTypeError(*shape.element, element, true)) return error;
      return std::nullopt;
    case Kind::Map:
      if (value.is_array()) return "Unrecognized collection type " + JavaType(shape);
      if (!value.is_object()) return in_collection ? std::string(kParameterizedCast) : std::string("Unexpected field type");
      for (const auto& entry : value.get_object())
        if (auto error = WireTypeError(*shape.value, entry.value(), true)) return error;
      return std::nullopt;
    case Kind::Structure:
      if (value.is_array()) return "Unrecognized collection type class " + JavaType(shape);
      if (!value.is_object())
        return std::string(in_collection ? "Unexpected value type in payload" : "Unexpected field type");
      return MemberTypeError(shape, value.get_object());
  }
  return std::nullopt;
}

// Members in document order, as a streaming deserialiser meets them; unknown members are skipped.
std::optional<std::string> MemberTypeError(const ModelShape& shape, const json::object& object) {
  for (const auto& entry : object) {
    for (const auto& [name, member] : shape.members) {
      if (name != entry.key()) continue;
      if (auto error = WireTypeError(*member, entry.value(), false)) return error;
      break;
    }
  }
  return std::nullopt;
}

// A value as AWS's message shows it: Java's toString of the deserialised object.
std::string Render(const ModelShape* shape, const json::value& value) {
  if (value.is_null()) return "null";
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  if (value.is_double()) {
    if (shape && (shape->kind == Kind::Integer || shape->kind == Kind::Long))
      return std::to_string(static_cast<std::int64_t>(value.get_double()));
    return json::serialize(value);
  }
  if (value.is_array()) {
    std::string out = "[";
    for (const auto& element : value.get_array()) {
      if (out.size() > 1) out += ", ";
      out += Render(shape && shape->kind == Kind::List ? shape->element : nullptr, element);
    }
    return out + "]";
  }
  const auto& object = value.get_object();
  if (shape && shape->kind == Kind::Structure) {
    std::string out = shape->name + "(";
    bool first = true;
    for (const auto& [name, member] : shape->members) {
      if (!first) out += ", ";
      first = false;
      const auto* field = object.if_contains(name);
      out += LowerFirst(name) + "=" + (field ? Render(member, *field) : std::string("null"));
    }
    return out + ")";
  }
  std::string out = "{";
  for (const auto& entry : object) {
    if (out.size() > 1) out += ", ";
    out += std::string(entry.key()) + "=" + Render(shape && shape->kind == Kind::Map ? shape->value : nullptr, entry.value());
  }
  return out + "}";
}

// Java's String.length(): UTF-16 code units.
std::int64_t JavaLength(std::string_view text) {
  std::int64_t units = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) units += (c >= 0xF0) ? 2 : 1;
  }
  return units;
}

// The model's patterns, as predicates (no regex engine on client input). Unknown patterns pass.
bool MatchesPattern(std::string_view pattern, std::string_view text) {
  if (pattern == "[a-zA-Z0-9_.-]+") {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
             c == '-';
    });
  }
  if (pattern == "^[^\\$]+$") return !text.empty() && text.find('$') == std::string_view::npos;
  return true;
}

bool IsTableNameShape(const ModelShape& shape) { return shape.name == "TableName"; }
bool IsArn(std::string_view text) { return text.rfind("arn:", 0) == 0; }
constexpr std::int64_t kMaxArnLength = 1024;
// The generated model leaves KeySchema without a maximum, as a GSI key may have up to 8 attributes
// (scripts/gen_ddb_request_model.py); a table's and an LSI's key schema keep AWS's 2.
constexpr std::size_t kMaxTableKeyAttributes = 2;

class ConstraintWalk {
 public:
  // Operations whose table name AWS checks first, with a message of its own (see CheckRequest).
  bool table_name_checked_first = false;
  std::string skip_top_member;  // judged before the walk, in words of its own
  std::vector<std::string> violations;

  void Members(const ModelShape& shape, const json::object& object, const std::string& prefix) {
    for (const auto& [name, member] : shape.members) {
      if (Full()) return;
      if (prefix.empty() && name == skip_top_member) continue;
      const json::value* value = object.if_contains(name);
      const std::string path = prefix + LowerFirst(name);
      if (!value || value->is_null()) {
        if (shape.IsRequired(name)) Violation("null", path, "Member must not be null");
        continue;
      }
      if (member->constrained) Value(*member, *value, path, prefix.empty() && name == "TableName");
    }
  }

 private:
  bool Full() const { return violations.size() >= kMaxReportedViolations; }

  void Violation(const std::string& rendered, const std::string& path, const std::string& constraint) {
    if (Full()) return;
    violations.push_back("Value " + rendered + " at '" + path + "' failed to satisfy constraint: " + constraint);
  }
  void Violation(const ModelShape& shape, const json::value& value, const std::string& path,
                 const std::string& constraint) {
    Violation("'" + Render(&shape, value) + "'", path, constraint);
  }

  void Length(const ModelShape& shape, std::int64_t length, const json::value& value, const std::string& path) {
    if (shape.min && length < *shape.min)
      Violation(shape, value, path, "Member must have length greater than or equal to " + std::to_string(*shape.min));
    if (shape.max && length > *shape.max)
      Violation(shape, value, path, "Member must have length less than or equal to " + std::to_string(*shape.max));
  }

  void String(const ModelShape& shape, const json::value& value, const std::string& path, bool top_table_name) {
    const std::string_view text(value.get_string().data(), value.get_string().size());
    if (IsTableNameShape(shape) && IsArn(text)) {
      // A table ARN stands in for a name wherever AWS takes one (TableArn: 1 to 1024 characters).
      if (JavaLength(text) > kMaxArnLength)
        Violation(shape, value, path, "Member must have length less than or equal to " + std::to_string(kMaxArnLength));
      return;
    }
    if (!shape.pattern.empty() && !MatchesPattern(shape.pattern, text))
      Violation(shape, value, path, "Member must satisfy regular expression pattern: " + shape.pattern);
    if (!(top_table_name && table_name_checked_first)) Length(shape, JavaLength(text), value, path);
    if (!shape.enumeration.empty() &&
        std::find(shape.enumeration.begin(), shape.enumeration.end(), text) == shape.enumeration.end()) {
      std::string set;
      for (const auto& option : shape.enumeration) set += (set.empty() ? "" : ", ") + option;
      Violation(shape, value, path, "Member must satisfy enum value set: [" + set + "]");
    }
  }

  bool KeyFails(const ModelShape& key_shape, std::string_view key) const {
    if (IsTableNameShape(key_shape) && IsArn(key)) return JavaLength(key) > kMaxArnLength;
    const std::int64_t length = JavaLength(key);
    return (key_shape.min && length < *key_shape.min) || (key_shape.max && length > *key_shape.max) ||
           (!key_shape.pattern.empty() && !MatchesPattern(key_shape.pattern, key));
  }

  // "Map keys must satisfy constraint: [...]" lists every constraint of the key shape, once for the map.
  void MapKeys(const ModelShape& shape, const json::object& object, const json::value& value, const std::string& path) {
    const ModelShape& key_shape = *shape.key;
    if (!key_shape.HasOwnConstraints()) return;
    bool failed = false;
    for (const auto& entry : object) failed = failed || KeyFails(key_shape, std::string_view(entry.key()));
    if (!failed) return;
    std::vector<std::string> rules;
    if (key_shape.max) rules.push_back("Member must have length less than or equal to " + std::to_string(*key_shape.max));
    if (key_shape.min) rules.push_back("Member must have length greater than or equal to " + std::to_string(*key_shape.min));
    if (!key_shape.pattern.empty()) rules.push_back("Member must satisfy regular expression pattern: " + key_shape.pattern);
    std::string list;
    for (const auto& rule : rules) list += (list.empty() ? "" : ", ") + rule;
    Violation(shape, value, path, "Map keys must satisfy constraint: [" + list + "]");
  }

  void Value(const ModelShape& shape, const json::value& value, const std::string& path, bool top_table_name = false) {
    if (Full()) return;
    switch (shape.kind) {
      case Kind::String:
        if (value.is_string()) String(shape, value, path, top_table_name);
        return;
      case Kind::Integer:
      case Kind::Long:
      case Kind::Double: {
        if (!value.is_number()) return;
        const double number = value.to_number<double>();
        if (shape.min && number < static_cast<double>(*shape.min))
          Violation(shape, value, path, "Member must have value greater than or equal to " + std::to_string(*shape.min));
        if (shape.max && number > static_cast<double>(*shape.max))
          Violation(shape, value, path, "Member must have value less than or equal to " + std::to_string(*shape.max));
        return;
      }
      case Kind::List: {
        if (!value.is_array()) return;
        const auto& elements = value.get_array();
        Length(shape, static_cast<std::int64_t>(elements.size()), value, path);
        if (shape.name == "KeySchema" && path.rfind("globalSecondaryIndex", 0) != 0 && elements.size() > kMaxTableKeyAttributes)
          Violation(shape, value, path, "Member must have length less than or equal to 2");
        if (!shape.element->constrained) return;
        for (std::size_t i = 0; i < elements.size() && !Full(); ++i) {
          if (elements[i].is_null()) continue;
          Element(*shape.element, elements[i], path + "." + std::to_string(i + 1) + ".member");
        }
        return;
      }
      case Kind::Map: {
        if (!value.is_object()) return;
        const auto& object = value.get_object();
        Length(shape, static_cast<std::int64_t>(object.size()), value, path);
        MapKeys(shape, object, value, path);
        if (!shape.value->constrained) return;
        for (const auto& entry : object) {
          if (Full()) return;
          if (entry.value().is_null()) continue;
          Element(*shape.value, entry.value(), path + "." + std::string(entry.key()) + ".member");
        }
        return;
      }
      case Kind::Structure:
        if (value.is_object()) Members(shape, value.get_object(), path + ".");
        return;
      default: return;
    }
  }

  void Element(const ModelShape& shape, const json::value& value, const std::string& path) {
    if (shape.kind == Kind::Structure) {
      if (value.is_object()) Members(shape, value.get_object(), path + ".");
      return;
    }
    Value(shape, value, path);
  }
};

bool IsTaggingOperation(std::string_view operation) {
  return operation == "TagResource" || operation == "UntagResource" || operation == "ListTagsOfResource";
}

// "<anything>:<5 more parts>/<anything>": what AWS's tagging operations need to see before they
// consider the caller allowed (checked without a regex: six colon-separated non-empty parts, a '/' in
// the last, something after it).
bool LooksLikeResourceArn(std::string_view arn) {
  std::size_t parts = 0, start = 0;
  while (parts < 5) {
    const std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos || colon == start) return false;
    start = colon + 1;
    ++parts;
  }
  const std::string_view last = arn.substr(start);
  const std::size_t slash = last.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < last.size();
}

// The tagging operations judge their ResourceArn before the model's constraints, in words of their own.
std::optional<AwsError> TaggingResourceArnError(std::string_view operation, const json::object& input,
                                                std::string_view caller_arn) {
  const json::value* arn = input.if_contains("ResourceArn");
  if (!arn || arn->is_null()) return errors::Validation("Invalid TableArn");
  const std::string_view text(arn->get_string().data(), arn->get_string().size());
  if (LooksLikeResourceArn(text)) return std::nullopt;
  AwsError denied = errors::OnTheWire(AwsError::Make(
      "AccessDeniedException", 400,
      "User: " + std::string(caller_arn) + " is not authorized to perform: dynamodb:" + std::string(operation) +
          " on resource: " + (text.empty() ? std::string("*") : std::string(text))));
  denied.message_member = "Message";
  return denied;
}

// AWS checks these operations' TableName before anything else, with messages of their own.
bool ChecksTableNameFirst(std::string_view operation) {
  return operation == "CreateTable" || operation == "DeleteTable" || operation == "DescribeTable" ||
         operation == "UpdateTable" || operation == "DescribeTimeToLive";
}

}  // namespace

std::optional<AwsError> CheckRequest(ModelService service, std::string_view operation, const json::object& input,
                                     std::string_view caller_arn) {
  const Models& models = LoadedModels();
  const ServiceModel& model = service == ModelService::DynamoDb ? models.dynamodb : models.streams;
  auto found = model.operations.find(operation);
  if (found == model.operations.end()) return std::nullopt;
  const ModelShape& shape = *found->second;

  if (auto error = MemberTypeError(shape, input)) return errors::Serialization(std::move(*error));

  ConstraintWalk walk;
  if (service == ModelService::DynamoDb && IsTaggingOperation(operation)) {
    if (auto error = TaggingResourceArnError(operation, input, caller_arn)) return error;
    walk.skip_top_member = "ResourceArn";
  }
  if (ChecksTableNameFirst(operation)) {
    walk.table_name_checked_first = true;
    const json::value* name = input.if_contains("TableName");
    if (!name || name->is_null())
      return errors::Validation("The parameter 'TableName' is required but was not present in the request");
    const std::string_view text(name->get_string().data(), name->get_string().size());
    const std::int64_t length = JavaLength(text);
    if (!IsArn(text) && (length < 3 || length > 255))
      return errors::Validation("TableName must be at least 3 characters long and at most 255 characters long");
  }
  walk.Members(shape, input, "");
  if (walk.violations.empty()) return std::nullopt;
  std::string message = std::to_string(walk.violations.size()) +
                        (walk.violations.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (std::size_t i = 0; i < walk.violations.size(); ++i) message += (i ? "; " : "") + walk.violations[i];
  return errors::Validation(std::move(message));
}

}  // namespace mallard::dynamodb::request_validation
