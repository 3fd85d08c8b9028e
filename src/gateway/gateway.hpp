#pragma once
// Gateway: the HttpHandler that turns HTTP requests into service operations. It routes
// (X-Amz-Target prefix, then the SigV4 service name, then the awsQuery Action), decodes with the
// right protocol codec, builds the RequestContext (region from the credential scope, account from
// the access key) and renders results and errors in the protocol the client spoke.
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/credential_registry.hpp"
#include "http/http_types.hpp"
#include "services/service.hpp"

namespace mallard::gateway {

struct GatewayOptions {
  std::string default_region = "us-east-1";
  std::string default_account = "000000000000";
  std::map<std::string, std::string> account_by_access_key;
  std::string version;
  boost::json::object build_info;  // shown by the health endpoint
  // Temporary credentials issued by STS; requests signed with them resolve to their identity.
  std::shared_ptr<CredentialRegistry> credentials = std::make_shared<CredentialRegistry>();
  // --auth sigv4: service requests must carry a valid SigV4 signature by one of these long-term keys
  // (access key -> secret) or by credentials STS issued. Off by default, as in LocalStack.
  bool verify_signatures = false;
  std::map<std::string, std::string> secret_by_access_key;
};

class Gateway final : public http::HttpHandler {
 public:
  Gateway(GatewayOptions options, std::vector<std::shared_ptr<services::Service>> services);

  void Handle(http::HttpRequest request, http::Responder respond) override;
  http::HttpResponse RejectOversizedBody(const http::HttpRequest& request, std::size_t limit) override;
  http::HttpResponse RejectMalformedRequest(const std::string& reason) override;
  void OnShutdown() override { ShutdownAll(); }

  void ResetAll();
  void ShutdownAll();
  std::string AccountFor(const std::string& access_key_id) const;

 private:
  struct Route;
  std::shared_ptr<services::Service> ByTargetPrefix(const std::string& prefix) const;
  std::shared_ptr<services::Service> BySigningName(const std::string& name) const;
  http::HttpResponse Health() const;
  http::HttpResponse LocalStackHealth() const;
  std::string DefaultQueryNamespace() const;
  void Dispatch(Route route, http::HttpRequest request, http::Responder respond);
  // --auth sigv4 (gateway_auth.cpp): nullopt when the request may proceed, else the error answer in
  // the shape of the service it routes to.
  std::optional<http::HttpResponse> Authenticate(const http::HttpRequest& request, const std::string& request_id) const;

  GatewayOptions options_;
  std::vector<std::shared_ptr<services::Service>> services_;
};

}  // namespace mallard::gateway
