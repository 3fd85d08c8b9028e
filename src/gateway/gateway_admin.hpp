#pragma once
// What the admin endpoints share (gateway.cpp, gateway_state.cpp): JSON answers and the admin
// token's verdict.
#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "common/http_types.hpp"

namespace mallard::gateway {

http::HttpResponse JsonResponse(int status, const boost::json::object& body);
http::HttpResponse AdminError(int status, std::string message);
// The admin token's verdict on a state-changing admin request: nullopt when it may proceed (no token
// is set, or the request carries it).
std::optional<http::HttpResponse> AdminTokenRefusal(const http::HttpRequest& request, const std::string& admin_token);

}  // namespace mallard::gateway
