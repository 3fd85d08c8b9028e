#pragma once
// ServerBuilder: assembles services, backends, gateway and HTTP server into a running Mallard.
// The binary uses it, and so do C++ tests that embed the server in-process on an ephemeral port.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/gateway.hpp"
#include "http/http_server.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"
#include "services/dynamodb/ddb_backend.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/sqs/sqs_backend.hpp"

namespace mallard::app {

class Server {
 public:
  virtual ~Server() = default;
  virtual std::uint16_t Port() const = 0;
  virtual gateway::Gateway& Gateway() = 0;
  // Graceful: no new connections, in-flight requests complete, waiting long polls return.
  virtual void Stop() = 0;
  virtual void Join() = 0;
  virtual void StopOnSignals() = 0;
};

class ServerBuilder {
 public:
  using ServiceFactory = std::function<std::shared_ptr<services::Service>(const services::ServiceContext&)>;

  ServerBuilder& WithHttp(http::HttpServerOptions options);
  ServerBuilder& WithGateway(gateway::GatewayOptions options);
  ServerBuilder& WithSqsBackend(std::unique_ptr<sqs::SqsBackend> backend);
  ServerBuilder& WithDynamoDbBackend(std::shared_ptr<dynamodb::DynamoDbBackend> backend);
  // DynamoDB service settings (table transition time); the default makes transitions instant.
  ServerBuilder& WithDynamoDbOptions(dynamodb::DynamoDbOptions options);
  ServerBuilder& WithClock(Clock clock);
  // Registers any further service.
  ServerBuilder& AddService(ServiceFactory factory);
  // Binds and starts serving; when the address cannot be bound, the error names it and nothing
  // is left running.
  Result<std::unique_ptr<Server>, http::ListenError> TryStart();
  // As TryStart, for embedding code that prefers exceptions: throws std::runtime_error.
  std::unique_ptr<Server> Start();

 private:
  http::HttpServerOptions http_options_;
  gateway::GatewayOptions gateway_options_;
  std::unique_ptr<sqs::SqsBackend> sqs_backend_;
  std::shared_ptr<dynamodb::DynamoDbBackend> dynamodb_backend_;
  dynamodb::DynamoDbOptions dynamodb_options_;
  Clock clock_ = SystemClock();
  std::vector<ServiceFactory> extra_services_;
};

// Backends this build can construct, per service, for --help and the health endpoint.
std::vector<std::string> AvailableSqsBackends();
// "memory" (later: "redis://HOST:PORT/DB"). Returns nullptr and sets `error` for an unknown spec.
std::unique_ptr<sqs::SqsBackend> MakeSqsBackend(const std::string& spec, std::string& error);
std::vector<std::string> AvailableDynamoDbBackends();
std::shared_ptr<dynamodb::DynamoDbBackend> MakeDynamoDbBackend(const std::string& spec, std::string& error);

}  // namespace mallard::app
