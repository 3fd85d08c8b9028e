// The gateway's observability: request counts, latencies, in-flight requests and body bytes on the
// request path; the metrics page (GET /_mallard/metrics, and an unsigned GET /metrics); the hosted
// pipe's status (GET /_mallard/pipe/status); the request log line.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <unordered_map>

#include "gateway/gateway.hpp"
#include "observability/request_log.hpp"

namespace mallard::gateway {
namespace json = boost::json;

void PipeStatusSource::Set(std::function<std::string()> status_json, std::function<void(observability::MetricsSink&)> collect) {
  std::lock_guard lock(mutex_);
  status_json_ = std::move(status_json);
  collect_ = std::move(collect);
}

std::optional<std::string> PipeStatusSource::StatusJson() const {
  std::lock_guard lock(mutex_);
  if (!status_json_) return std::nullopt;
  return status_json_();
}

void PipeStatusSource::Collect(observability::MetricsSink& sink) const {
  std::lock_guard lock(mutex_);
  if (collect_) collect_(sink);
}

void PipeTableActions::Set(Action action) {
  std::unique_lock lock(mutex_);
  action_ = std::move(action);
}

std::optional<http::HttpResponse> PipeTableActions::Run(const http::HttpRequest& request) const {
  std::shared_lock lock(mutex_);
  if (!action_) return std::nullopt;
  return action_(request);
}

struct Gateway::Instruments {
  observability::CounterFamily& requests;
  observability::HistogramFamily& duration;
  observability::Gauge& in_flight;
  observability::CounterFamily& body_bytes_received;
  observability::CounterFamily& body_bytes_sent;
  // The common case without building label keys: per service and operation of the descriptors
  // (fixed at construction, so read without a lock), the series of a success (status 200, no
  // error code) and the latency histogram, resolved on first use (a race resolves to the same
  // series twice). Everything else goes through the families.
  struct Operation {
    std::atomic<observability::Counter*> succeeded{nullptr};
    std::atomic<observability::Histogram*> duration{nullptr};
  };
  std::unordered_map<std::string_view, std::unordered_map<std::string_view, Operation>> operations;
};

namespace {

// Counts the bytes of a streamed request body as the service reads them.
class CountingRequestBody final : public http::RequestBodyStream {
 public:
  CountingRequestBody(std::shared_ptr<http::RequestBodyStream> inner, observability::Counter& counter)
      : inner_(std::move(inner)), counter_(counter) {}
  void Read(http::BodyReadDone done) override {
    inner_->Read([done = std::move(done), counter = &counter_](std::string bytes, std::string error) {
      counter->Add(bytes.size());
      done(std::move(bytes), std::move(error));
    });
  }
  std::optional<std::uint64_t> DeclaredLength() const override { return inner_->DeclaredLength(); }

 private:
  std::shared_ptr<http::RequestBodyStream> inner_;
  observability::Counter& counter_;
};

// Counts the bytes of a streamed response body as the server sends them (a HEAD reads none).
class CountingBodySource final : public http::ResponseBodySource {
 public:
  CountingBodySource(std::shared_ptr<http::ResponseBodySource> inner, observability::Counter& counter)
      : inner_(std::move(inner)), counter_(counter) {}
  std::uint64_t Length() const override { return inner_->Length(); }
  void Read(http::BodyReadDone done) override {
    inner_->Read([done = std::move(done), counter = &counter_](std::string bytes, std::string error) {
      counter->Add(bytes.size());
      done(std::move(bytes), std::move(error));
    });
  }

 private:
  std::shared_ptr<http::ResponseBodySource> inner_;
  observability::Counter& counter_;
};

// The <Code> of a REST (S3) XML error body, empty when there is none.
std::string_view XmlErrorCode(const http::HttpResponse& response) {
  if (response.status < 300 || response.body_source) return {};
  std::string_view body(response.body);
  body = body.substr(0, 2048);
  auto open = body.find("<Code>");
  if (open == std::string_view::npos) return {};
  auto start = open + 6;
  auto close = body.find("</Code>", start);
  if (close == std::string_view::npos || close - start > 128) return {};
  return body.substr(start, close - start);
}

http::HttpResponse JsonAnswer(int status, const json::value& body) {
  http::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = json::serialize(body);
  return response;
}

}  // namespace

void Gateway::SetUpMetrics() {
  if (!options_.metrics) options_.metrics = std::make_shared<observability::Registry>();
  auto& registry = *options_.metrics;
  instruments_ = std::make_shared<Instruments>(Instruments{
      registry.AddCounter("mallard_requests_total",
                          "Requests a service answered, by operation and outcome (HTTP status, AWS error code; empty on "
                          "success).",
                          {"service", "operation", "status", "error_code"}),
      registry.AddHistogram("mallard_request_duration_seconds",
                            "Time from routing a request to a service to its answer, by service and operation.",
                            {"service", "operation"}, observability::DefaultLatencyBuckets()),
      registry.AddGauge("mallard_requests_in_flight", "Requests routed to a service and not answered yet.", {}).With({}),
      registry.AddCounter("mallard_request_body_bytes_total",
                          "Request body bytes a REST service (S3) received, streamed bodies as they are read.", {"service"}),
      registry.AddCounter("mallard_response_body_bytes_total",
                          "Response body bytes a REST service (S3) sent, streamed bodies as they are sent.", {"service"}),
      {},
  });
  for (const auto& service : services_) {
    const auto& descriptor = service->Descriptor();
    auto& by_operation = instruments_->operations[descriptor.name];
    for (const auto& operation : descriptor.operations) by_operation.try_emplace(operation);
  }
  registry.AddCollector([services = services_](observability::MetricsSink& sink) {
    for (const auto& service : services) service->CollectMetrics(sink);
  });
  registry.AddCollector([services = services_, board = options_.store_health](observability::MetricsSink& sink) {
    for (const auto& service : services) {
      const auto& name = service->Descriptor().name;
      auto health = board ? board->Find(name) : std::nullopt;
      sink.Gauge("mallard_store_up", "1 when the service's store answers (as last probed; in-process stores always 1).",
                 {{"service", name}, {"backend", service->StoreName()}}, !health || health->available ? 1 : 0);
      if (health && health->round_trip_seconds >= 0) {
        sink.Gauge("mallard_store_round_trip_seconds",
                   "Duration of the last probe of the service's remote store (a Redis: connect and PING).",
                   {{"service", name}}, health->round_trip_seconds);
      }
    }
  });
  registry.AddCollector([version = options_.version](observability::MetricsSink& sink) {
    sink.Gauge("mallard_build_info", "Always 1; the version of this server as a label.", {{"version", version}}, 1);
  });
  if (options_.pipe_status) {
    registry.AddCollector([source = options_.pipe_status](observability::MetricsSink& sink) { source->Collect(sink); });
  }
}

void Gateway::CountInFlight(int delta) { instruments_->in_flight.Add(delta); }

bool Gateway::IsMetricsScrape(const http::HttpRequest& request) const {
  if (request.path != "/metrics" || !request.query.empty()) return false;
  if (request.method != "GET" && request.method != "HEAD") return false;
  // Signed (SigV4 or SigV2 headers) or meant for a JSON protocol: never the page. Presigned URLs
  // carry their signature in the query, which the page never has.
  if (request.Header("authorization") != nullptr || request.Header("x-amz-target") != nullptr) return false;
  // GET /metrics on a virtual-hosted bucket's host is the object "metrics" of that bucket.
  if (has_rest_services_) {
    for (const auto& service : services_) {
      if (!service->Descriptor().rest_protocol.empty() && !service->VirtualHostedBucket(request).empty()) return false;
    }
  }
  return true;
}

void Gateway::ServeMetrics(const http::HttpRequest& request, http::Responder respond) {
  (void)request;
  boost::asio::post(*workers_, [registry = options_.metrics, respond = std::move(respond)] {
    http::HttpResponse response;
    try {
      response.body = registry->Render();
      response.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    } catch (const std::exception& e) {
      spdlog::error("rendering the metrics failed: {}", e.what());
      response = JsonAnswer(500, json::object{{"error", "rendering the metrics failed"}});
    }
    respond(std::move(response));
  });
}

http::HttpResponse Gateway::PipeStatus() const {
  auto document = options_.pipe_status ? options_.pipe_status->StatusJson() : std::nullopt;
  if (!document) {
    return JsonAnswer(404, json::object{{"error", "this server hosts no pipe (start one with --pipe-source)"}});
  }
  http::HttpResponse response;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = std::move(*document);
  return response;
}

void Gateway::RecordRequest(const std::string& service, std::string_view operation, const Outcome& outcome,
                            const RequestContext* context) {
  Instruments::Operation* known = nullptr;
  if (auto by_service = instruments_->operations.find(service); by_service != instruments_->operations.end()) {
    if (auto found = by_service->second.find(operation); found != by_service->second.end()) known = &found->second;
  }
  if (known != nullptr && outcome.status == 200 && outcome.error_code.empty()) {
    auto* succeeded = known->succeeded.load(std::memory_order_acquire);
    if (succeeded == nullptr) {
      succeeded = &instruments_->requests.With({service, operation, "200", ""});
      known->succeeded.store(succeeded, std::memory_order_release);
    }
    succeeded->Add();
  } else {
    char status[12];
    auto written = std::snprintf(status, sizeof status, "%d", outcome.status);
    std::string_view status_text(status, written > 0 ? static_cast<std::size_t>(written) : 0);
    instruments_->requests.With({service, operation, status_text, outcome.error_code}).Add();
  }
  observability::Histogram* duration = known != nullptr ? known->duration.load(std::memory_order_acquire) : nullptr;
  if (duration == nullptr) {
    duration = &instruments_->duration.With({service, operation});
    if (known != nullptr) known->duration.store(duration, std::memory_order_release);
  }
  duration->Observe(outcome.seconds);
  if (context != nullptr && observability::RequestLogEnabled()) {
    observability::LogRequest({service, operation, outcome.status, outcome.error_code, context->account_id,
                               context->region, context->request_id, outcome.seconds * 1000.0});
  }
}

http::Responder Gateway::MeasureRest(const std::string& service, http::HttpRequest& request, const RequestContext& context,
                                     std::shared_ptr<std::string> operation_name, http::Responder respond) {
  auto started = std::chrono::steady_clock::now();
  instruments_->in_flight.Add(1);
  auto& received = instruments_->body_bytes_received.With({service});
  auto* sent = &instruments_->body_bytes_sent.With({service});
  if (request.body_stream) {
    request.body_stream = std::make_shared<CountingRequestBody>(std::move(request.body_stream), received);
  } else {
    received.Add(request.body.size());
  }
  // The context is kept only when the request will be logged.
  auto logged = observability::RequestLogEnabled() ? std::make_shared<RequestContext>(context) : nullptr;
  return [this, service, operation_name = std::move(operation_name), started, sent, logged,
          respond = std::move(respond)](http::HttpResponse response) {
    if (response.body_source) {
      response.body_source = std::make_shared<CountingBodySource>(std::move(response.body_source), *sent);
    } else {
      sent->Add(response.body.size());
    }
    Outcome outcome;
    outcome.status = response.status;
    outcome.error_code = XmlErrorCode(response);
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string_view operation = operation_name && !operation_name->empty() ? std::string_view(*operation_name) : "unknown";
    RecordRequest(service, operation, outcome, logged.get());
    instruments_->in_flight.Add(-1);
    respond(std::move(response));
  };
}

}  // namespace mallard::gateway
