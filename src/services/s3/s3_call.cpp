#include "services/s3/s3_call.hpp"

#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "services/s3/s3_cors.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {

S3Call::S3Call(std::shared_ptr<const S3Service> service, services::RestRequest request, S3Route route,
               QueryParameters query, http::Responder respond)
    : service_(std::move(service)),
      request_(std::move(request)),
      route_(std::move(route)),
      query_(std::move(query)),
      respond_(std::move(respond)) {
  // S3's x-amz-id-2 is an opaque token of the front end that served the request; ours derives from
  // the request id so a log line and a client error can be matched.
  host_id_ = Base64Encode(request_.context.request_id + "/mallard-s3");
  service_->CallStarted();
}

S3Call::~S3Call() {
  if (!answered_.load()) service_->CallAnswered();
}

void S3Call::Reply(http::HttpResponse response) {
  if (answered_.exchange(true)) return;
  service_->CallAnswered();
  ApplyCors(*this, response);  // a request with an Origin gets its bucket's CORS headers
  response.SetHeader("x-amz-request-id", request_.context.request_id);
  response.SetHeader("x-amz-id-2", host_id_);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("s3.{} {} {} {}", route_.operation, response.status, request_.context.request_id, route_.address.bucket);
  }
  respond_(std::move(response));
}

void S3Call::ReplyXml(std::string xml, int status) {
  http::HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", "application/xml");
  response.body = std::move(xml);
  Reply(std::move(response));
}

void S3Call::ReplyEmpty(int status, std::vector<std::pair<std::string, std::string>> headers) {
  http::HttpResponse response;
  response.status = status;
  response.headers = std::move(headers);
  Reply(std::move(response));
}

void S3Call::Fail(const AwsError& error, std::vector<std::pair<std::string, std::string>> headers) {
  auto response = RenderS3Error(error, request_.context.request_id, host_id_, IsHead());
  for (auto& [name, value] : headers) response.SetHeader(std::move(name), std::move(value));
  if (answered_.exchange(true)) return;
  service_->CallAnswered();
  ApplyCors(*this, response);  // S3 sends a matching rule's CORS headers with errors too
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("s3.{} {} {} {} {}", route_.operation.empty() ? std::string("?") : route_.operation, error.http_status,
                  error.code, request_.context.request_id, route_.address.bucket);
  }
  respond_(std::move(response));
}

AwsError S3Call::ToAwsError(const StoreError& error) const {
  switch (error.code) {
    case StoreErrc::BucketNotFound:
      return errors::NoSuchBucket(bucket());
    case StoreErrc::BucketExists:
      return error.detail == context().account_id ? errors::BucketAlreadyOwnedByYou(bucket())
                                                  : errors::BucketAlreadyExists(bucket());
    case StoreErrc::BucketNotEmpty:
      return errors::BucketNotEmpty(bucket());
    case StoreErrc::ObjectNotFound:
      return errors::NoSuchKey(key());
    case StoreErrc::VersionNotFound: {
      const std::string* version = Query("versionId");
      return errors::NoSuchVersion(key(), version != nullptr ? *version : std::string());
    }
    case StoreErrc::UploadNotFound: {
      const std::string* upload = Query("uploadId");
      return errors::NoSuchUpload(upload != nullptr ? *upload : std::string());
    }
    case StoreErrc::PartNotFound:
      return S3Error("InvalidPart", 400,
                     "One or more of the specified parts could not be found.  The part may not have been uploaded, or "
                     "the specified entity tag may not match the part's entity tag.");
    case StoreErrc::PreconditionFailed:
      return errors::PreconditionFailed(error.detail.empty() ? "If-Match" : error.detail);
    case StoreErrc::Conflict:
      // S3 answers a lost race between conditional writes with 409 ConditionalRequestConflict.
      return S3Error("ConditionalRequestConflict", 409,
                     "A conflicting operation occurred. If using PutObject you can retry the request. If using "
                     "CompleteMultipartUpload you should retry the request.");
    case StoreErrc::StorageFailed:
      spdlog::error("s3 store failed: {} (request {})", error.detail, context().request_id);
      return errors::InternalError();
    case StoreErrc::Unavailable:
      spdlog::warn("s3 store unavailable: {} (request {})", error.detail, context().request_id);
      return errors::ServiceUnavailable();
  }
  return errors::InternalError();
}

void S3Call::Fail(const StoreError& error) { Fail(ToAwsError(error)); }

}  // namespace mallard::s3
