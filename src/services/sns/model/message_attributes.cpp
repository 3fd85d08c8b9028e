#include "services/sns/model/message_attributes.hpp"

#include <boost/json.hpp>

#include <cstdio>

#include "services/sns/model/sns_errors.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

bool NameCharacter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

// "#x5E": how AWS names an offending character (its code point in upper-case hex).
std::string CharacterName(const std::string& name, std::size_t index) {
  unsigned char lead = static_cast<unsigned char>(name[index]);
  unsigned int code = lead;
  int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (extra > 0 && index + extra < name.size() + 1) {
    code = lead & (0x3F >> extra);
    for (int i = 1; i <= extra && index + i < name.size(); ++i) {
      code = (code << 6) | (static_cast<unsigned char>(name[index + i]) & 0x3F);
    }
  }
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#x%X", code);
  return buffer;
}

Status<> CheckName(const std::string& name) {
  if (name.size() > 256) {
    return Fail(errors::ParameterValueInvalid("Length of message attribute name must be less than 256 bytes."));
  }
  bool valid = !name.empty() && name.front() != '.' && name.back() != '.';
  for (std::size_t i = 0; valid && i < name.size(); ++i) {
    valid = NameCharacter(static_cast<unsigned char>(name[i])) && !(name[i] == '.' && i > 0 && name[i - 1] == '.');
  }
  if (valid) return Done{};
  if (!name.empty() && name.front() == '.') {
    return Fail(errors::ParameterValueInvalid("Invalid message attribute name starting with character '.' was found."));
  }
  if (!name.empty() && name.back() == '.') {
    return Fail(errors::ParameterValueInvalid("Invalid message attribute name ending with character '.' was found."));
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!NameCharacter(static_cast<unsigned char>(name[i]))) {
      return Fail(errors::ParameterValueInvalid("Invalid non-alphanumeric character '" + CharacterName(name, i) +
                                                "' was found in the message attribute name. Can only include "
                                                "alphanumeric characters, hyphens, underscores, or dots."));
    }
    if (name[i] == '.' && i > 0 && name[i - 1] == '.') {
      return Fail(errors::ParameterValueInvalid("Message attribute name can not have successive '.' character."));
    }
  }
  return Fail(errors::ParameterValueInvalid("Invalid message attribute name."));
}

bool KnownTypePrefix(const std::string& type) {
  for (const char* prefix : {"String", "Number", "Binary"}) {
    std::string base(prefix);
    if (type == base) return true;
    if (type.size() > base.size() + 1 && type.compare(0, base.size(), base) == 0 && type[base.size()] == '.') return true;
  }
  return false;
}

// A decimal number as SNS accepts one (the SQS rule: optional sign, digits, a fraction, an exponent).
bool LooksNumeric(const std::string& text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == text.size();
}

const json::string* StringMember(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? &value->get_string() : nullptr;
}

}  // namespace

Result<MessageAttributes> ReadMessageAttributes(const json::value* input, std::size_t batch_position) {
  MessageAttributes attributes;
  if (input == nullptr || input->is_null()) return attributes;
  if (!input->is_object()) return Fail(errors::InvalidParameter("Invalid parameter: MessageAttributes"));
  for (const auto& [key, value] : input->get_object()) {
    std::string name(key);
    MALLARD_RETURN_IF_ERROR(CheckName(name));
    const json::object empty;
    const json::object& fields = value.is_object() ? value.get_object() : empty;
    const json::string* data_type = StringMember(fields, "DataType");
    if (data_type == nullptr) {
      std::string at = batch_position == 0
                           ? "messageAttributes." + name + ".member.dataType"
                           : "publishBatchRequestEntries." + std::to_string(batch_position) + ".member.messageAttributes." +
                                 name + ".member.dataType";
      return Fail(errors::MemberMustNotBeNull(at));
    }
    MessageAttribute attribute;
    attribute.data_type = std::string(*data_type);
    if (!KnownTypePrefix(attribute.data_type)) {
      return Fail(errors::ParameterValueInvalid("The message attribute '" + name +
                                                "' has an invalid message attribute type, the set of supported type "
                                                "prefixes is Binary, Number, and String."));
    }
    const json::string* string_value = StringMember(fields, "StringValue");
    const json::string* binary_value = StringMember(fields, "BinaryValue");
    auto empty_value = [&] {
      return errors::ParameterValueInvalid("The message attribute '" + name +
                                           "' must contain non-empty message attribute value for message attribute type '" +
                                           attribute.data_type + "'.");
    };
    if (string_value == nullptr && binary_value == nullptr) return Fail(empty_value());
    bool binary = attribute.IsBinary();
    const json::string* used = binary ? binary_value : string_value;
    if (used == nullptr) {
      return Fail(errors::ParameterValueInvalid("The message attribute '" + name + "' with type '" + attribute.data_type +
                                                "' must use field '" + (binary ? "Binary" : "String") + "'."));
    }
    if (used->empty()) return Fail(empty_value());
    (binary ? attribute.binary_value : attribute.string_value) = std::string(*used);
    if (attribute.data_type.rfind("Number", 0) == 0 && !LooksNumeric(attribute.string_value)) {
      return Fail(errors::ParameterValueInvalid("Could not cast message attribute '" + name + "' value to number."));
    }
    if (attribute.data_type == "String.Array") {
      // SNS keeps the value as text but filter policies read it as a JSON array.
      json::parse_options options;
      options.max_depth = 10000;
      boost::system::error_code error;
      json::value array = json::parse(attribute.string_value, error, {}, options);
      if (error || !array.is_array()) {
        return Fail(errors::ParameterValueInvalid("The message attribute '" + name +
                                                  "' with type 'String.Array' has an invalid value: it must be a JSON array."));
      }
    }
    attributes.emplace(std::move(name), std::move(attribute));
  }
  return attributes;
}

std::size_t MessageAttributesSize(const MessageAttributes& attributes) {
  std::size_t size = 0;
  for (const auto& [name, attribute] : attributes) size += name.size() + attribute.data_type.size() + attribute.Value().size();
  return size;
}

json::object EnvelopeAttributes(const MessageAttributes& attributes) {
  json::object out;
  for (const auto& [name, attribute] : attributes) {
    out[name] = json::object{{"Type", attribute.data_type}, {"Value", attribute.Value()}};
  }
  return out;
}

json::object SqsMessageAttributes(const MessageAttributes& attributes) {
  json::object out;
  for (const auto& [name, attribute] : attributes) {
    json::object value{{"DataType", attribute.data_type}};
    if (attribute.IsBinary()) {
      value["BinaryValue"] = attribute.binary_value;
    } else {
      value["StringValue"] = attribute.string_value;
    }
    out[name] = std::move(value);
  }
  return out;
}

}  // namespace mallard::sns
