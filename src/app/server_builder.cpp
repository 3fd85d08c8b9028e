#include "app/server_builder.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <thread>

#include "http/outbound_http_client.hpp"
#include "app/service_registry.hpp"
#include "services/kit/executor_directory.hpp"
#include "services/kit/peer_directory.hpp"
#include "sqlengine/memory/memory_sql_engine.hpp"

namespace mallard::app {
namespace asio = boost::asio;
namespace kit = services::kit;

Result<std::vector<OpenModule>, std::string> OpenModules(const std::vector<kit::ServiceModule>& modules,
                                                         const std::map<std::string, kit::SettingValues>& settings,
                                                         const kit::ModuleResources& resources) {
  std::vector<OpenModule> opened;
  for (const auto& module : modules) {
    kit::SettingValues values;
    for (const auto& setting : module.settings) values[setting.key] = setting.default_value;
    if (auto given = settings.find(module.name); given != settings.end()) {
      for (const auto& [key, value] : given->second) values[key] = value;
    }
    auto open = module.open(values, resources);
    if (!open) return Fail(open.error());
    opened.push_back({module, std::move(open).value()});
  }
  return opened;
}

namespace {

class RunningServer final : public Server {
 public:
  RunningServer(http::HttpServerOptions http_options, gateway::GatewayOptions gateway_options,
                const std::vector<OpenModule>& modules, Clock clock,
                const std::vector<ServerBuilder::ServiceFactory>& extra_services,
                std::vector<std::function<void()>> shutdown_steps)
      : timer_work_(asio::make_work_guard(timer_io_)), shutdown_steps_(std::move(shutdown_steps)) {
    std::shared_ptr<const services::S3LocalFiles> s3_files;
    for (const auto& entry : modules) {
      if (entry.opened.s3_files) s3_files = entry.opened.s3_files;
    }
    auto context_for = [&](const std::string& pool, unsigned threads) {
      services::ServiceContext context;
      context.timers = timer_io_.get_executor();
      context.blocking_pool = &executors_.Pool(pool, threads);
      context.clock = clock;
      context.peers = &peers_;
      context.executors = &executors_;
      // The gateway exists before any request, so before any call of this.
      context.account_of_key = [this](const std::string& key) { return gateway_->AccountFor(key); };
      context.default_region = gateway_options.default_region;
      context.s3_files = s3_files;
      return context;
    };
    std::vector<std::shared_ptr<services::Service>> services;
    for (const auto& entry : modules) {
      for (auto& service : entry.opened.build(context_for(entry.module.name, entry.module.pool_threads))) {
        services.push_back(std::move(service));
      }
    }
    for (const auto& factory : extra_services) services.push_back(factory(context_for("extra", 2)));
    for (const auto& service : services) peers_.Add(service);
    services_ = services;
    gateway_ = std::make_shared<gateway::Gateway>(std::move(gateway_options), std::move(services));
    timer_thread_ = std::thread([this] { timer_io_.run(); });
    http_ = std::make_unique<http::HttpServer>(std::move(http_options), gateway_);
    // Scrapes go through the gateway, so they end before the server (and this object) does.
    gateway_->Metrics().AddCollector([this](observability::MetricsSink& sink) {
      sink.Gauge("mallard_http_connections_open", "Client connections open now.", {},
                 static_cast<double>(http_->OpenConnections()));
    });
  }

  // Separate from the constructor: a server that cannot listen is still a whole object, so its
  // destructor stops the timer thread (a constructor that threw left it running: std::terminate).
  const std::vector<std::shared_ptr<services::Service>>& Services() const { return services_; }

  Status<http::ListenError> Listen() {
    auto port = http_->Start();
    if (!port.ok()) return Fail(port.error());
    port_ = port.value();
    listening_ = true;
    return Done{};
  }

  ~RunningServer() override {
    Stop();
    Join();
  }

  std::uint16_t Port() const override { return port_; }
  std::size_t OpenConnections() const override { return http_->OpenConnections(); }
  gateway::Gateway& Gateway() override { return *gateway_; }

  void Stop() override {
    gateway_->ShutdownAll();
    http_->Stop();
  }

  void StopOnSignals() override { http_->StopOnSignals(); }

  void Join() override {
    http_->Join();
    if (listening_) {
      // Once: no request runs any more, and the services still hold their state.
      for (auto& step : shutdown_steps_) step();
      listening_ = false;
    }
    // The HTTP server has stopped, so no request can start a long poll any more.
    gateway_->ShutdownAll();
    timer_work_.reset();
    timer_io_.stop();
    if (timer_thread_.joinable()) timer_thread_.join();
    executors_.Join();
  }

 private:
  asio::io_context timer_io_;
  asio::executor_work_guard<asio::io_context::executor_type> timer_work_;
  services::ExecutorDirectory executors_;  // outlives the services, which post to it
  services::PeerDirectory peers_;
  std::thread timer_thread_;
  std::shared_ptr<gateway::Gateway> gateway_;
  std::unique_ptr<http::HttpServer> http_;
  std::uint16_t port_ = 0;
  std::vector<std::shared_ptr<services::Service>> services_;
  std::vector<std::function<void()>> shutdown_steps_;
  bool listening_ = false;  // shutdown steps run only for a server that served
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
ServerBuilder& ServerBuilder::WithClock(Clock clock) {
  clock_ = std::move(clock);
  return *this;
}
ServerBuilder& ServerBuilder::WithModules(std::vector<OpenModule> modules) {
  modules_ = std::move(modules);
  return *this;
}
ServerBuilder& ServerBuilder::AddService(ServiceFactory factory) {
  extra_services_.push_back(std::move(factory));
  return *this;
}

ServerBuilder& ServerBuilder::WithStartupStep(StartupStep step) {
  startup_steps_.push_back(std::move(step));
  return *this;
}
ServerBuilder& ServerBuilder::WithShutdownStep(std::function<void()> step) {
  shutdown_steps_.push_back(std::move(step));
  return *this;
}

Result<std::unique_ptr<Server>, std::string> ServerBuilder::TryStart() {
  if (!modules_) {
    kit::ModuleResources resources;
    resources.Provide(gateway_options_.credentials);
    resources.Provide<sqlengine::SqlEngine>(std::make_shared<sqlengine::MemorySqlEngine>());
    resources.Provide<OutboundHttp>(std::make_shared<http::OutboundHttpClient>(2));
    auto opened = OpenModules(BuiltInModules(), {}, resources);
    // The defaults are in-process stores: they cannot fail to open unless the build is broken.
    if (!opened) throw std::logic_error("default modules failed to open: " + opened.error());
    modules_ = std::move(opened).value();
  }
  auto server = std::make_unique<RunningServer>(http_options_, gateway_options_, *modules_, clock_, extra_services_,
                                                shutdown_steps_);
  for (const auto& step : startup_steps_) {
    if (auto done = step(server->Services()); !done) return Fail(done.error());
  }
  if (auto listening = server->Listen(); !listening.ok()) return Fail(listening.error().Message());
  return std::unique_ptr<Server>(std::move(server));
}

std::unique_ptr<Server> ServerBuilder::Start() {
  auto started = TryStart();
  if (!started.ok()) throw std::runtime_error(started.error());
  return std::move(started).value();
}

}  // namespace mallard::app
