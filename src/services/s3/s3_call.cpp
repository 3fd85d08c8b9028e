#include "services/s3/s3_call.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <utility>

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
  // A bucket lives in one region and S3 refuses a request signed for another: the client learns
  // the right one from the error (botocore re-signs and retries with it). CreateBucket has its own
  // rule (the location constraint), GetBucketLocation is how a client finds the region, a POST
  // form carries its credential in the form (s3_post_object.cpp), and a CORS preflight is unsigned.
  static constexpr std::string_view kAnyRegion[] = {"CreateBucket", "ListBuckets", "GetBucketLocation", "PostObject",
                                                    "OptionsObject"};
  if (!route_.address.bucket.empty() &&
      std::find(std::begin(kAnyRegion), std::end(kAnyRegion), route_.operation) == std::end(kAnyRegion)) {
    if (request_.context.region_signed) signing_region_to_check_ = request_.context.region;
  }
}

void S3Call::Run(std::function<void()> work) const { service_->Run(AfterSigningRegionCheck(std::move(work))); }

void S3Call::RunBlocking(std::function<void()> work) const {
  service_->RunBlocking(AfterSigningRegionCheck(std::move(work)));
}

std::function<void()> S3Call::AfterSigningRegionCheck(std::function<void()> work) const {
  if (signing_region_to_check_.empty()) return work;
  // Runs and Fail follow one another (each Run posts the next step), so the one check is enough.
  auto signed_for = std::exchange(signing_region_to_check_, std::string());
  auto self = std::const_pointer_cast<S3Call>(shared_from_this());
  return [self, signed_for = std::move(signed_for), work = std::move(work)] {
    auto bucket = self->store().GetBucket(self->bucket());
    // A missing bucket is the operation's to report (NoSuchBucket): there is no region to expect.
    if (!bucket || bucket.value().region == signed_for) return work();
    const std::string& expected = bucket.value().region;
    bool presigned = self->Header("authorization") == nullptr;
    auto error = presigned ? errors::WrongRegionInQueryCredential(signed_for, expected)
                           : errors::WrongRegionInAuthorizationHeader(signed_for, expected);
    // A HEAD answer has no body to carry the Region element: S3 sends the region as a header.
    std::vector<std::pair<std::string, std::string>> headers;
    if (self->IsHead()) headers.emplace_back("x-amz-bucket-region", expected);
    self->Fail(error, std::move(headers));
  };
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
