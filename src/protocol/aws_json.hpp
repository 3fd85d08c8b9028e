#pragma once
// awsJson 1.0 / 1.1 codec: body decoding with a deliberate depth bound, result and error rendering
// in the exact wire shape (`__type`, `x-amzn-ErrorType`, `x-amzn-query-error` for query-compatible
// services such as SQS).
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/http_types.hpp"

namespace mallard::protocol {

// Deep enough for DynamoDB's 32 levels of nested M/L (about 2 JSON levels each plus the request
// wrapper), bounded so that hostile nesting cannot exhaust the stack.
inline constexpr std::size_t kMaxJsonDepth = 256;

struct JsonErrorStyle {
  bool json_1_1 = false;
  std::string type_namespace;   // e.g. "com.amazonaws.sqs#"; empty = bare code
  // Also send x-amzn-query-error: <query code>;<Sender|Receiver>, and the namespaced type in
  // x-amzn-ErrorType (SQS: com.amazonaws.sqs#QueueDoesNotExist).
  bool query_compatible = false;
};

// Parses a request body. An empty body is an empty object. Anything that is not one JSON object
// is a SerializationException.
Result<boost::json::object> DecodeJsonBody(std::string_view body);

// Serializes a response document as valid UTF-8 JSON whatever its strings hold: Boost.JSON copies
// bytes >= 0x80 through unchecked, so a string holding invalid UTF-8 (client bytes echoed in a
// message, a cut multi-byte character) would make the whole body unparseable. Invalid sequences
// become U+FFFD; they can only sit inside strings, as every structural character is ASCII. Valid
// output (the normal case) costs one validation pass.
std::string SerializeJson(const boost::json::value& document);
// The same for an object, without first copying it into a value (a deep copy of the whole answer).
std::string SerializeJson(const boost::json::object& document);

http::HttpResponse RenderJsonResult(const boost::json::object& output, bool json_1_1, const std::string& request_id);
http::HttpResponse RenderJsonError(const AwsError& error, const JsonErrorStyle& style, const std::string& request_id);

}  // namespace mallard::protocol
