#pragma once
// StsService: GetCallerIdentity, AssumeRole and GetSessionToken over awsQuery. Issued credentials
// are recorded in the CredentialRegistry so requests signed with them map to the right account.
#include <memory>

#include "common/credential_registry.hpp"
#include "services/service.hpp"
#include "services/service_runtime.hpp"

namespace mallard::sts {

class StsService final : public services::Service {
 public:
  StsService(std::shared_ptr<CredentialRegistry> credentials, services::ServiceRuntime runtime);

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view operation) const override;
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override { credentials_->Clear(); }
  std::string BackendName() const override { return "memory"; }

 private:
  protocol::OperationResult GetCallerIdentity(const protocol::OperationRequest& request);
  protocol::OperationResult AssumeRole(const protocol::OperationRequest& request);
  protocol::OperationResult GetSessionToken(const protocol::OperationRequest& request);
  boost::json::object IssueCredentials(CallerIdentity identity, std::int64_t duration_seconds);

  std::shared_ptr<CredentialRegistry> credentials_;
  services::ServiceRuntime runtime_;
};

}  // namespace mallard::sts
