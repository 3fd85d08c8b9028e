#pragma once
// PeerDirectory: how one service calls another (SNS delivering to SQS, Athena writing results to
// S3) without knowing its class, its store or its wire protocol: by service name and operation,
// with the neutral request form every service already takes, in-process, as the account that owns
// the calling resource. The callee validates and answers exactly as for a client.
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/request_context.hpp"
#include "protocol/operation.hpp"

namespace mallard::services {

class Service;

class PeerDirectory {
 public:
  // Registers a service under its descriptor name (the server does this once, at start-up).
  void Add(const std::shared_ptr<Service>& service);
  // Runs `operation` of service `service` with `input`, as `caller` (its account and region; the
  // request id is the caller's, so logs join the two). Completes `done` exactly once, possibly
  // later and on another thread. An unknown service completes with InternalFailure: a peer that
  // is not in this build is a wiring bug, not a client error.
  void Invoke(std::string_view service, std::string operation, boost::json::object input, RequestContext caller,
              protocol::OperationCallback done) const;
  // Whether `service` is registered (a module can degrade when an optional peer is absent).
  bool Has(std::string_view service) const;
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mutex_;
  // Weak: the server owns the services; a peer call after shutdown fails instead of keeping one alive.
  std::map<std::string, std::weak_ptr<Service>, std::less<>> by_name_;
};

}  // namespace mallard::services
