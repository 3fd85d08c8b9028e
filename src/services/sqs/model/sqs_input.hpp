#pragma once
// Typed access to an operation's JSON input, producing SQS's errors for missing or mistyped members.
#include <boost/json.hpp>

#include <cmath>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "services/sqs/model/sqs_errors.hpp"

namespace mallard::sqs::input {

inline Result<std::optional<std::string>> OptionalString(const boost::json::object& input, const char* name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) {
    return Fail(errors::InvalidParameterValue("Value for parameter " + std::string(name) + " must be a string."));
  }
  return std::optional<std::string>(std::string(value->get_string()));
}

inline Result<std::string> RequiredString(const boost::json::object& input, const char* name) {
  MALLARD_ASSIGN_OR_RETURN(auto value, OptionalString(input, name));
  if (!value || value->empty()) return Fail(errors::MissingParameter(name));
  return std::move(*value);
}

inline Result<std::optional<std::int64_t>> OptionalInt(const boost::json::object& input, const char* name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return std::optional<std::int64_t>();
  if (value->is_int64()) return std::optional<std::int64_t>(value->get_int64());
  if (value->is_uint64()) return std::optional<std::int64_t>(static_cast<std::int64_t>(value->get_uint64()));
  if (value->is_double()) {
    // Range first: converting a double outside int64's range (1e300, infinity, NaN) is undefined.
    double number = value->get_double();
    if (number >= -9223372036854775808.0 && number < 9223372036854775808.0 && number == std::trunc(number)) {
      return std::optional<std::int64_t>(static_cast<std::int64_t>(number));
    }
  }
  return Fail(errors::InvalidParameterValue("Value " + boost::json::serialize(*value) + " for parameter " +
                                            std::string(name) + " is invalid. Reason: must be an integer."));
}

inline Result<std::vector<std::string>> StringList(const boost::json::object& input, const char* name) {
  std::vector<std::string> items;
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return items;
  if (!value->is_array()) {
    return Fail(errors::InvalidParameterValue("Value for parameter " + std::string(name) + " must be a list."));
  }
  for (const auto& item : value->get_array()) {
    if (!item.is_string()) {
      return Fail(errors::InvalidParameterValue("Values of parameter " + std::string(name) + " must be strings."));
    }
    items.emplace_back(item.get_string());
  }
  return items;
}

inline Result<boost::json::object> OptionalObject(const boost::json::object& input, const char* name) {
  const auto* value = input.if_contains(name);
  if (!value || value->is_null()) return boost::json::object();
  if (!value->is_object()) {
    return Fail(errors::InvalidParameterValue("Value for parameter " + std::string(name) + " must be a map."));
  }
  return value->get_object();
}

}  // namespace mallard::sqs::input
