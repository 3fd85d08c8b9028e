#pragma once
// StsService: GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML,
// GetSessionToken, GetFederationToken, DecodeAuthorizationMessage and GetAccessKeyInfo over awsQuery
// (and awsJson). Issued credentials are recorded in the CredentialRegistry so requests signed with
// them map to the right account and, under --auth sigv4, verify.
#include <functional>
#include <memory>

#include "common/credential_registry.hpp"
#include "services/kit/operation_executor.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"
#include "services/sts/sts_state.hpp"

namespace mallard::sts {

class StsService final : public services::Service {
 public:
  // The account of a long-term access key (GetAccessKeyInfo); the gateway's account map in a server.
  using AccountOfKey = std::function<std::string(const std::string& access_key_id)>;
  StsService(std::shared_ptr<CredentialRegistry> credentials, services::ServiceContext runtime,
             AccountOfKey account_of_key = nullptr);

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view operation) const override;
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override {
    state_.Journal().Reset([this] { credentials_->Clear(); });
  }
  std::string StoreName() const override { return "memory"; }
  services::ServiceState* State() override { return &state_; }

 private:
  // The one list of operations: name, handler, where it runs, awsQuery shapes.
  static const services::kit::OperationTable<StsService>& Operations();
  protocol::OperationResult GetCallerIdentity(const protocol::OperationRequest& request);
  protocol::OperationResult AssumeRole(const protocol::OperationRequest& request);
  protocol::OperationResult GetSessionToken(const protocol::OperationRequest& request);
  protocol::OperationResult AssumeRoleWithWebIdentity(const protocol::OperationRequest& request);
  protocol::OperationResult AssumeRoleWithSAML(const protocol::OperationRequest& request);
  protocol::OperationResult GetFederationToken(const protocol::OperationRequest& request);
  protocol::OperationResult DecodeAuthorizationMessage(const protocol::OperationRequest& request);
  protocol::OperationResult GetAccessKeyInfo(const protocol::OperationRequest& request);
  boost::json::object IssueCredentials(CallerIdentity identity, std::int64_t duration_seconds);

  std::shared_ptr<CredentialRegistry> credentials_;
  services::ServiceContext runtime_;
  services::kit::OperationExecutor executor_;
  AccountOfKey account_of_key_;
  StsState state_{credentials_, runtime_.clock};  // after credentials_ and runtime_: built from them
};

}  // namespace mallard::sts
