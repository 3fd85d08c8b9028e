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

std::optional<http::HttpResponse> CrossOriginRefusal(const http::HttpRequest& request) {
  const std::string* origin = request.Header("origin");
  if (origin == nullptr) return std::nullopt;
  const std::string* host = request.Header("host");
  if (host != nullptr && !host->empty() && *origin == "http://" + *host) return std::nullopt;
  return AdminError(403, "admin endpoints refuse state changes from another origin (Origin: " + *origin + ")");
}

std::optional<http::HttpResponse> StateChangeRefusal(const http::HttpRequest& request, const std::string& admin_token) {
  if (auto refused = CrossOriginRefusal(request)) return refused;
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
