#include "services/s3/xml/s3_errors.hpp"

#include <boost/json.hpp>

#include "common/encoding.hpp"

namespace mallard::s3 {
namespace json = boost::json;

AwsError S3Error(std::string code, int status, std::string message, std::vector<std::pair<std::string, std::string>> fields) {
  AwsError error = AwsError::Make(std::move(code), status, std::move(message),
                                  status >= 500 ? FaultSide::Receiver : FaultSide::Sender);
  for (const auto& [name, value] : fields) AddErrorField(error, name, value);
  return error;
}

void AddErrorField(AwsError& error, std::string_view name, std::string_view value) {
  json::object fields;
  if (!error.extra_json.empty()) {
    boost::system::error_code ignored;
    auto parsed = json::parse(error.extra_json, ignored);
    if (!ignored && parsed.is_object()) fields = std::move(parsed.as_object());
  }
  fields[name] = value;
  error.extra_json = json::serialize(fields);
}

http::HttpResponse RenderS3Error(const AwsError& error, std::string_view request_id, std::string_view host_id,
                                 bool head_request) {
  http::HttpResponse response;
  response.status = error.http_status;
  response.SetHeader("x-amz-request-id", std::string(request_id));
  response.SetHeader("x-amz-id-2", std::string(host_id));
  if (head_request || error.http_status == 304) return response;
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  AppendXmlEscaped(body, error.code);
  body += "</Code><Message>";
  AppendXmlEscaped(body, error.message);
  body += "</Message>";
  if (!error.extra_json.empty()) {
    boost::system::error_code ignored;
    auto parsed = json::parse(error.extra_json, ignored);
    if (!ignored && parsed.is_object()) {
      for (const auto& field : parsed.as_object()) {
        std::string value = field.value().is_string() ? std::string(field.value().as_string())
                                                      : json::serialize(field.value());
        body += '<';
        body += field.key();
        body += '>';
        AppendXmlEscaped(body, value);
        body += "</";
        body += field.key();
        body += '>';
      }
    }
  }
  body += "<RequestId>";
  AppendXmlEscaped(body, request_id);
  body += "</RequestId><HostId>";
  AppendXmlEscaped(body, host_id);
  body += "</HostId></Error>";
  response.SetHeader("Content-Type", "application/xml");
  response.body = std::move(body);
  return response;
}

namespace errors {

AwsError NoSuchBucket(std::string_view bucket) {
  return S3Error("NoSuchBucket", 404, "The specified bucket does not exist", {{"BucketName", std::string(bucket)}});
}
AwsError NoSuchKey(std::string_view key) {
  return S3Error("NoSuchKey", 404, "The specified key does not exist.", {{"Key", std::string(key)}});
}
AwsError NoSuchVersion(std::string_view key, std::string_view version_id) {
  return S3Error("NoSuchVersion", 404, "The specified version does not exist.",
                 {{"Key", std::string(key)}, {"VersionId", std::string(version_id)}});
}
AwsError NoSuchUpload(std::string_view upload_id) {
  return S3Error("NoSuchUpload", 404,
                 "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
                 "or completed.",
                 {{"UploadId", std::string(upload_id)}});
}
AwsError BucketAlreadyExists(std::string_view bucket) {
  return S3Error("BucketAlreadyExists", 409,
                 "The requested bucket name is not available. The bucket namespace is shared by all users of the "
                 "system. Please select a different name and try again.",
                 {{"BucketName", std::string(bucket)}});
}
AwsError BucketAlreadyOwnedByYou(std::string_view bucket) {
  return S3Error("BucketAlreadyOwnedByYou", 409,
                 "Your previous request to create the named bucket succeeded and you already own it.",
                 {{"BucketName", std::string(bucket)}});
}
AwsError BucketNotEmpty(std::string_view bucket) {
  return S3Error("BucketNotEmpty", 409, "The bucket you tried to delete is not empty",
                 {{"BucketName", std::string(bucket)}});
}
AwsError InvalidBucketName(std::string_view bucket) {
  return S3Error("InvalidBucketName", 400, "The specified bucket is not valid.", {{"BucketName", std::string(bucket)}});
}
AwsError KeyTooLong(std::size_t size) {
  return S3Error("KeyTooLongError", 400, "Your key is too long",
                 {{"MaxSizeAllowed", "1024"}, {"Size", std::to_string(size)}});
}
AwsError MalformedXml() {
  return S3Error("MalformedXML", 400,
                 "The XML you provided was not well-formed or did not validate against our published schema");
}
AwsError InvalidArgument(std::string message, std::string_view argument_name, std::string_view argument_value) {
  return S3Error("InvalidArgument", 400, std::move(message),
                 {{"ArgumentName", std::string(argument_name)}, {"ArgumentValue", std::string(argument_value)}});
}
AwsError InvalidRequest(std::string message) { return S3Error("InvalidRequest", 400, std::move(message)); }
namespace {
std::string RegionIsWrong(std::string_view signed_for, std::string_view expected) {
  std::string message = "the region '";
  message.append(signed_for).append("' is wrong; expecting '").append(expected).append("'");
  return message;
}
}  // namespace
AwsError WrongRegionInAuthorizationHeader(std::string_view signed_for, std::string_view expected) {
  return S3Error("AuthorizationHeaderMalformed", 400,
                 RegionIsWrong(signed_for, expected).insert(0, "The authorization header is malformed; "),
                 {{"Region", std::string(expected)}});
}
AwsError WrongRegionInQueryCredential(std::string_view signed_for, std::string_view expected) {
  return S3Error("AuthorizationQueryParametersError", 400,
                 RegionIsWrong(signed_for, expected).insert(0, "Error parsing the X-Amz-Credential parameter; "),
                 {{"Region", std::string(expected)}});
}
AwsError WrongRegionInFormCredential(std::string_view credential, std::string_view signed_for,
                                     std::string_view expected) {
  return S3Error("InvalidArgument", 400, RegionIsWrong(signed_for, expected),
                 {{"ArgumentName", "X-Amz-Credential"},
                  {"ArgumentValue", std::string(credential)},
                  {"Region", std::string(expected)}});
}
AwsError PreconditionFailed(std::string_view condition) {
  return S3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold",
                 {{"Condition", std::string(condition)}});
}
AwsError NotModified() { return S3Error("NotModified", 304, "Not Modified"); }
AwsError InvalidRange(std::uint64_t object_size, std::string_view requested) {
  return S3Error("InvalidRange", 416, "The requested range is not satisfiable",
                 {{"RangeRequested", std::string(requested)}, {"ActualObjectSize", std::to_string(object_size)}});
}
AwsError MethodNotAllowed(std::string_view method, std::string_view resource_type) {
  return S3Error("MethodNotAllowed", 405, "The specified method is not allowed against this resource.",
                 {{"Method", std::string(method)}, {"ResourceType", std::string(resource_type)}});
}
AwsError NotImplemented(std::string_view what) {
  return S3Error("NotImplemented", 501, "A header you provided implies functionality that is not implemented",
                 {{"Header", std::string(what)}});
}
AwsError MissingContentLength() {
  return S3Error("MissingContentLength", 411, "You must provide the Content-Length HTTP header.");
}
AwsError IncompleteBody() {
  return S3Error("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header");
}
AwsError EntityTooLarge(std::uint64_t proposed, std::uint64_t max) {
  return S3Error("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size",
                 {{"ProposedSize", std::to_string(proposed)}, {"MaxSizeAllowed", std::to_string(max)}});
}
AwsError InternalError(std::string) {
  return S3Error("InternalError", 500, "We encountered an internal error. Please try again.");
}
AwsError ServiceUnavailable() {
  return S3Error("ServiceUnavailable", 503, "Please reduce your request rate.");
}
AwsError AccessDenied() { return S3Error("AccessDenied", 403, "Access Denied"); }

}  // namespace errors
}  // namespace mallard::s3
