#pragma once
// The text SNS compiles a filter policy from. SNS parses the policy into a JSON tree first (an
// unparseable policy is "failed to parse JSON.") and compiles the tree written back compactly by
// Jackson, which is why AWS's error locations quote the policy without its whitespace
// ("{\"key\":[[\"value\"]]}" for a policy sent as {"key": [["value"]]}) and count columns in that
// text. This writes a parsed policy the way Jackson writes its tree: no whitespace, members in
// order, strings with Jackson's escapes, integers as written, other numbers as Java's
// Double.toString spells them (1.50 -> 1.5, 1e7 -> 1.0E7).
#include <string>

#include <boost/json/value.hpp>

namespace mallard::sns::filter_detail {

std::string JacksonCompactText(const boost::json::value& value);
// Java's Double.toString (finite values).
std::string JavaDoubleToString(double value);

}  // namespace mallard::sns::filter_detail
