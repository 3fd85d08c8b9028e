#include "services/sns/filter/policy_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <boost/json.hpp>

namespace mallard::sns::filter_detail {

namespace json = boost::json;

namespace {

void AppendString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void Append(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(value.get_int64()); break;
    case json::kind::uint64: out += std::to_string(value.get_uint64()); break;
    case json::kind::double_: {
      double number = value.get_double();
      // Jackson quotes non-finite numbers by default (a literal too large for a double).
      if (!std::isfinite(number)) {
        out += number > 0 ? "\"Infinity\"" : "\"-Infinity\"";
      } else {
        out += JavaDoubleToString(number);
      }
      break;
    }
    case json::kind::string: AppendString(out, value.get_string()); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        Append(out, element);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        AppendString(out, member.key());
        out.push_back(':');
        Append(out, member.value());
      }
      out.push_back('}');
      break;
    }
  }
}

}  // namespace

std::string JavaDoubleToString(double value) {
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // Shortest round-trip digits, as d.ddde±x.
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  std::string out;
  if (scientific[0] == '-') {
    out.push_back('-');
    scientific.erase(0, 1);
  }
  std::size_t e_at = scientific.find('e');
  int exponent = std::atoi(scientific.c_str() + e_at + 1);
  std::string digits;
  for (std::size_t i = 0; i < e_at; ++i) {
    if (scientific[i] != '.') digits.push_back(scientific[i]);
  }
  double magnitude = std::fabs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      std::size_t integer_digits = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() < integer_digits) digits.append(integer_digits - digits.size(), '0');
      out += digits.substr(0, integer_digits);
      out.push_back('.');
      out += digits.size() > integer_digits ? digits.substr(integer_digits) : "0";
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    }
    return out;
  }
  out.push_back(digits[0]);
  out.push_back('.');
  out += digits.size() > 1 ? digits.substr(1) : "0";
  out.push_back('E');
  out += std::to_string(exponent);
  return out;
}

std::string JacksonCompactText(const json::value& value) {
  std::string out;
  Append(out, value);
  return out;
}

}  // namespace mallard::sns::filter_detail
