#include "gateway/gateway.hpp"
#include "gateway/gateway_admin.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string_view>

#include "common/ids.hpp"
#include "console/console_assets.hpp"
#include "http/bearer_token.hpp"
#include "http/content_encoding.hpp"
#include "observability/request_log.hpp"
#include "protocol/aws_json.hpp"
#include "protocol/aws_query.hpp"
#include "protocol/sigv4.hpp"

namespace mallard::gateway {
namespace json = boost::json;
using protocol::WireProtocol;

struct Gateway::Route {
  std::shared_ptr<services::Service> service;
  WireProtocol protocol = WireProtocol::AwsJson10;
  std::string operation;
  json::object input;
  std::optional<protocol::CredentialScope> scope;
  std::string request_id;
};

namespace {

// An error for a request that could not be routed to any service: in awsJson shape when the client
// sent JSON, in awsQuery shape otherwise.
http::HttpResponse UnroutableError(const http::HttpRequest& request, const AwsError& error, const std::string& request_id,
                                   const std::string& default_xmlns) {
  if (request.Header("x-amz-target") != nullptr) {
    return protocol::RenderJsonError(error, protocol::JsonErrorStyle{}, request_id);
  }
  return protocol::RenderQueryError(error, protocol::QueryStyle{default_xmlns}, request_id);
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Mallard's own control paths and those of the emulators it stands in for. They are not AWS APIs:
// no CORS (a page on another origin must not read or drive them) and only their own methods.
bool IsAdminPath(std::string_view path) {
  return StartsWith(path, "/_mallard/") || StartsWith(path, "/moto-api/") || StartsWith(path, "/_localstack/");
}

constexpr std::string_view kPipeAdminPrefix = "/_mallard/pipe";

bool IsPipeTablesPath(std::string_view path) {
  return path == "/_mallard/pipe/tables" || StartsWith(path, "/_mallard/pipe/tables/");
}

// A CORS preflight (OPTIONS with an Origin) is allowed whatever it asks: the methods and headers it
// names in Access-Control-Request-Method/-Headers are echoed back, as DynamoDB does. OPTIONS without
// an Origin is not CORS, and DynamoDB answers it 404 UnknownOperationException.
http::HttpResponse Preflight(const http::HttpRequest& request) {
  http::HttpResponse response;
  if (request.Header("origin") == nullptr) {
    response.status = 404;
    response.body = "<UnknownOperationException/>\n";
    return response;
  }
  if (const std::string* method = request.Header("access-control-request-method")) {
    response.SetHeader("Access-Control-Allow-Methods", *method);
  }
  if (const std::string* headers = request.Header("access-control-request-headers")) {
    response.SetHeader("Access-Control-Allow-Headers", *headers);
  }
  response.SetHeader("Access-Control-Max-Age", "172800");
  return response;
}

http::HttpResponse RootHealth(const http::HttpRequest& request) {
  const std::string* host = request.Header("host");
  http::HttpResponse response;
  response.body = "healthy: " + (host != nullptr && !host->empty() ? *host : std::string("localhost")) + " ";
  response.SetHeader("Content-Type", "text/plain");
  auto checksum = crc32(0L, reinterpret_cast<const Bytef*>(response.body.data()), static_cast<uInt>(response.body.size()));
  response.SetHeader("x-amz-crc32", std::to_string(checksum));
  return response;
}

}  // namespace

Gateway::Gateway(GatewayOptions options, std::vector<std::shared_ptr<services::Service>> services)
    : options_(std::move(options)),
      services_(std::move(services)),
      workers_(std::make_unique<boost::asio::thread_pool>(std::max(1u, options_.offload_threads))) {
  for (const auto& service : services_) has_rest_services_ = has_rest_services_ || !service->Descriptor().rest_protocol.empty();
  SetUpMetrics();
}

Gateway::~Gateway() { workers_->join(); }

void Gateway::Offload(std::function<void()> work) { boost::asio::post(*workers_, std::move(work)); }

std::shared_ptr<services::Service> Gateway::ByTargetPrefix(const std::string& prefix) const {
  for (const auto& service : services_) {
    if (!service->Descriptor().json_target_prefix.empty() && service->Descriptor().json_target_prefix == prefix) return service;
  }
  return nullptr;
}

std::shared_ptr<services::Service> Gateway::BySigningName(const std::string& name) const {
  for (const auto& service : services_) {
    if (service->Descriptor().signing_name == name) return service;
  }
  return nullptr;
}

// Unroutable awsQuery requests are answered in the namespace of the first awsQuery service, as
// the classic queue.amazonaws.com endpoint answers them.
std::string Gateway::DefaultQueryNamespace() const {
  for (const auto& service : services_) {
    if (!service->Descriptor().query_xmlns.empty()) return service->Descriptor().query_xmlns;
  }
  return {};
}

std::string Gateway::AccountFor(const std::string& access_key_id) const {
  if (auto found = options_.account_by_access_key.find(access_key_id); found != options_.account_by_access_key.end()) {
    return found->second;
  }
  // As LocalStack does: a 12-digit access key id names the account directly.
  if (access_key_id.size() == 12 && access_key_id.find_first_not_of("0123456789") == std::string::npos) {
    return access_key_id;
  }
  return options_.default_account;
}

void Gateway::ResetAll() {
  for (const auto& service : services_) service->Reset();
}

void Gateway::ShutdownAll() {
  for (const auto& service : services_) service->Shutdown();
}

http::HttpResponse Gateway::Health() const {
  // Backend reachability comes from the board, refreshed in the background: this request never
  // waits for a backend. HTTP 200 either way, so readiness probes see the process is up; the
  // top-level status says "degraded" while any backend is unavailable.
  json::object services;
  bool degraded = false;
  for (const auto& service : services_) {
    const auto& descriptor = service->Descriptor();
    json::array protocols;
    if (!descriptor.json_target_prefix.empty()) protocols.emplace_back(descriptor.json_1_1 ? "awsJson1.1" : "awsJson1.0");
    if (!descriptor.query_xmlns.empty()) protocols.emplace_back("awsQuery");
    auto health = options_.store_health ? options_.store_health->Find(descriptor.name) : std::nullopt;
    bool available = !health || health->available;
    json::object entry{{"status", available ? "running" : "unavailable"},
                       {"backend", service->StoreName()},
                       {"protocols", std::move(protocols)},
                       {"operations", descriptor.operations.size()}};
    if (!available) {
      entry["reason"] = health->reason;
      degraded = true;
    }
    services[descriptor.name] = std::move(entry);
  }
  json::object body{{"status", degraded ? "degraded" : "running"}, {"version", options_.version},
                    {"services", std::move(services)}, {"build", options_.build_info}};
  return JsonResponse(200, body);
}

http::HttpResponse Gateway::LocalStackHealth() const {
  // LocalStack's service states: "running" once a service answers, "error" when it cannot.
  json::object services;
  for (const auto& service : services_) {
    const auto& name = service->Descriptor().name;
    auto health = options_.store_health ? options_.store_health->Find(name) : std::nullopt;
    services[name] = !health || health->available ? "running" : "error";
  }
  return JsonResponse(200, json::object{{"services", std::move(services)}, {"edition", "mallard"},
                                        {"version", options_.version}});
}

void Gateway::Handle(http::HttpRequest request, http::Responder raw_respond) {
  // A large body is decoded, routed and invoked (DynamoDB validates items inline) on the worker
  // pool, so the network thread that read it only moves bytes.
  if (request.body.size() > options_.offload_body_threshold && !workers_->get_executor().running_in_this_thread()) {
    boost::asio::post(*workers_, [this, request = std::move(request), raw_respond = std::move(raw_respond)]() mutable {
      // An exception must not escape into the pool's thread (that ends the process); the
      // responder is called once either way.
      auto answered = std::make_shared<std::atomic<bool>>(false);
      http::Responder once = [answered, raw_respond](http::HttpResponse response) {
        if (!answered->exchange(true)) raw_respond(std::move(response));
      };
      try {
        Handle(std::move(request), once);
      } catch (const std::exception& e) {
        spdlog::error("request on the worker pool failed: {}", e.what());
        once(protocol::RenderJsonError(common_errors::InternalFailure(), protocol::JsonErrorStyle{}, NewUuid()));
      }
    });
    return;
  }
  // An unsigned GET /metrics is the metrics page (Prometheus' default path); signed, presigned or
  // with a query it is S3's ListObjects of a bucket named "metrics" (gateway_metrics.cpp).
  if (request.path == "/metrics" && IsMetricsScrape(request)) return ServeMetrics(request, std::move(raw_respond));
  auto request_id = NewUuid();
  if (IsAdminPath(request.path)) {
    return HandleAdmin(request, [raw_respond = std::move(raw_respond), request_id](http::HttpResponse response) {
      response.SetHeader("x-amzn-RequestId", request_id);
      raw_respond(std::move(response));
    });
  }
  // /_aws/…: paths a service answers itself (LocalStack's inspection endpoints, SNS's certificate).
  if (StartsWith(request.path, "/_aws/")) {
    for (const auto& service : services_) {
      if (!service->AnswersPath(request.path)) continue;
      try {
        return service->HandleHttp(request, [raw_respond, request_id](http::HttpResponse response) {
          // A service that names its own request id in the body keeps it in the header too.
          bool has_id = false;
          for (const auto& header : response.headers) has_id = has_id || header.first == "x-amzn-RequestId";
          if (!has_id) response.SetHeader("x-amzn-RequestId", request_id);
          raw_respond(std::move(response));
        });
      } catch (const std::exception& e) {
        spdlog::error("{} {} failed: {}", request.method, request.path, e.what());
        return raw_respond(AdminError(500, "internal error"));
      }
    }
    return raw_respond(AdminError(404, "no such endpoint"));
  }
  // REST services (S3) answer in their own shape, CORS included (a bucket's CORS configuration).
  if (auto rest_service = RestServiceFor(request)) {
    return DispatchRest(std::move(rest_service), std::move(request), std::move(request_id), std::move(raw_respond));
  }
  // Every AWS answer carries a request id, routing errors included. A request from browser code (it
  // has an Origin) also gets the CORS headers that let the page read the answer; other requests get
  // none, as AWS sends none.
  const bool cross_origin = request.Header("origin") != nullptr;
  http::Responder respond = [raw_respond = std::move(raw_respond), request_id, cross_origin](http::HttpResponse response) {
    bool has_id = false;
    for (const auto& [name, value] : response.headers) has_id = has_id || name == "x-amzn-RequestId";
    if (!has_id) response.headers.emplace_back("x-amzn-RequestId", request_id);
    if (cross_origin) {
      response.SetHeader("Access-Control-Allow-Origin", "*");
      response.SetHeader("Access-Control-Expose-Headers",
                         "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-query-error, x-amz-crc32, x-amz-request-id, ETag");
    }
    raw_respond(std::move(response));
  };
  bool is_read = request.method == "GET" || request.method == "HEAD";
  if (request.method == "OPTIONS") return respond(Preflight(request));
  // A probe of the root answers as DynamoDB's endpoint does: 200 and "healthy: <host> " (the host the
  // client named, and a trailing space as AWS sends it). Signed or not, never an error.
  if (request.path == "/" && is_read && request.Header("x-amz-target") == nullptr &&
      request.query.find("Action=") == std::string::npos) {
    return respond(RootHealth(request));
  }

  // --auth sigv4: checked before routing, so no service sees an unverified request. Large bodies get
  // here on the worker pool, which is where their hash is then taken.
  if (options_.verify_signatures) {
    if (auto rejected = Authenticate(request, request_id)) return respond(std::move(*rejected));
  }
  Route route;
  route.request_id = request_id;
  route.scope = protocol::CredentialScopeOf(request);
  const auto& scope = route.scope;
  if (const std::string* target = request.Header("x-amz-target")) {
    auto dot = target->rfind('.');
    std::string prefix = dot == std::string::npos ? *target : target->substr(0, dot);
    route.operation = dot == std::string::npos ? std::string() : target->substr(dot + 1);
    route.service = ByTargetPrefix(prefix);
    if (!route.service) {
      return respond(UnroutableError(
          request, AwsError::Make("UnknownOperationException", 400, "No service handles X-Amz-Target " + *target + "."),
          request_id, DefaultQueryNamespace()));
    }
    route.protocol = route.service->Descriptor().json_1_1 ? WireProtocol::AwsJson11 : WireProtocol::AwsJson10;
  } else {
    protocol::FormParameters form;
    auto parsed_query = protocol::ParseFormInto(request.query, form);
    const std::string* content_type = request.Header("content-type");
    bool form_body = request.method == "POST" &&
                     (content_type == nullptr || content_type->find("x-www-form-urlencoded") != std::string::npos);
    auto parsed_body = form_body ? protocol::ParseFormInto(request.body, form) : Status<>(Done{});
    if (scope) route.service = BySigningName(scope->service);
    auto action = form.find("Action");
    if (!route.service && action != form.end()) {
      for (const auto& service : services_) {
        if (!service->Descriptor().query_xmlns.empty() && service->QueryShapes(action->second)) {
          route.service = service;
          break;
        }
      }
    }
    if (!route.service) {
      if (action != form.end()) {
        return respond(UnroutableError(
            request, AwsError::Make("InvalidAction", 400, "The action " + action->second + " is not valid for this endpoint."),
            request_id, DefaultQueryNamespace()));
      }
      std::string what = scope ? "service " + scope->service : std::string("a request without X-Amz-Target, SigV4 scope or Action");
      return respond(UnroutableError(
          request,
          AwsError::Make(scope ? "UnknownService" : "MissingAction", 400,
                         "Mallard cannot route " + what + "."),
          request_id, DefaultQueryNamespace()));
    }
    const auto& descriptor = route.service->Descriptor();
    protocol::QueryStyle style{descriptor.query_xmlns};
    // Refused before the service sees it, still counted as the service's (operation "unknown" while
    // the action is not one of its own).
    auto refuse = [&](const AwsError& error, std::string_view operation, http::HttpResponse response) {
      RecordRequest(descriptor.name, operation, Outcome{error.http_status, error.code, 0}, nullptr);
      respond(std::move(response));
    };
    if (!parsed_query || !parsed_body) {
      const auto& error = !parsed_query ? parsed_query.error() : parsed_body.error();
      return refuse(error, "unknown", protocol::RenderQueryError(error, style, request_id));
    }
    if (descriptor.query_xmlns.empty()) {
      auto error = AwsError::Make("UnknownOperationException", 400,
                                  "Service " + descriptor.name + " expects an X-Amz-Target header.");
      return refuse(error, "unknown", UnroutableError(request, error, request_id, DefaultQueryNamespace()));
    }
    if (action == form.end() || action->second.empty()) {
      auto error = AwsError::Make("MissingAction", 400, "Request is missing the required parameter Action.");
      return refuse(error, "unknown", protocol::RenderQueryError(error, style, request_id));
    }
    route.protocol = WireProtocol::AwsQuery;
    route.operation = action->second;
    const auto* shapes = route.service->QueryShapes(route.operation);
    if (!shapes) {
      auto error = AwsError::Make("InvalidAction", 400, "The action " + route.operation + " is not valid for this endpoint.");
      return refuse(error, "unknown", protocol::RenderQueryError(error, style, request_id));
    }
    auto input = protocol::FormToJson(form, shapes->input);
    if (!input) return refuse(input.error(), route.operation, protocol::RenderQueryError(input.error(), style, request_id));
    route.input = std::move(input).value();
  }
  Dispatch(std::move(route), std::move(request), std::move(respond));
}

RequestContext Gateway::ContextFor(const std::optional<protocol::CredentialScope>& scope,
                                   const http::HttpRequest& request, std::string request_id) const {
  RequestContext context;
  context.request_id = std::move(request_id);
  context.region_signed = scope && !scope->region.empty();
  context.region = context.region_signed ? scope->region : options_.default_region;
  context.access_key_id = scope ? scope->access_key_id : std::string();
  // Only STS-issued keys (ASIA…) can be in the registry; long-term keys skip its lock.
  std::optional<CallerIdentity> issued;
  if (context.access_key_id.rfind("ASIA", 0) == 0) issued = options_.credentials->Find(context.access_key_id, WallClockMillis());
  if (issued) {
    context.account_id = issued->account_id;
    context.caller_arn = issued->arn;
    context.caller_identity_user_id = issued->user_id;
  } else {
    context.account_id = AccountFor(context.access_key_id);
    context.caller_arn = "arn:aws:iam::" + context.account_id + ":root";
    context.caller_identity_user_id = context.account_id;
  }
  const std::string* host = request.Header("host");
  const std::string* forwarded_proto = request.Header("x-forwarded-proto");
  context.endpoint_base = (forwarded_proto ? *forwarded_proto : std::string("http")) + "://" +
                          (host && !host->empty() ? *host : std::string("localhost:4566"));
  return context;
}

std::shared_ptr<services::Service> Gateway::RestServiceFor(const http::HttpRequest& request) const {
  if (!has_rest_services_) return nullptr;
  if (auto scope = protocol::CredentialScopeOf(request)) {
    auto service = BySigningName(scope->service);
    return service && !service->Descriptor().rest_protocol.empty() ? service : nullptr;
  }
  if (request.Header("x-amz-target") != nullptr) return nullptr;
  for (const auto& service : services_) {
    if (!service->Descriptor().rest_protocol.empty() && service->ClaimsRequest(request)) return service;
  }
  return nullptr;
}

http::BodyReading Gateway::BodyReadingFor(const http::HttpRequest& request) {
  if (IsStatePath(request.path)) return StateBodyReading(request);
  if (auto service = RestServiceFor(request)) return service->BodyReadingFor(request);
  return http::BodyReading::kBuffered;
}

void Gateway::DispatchRest(std::shared_ptr<services::Service> service, http::HttpRequest request,
                           std::string request_id, http::Responder respond) {
  // --auth sigv4: the REST service's own rules and error shape (gateway_auth.cpp).
  std::optional<services::RestRequest::VerifiedSignature> signature;
  protocol::SigningSecretLookup form_signature_lookup;
  if (options_.verify_signatures) {
    if (service->Descriptor().rest_protocol == "rest-xml" && IsUnsignedFormPost(request)) {
      form_signature_lookup = SecretLookup();  // the service verifies the form's own signature
    } else if (auto rejected = Authenticate(request, request_id, &signature)) {
      return respond(std::move(*rejected));
    }
  }
  services::RestRequest rest;
  rest.form_signature_lookup = std::move(form_signature_lookup);
  rest.context = ContextFor(protocol::CredentialScopeOf(request), request, std::move(request_id));
  rest.signature = std::move(signature);
  rest.operation_name = std::make_shared<std::string>();
  const auto& descriptor = service->Descriptor();
  respond = MeasureRest(descriptor.name, request, rest.context, rest.operation_name, std::move(respond));
  rest.http = std::move(request);
  try {
    service->HandleRest(std::move(rest), std::move(respond));
  } catch (const std::exception& e) {
    // HandleRest owns `respond` once called; an exception before it took over is a bug to log.
    spdlog::error("{} request failed: {}", descriptor.name, e.what());
  }
}

void Gateway::Dispatch(Route route, http::HttpRequest request, http::Responder respond) {
  // Descriptors live as long as the gateway's services, so the completion refers to them instead
  // of copying styles and names per request.
  const services::ServiceDescriptor* descriptor = &route.service->Descriptor();
  protocol::OperationRequest operation;
  operation.operation = std::move(route.operation);
  operation.protocol = route.protocol;
  operation.http_path = request.path;
  operation.context = ContextFor(route.scope, request, route.request_id);
  auto& context = operation.context;

  bool is_query = route.protocol == WireProtocol::AwsQuery;
  const std::string* accept = request.Header("accept");
  bool query_as_json = is_query && accept != nullptr && accept->find("application/json") != std::string::npos;
  auto render_error = [descriptor, is_query, query_as_json](const AwsError& error, const std::string& request_id) {
    if (query_as_json) return protocol::RenderQueryErrorAsJson(error, request_id);
    if (is_query) return protocol::RenderQueryError(error, protocol::QueryStyle{descriptor->query_xmlns}, request_id);
    const protocol::JsonErrorStyle style{descriptor->json_1_1, descriptor->json_error_namespace, descriptor->query_compatible};
    if (descriptor->json_error_on_the_wire) return protocol::RenderJsonError(descriptor->json_error_on_the_wire(error), style, request_id);
    return protocol::RenderJsonError(error, style, request_id);
  };

  if (!is_query) {
    if (std::find(descriptor->operations.begin(), descriptor->operations.end(), operation.operation) ==
        descriptor->operations.end()) {
      AwsError error = AwsError::Make("UnknownOperationException", 400,
                                      "The operation " + operation.operation + " is not known to " + descriptor->name + ".");
      error.query_code = "InvalidAction";
      // Counted under one "unknown" operation: the name is the client's, and unbounded.
      RecordRequest(descriptor->name, "unknown", Outcome{400, error.code, 0}, &context);
      return respond(render_error(error, context.request_id));
    }
    auto input = protocol::DecodeJsonBody(request.body);
    if (!input) {
      RecordRequest(descriptor->name, operation.operation, Outcome{input.error().http_status, input.error().code, 0}, &context);
      return respond(render_error(input.error(), context.request_id));
    }
    route.input = std::move(input).value();
  }
  operation.input = std::move(route.input);

  const protocol::Shape* output_shape = nullptr;
  if (is_query) {
    if (const auto* shapes = route.service->QueryShapes(operation.operation)) output_shape = shapes->output;
  }
  const std::string* accept_encoding = request.Header("accept-encoding");
  bool gzip_reply = accept_encoding != nullptr && http::AcceptsGzip(*accept_encoding);
  auto started = std::chrono::steady_clock::now();
  auto shared = std::make_shared<std::pair<http::Responder, std::string>>(std::move(respond), operation.operation);
  auto request_id = context.request_id;
  // The request log needs the account and region after the context moved into the operation: kept
  // only when debug is on.
  auto logged_context = observability::RequestLogEnabled() ? std::make_shared<RequestContext>(context) : nullptr;
  CountInFlight(1);
  auto complete = [=](protocol::OperationResult result) {
    const std::string& operation_name = shared->second;
    http::HttpResponse response;
    try {
      if (!result) {
        response = render_error(result.error(), request_id);
      } else if (query_as_json) {
        response = protocol::RenderQueryResultAsJson(operation_name, result.value(), request_id);
      } else if (is_query) {
        response = protocol::RenderQueryResult(operation_name, result.value(), output_shape,
                                               protocol::QueryStyle{descriptor->query_xmlns}, request_id);
      } else {
        response = protocol::RenderJsonResult(result.value(), descriptor->json_1_1, request_id);
        const auto& empty_body = descriptor->empty_body_operations;
        if (result.value().empty() && std::find(empty_body.begin(), empty_body.end(), operation_name) != empty_body.end())
          response.body.clear();
      }
    } catch (const std::exception& e) {
      spdlog::error("rendering {}.{} failed: {} (request {})", descriptor->name, operation_name, e.what(), request_id);
      response = render_error(common_errors::InternalFailure(), request_id);
    }
    // Small bodies are not worth compressing; clients that asked get gzip above 1 KiB. The checksum
    // covers the bytes on the wire, so it is taken after compression.
    if (gzip_reply && response.body.size() > 1024) {
      response.body = http::Gzip(response.body);
      response.SetHeader("Content-Encoding", "gzip");
    }
    if (descriptor->crc32_header) {
      auto checksum = crc32(0L, reinterpret_cast<const Bytef*>(response.body.data()), static_cast<uInt>(response.body.size()));
      response.SetHeader("x-amz-crc32", std::to_string(checksum));
    }
    Outcome outcome;
    outcome.status = response.status;
    if (!result) outcome.error_code = result.error().code;
    outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    RecordRequest(descriptor->name, operation_name, outcome, logged_context.get());
    CountInFlight(-1);
    if (options_.deliver_when_durable) {
      // Acknowledged only once what it changed would survive a crash (the journal's group commit).
      options_.deliver_when_durable([shared, response = std::move(response)]() mutable { shared->first(std::move(response)); });
      return;
    }
    shared->first(std::move(response));
  };
  try {
    route.service->Invoke(std::move(operation), complete);
  } catch (const std::exception& e) {
    spdlog::error("{}.{} failed: {} (request {})", descriptor->name, shared->second, e.what(), request_id);
    complete(Fail(common_errors::InternalFailure()));
  }
}

void Gateway::HandleAdmin(const http::HttpRequest& request, http::Responder respond) {
  // The web console's files (src/console): open like health, since they hold no state; what the
  // page then does goes through the public APIs and the admin endpoints with their own checks.
  if (console::IsConsolePath(request.path)) return respond(console::ServeConsole(request));
  if (IsPipeTablesPath(request.path)) return HandlePipeTableAction(request, std::move(respond));
  if (IsStatePath(request.path)) return HandleState(request, std::move(respond));
  enum class Kind { kRead, kStateChanging };
  struct Endpoint {
    std::string_view path;
    Kind kind;
  };
  // moto's server mode resets with POST /moto-api/reset; LocalStack-style fixtures use ours.
  static constexpr Endpoint kEndpoints[] = {{"/_mallard/health", Kind::kRead},
                                            {"/_localstack/health", Kind::kRead},
                                            {"/_mallard/metrics", Kind::kRead},
                                            {"/_mallard/pipe/status", Kind::kRead},
                                            {"/_mallard/reset", Kind::kStateChanging},
                                            {"/moto-api/reset", Kind::kStateChanging}};
  const Endpoint* endpoint = nullptr;
  for (const auto& candidate : kEndpoints) {
    if (candidate.path == request.path) endpoint = &candidate;
  }
  if (endpoint == nullptr) return respond(AdminError(404, "no such admin endpoint"));
  // State changes take POST only: a cross-origin page can send a "simple" GET or POST without a
  // preflight, but gets no CORS allowance here, and an <img> or link (GET) changes nothing.
  bool allowed = endpoint->kind == Kind::kRead ? request.method == "GET" || request.method == "HEAD"
                                               : request.method == "POST";
  if (!allowed) {
    std::string allow = endpoint->kind == Kind::kRead ? "GET, HEAD" : "POST";
    auto response = AdminError(405, "this endpoint takes " + allow);
    response.SetHeader("Allow", allow);
    return respond(std::move(response));
  }
  if (endpoint->kind == Kind::kRead) {
    if (endpoint->path == "/_mallard/metrics") return ServeMetrics(request, std::move(respond));
    if (endpoint->path == "/_mallard/pipe/status") return respond(PipeStatus());
    return respond(endpoint->path == "/_mallard/health" ? Health() : LocalStackHealth());
  }
  if (auto refused = StateChangeRefusal(request, options_.admin_token)) return respond(std::move(*refused));
  // Off the network thread: backends on a shared store (Redis) delete their keys with I/O.
  boost::asio::post(*workers_, [this, path = request.path, respond = std::move(respond)] {
    try {
      ResetAll();
    } catch (const std::exception& e) {
      spdlog::error("reset through {} failed: {}", path, e.what());
      return respond(AdminError(500, "reset failed"));
    }
    spdlog::info("state reset through {}", path);
    respond(JsonResponse(200, json::object{{"status", "reset"}}));
  });
}

void Gateway::HandlePipeTableAction(const http::HttpRequest& request, http::Responder respond) {
  // POST …/tables adds a table, POST …/tables/{table}/resync resyncs one, DELETE …/tables/{table}
  // removes one: state changes, so the same method and token rules as /_mallard/reset (a DELETE from
  // another origin needs a preflight, which admin paths never allow).
  std::string_view path = request.path;
  bool takes_post = path == "/_mallard/pipe/tables" || (path.size() > 7 && path.substr(path.size() - 7) == "/resync");
  std::string allow = takes_post ? "POST" : "DELETE";
  if (request.method != allow) {
    auto response = AdminError(405, "this endpoint takes " + allow);
    response.SetHeader("Allow", allow);
    return respond(std::move(response));
  }
  if (auto refused = StateChangeRefusal(request, options_.admin_token)) return respond(std::move(*refused));
  // The pipe API's own handling (app/pipe_api.hpp) on the pipe API's path: the same Content-Type
  // rule, documents and errors. It talks to PostgreSQL and the lake: off the network thread.
  http::HttpRequest forwarded = request;
  forwarded.path = request.path.substr(kPipeAdminPrefix.size());
  forwarded.target = forwarded.path + (request.query.empty() ? "" : "?" + request.query);
  boost::asio::post(*workers_, [actions = options_.pipe_tables, request = std::move(forwarded),
                                respond = std::move(respond)] {
    std::optional<http::HttpResponse> answer;
    try {
      if (actions) answer = actions->Run(request);
    } catch (const std::exception& e) {
      spdlog::error("pipe table action {} {} failed: {}", request.method, request.path, e.what());
      return respond(AdminError(500, "internal error"));
    }
    if (!answer) return respond(AdminError(404, "this server hosts no pipe (start one with --pipe-source)"));
    spdlog::info("pipe table action {} {}{}: {}", request.method, kPipeAdminPrefix, request.path, answer->status);
    respond(std::move(*answer));
  });
}

http::HttpResponse Gateway::RejectOversizedBody(const http::HttpRequest& request, std::size_t limit) {
  return ErrorForUnreadBody(request, common_errors::RequestEntityTooLarge(limit));
}

http::HttpResponse Gateway::RejectUndecodableBody(const http::HttpRequest& request, const std::string& reason) {
  // DynamoDB answers an unknown Content-Encoding, and a body that is not in the coding its header
  // names (corrupt, truncated or empty gzip), with a 500.
  spdlog::debug("undecodable request body: {}", reason);
  return ErrorForUnreadBody(request, common_errors::InternalFailure());
}

// An error for a request whose body was not read or decoded: in the shape of the service its
// headers route to (X-Amz-Target, else the SigV4 scope), else awsQuery.
http::HttpResponse Gateway::ErrorForUnreadBody(const http::HttpRequest& request, const AwsError& error) const {
  auto request_id = NewUuid();
  if (const std::string* target = request.Header("x-amz-target")) {
    auto dot = target->rfind('.');
    if (auto service = ByTargetPrefix(dot == std::string::npos ? *target : target->substr(0, dot))) {
      const auto& d = service->Descriptor();
      return protocol::RenderJsonError(error, {d.json_1_1, d.json_error_namespace, d.query_compatible}, request_id);
    }
    return protocol::RenderJsonError(error, {}, request_id);
  }
  std::string xmlns;
  if (auto scope = protocol::CredentialScopeOf(request)) {
    if (auto service = BySigningName(scope->service)) xmlns = service->Descriptor().query_xmlns;
  }
  return protocol::RenderQueryError(error, protocol::QueryStyle{xmlns.empty() ? DefaultQueryNamespace() : xmlns}, request_id);
}

http::HttpResponse Gateway::RejectMalformedRequest(const std::string& reason) {
  return protocol::RenderQueryError(AwsError::Make("MalformedRequest", 400, "The request is not valid HTTP/1.1: " + reason),
                                    protocol::QueryStyle{DefaultQueryNamespace()}, NewUuid());
}

}  // namespace mallard::gateway
