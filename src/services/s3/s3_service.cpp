#include "services/s3/s3_service.hpp"

#include <boost/asio/post.hpp>
#include <charconv>
#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {

namespace {

// Uploads up to this size are read whole with their request (BodyReadingFor says why).
constexpr std::uint64_t kBufferedUploadBytes = 64 * 1024;

bool HasQueryName(std::string_view raw_query, std::string_view name) {
  while (!raw_query.empty()) {
    auto amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.substr(0, pair.find('=')) == name) return true;
  }
  return false;
}

}  // namespace

S3Service::S3Service(std::shared_ptr<S3Store> store, services::ServiceContext context, S3Options options)
    : store_(std::move(store)), context_(std::move(context)), options_(options) {
  for (const auto& table : {BucketOperations(), ObjectOperations(), ListingOperations(), MultipartOperations(), CopyOperations(),
                            ConfigurationOperations(), VersionOperations(), NotificationOperations(), PostObjectOperations()}) {
    for (const auto& operation : table) handlers_.emplace(operation.name, operation.handler);
  }
}

const services::ServiceDescriptor& S3Service::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [this] {
    services::ServiceDescriptor d;
    d.name = "s3";
    d.signing_name = "s3";
    d.rest_protocol = "rest-xml";
    for (const auto& [name, handler] : handlers_) d.operations.emplace_back(name);
    std::sort(d.operations.begin(), d.operations.end());
    return d;
  }();
  return descriptor;
}

void S3Service::Reset() { store_->Reset(); }

std::string S3Service::VirtualHostedBucket(const http::HttpRequest& request) const {
  const std::string* host = request.Header("host");
  if (host == nullptr) return {};
  return BucketFromHost(*host).value_or(std::string());
}

bool S3Service::ClaimsRequest(const http::HttpRequest& request) const {
  // An awsQuery Action or form body is never S3's, whatever the host ("sqs.us-east-1.localhost"
  // looks like a virtual-hosted bucket).
  if (HasQueryName(request.query, "Action")) return false;
  const std::string* content_type = request.Header("content-type");
  if (request.method == "POST" && content_type != nullptr &&
      content_type->find("x-www-form-urlencoded") != std::string::npos) {
    return false;
  }
  const std::string* host = request.Header("host");
  if (host != nullptr && BucketFromHost(*host)) return true;
  // SigV2 ("AWS AKID:signature") and SigV2 presigned URLs are S3's alone.
  if (const std::string* authorization = request.Header("authorization")) {
    if (authorization->rfind("AWS ", 0) == 0) return true;
  }
  if (HasQueryName(request.query, "AWSAccessKeyId")) return true;
  // The root is the endpoint's health probe (DynamoDB's), and requests with an Action or a form
  // body are awsQuery (SQS by queue URL): everything else with a path is a path-style S3 request.
  return !(request.path == "/" || request.path.empty());
}

http::BodyReading S3Service::BodyReadingFor(const http::HttpRequest& request) const {
  // Object and part uploads stream (up to 5 GiB each); everything else is a small XML document
  // read whole, its bytes as sent (Content-MD5 covers them).
  // A browser form upload (PostObject) carries its file in a multipart/form-data body: streamed.
  if (const std::string* type = request.Header("content-type"); request.method == "POST" && request.query.empty() &&
                                                                 type != nullptr && type->rfind("multipart/form-data", 0) == 0) {
    return http::BodyReading::kStreamed;
  }
  if (request.method != "PUT") return http::BodyReading::kBufferedRaw;
  if (request.Header("x-amz-copy-source") != nullptr) return http::BodyReading::kBufferedRaw;
  const std::string* host = request.Header("host");
  bool virtual_hosted = host != nullptr && BucketFromHost(*host).has_value();
  // A key: path style needs a second segment, virtual-hosted style any path past "/".
  std::string_view path = request.path;
  bool has_key = virtual_hosted ? path.size() > 1
                                : path.size() > 1 && path.find('/', 1) != std::string_view::npos &&
                                      path.find('/', 1) + 1 < path.size();
  if (!has_key) return http::BodyReading::kBufferedRaw;
  for (std::string_view sub_resource : {"tagging", "acl", "retention", "legal-hold", "restore"}) {
    if (HasQueryName(request.query, sub_resource)) return http::BodyReading::kBufferedRaw;
  }
  // A small upload of declared length comes whole with its request: streaming it costs two more
  // hand-overs between the network thread and the pool (the piece, then the end) for bytes that
  // were already in the connection's buffer. Its bytes stay as sent (aws-chunked is decoded later).
  if (request.Header("transfer-encoding") == nullptr) {
    if (const std::string* length = request.Header("content-length")) {
      std::uint64_t declared = 0;
      auto [end, error] = std::from_chars(length->data(), length->data() + length->size(), declared);
      if (error == std::errc() && end == length->data() + length->size() && declared <= kBufferedUploadBytes) {
        return http::BodyReading::kBufferedRaw;
      }
    }
  }
  return http::BodyReading::kStreamed;
}

void S3Service::Run(std::function<void()> work) const {
  if (options_.store_in_process || context_.blocking_pool == nullptr) return work();
  boost::asio::post(*context_.blocking_pool, std::move(work));
}

void S3Service::RunBlocking(std::function<void()> work) const {
  if (context_.blocking_pool == nullptr) return work();
  boost::asio::post(*context_.blocking_pool, std::move(work));
}

void S3Service::HandleRest(services::RestRequest request, http::Responder respond) {
  auto query = QueryParameters::Parse(request.http.query);
  const std::string* host = request.http.Header("host");
  auto route = RouteS3(request.http.method, host != nullptr ? std::string_view(*host) : std::string_view(),
                       request.http.path, query, request.http.headers);
  if (route && request.operation_name) *request.operation_name = route.value().operation;  // the gateway's metrics
  if (!route) {
    S3Call failed(shared_from_this(), std::move(request), S3Route{}, std::move(query), std::move(respond));
    return failed.Fail(route.error());
  }
  if (request.form_signature_lookup && route.value().operation != "PostObject") {
    // Let through unsigned as a form upload (--auth sigv4), it is not one: anonymous, refused.
    S3Call refused(shared_from_this(), std::move(request), S3Route{}, std::move(query), std::move(respond));
    return refused.Fail(errors::AccessDenied());
  }
  auto found = handlers_.find(route.value().operation);
  auto call = std::make_shared<S3Call>(shared_from_this(), std::move(request), std::move(route).value(), std::move(query),
                                       std::move(respond));
  if (found == handlers_.end()) {
    return call->Fail(S3Error("NotImplemented", 501,
                              "The " + call->operation() + " operation is not implemented by Mallard's S3."));
  }
  try {
    found->second(call);
  } catch (const std::exception& e) {
    spdlog::error("s3.{} failed: {} (request {})", call->operation(), e.what(), call->context().request_id);
    call->Fail(errors::InternalError());
  }
}

}  // namespace mallard::s3
