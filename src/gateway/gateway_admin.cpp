#include "gateway/gateway_admin.hpp"

#include <boost/json/serialize.hpp>

#include "http/bearer_token.hpp"

namespace mallard::gateway {

http::HttpResponse JsonResponse(int status, const boost::json::object& body) {
  http::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = boost::json::serialize(body);
  return response;
}

http::HttpResponse AdminError(int status, std::string message) {
  return JsonResponse(status, boost::json::object{{"error", std::move(message)}});
}

std::optional<http::HttpResponse> AdminTokenRefusal(const http::HttpRequest& request, const std::string& admin_token) {
  if (admin_token.empty()) return std::nullopt;
  switch (http::CheckBearerToken(request, admin_token)) {
    case http::BearerCheck::kMissing: {
      auto response = AdminError(401, "this endpoint needs Authorization: Bearer <admin token>");
      response.SetHeader("WWW-Authenticate", "Bearer realm=\"mallard\"");
      return response;
    }
    case http::BearerCheck::kWrong:
      return AdminError(403, "the admin token does not match");
    case http::BearerCheck::kAccepted:
      break;
  }
  return std::nullopt;
}

}  // namespace mallard::gateway
