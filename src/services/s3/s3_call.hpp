#pragma once
// S3Call: one S3 request on its way through the service — what the client sent (route, query,
// headers, body), who sent it, and the one way to answer (Reply / Fail), which adds S3's request
// id headers and renders errors in S3's XML.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws_error.hpp"
#include "common/http_types.hpp"
#include "services/kit/service.hpp"
#include "services/s3/model/s3_store.hpp"
#include "services/s3/s3_service.hpp"
#include "services/s3/wire/s3_routing.hpp"

namespace mallard::s3 {

class S3Call : public std::enable_shared_from_this<S3Call> {
 public:
  S3Call(std::shared_ptr<const S3Service> service, services::RestRequest request, S3Route route, QueryParameters query,
         http::Responder respond);
  ~S3Call();
  S3Call(const S3Call&) = delete;
  S3Call& operator=(const S3Call&) = delete;

  const S3Service& service() const { return *service_; }
  S3Store& store() const { return service_->store(); }
  const S3Options& options() const { return service_->options(); }
  const services::RestRequest& request() const { return request_; }
  services::RestRequest& request() { return request_; }
  const http::HttpRequest& http() const { return request_.http; }
  const RequestContext& context() const { return request_.context; }
  const std::string& bucket() const { return route_.address.bucket; }
  const std::string& key() const { return route_.address.key; }
  const std::string& operation() const { return route_.operation; }
  const QueryParameters& query() const { return query_; }
  const std::string* Header(std::string_view lowercase_name) const { return request_.http.Header(lowercase_name); }
  const std::string* Query(std::string_view name) const { return query_.Find(name); }
  bool IsHead() const { return request_.http.method == "HEAD"; }
  std::int64_t NowMillis() const { return service_->context().clock(); }

  // Where a handler does its store work (inline for an in-process store, else on the pool). The
  // first of them checks the request's signing region against its bucket's first, as S3
  // authenticates before it runs an operation.
  void Run(std::function<void()> work) const;
  void RunBlocking(std::function<void()> work) const;

  // Answers (once; later calls are ignored). Adds x-amz-request-id and x-amz-id-2.
  void Reply(http::HttpResponse response);
  void ReplyXml(std::string xml, int status = 200);
  // 200 with no body, optional headers.
  void ReplyEmpty(int status = 200, std::vector<std::pair<std::string, std::string>> headers = {});
  // Renders an S3 error (no body for HEAD), with headers that go with it (x-amz-delete-marker).
  void Fail(const AwsError& error, std::vector<std::pair<std::string, std::string>> headers = {});
  // A store error in S3's terms, for this request's bucket and key.
  void Fail(const StoreError& error);
  AwsError ToAwsError(const StoreError& error) const;

 private:
  std::shared_ptr<const S3Service> service_;
  services::RestRequest request_;
  S3Route route_;
  QueryParameters query_;
  http::Responder respond_;
  std::atomic<bool> answered_{false};
  std::string host_id_;
  // The region of the request's SigV4 scope, until the first Run checks it against the bucket's;
  // empty when there is nothing to check (unsigned, no bucket, or an operation S3 lets through).
  mutable std::string signing_region_to_check_;

  std::function<void()> AfterSigningRegionCheck(std::function<void()> work) const;
};

}  // namespace mallard::s3
