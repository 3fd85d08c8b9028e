#include "services/sqs/model/sqs_validation.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdio>

#include "common/encoding.hpp"
#include "services/sqs/model/sqs_errors.hpp"

namespace mallard::sqs {
namespace json = boost::json;

namespace {

bool IsNameCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// SQS Number attributes: up to 38 significant digits, between 10^-128 and 10^+126.
bool IsValidNumberAttribute(const std::string& text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = 0, significant = 0;
  bool seen_nonzero = false, seen_point = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (seen_point) return false;
      seen_point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    ++digits;
    if (c != '0' || seen_nonzero) {
      seen_nonzero = true;
      ++significant;
    }
  }
  if (digits == 0) return false;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    std::size_t exponent_digits = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++exponent_digits) {
      if (exponent < 100000) exponent = exponent * 10 + (text[i] - '0');
    }
    if (exponent_digits == 0) return false;
    if (negative) exponent = -exponent;
  }
  if (i != text.size()) return false;
  if (significant > 38) return false;
  if (!seen_nonzero) return true;
  // Position of the first significant digit relative to the decimal point.
  std::string mantissa = text.substr(0, text.find_first_of("eE"));
  if (!mantissa.empty() && (mantissa[0] == '+' || mantissa[0] == '-')) mantissa.erase(0, 1);
  auto point = mantissa.find('.');
  std::string integer_part = mantissa.substr(0, point);
  std::string fraction = point == std::string::npos ? std::string() : mantissa.substr(point + 1);
  long leading_exponent = 0;  // decimal exponent of the most significant digit
  auto first_integer = integer_part.find_first_not_of('0');
  if (first_integer != std::string::npos) {
    leading_exponent = static_cast<long>(integer_part.size() - first_integer) - 1;
  } else {
    leading_exponent = -static_cast<long>(fraction.find_first_not_of('0')) - 1;
  }
  long magnitude = leading_exponent + exponent;
  return magnitude >= -128 && magnitude <= 126;
}

// Letters SQS allows in message attribute names beyond ASCII: U+00C0 to U+017F (Latin-1 letters and
// Latin Extended-A, e.g. "attr.1øßä"), two UTF-8 bytes each.
bool IsAttributeNameLetter(const std::string& name, std::size_t& i) {
  const auto c = static_cast<unsigned char>(name[i]);
  if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
    ++i;
    return true;
  }
  Utf8Step step = DecodeUtf8At(name, i);
  if (!step.valid || step.code_point < 0xC0 || step.code_point > 0x17F) return false;
  i += step.length;
  return true;
}

// nullopt when `name` is a valid message (user) attribute name; otherwise SQS's message for it.
std::optional<std::string> AttributeNameProblem(const std::string& name) {
  if (name.size() >= 256) return std::string("Message (user) attribute names must be shorter than 256 Bytes");
  for (std::size_t i = 0; i < name.size();) {
    if (!IsAttributeNameLetter(name, i)) {
      return std::string("Message (user) attributes name can only contain upper and lower score characters, digits, "
                         "periods, hyphens and underscores. ");
    }
  }
  auto lower = name;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.empty() || lower.rfind("aws.", 0) == 0 || lower.rfind("amazon.", 0) == 0 || name.front() == '.' ||
      name.back() == '.' || name.find("..") != std::string::npos) {
    return std::string("You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are "
                       "reserved for internal use. Additionally, they cannot start or end with '.'.");
  }
  return std::nullopt;
}

std::string StringField(const json::object& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->value().is_string()) return {};
  return std::string(found->value().get_string());
}

}  // namespace

Status<> ValidateQueueName(const std::string& name, bool fifo) {
  std::string base = name;
  if (fifo) {
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".fifo") != 0) {
      return Fail(errors::InvalidParameterValue(
          "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end "
          "with .fifo suffix and be 1 to 80 in length."));
    }
    base = name.substr(0, name.size() - 5);
  }
  bool valid = !base.empty() && name.size() <= 80;
  for (char c : base) valid = valid && IsNameCharacter(c);
  if (!valid) {
    return Fail(errors::InvalidParameterValue(
        fifo ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must "
               "end with .fifo suffix and be 1 to 80 in length."
             : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"));
  }
  return Done{};
}

std::optional<std::string> FirstInvalidMessageCharacter(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x80) {
      ++i;
      continue;
    }
    Utf8Step step = DecodeUtf8At(text, i);
    if (!step.valid || !IsXmlChar(step.code_point)) {
      char name[16];
      std::snprintf(name, sizeof name, "#x%X", step.valid ? static_cast<unsigned>(step.code_point) : byte);
      return std::string(name);
    }
    i += step.length;
  }
  return std::nullopt;
}

bool IsValidMessageText(const std::string& text) { return !FirstInvalidMessageCharacter(text); }

Status<> CheckMessageText(const std::string& text, const std::string& where) {
  if (auto character = FirstInvalidMessageCharacter(text)) return Fail(errors::InvalidMessageContents(*character, where));
  return Done{};
}

bool IsValidBatchEntryId(const std::string& id) {
  if (id.empty() || id.size() > 80) return false;
  for (char c : id) {
    if (!IsNameCharacter(c)) return false;
  }
  return true;
}

Status<> ValidateQueueTags(const json::object& tags) {
  const auto characters = [](std::string_view text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xC0) != 0x80;
    return count;
  };
  for (const auto& tag : tags) {
    const std::string key(tag.key());
    const bool value_ok = tag.value().is_string() && IsValidMessageText(std::string(tag.value().get_string())) &&
                          characters(tag.value().get_string()) <= 256;
    if (key.empty() || characters(key) > 128 || !IsValidMessageText(key) || !value_ok) {
      return Fail(errors::InvalidParameterValue("Tag keys must be 1 to 128 characters and values at most 256."));
    }
  }
  return Done{};
}

Result<MessageAttributes> ParseMessageAttributes(const json::value& input, bool system) {
  MessageAttributes attributes;
  if (input.is_null()) return attributes;
  if (!input.is_object()) {
    return Fail(errors::InvalidParameterValue("MessageAttributes must be a map of name to value."));
  }
  const auto& map = input.get_object();
  if (!system && map.size() > kMaxMessageAttributes) {
    return Fail(errors::InvalidParameterValue("Number of message attributes [" + std::to_string(map.size()) +
                                              "] exceeds the allowed maximum [10]."));
  }
  for (const auto& entry : map) {
    std::string name(entry.key());
    if (system) {
      if (name != "AWSTraceHeader") {
        return Fail(errors::InvalidParameterValue("Message system attribute name '" + name + "' is invalid."));
      }
    } else if (auto problem = AttributeNameProblem(name)) {
      return Fail(errors::InvalidParameterValue(*problem));
    }
    if (!entry.value().is_object()) {
      return Fail(errors::InvalidParameterValue("The message attribute '" + name + "' must contain a value."));
    }
    const auto& fields = entry.value().get_object();
    MessageAttributeValue value;
    value.data_type = StringField(fields, "DataType");
    if (value.data_type.empty()) {
      return Fail(errors::InvalidParameterValue("The message attribute '" + name + "' must contain non-empty message attribute type."));
    }
    std::string base_type = value.data_type.substr(0, value.data_type.find('.'));
    bool has_custom = value.data_type.find('.') != std::string::npos;
    if ((base_type != "String" && base_type != "Number" && base_type != "Binary") ||
        (has_custom && value.data_type.size() == base_type.size() + 1) || value.data_type.size() > 256 ||
        !IsValidMessageText(value.data_type)) {
      return Fail(errors::InvalidParameterValue("The message attribute '" + name + "' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."));
    }
    if (system && value.data_type != "String") {
      return Fail(errors::InvalidParameterValue("The message system attribute '" + name + "' must be of type String."));
    }
    if (fields.contains("StringListValues") || fields.contains("BinaryListValues")) {
      const auto* list = fields.if_contains("StringListValues");
      const auto* binary_list = fields.if_contains("BinaryListValues");
      bool non_empty = (list && list->is_array() && !list->get_array().empty()) ||
                       (binary_list && binary_list->is_array() && !binary_list->get_array().empty());
      if (non_empty) {
        return Fail(errors::InvalidParameterValue("Message attribute list values in SendMessage operation are not supported."));
      }
    }
    if (base_type == "Binary") {
      const auto* binary = fields.if_contains("BinaryValue");
      std::optional<std::string> decoded;
      if (binary && binary->is_string()) decoded = Base64Decode(binary->get_string());
      if (!binary || !binary->is_string()) {
        return Fail(errors::InvalidParameterValue("The message attribute '" + name + "' with type 'Binary' must use field 'Binary'."));
      }
      if (!decoded) {
        return Fail(errors::InvalidParameterValue("The message attribute '" + name + "' has an invalid binary value (not base64)."));
      }
      if (decoded->empty()) {
        return Fail(errors::InvalidParameterValue("Message (user) attribute '" + name +
                                                  "' must contain a non-empty value of type 'Binary'."));
      }
      value.binary_value = std::move(*decoded);
    } else {
      const auto* text = fields.if_contains("StringValue");
      if (!text || !text->is_string()) {
        return Fail(errors::InvalidParameterValue("The message attribute '" + name + "' with type '" + base_type +
                                                  "' must use field 'String'."));
      }
      value.string_value = std::string(text->get_string());
      if (value.string_value.empty()) {
        // AWS's wording, recorded for an empty String value.
        return Fail(errors::InvalidParameterValue("Message (user) attribute '" + name +
                                                  "' must contain a non-empty value of type '" + base_type + "'."));
      }
      MALLARD_RETURN_IF_ERROR(CheckMessageText(value.string_value, "the message attribute '" + name + "' value"));
      if (base_type == "Number" && !IsValidNumberAttribute(value.string_value)) {
        return Fail(errors::InvalidParameterValue("Can't cast the value of message (user) attribute '" + name +
                                                  "' to a number."));
      }
    }
    attributes.emplace(std::move(name), std::move(value));
  }
  return attributes;
}

std::size_t MessagePayloadBytes(const std::string& body, const MessageAttributes& attributes) {
  std::size_t total = body.size();
  for (const auto& [name, value] : attributes) {
    total += name.size() + value.data_type.size() + value.string_value.size() + value.binary_value.size();
  }
  return total;
}

}  // namespace mallard::sqs
