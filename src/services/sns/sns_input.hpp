#pragma once
// Reading SNS's operation inputs (the JSON the awsQuery codec builds from form parameters): every
// member is optional at this layer; the service decides what is required and answers with AWS's
// own message when it is missing.
#include <boost/json.hpp>

#include <optional>
#include <string>

#include "services/sns/model/sns_records.hpp"

namespace mallard::sns::input {

inline std::optional<std::string> Text(const boost::json::object& input, const char* name) {
  const boost::json::value* value = input.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_bool()) return std::string(value->get_bool() ? "true" : "false");
  if (value->is_int64()) return std::to_string(value->get_int64());
  return std::nullopt;
}

inline std::string TextOr(const boost::json::object& input, const char* name, std::string fallback = "") {
  auto value = Text(input, name);
  return value ? *value : fallback;
}

inline bool Flag(const boost::json::object& input, const char* name) {
  const boost::json::value* value = input.if_contains(name);
  if (value == nullptr) return false;
  if (value->is_bool()) return value->get_bool();
  return value->is_string() && value->get_string() == "true";
}

// A string-to-string map member ({"key": "value"}); values that are not strings are skipped.
inline AttributeMap Map(const boost::json::object& input, const char* name) {
  AttributeMap out;
  const boost::json::value* value = input.if_contains(name);
  if (value == nullptr || !value->is_object()) return out;
  for (const auto& [key, item] : value->get_object()) {
    if (item.is_string()) out[std::string(key)] = std::string(item.get_string());
  }
  return out;
}

inline const boost::json::array* List(const boost::json::object& input, const char* name) {
  const boost::json::value* value = input.if_contains(name);
  return value != nullptr && value->is_array() ? &value->get_array() : nullptr;
}

}  // namespace mallard::sns::input
