#include "app/server_builder.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "backends/memory/memory_dynamodb_backend.hpp"
#include "backends/memory/memory_sqs_backend.hpp"
#include "backends/redis/redis_dynamodb_backend.hpp"
#include "backends/redis/redis_sqs_backend.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_streams_service.hpp"
#include "services/sqs/sqs_service.hpp"
#include "services/sts/sts_service.hpp"

namespace mallard::app {
namespace asio = boost::asio;

namespace {

class RunningServer final : public Server {
 public:
  RunningServer(http::HttpServerOptions http_options, gateway::GatewayOptions gateway_options,
                std::unique_ptr<sqs::SqsBackend> sqs_backend,
                std::shared_ptr<dynamodb::DynamoDbBackend> dynamodb_backend, dynamodb::DynamoDbOptions dynamodb_options,
                Clock clock, const std::vector<ServerBuilder::ServiceFactory>& extra_services)
      : timer_work_(asio::make_work_guard(timer_io_)), blocking_pool_(4) {
    services::ServiceContext runtime{timer_io_.get_executor(), &blocking_pool_, std::move(clock)};
    std::vector<std::shared_ptr<services::Service>> services;
    services.push_back(std::make_shared<sqs::SqsService>(std::move(sqs_backend), runtime));
    services.push_back(std::make_shared<dynamodb::DynamoDbService>(dynamodb_backend, runtime, dynamodb_options));
    services.push_back(std::make_shared<dynamodb::DynamoDbStreamsService>(dynamodb_backend, runtime));
    // GetAccessKeyInfo answers with the gateway's account map; the gateway exists before any request.
    services.push_back(std::make_shared<sts::StsService>(
        gateway_options.credentials, runtime, [this](const std::string& key) { return gateway_->AccountFor(key); }));
    for (const auto& factory : extra_services) services.push_back(factory(runtime));
    gateway_ = std::make_shared<gateway::Gateway>(std::move(gateway_options), std::move(services));
    timer_thread_ = std::thread([this] { timer_io_.run(); });
    http_ = std::make_unique<http::HttpServer>(std::move(http_options), gateway_);
  }

  // Separate from the constructor: a server that cannot listen is still a whole object, so its
  // destructor stops the timer thread (a constructor that threw left it running: std::terminate).
  Status<http::ListenError> Listen() {
    auto port = http_->Start();
    if (!port.ok()) return Fail(port.error());
    port_ = port.value();
    return Done{};
  }

  ~RunningServer() override {
    Stop();
    Join();
  }

  std::uint16_t Port() const override { return port_; }
  gateway::Gateway& Gateway() override { return *gateway_; }

  void Stop() override {
    gateway_->ShutdownAll();
    http_->Stop();
  }

  void StopOnSignals() override { http_->StopOnSignals(); }

  void Join() override {
    http_->Join();
    // The HTTP server has stopped, so no request can start a long poll any more.
    gateway_->ShutdownAll();
    timer_work_.reset();
    timer_io_.stop();
    if (timer_thread_.joinable()) timer_thread_.join();
    blocking_pool_.join();
  }

 private:
  asio::io_context timer_io_;
  asio::executor_work_guard<asio::io_context::executor_type> timer_work_;
  asio::thread_pool blocking_pool_;
  std::thread timer_thread_;
  std::shared_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<http::HttpServer> http_;
  std::uint16_t port_ = 0;
};

}  // namespace

ServerBuilder& ServerBuilder::WithHttp(http::HttpServerOptions options) {
  http_options_ = std::move(options);
  return *this;
}
ServerBuilder& ServerBuilder::WithGateway(gateway::GatewayOptions options) {
  gateway_options_ = std::move(options);
  return *this;
}
ServerBuilder& ServerBuilder::WithSqsBackend(std::unique_ptr<sqs::SqsBackend> backend) {
  sqs_backend_ = std::move(backend);
  return *this;
}
ServerBuilder& ServerBuilder::WithDynamoDbBackend(std::shared_ptr<dynamodb::DynamoDbBackend> backend) {
  dynamodb_backend_ = std::move(backend);
  return *this;
}
ServerBuilder& ServerBuilder::WithDynamoDbOptions(dynamodb::DynamoDbOptions options) {
  dynamodb_options_ = options;
  return *this;
}
ServerBuilder& ServerBuilder::WithClock(Clock clock) {
  clock_ = std::move(clock);
  return *this;
}
ServerBuilder& ServerBuilder::AddService(ServiceFactory factory) {
  extra_services_.push_back(std::move(factory));
  return *this;
}

Result<std::unique_ptr<Server>, http::ListenError> ServerBuilder::TryStart() {
  if (!sqs_backend_) sqs_backend_ = std::make_unique<sqs::MemorySqsBackend>();
  if (!dynamodb_backend_) dynamodb_backend_ = std::make_shared<dynamodb::MemoryDynamoDbBackend>();
  auto server = std::make_unique<RunningServer>(http_options_, gateway_options_, std::move(sqs_backend_), dynamodb_backend_,
                                                dynamodb_options_, clock_, extra_services_);
  if (auto listening = server->Listen(); !listening.ok()) return Fail(listening.error());
  return std::unique_ptr<Server>(std::move(server));
}

std::unique_ptr<Server> ServerBuilder::Start() {
  auto started = TryStart();
  if (!started.ok()) throw std::runtime_error(started.error().Message());
  return std::move(started).value();
}

std::vector<std::string> AvailableSqsBackends() { return {"memory", "redis"}; }

std::unique_ptr<sqs::SqsBackend> MakeSqsBackend(const std::string& spec, std::string& error) {
  if (spec.empty() || spec == "memory") return std::make_unique<sqs::MemorySqsBackend>();
  if (spec.rfind("redis://", 0) == 0) {
    auto endpoint = redis::ParseRedisUrl(spec);
    if (!endpoint) {
      error = "invalid SQS backend '" + WithoutPassword(spec) + "': " + endpoint.error();
      return nullptr;
    }
    auto backend = std::make_unique<sqs::RedisSqsBackend>(*endpoint);
    // A Redis that is down now is not fatal: requests fail with ServiceUnavailable until it is up.
    if (auto reachable = backend->Ping(); !reachable) {
      spdlog::warn("sqs backend: {}; requests will fail until Redis answers", reachable.error().detail);
    }
    return backend;
  }
  error = "unknown SQS backend '" + WithoutPassword(spec) + "'; this build has: memory, redis://HOST:PORT[/DB][?prefix=NAME]";
  return nullptr;
}

std::vector<std::string> AvailableDynamoDbBackends() { return {"memory", "redis"}; }

std::shared_ptr<dynamodb::DynamoDbBackend> MakeDynamoDbBackend(const std::string& spec, std::string& error) {
  if (spec.empty() || spec == "memory") return std::make_shared<dynamodb::MemoryDynamoDbBackend>();
  if (spec.rfind("redis://", 0) == 0) {
    auto endpoint = redis::ParseRedisUrl(spec);
    if (!endpoint) {
      error = "invalid DynamoDB backend '" + WithoutPassword(spec) + "': " + endpoint.error();
      return nullptr;
    }
    auto backend = std::make_shared<dynamodb::RedisDynamoDbBackend>(*endpoint);
    // A Redis that is down now is not fatal: requests fail with ServiceUnavailable until it is up.
    if (auto reachable = backend->Ping(); !reachable)
      spdlog::warn("dynamodb backend: {}; requests will fail until Redis answers", reachable.error().detail);
    return backend;
  }
  error = "unknown DynamoDB backend '" + WithoutPassword(spec) + "'; this build has: memory, redis://HOST:PORT[/DB][?prefix=NAME]";
  return nullptr;
}

}  // namespace mallard::app
