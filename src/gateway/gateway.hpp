#pragma once
// Gateway: the HttpHandler that turns HTTP requests into service operations. It routes
// (X-Amz-Target prefix, then the SigV4 service name, then the awsQuery Action), decodes with the
// right protocol codec, builds the RequestContext (region from the credential scope, account from
// the access key) and renders results and errors in the protocol the client spoke.
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/credential_registry.hpp"
#include "common/http_types.hpp"
#include "observability/metrics.hpp"
#include "protocol/sigv4.hpp"
#include "services/kit/service.hpp"

namespace mallard::gateway {

// A hosted pipe's status for GET /_mallard/pipe/status and its series on the metrics page. The
// pipe starts after the server listens, so the gateway holds this from the start and the app sets
// it once the pipe runs (and clears it before the pipe stops).
class PipeStatusSource {
 public:
  void Set(std::function<std::string()> status_json, std::function<void(observability::MetricsSink&)> collect);
  void Clear() { Set(nullptr, nullptr); }
  // The pipe's /status document; nullopt while no pipe is hosted.
  std::optional<std::string> StatusJson() const;
  void Collect(observability::MetricsSink& sink) const;

 private:
  mutable std::mutex mutex_;
  std::function<std::string()> status_json_;
  std::function<void(observability::MetricsSink&)> collect_;
};

// A hosted pipe's table actions for POST /_mallard/pipe/tables, POST /_mallard/pipe/tables/{t}/resync
// and DELETE /_mallard/pipe/tables/{t}: the app sets the pipe API's action (app/pipe_api.hpp) once
// the pipe runs, so the gateway needs nothing of the pipe's module, and clears it before the pipe
// stops. Clear waits for actions under way, so none runs on a stopped pipe.
class PipeTableActions {
 public:
  // Answers a request whose path is the pipe API's (/tables…), as the pipe API does; may block.
  using Action = std::function<http::HttpResponse(const http::HttpRequest&)>;
  void Set(Action action);
  void Clear() { Set(nullptr); }
  // The action's answer; nullopt while no pipe is hosted.
  std::optional<http::HttpResponse> Run(const http::HttpRequest& request) const;

 private:
  mutable std::shared_mutex mutex_;  // shared while an action runs: actions run side by side
  Action action_;
};

struct GatewayOptions {
  std::string default_region = "us-east-1";
  std::string default_account = "000000000000";
  std::map<std::string, std::string> account_by_access_key;
  std::string version;
  boost::json::object build_info;  // shown by the health endpoint
  // Temporary credentials issued by STS; requests signed with them resolve to their identity.
  std::shared_ptr<CredentialRegistry> credentials = std::make_shared<CredentialRegistry>();
  // --auth sigv4: service requests must carry a valid SigV4 signature by one of these long-term keys
  // (access key -> secret) or by credentials STS issued. Off by default, as in LocalStack.
  bool verify_signatures = false;
  std::map<std::string, std::string> secret_by_access_key;
  // Requests with a larger body are decoded, routed and invoked on the gateway's worker pool: the
  // cost of parsing and validating a body grows with its size and would otherwise hold a network
  // thread and every connection it serves. Measured on a DynamoDB PutItem (2 shared cores): a
  // 16 KiB body costs ~0.5 ms, 64 KiB ~1-2 ms, 300 KiB ~17 ms, 11 MiB ~0.5 s; the hand-off to the
  // pool costs tens of microseconds, so everything above 16 KiB goes there.
  // bench/large_body_stall.py measures the stall of small requests.
  std::size_t offload_body_threshold = 16 * 1024;
  // Threads of that pool. Bounded: work beyond them waits in the pool's queue, and each waiting
  // request's body is already in memory (at most body_limit per connection).
  unsigned offload_threads = 2;
  // When non-empty, the state-changing admin endpoints (/_mallard/reset, /moto-api/reset, the pipe's
  // table actions under /_mallard/pipe/tables) require
  // `Authorization: Bearer <admin_token>`: 401 without it, 403 with another token. Health stays open.
  std::string admin_token;
  // Backend reachability the health endpoints report (null: every backend counts as running).
  std::shared_ptr<services::StoreHealthBoard> store_health;
  // Where request metrics are counted and from which /_mallard/metrics is rendered (null: the
  // gateway makes its own). The gateway adds its families and a collector over its services, so a
  // registry serves one gateway (a second would register the same names: std::invalid_argument).
  std::shared_ptr<observability::Registry> metrics;
  // The hosted pipe, once there is one (null: never).
  std::shared_ptr<PipeStatusSource> pipe_status;
  // Its table actions (null: never).
  std::shared_ptr<PipeTableActions> pipe_tables;
  // --data-dir: an operation's answer is handed to this, which sends it (calls the function it
  // gets) once the changes made so far are durable (persistence/README.md); null: answers go out
  // at once.
  std::function<void(std::function<void()>)> deliver_when_durable;
};

class Gateway final : public http::HttpHandler {
 public:
  Gateway(GatewayOptions options, std::vector<std::shared_ptr<services::Service>> services);
  // Waits for work on the pool (a request being decoded or invoked there) to finish.
  ~Gateway() override;

  void Handle(http::HttpRequest request, http::Responder respond) override;
  http::BodyReading BodyReadingFor(const http::HttpRequest& request) override;
  http::HttpResponse RejectOversizedBody(const http::HttpRequest& request, std::size_t limit) override;
  http::HttpResponse RejectMalformedRequest(const std::string& reason) override;
  http::HttpResponse RejectUndecodableBody(const http::HttpRequest& request, const std::string& reason) override;
  void OnShutdown() override { ShutdownAll(); }
  void Offload(std::function<void()> work) override;
  // Waits for the pool: after a shutdown grace period ran out, a request may still be running there.
  void OnStopped() override { workers_->join(); }

  void ResetAll();
  // The state endpoints (gateway_state.cpp): /_mallard/state/save, /load, /inspect.
  static bool IsStatePath(std::string_view path);
  static http::BodyReading StateBodyReading(const http::HttpRequest& request);
  void HandleState(http::HttpRequest request, http::Responder respond);
  void ShutdownAll();
  std::string AccountFor(const std::string& access_key_id) const;
  observability::Registry& Metrics() { return *options_.metrics; }

 private:
  struct Route;
  // gateway_metrics.cpp: the request path's instruments, the metrics page and the pipe status.
  struct Instruments;
  void SetUpMetrics();
  void CountInFlight(int delta);
  // An unsigned GET /metrics without a query string, not addressed to a virtual-hosted bucket:
  // the metrics page. Anything else on /metrics (signed, presigned, a query) is S3's ListObjects.
  bool IsMetricsScrape(const http::HttpRequest& request) const;
  // Renders the page on the worker pool (collectors may read a store).
  void ServeMetrics(const http::HttpRequest& request, http::Responder respond);
  http::HttpResponse PipeStatus() const;
  // /_mallard/pipe/tables[/…]: the method, the admin token, then the action on the worker pool.
  void HandlePipeTableAction(const http::HttpRequest& request, http::Responder respond);
  struct Outcome {
    int status = 0;
    std::string_view error_code;
    double seconds = 0;
  };
  void RecordRequest(const std::string& service, std::string_view operation, const Outcome& outcome,
                     const RequestContext* context);
  // Wraps a REST service's responder: counts the request, its body bytes in and out, and logs it.
  http::Responder MeasureRest(const std::string& service, http::HttpRequest& request, const RequestContext& context,
                              std::shared_ptr<std::string> operation_name, http::Responder respond);
  std::shared_ptr<services::Service> ByTargetPrefix(const std::string& prefix) const;
  std::shared_ptr<services::Service> BySigningName(const std::string& name) const;
  http::HttpResponse Health() const;
  http::HttpResponse LocalStackHealth() const;
  // /_mallard/*, /moto-api/*, /_localstack/*: methods checked, the admin token when set, no CORS.
  void HandleAdmin(const http::HttpRequest& request, http::Responder respond);
  std::string DefaultQueryNamespace() const;
  http::HttpResponse ErrorForUnreadBody(const http::HttpRequest& request, const AwsError& error) const;
  void Dispatch(Route route, http::HttpRequest request, http::Responder respond);
  // A REST service (S3) the request is for: by its SigV4 signing name, else the service claims it
  // (unsigned requests); null for every other request.
  std::shared_ptr<services::Service> RestServiceFor(const http::HttpRequest& request) const;
  void DispatchRest(std::shared_ptr<services::Service> service, http::HttpRequest request, std::string request_id,
                    http::Responder respond);
  RequestContext ContextFor(const std::optional<protocol::CredentialScope>& scope, const http::HttpRequest& request,
                            std::string request_id) const;
  // --auth sigv4 (gateway_auth.cpp): nullopt when the request may proceed, else the error answer in
  // the shape of the service it routes to.
  // `verified`, when given, receives what a REST service needs of a verified SigV4 signature
  // (aws-chunked bodies chain their chunk signatures from it).
  // --auth sigv4: the secrets requests may be signed with (configured keys, then STS-issued ones).
  protocol::SigningSecretLookup SecretLookup() const;
  // An S3 browser form upload, whose signature is in its body (RestRequest::form_signature_lookup).
  static bool IsUnsignedFormPost(const http::HttpRequest& request);
  std::optional<http::HttpResponse> Authenticate(const http::HttpRequest& request, const std::string& request_id,
                                                 std::optional<services::RestRequest::VerifiedSignature>* verified =
                                                     nullptr) const;

  GatewayOptions options_;
  std::vector<std::shared_ptr<services::Service>> services_;
  bool has_rest_services_ = false;  // skips REST routing entirely while no REST service is registered
  std::unique_ptr<boost::asio::thread_pool> workers_;
  std::shared_ptr<Instruments> instruments_;  // shared: its type is complete in gateway_metrics.cpp only
};

}  // namespace mallard::gateway
