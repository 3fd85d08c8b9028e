#pragma once
// ServerBuilder: assembles the service modules, gateway and HTTP server into a running Mallard.
// The binary uses it, and so do C++ tests that embed the server in-process on an ephemeral port.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/gateway.hpp"
#include "http/http_server.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"
#include "services/kit/service_module.hpp"

namespace mallard::app {

class Server {
 public:
  virtual ~Server() = default;
  virtual std::uint16_t Port() const = 0;
  virtual std::size_t OpenConnections() const = 0;
  virtual gateway::Gateway& Gateway() = 0;
  // Graceful: no new connections, in-flight requests complete, waiting long polls return.
  virtual void Stop() = 0;
  virtual void Join() = 0;
  virtual void StopOnSignals() = 0;
};

// A module whose store is open, ready to build its services.
struct OpenModule {
  services::kit::ServiceModule module;
  services::kit::OpenedModule opened;
};

// Opens every module of `modules` with its settings from `settings` (a missing value: the
// module's default) and the shared `resources`. The error names the module's problem (an unknown
// store scheme, a value out of range) for the operator.
Result<std::vector<OpenModule>, std::string> OpenModules(const std::vector<services::kit::ServiceModule>& modules,
                                                         const std::map<std::string, services::kit::SettingValues>& settings,
                                                         const services::kit::ModuleResources& resources);

class ServerBuilder {
 public:
  using ServiceFactory = std::function<std::shared_ptr<services::Service>(const services::ServiceContext&)>;

  ServerBuilder& WithHttp(http::HttpServerOptions options);
  ServerBuilder& WithGateway(gateway::GatewayOptions options);
  ServerBuilder& WithClock(Clock clock);
  // Modules already opened (OpenModules); without this call, TryStart opens the built-in modules
  // with their default settings, Athena and Redshift Data on the in-memory SQL engine.
  ServerBuilder& WithModules(std::vector<OpenModule> modules);
  // Registers any further service (tests), on a pool of its own.
  ServerBuilder& AddService(ServiceFactory factory);
  // Work on the built services before the server listens, in the order added (state loaded from
  // --data-dir or --load-state): an error stops the start and is TryStart's error.
  using StartupStep = std::function<Status<std::string>(const std::vector<std::shared_ptr<services::Service>>&)>;
  ServerBuilder& WithStartupStep(StartupStep step);
  // Runs once no request is running any more, before the services shut down (a last snapshot).
  ServerBuilder& WithShutdownStep(std::function<void()> step);
  // Binds and starts serving; when the address cannot be bound or a start-up step fails, the error
  // says why and nothing is left running.
  Result<std::unique_ptr<Server>, std::string> TryStart();
  // As TryStart, for embedding code that prefers exceptions: throws std::runtime_error.
  std::unique_ptr<Server> Start();

 private:
  http::HttpServerOptions http_options_;
  gateway::GatewayOptions gateway_options_;
  Clock clock_ = SystemClock();
  std::optional<std::vector<OpenModule>> modules_;
  std::vector<ServiceFactory> extra_services_;
  std::vector<StartupStep> startup_steps_;
  std::vector<std::function<void()>> shutdown_steps_;
};

}  // namespace mallard::app
