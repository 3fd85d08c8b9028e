// awsJson request decoding: any body is either a SerializationException or one JSON object, never a
// crash; the depth bound holds; an accepted object renders back (RenderJsonResult) to strict JSON
// that parses to the same value.
#include <boost/json.hpp>

#include <cmath>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/aws_json.hpp"

namespace json = boost::json;
using namespace mallard;

namespace {

std::size_t Depth(const json::value& value) {
  // Iterative: the point of the bound is that nothing here recurses per level.
  std::size_t deepest = 0;
  std::vector<std::pair<const json::value*, std::size_t>> stack{{&value, 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (node->is_object())
      for (const auto& member : node->get_object()) stack.emplace_back(&member.value(), depth + 1);
    else if (node->is_array())
      for (const auto& item : node->get_array()) stack.emplace_back(&item, depth + 1);
  }
  return deepest;
}

// Equality, except that doubles may differ in the last bits: Boost.JSON 1.81 parses numbers with
// a fast, not always correctly rounded algorithm, so serialise-then-parse can move a double by an
// ulp. That is the library's documented behaviour, not a rendering bug.
bool HasNonFinite(const json::value& value) {
  std::vector<const json::value*> stack{&value};
  while (!stack.empty()) {
    const json::value* node = stack.back();
    stack.pop_back();
    if (node->is_double() && !std::isfinite(node->get_double())) return true;
    if (node->is_object())
      for (const auto& member : node->get_object()) stack.push_back(&member.value());
    else if (node->is_array())
      for (const auto& item : node->get_array()) stack.push_back(&item);
  }
  return false;
}

bool SameValue(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const auto& left = a.get_object();
    const auto& right = b.get_object();
    if (left.size() != right.size()) return false;
    for (const auto& member : left) {
      const json::value* other = right.if_contains(member.key());
      if (other == nullptr || !SameValue(member.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const auto& left = a.get_array();
    const auto& right = b.get_array();
    if (left.size() != right.size()) return false;
    for (std::size_t i = 0; i < left.size(); ++i)
      if (!SameValue(left[i], right[i])) return false;
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto decoded = protocol::DecodeJsonBody(body);
  if (!decoded.ok()) {
    const AwsError& error = decoded.error();
    if (error.code != "SerializationException" || error.http_status != 400)
      fuzz::FailCheck("DecodeJsonBody failed with an unexpected error: " + error.code, body);
    protocol::JsonErrorStyle style{false, "com.amazonaws.dynamodb.v20120810#", false};
    auto rendered = protocol::RenderJsonError(error, style, "req-1");
    fuzz::CheckStrictJson(rendered.body, "RenderJsonError(decode error)");
    return 0;
  }
  const json::object& object = *decoded;
  json::value as_value(object);
  if (Depth(as_value) > protocol::kMaxJsonDepth + 1)
    fuzz::FailCheck("DecodeJsonBody accepted a document deeper than kMaxJsonDepth", body);
  // Boost.JSON 1.81 parses numbers beyond double's range to infinity (1e400) and a zero with a huge
  // exponent (-0.00e890) to NaN, and serialises them as `Infinity` / `NaN` — not JSON; service
  // code then converts them to integers (undefined behaviour). Known finding "json-nonfinite".
  if (HasNonFinite(as_value)) {
    if (fuzz::KnownFindingIgnored("json-nonfinite")) return 0;
    fuzz::FailCheck("DecodeJsonBody accepted a number that is not finite (it renders as invalid JSON)", body);
  }
  auto rendered = protocol::RenderJsonResult(object, true, "req-1");
  fuzz::CheckStrictJson(rendered.body, "RenderJsonResult");
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = protocol::kMaxJsonDepth + 8;
  json::value reparsed = json::parse(rendered.body, error, {}, options);
  if (error || !SameValue(reparsed, as_value)) fuzz::FailCheck("RenderJsonResult does not round-trip", rendered.body);
  return 0;
}
