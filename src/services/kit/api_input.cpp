#include "services/kit/api_input.hpp"

#include <cctype>

namespace mallard::services::kit {
namespace json = boost::json;
namespace {

// Smithy names members in messages with a lower-case first letter ("queryString").
std::string MemberName(const char* name) {
  std::string member(name);
  if (!member.empty()) member[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(member[0])));
  return member;
}

}  // namespace

AwsError ApiInput::Invalid(const char* name, const std::string& value, const std::string& constraint) const {
  std::string shown = value.empty() ? "" : " '" + value + "'";
  return make_error_("1 validation error detected: Value" + shown + " at '" + MemberName(name) +
                     "' failed to satisfy constraint: " + constraint);
}

Result<std::optional<std::string>> ApiInput::Optional(const char* name, std::size_t max_length) const {
  const auto* value = input_.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) return Fail(make_error_("Value for " + std::string(name) + " must be a string."));
  std::string text(value->get_string());
  // Smithy lengths count characters, not UTF-8 bytes (a 262,144-character QueryString of "é" is
  // valid); only text longer in bytes than the bound needs counting.
  const auto characters = [](const std::string& utf8) {
    std::size_t count = 0;
    for (unsigned char c : utf8) count += (c & 0xC0) != 0x80;
    return count;
  };
  if (text.size() > max_length && characters(text) > max_length) {
    return Fail(Invalid(name, text.size() > 64 ? "" : text,
                        "Member must have length less than or equal to " + std::to_string(max_length)));
  }
  return std::optional<std::string>(std::move(text));
}

Result<std::string> ApiInput::Required(const char* name, std::size_t max_length) const {
  MALLARD_ASSIGN_OR_RETURN(auto value, Optional(name, max_length));
  if (!value) return Fail(Invalid(name, "", "Member must not be null"));
  if (value->empty()) return Fail(Invalid(name, "", "Member must have length greater than or equal to 1"));
  return std::move(*value);
}

Result<std::optional<std::int64_t>> ApiInput::Int(const char* name, std::int64_t min, std::int64_t max) const {
  const auto* value = input_.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::int64_t>();
  std::int64_t number = 0;
  if (value->is_int64()) number = value->get_int64();
  else if (value->is_uint64()) number = static_cast<std::int64_t>(value->get_uint64());
  else return Fail(make_error_("Value for " + std::string(name) + " must be an integer."));
  if (number < min) {
    return Fail(Invalid(name, std::to_string(number),
                        "Member must have value greater than or equal to " + std::to_string(min)));
  }
  if (number > max) {
    return Fail(Invalid(name, std::to_string(number), "Member must have value less than or equal to " + std::to_string(max)));
  }
  return std::optional<std::int64_t>(number);
}

Result<bool> ApiInput::Bool(const char* name, bool fallback) const {
  const auto* value = input_.if_contains(name);
  if (value == nullptr || value->is_null()) return fallback;
  if (!value->is_bool()) return Fail(make_error_("Value for " + std::string(name) + " must be a boolean."));
  return value->get_bool();
}

Result<std::vector<std::string>> ApiInput::Strings(const char* name, std::size_t min_items, std::size_t max_items) const {
  std::vector<std::string> items;
  const auto* value = input_.if_contains(name);
  if (value != nullptr && !value->is_null()) {
    if (!value->is_array()) return Fail(make_error_("Value for " + std::string(name) + " must be a list."));
    for (const auto& item : value->get_array()) {
      if (!item.is_string()) return Fail(make_error_("Members of " + std::string(name) + " must be strings."));
      items.emplace_back(item.get_string());
    }
  }
  if (items.size() < min_items) {
    return Fail(Invalid(name, "", "Member must have length greater than or equal to " + std::to_string(min_items)));
  }
  if (items.size() > max_items) {
    return Fail(Invalid(name, "", "Member must have length less than or equal to " + std::to_string(max_items)));
  }
  return items;
}

Result<json::object> ApiInput::Object(const char* name) const {
  const auto* value = input_.if_contains(name);
  if (value == nullptr || value->is_null()) return json::object();
  if (!value->is_object()) return Fail(make_error_("Value for " + std::string(name) + " must be a structure."));
  return value->get_object();
}

Result<json::array> ApiInput::Array(const char* name) const {
  const auto* value = input_.if_contains(name);
  if (value == nullptr || value->is_null()) return json::array();
  if (!value->is_array()) return Fail(make_error_("Value for " + std::string(name) + " must be a list."));
  return value->get_array();
}

}  // namespace mallard::services::kit

#include "common/encoding.hpp"

namespace mallard::services::kit {

std::string EncodePageToken(const std::string& scope, std::size_t offset) {
  return Base64Encode("p1|" + std::to_string(offset) + "|" + scope);
}

std::optional<std::size_t> DecodePageToken(const std::string& scope, const std::string& token) {
  auto decoded = Base64Decode(token);
  if (!decoded || decoded->rfind("p1|", 0) != 0) return std::nullopt;
  auto bar = decoded->find('|', 3);
  if (bar == std::string::npos || decoded->substr(bar + 1) != scope) return std::nullopt;
  std::size_t offset = 0;
  for (char c : decoded->substr(3, bar - 3)) {
    if (c < '0' || c > '9') return std::nullopt;
    offset = offset * 10 + static_cast<std::size_t>(c - '0');
  }
  return offset;
}

Result<PageWindow> PageOf(std::size_t total, const std::optional<std::string>& token, std::size_t limit,
                          const std::string& scope, ApiInput::ErrorMaker make_error) {
  PageWindow window;
  if (token) {
    auto offset = DecodePageToken(scope, *token);
    if (!offset || *offset > total) return Fail(make_error("Invalid NextToken: " + *token));
    window.start = *offset;
  }
  window.end = std::min(total, window.start + limit);
  if (window.end < total) window.next_token = EncodePageToken(scope, window.end);
  return window;
}

}  // namespace mallard::services::kit
