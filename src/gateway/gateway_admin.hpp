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
// The verdict on a state-changing admin request (reset, state save/load, pipe table actions):
// nullopt when it may proceed. Refused: a request a browser sent from a page of another origin
// (403; see CrossOriginRefusal), then one without the admin token when a token is set (401/403).
std::optional<http::HttpResponse> StateChangeRefusal(const http::HttpRequest& request, const std::string& admin_token);

// A page on any web site can make the developer's browser POST to http://localhost:4566 without a
// preflight ("simple" requests; it cannot read the answer, but the reset would happen). Browsers
// mark such requests with an Origin header, which tools (curl, SDKs, test fixtures) do not send: a
// state change with an Origin other than the server's own (http://<Host>; the console's) is refused.
std::optional<http::HttpResponse> CrossOriginRefusal(const http::HttpRequest& request);

}  // namespace mallard::gateway
