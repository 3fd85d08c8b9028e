#include "protocol/aws_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/monotonic_resource.hpp>

#include <cmath>
#include <vector>

#include "common/encoding.hpp"

namespace mallard::protocol {
namespace json = boost::json;

namespace {

// Boost.JSON 1.81 reads a number beyond double's range ("1e400") as infinity and a zero mantissa
// with a huge exponent ("-0.00e890") as 0 x inf = NaN, and would write both back as `Infinity` /
// `NaN`, which is not JSON (and service code converting them to integers is undefined behaviour).
// A NaN can only come from such a zero, so it becomes 0 (the sign is lost: x86's NaN from 0 x inf is
// always negative); an infinite number has no meaning in any request, so it refuses the body.
// Iterative: the walk must not recurse per nesting level. Returns false on an infinite number.
bool RepairNonFiniteNumbers(json::value& document) {
  std::vector<json::value*> pending{&document};
  while (!pending.empty()) {
    json::value* node = pending.back();
    pending.pop_back();
    if (node->is_double()) {
      if (std::isnan(node->get_double())) *node = 0.0;
      else if (std::isinf(node->get_double())) return false;
    } else if (node->is_object()) {
      for (auto& member : node->get_object()) pending.push_back(&member.value());
    } else if (node->is_array()) {
      for (auto& item : node->get_array()) pending.push_back(&item);
    }
  }
  return true;
}

}  // namespace

Result<json::object> DecodeJsonBody(std::string_view body) {
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return json::object();
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::parser parser(json::storage_ptr(), options);
  boost::system::error_code error;
  parser.write(body.data(), body.size(), error);
  if (error) {
    return Fail(AwsError::Make("SerializationException", 400,
                               "Start of structure or map found where not expected, or the body is not valid JSON: " +
                                   error.message()));
  }
  json::value document = parser.release();
  if (!RepairNonFiniteNumbers(document)) {
    return Fail(AwsError::Make("SerializationException", 400,
                               "A number in the request body is outside the range of a double."));
  }
  if (!document.is_object()) {
    return Fail(AwsError::Make("SerializationException", 400, "The request body must be a JSON object."));
  }
  return std::move(document.as_object());
}

namespace {
// Boost.JSON writes strings' bytes as they are: an answer echoing invalid UTF-8 is made valid.
std::string ValidUtf8(std::string text) { return IsValidUtf8(text) ? text : ToValidUtf8(text); }
}  // namespace

std::string SerializeJson(const json::value& document) { return ValidUtf8(json::serialize(document)); }
std::string SerializeJson(const json::object& document) { return ValidUtf8(json::serialize(document)); }

http::HttpResponse RenderJsonResult(const json::object& output, bool json_1_1, const std::string& request_id) {
  http::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", json_1_1 ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0");
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  response.body = SerializeJson(output);
  return response;
}

http::HttpResponse RenderJsonError(const AwsError& error, const JsonErrorStyle& style, const std::string& request_id) {
  http::HttpResponse response;
  response.status = error.http_status;
  std::string type = (error.type_namespace.empty() ? style.type_namespace : error.type_namespace) + error.code;
  response.headers.emplace_back("Content-Type", style.json_1_1 ? "application/x-amz-json-1.1" : "application/x-amz-json-1.0");
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  // SQS (the query-compatible service) names the error there as in `__type`, namespace included.
  response.headers.emplace_back("x-amzn-ErrorType", style.query_compatible ? type : error.code);
  if (style.query_compatible) {
    response.headers.emplace_back("x-amzn-query-error",
                                  error.query_code + (error.fault == FaultSide::Sender ? ";Sender" : ";Receiver"));
  }
  json::object body;
  body["__type"] = type;
  if (!error.message_member.empty()) body[error.message_member] = error.message;
  if (!error.extra_json.empty()) {
    boost::system::error_code parse_error;
    // Extra members may carry client bytes too; SerializeJson repairs them rather than losing them.
    json::parse_options lenient;
    lenient.allow_invalid_utf8 = true;
    json::value extra = json::parse(error.extra_json, parse_error, json::storage_ptr(), lenient);
    if (!parse_error && extra.is_object())
      for (const auto& member : extra.as_object()) body.insert_or_assign(member.key(), member.value());
  }
  response.body = SerializeJson(body);
  return response;
}

}  // namespace mallard::protocol
