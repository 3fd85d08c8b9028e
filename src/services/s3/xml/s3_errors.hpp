#pragma once
// S3's errors: the codes, statuses and messages real S3 sends (checked against recorded AWS
// answers: .notes in the closing note of issue 19 name the source), and their rendering. Extra
// elements S3 adds to an error (BucketName, Key, Condition, ArgumentName, …) travel in
// AwsError::extra_json as a JSON object of strings and are written in that order.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/http_types.hpp"

namespace mallard::s3 {

// An error with extra elements.
AwsError S3Error(std::string code, int status, std::string message,
                 std::vector<std::pair<std::string, std::string>> fields = {});
// Adds (or replaces) one extra element.
void AddErrorField(AwsError& error, std::string_view name, std::string_view value);

// <Error><Code/><Message/>[fields]<RequestId/><HostId/></Error> with x-amz-request-id and
// x-amz-id-2; no body for HEAD requests and for 304 (S3 sends none). `extra_headers` are response
// headers that go with the error (x-amz-delete-marker, x-amz-version-id, Allow).
http::HttpResponse RenderS3Error(const AwsError& error, std::string_view request_id, std::string_view host_id,
                                 bool head_request);

namespace errors {
AwsError NoSuchBucket(std::string_view bucket);
AwsError NoSuchKey(std::string_view key);
AwsError NoSuchVersion(std::string_view key, std::string_view version_id);
AwsError NoSuchUpload(std::string_view upload_id);
AwsError BucketAlreadyExists(std::string_view bucket);
AwsError BucketAlreadyOwnedByYou(std::string_view bucket);
AwsError BucketNotEmpty(std::string_view bucket);
AwsError InvalidBucketName(std::string_view bucket);
AwsError KeyTooLong(std::size_t size);
AwsError MalformedXml();
AwsError InvalidArgument(std::string message, std::string_view argument_name, std::string_view argument_value);
// A request signed for `signed_for` to a bucket in `expected`: by Authorization header, by
// presigned URL (X-Amz-Credential in the query) and by POST form (its X-Amz-Credential field).
AwsError WrongRegionInAuthorizationHeader(std::string_view signed_for, std::string_view expected);
AwsError WrongRegionInQueryCredential(std::string_view signed_for, std::string_view expected);
AwsError WrongRegionInFormCredential(std::string_view credential, std::string_view signed_for, std::string_view expected);
AwsError InvalidRequest(std::string message);
AwsError PreconditionFailed(std::string_view condition);
AwsError NotModified();
AwsError InvalidRange(std::uint64_t object_size, std::string_view requested);
AwsError MethodNotAllowed(std::string_view method, std::string_view resource_type);
AwsError NotImplemented(std::string_view what);
AwsError MissingContentLength();
AwsError IncompleteBody();
AwsError EntityTooLarge(std::uint64_t proposed, std::uint64_t max);
AwsError InternalError(std::string detail_for_log = {});
AwsError ServiceUnavailable();
AwsError AccessDenied();
}  // namespace errors

}  // namespace mallard::s3
