#pragma once
// awsQuery codec: form-encoded parameters in (`Action=...&Attribute.1.Name=...`), XML out
// (`<OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata>...`), and the
// `<ErrorResponse>` error shape. Translation to and from the JSON document is driven by the
// operation's shapes, so services never see form keys or XML.
#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/http_types.hpp"
#include "protocol/shape.hpp"

namespace mallard::protocol {

using FormParameters = std::map<std::string, std::string>;

// Parses application/x-www-form-urlencoded text into `params` (later keys win). A malformed
// escape is a MalformedQueryString error.
Status<> ParseFormInto(std::string_view text, FormParameters& params);

// Builds the operation's JSON input from form parameters. Scalars are converted by the shape
// (integers, booleans); a value that does not convert is an InvalidParameterValue error.
Result<boost::json::object> FormToJson(const FormParameters& params, const Shape* input);

struct QueryStyle {
  std::string xmlns;  // e.g. "http://queue.amazonaws.com/doc/2012-11-05/"
};

http::HttpResponse RenderQueryResult(const std::string& operation, const boost::json::object& output,
                                     const Shape* output_shape, const QueryStyle& style, const std::string& request_id);
http::HttpResponse RenderQueryError(const AwsError& error, const QueryStyle& style, const std::string& request_id);
// awsQuery services (STS, IAM) answer in JSON when the request says `Accept: application/json`:
// {"<Op>Response": {"<Op>Result": {...}, "ResponseMetadata": {"RequestId": ...}}}.
http::HttpResponse RenderQueryResultAsJson(const std::string& operation, const boost::json::object& output,
                                           const std::string& request_id);
http::HttpResponse RenderQueryErrorAsJson(const AwsError& error, const std::string& request_id);

}  // namespace mallard::protocol
