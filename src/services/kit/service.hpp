#pragma once
// Service: one AWS service behind the gateway. A service owns its logic and talks to its state only
// through its store interface; it never sees HTTP or wire formats, only OperationRequests.
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_types.hpp"
#include "common/request_context.hpp"
#include "observability/metrics.hpp"
#include "protocol/operation.hpp"
#include "protocol/shape.hpp"
#include "protocol/sigv4_verify.hpp"
#include "services/kit/service_state.hpp"

namespace mallard::services {

struct ServiceDescriptor {
  std::string name;                // "sqs": health output and logs
  std::string signing_name;        // SigV4 service name ("sqs")
  std::string json_target_prefix;  // X-Amz-Target prefix ("AmazonSQS"); empty = no awsJson
  bool json_1_1 = false;
  std::string json_error_namespace;  // "com.amazonaws.sqs#"
  bool query_compatible = false;     // awsJson errors also carry x-amzn-query-error
  std::string query_xmlns;           // non-empty = the service accepts awsQuery
  bool crc32_header = false;         // responses carry x-amz-crc32 of the bytes sent (DynamoDB)
  // awsJson: rewrites every error before it is rendered, the gateway's own (unknown operation, a body
  // that is not JSON) included; DynamoDB puts its request-layer errors in coral namespaces.
  AwsError (*json_error_on_the_wire)(AwsError) = nullptr;
  // A REST protocol ("rest-xml": S3): the service takes whole HTTP requests through HandleRest and
  // answers in its own wire shape; the gateway only routes, authenticates and fills the context.
  std::string rest_protocol;
  std::vector<std::string> operations;
  // awsJson operations whose success has no body at all (not "{}"): DynamoDB's TagResource/UntagResource.
  std::vector<std::string> empty_body_operations;
};

// Whether a service's store (its Redis, say) answers, as last probed.
struct StoreHealth {
  bool available = true;
  std::string reason;  // why not, for the health endpoint (never a password)
  // How long the probe took (connect and PING for a Redis), in seconds; negative: not measured.
  double round_trip_seconds = -1;
};

// The last probed store health of each service, by service name. Probes run on a thread of
// their own (app/store_health.hpp) and record here; the health endpoint only reads, so it never
// waits for a store.
class StoreHealthBoard {
 public:
  void Record(const std::string& service, StoreHealth health) {
    std::lock_guard lock(mutex_);
    by_service_[service] = std::move(health);
  }
  // nullopt: never probed (an in-process store, or no probe yet).
  std::optional<StoreHealth> Find(const std::string& service) const {
    std::lock_guard lock(mutex_);
    auto found = by_service_.find(service);
    if (found == by_service_.end()) return std::nullopt;
    return found->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, StoreHealth> by_service_;
};

// A request for a REST service: the HTTP request as it arrived (its body buffered or streamed, as
// the service chose) and who is calling.
struct RestRequest {
  http::HttpRequest http;
  RequestContext context;
  // Set when the gateway verified a SigV4 signature (--auth sigv4): what a service needs to verify
  // the signatures of an aws-chunked body's chunks, which are chained from the request's.
  struct VerifiedSignature {
    std::string signing_key;     // the derived key (raw bytes)
    std::string seed_signature;  // the request's signature (hex)
    std::string amz_date;        // X-Amz-Date
    std::string scope;           // "20260101/us-east-1/s3/aws4_request"
  };
  std::optional<VerifiedSignature> signature;
  // Set (--auth sigv4) for an S3 browser form upload sent without a signature of its own: its
  // signature is a form field over the POST policy, which only the service reads, so the gateway
  // lets the request through and the service must verify that signature with this, and refuse
  // the request if it is anything but a POST Object. Null otherwise.
  protocol::SigningSecretLookup form_signature_lookup;
  // Where the service names the operation it routed the request to ("GetObject"), for the
  // gateway's metrics and request log; null when nobody asks.
  std::shared_ptr<std::string> operation_name;
};

class Service {
 public:
  virtual ~Service() = default;
  virtual const ServiceDescriptor& Descriptor() const = 0;
  // Shapes of an operation for the awsQuery codec; nullptr when the operation is unknown.
  virtual const protocol::OperationShapes* QueryShapes(std::string_view operation) const = 0;
  // Runs one operation and completes `done` exactly once, possibly later and on another thread
  // (long polls). Must not block the calling thread on I/O.
  virtual void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) = 0;
  // Drops all state (the reset endpoint).
  virtual void Reset() = 0;
  // Snapshot support (kit/service_state.hpp): null when the service keeps no state of its own (a
  // module with several services answers on one of them: DynamoDB's, not its streams').
  virtual ServiceState* State() { return nullptr; }
  // Names the store in use, for the health endpoint.
  virtual std::string StoreName() const = 0;
  // Completes waiting requests early so that shutdown is prompt.
  virtual void Shutdown() {}
  // Reports the service's own gauges and counters (queue depths, item counts, deliveries) at
  // scrape time (GET /_mallard/metrics), on the gateway's worker pool: may read the store, must
  // not take long. Names start with "mallard_<service>_"; per-resource series are capped by the
  // sink (observability/README.md). The default reports nothing.
  virtual void CollectMetrics(observability::MetricsSink& sink) const { (void)sink; }
  // REST services (Descriptor().rest_protocol): whether an unsigned request is the service's, from
  // its request line and headers alone (S3: a virtual-hosted bucket host, or a path-style request
  // that no other protocol claims). Signed requests route by their signing name instead.
  virtual bool ClaimsRequest(const http::HttpRequest& request) const {
    (void)request;
    return false;
  }
  // The bucket a virtual-hosted request names in its Host (S3), empty otherwise: SigV2 signs it as
  // part of the resource.
  virtual std::string VirtualHostedBucket(const http::HttpRequest& request) const {
    (void)request;
    return {};
  }
  // How the body of a request routed here is read (headers only; must not block).
  virtual http::BodyReading BodyReadingFor(const http::HttpRequest& request) const {
    (void)request;
    return http::BodyReading::kBuffered;
  }
  // Answers a request routed here; calls `respond` exactly once, possibly later; never blocks.
  virtual void HandleRest(RestRequest request, http::Responder respond) {
    (void)request;
    http::HttpResponse response;
    response.status = 501;
    respond(std::move(response));
  }
  // Paths outside the AWS protocols that the service answers itself, under /_aws/ (LocalStack's
  // inspection endpoints, SNS's signing certificate). The gateway asks each service in turn.
  virtual bool AnswersPath(std::string_view path) const {
    (void)path;
    return false;
  }
  // Answers such a path; calls `respond` exactly once, possibly later; must not block on I/O.
  virtual void HandleHttp(const http::HttpRequest& request, http::Responder respond) {
    (void)request;
    http::HttpResponse response;
    response.status = 404;
    respond(std::move(response));
  }
};

}  // namespace mallard::services
