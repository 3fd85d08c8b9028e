#include "services/kit/peer_directory.hpp"

#include "services/kit/service.hpp"

namespace mallard::services {

void PeerDirectory::Add(const std::shared_ptr<Service>& service) {
  std::lock_guard lock(mutex_);
  by_name_[service->Descriptor().name] = service;
}

void PeerDirectory::Invoke(std::string_view service, std::string operation, boost::json::object input,
                           RequestContext caller, protocol::OperationCallback done) const {
  std::shared_ptr<Service> peer;
  {
    std::lock_guard lock(mutex_);
    auto found = by_name_.find(service);
    if (found != by_name_.end()) peer = found->second.lock();
  }
  if (!peer) {
    return done(Fail(common_errors::InternalFailure("no service '" + std::string(service) + "' in this server")));
  }
  protocol::OperationRequest request;
  request.context = std::move(caller);
  request.operation = std::move(operation);
  request.input = std::move(input);
  // The neutral form as the awsJson codec produces it; a service answers it whatever its wire protocol.
  request.protocol = peer->Descriptor().json_target_prefix.empty() ? protocol::WireProtocol::AwsQuery
                                                                  : protocol::WireProtocol::AwsJson10;
  peer->Invoke(std::move(request), std::move(done));
}

bool PeerDirectory::Has(std::string_view service) const {
  std::lock_guard lock(mutex_);
  auto found = by_name_.find(service);
  return found != by_name_.end() && !found->second.expired();
}

std::vector<std::string> PeerDirectory::Names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, service] : by_name_) names.push_back(name);
  return names;
}

}  // namespace mallard::services
