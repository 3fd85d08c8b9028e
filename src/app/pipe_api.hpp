#pragma once
// The pipeline's REST API (loopback by default): GET /health, GET /status, GET /metrics
// (Prometheus text), POST /tables {"table": "schema.table"}, DELETE /tables/{schema.table},
// POST /tables/{schema.table}/resync. Errors are JSON {"error": …} with 400/404/409/500.
#include <memory>
#include <string>

#include "cdc/sync_group.hpp"
#include "common/http_types.hpp"

namespace mallard::app {

// State-changing requests (POST, DELETE) must carry `Content-Type: application/json` (415
// otherwise): a page on another origin can send only form and text/plain bodies without a CORS
// preflight, and the API answers no preflight. With a non-empty `admin_token` they also need
// `Authorization: Bearer <admin_token>` (401 without, 403 with another). Reads stay open.
std::shared_ptr<http::HttpHandler> MakePipeApiHandler(std::shared_ptr<cdc::SyncGroup> group, std::string admin_token);

// One table action of a request whose path is the API's (POST /tables, POST /tables/{t}/resync,
// DELETE /tables/{t}), answered as the API answers it: 415 without a JSON Content-Type, the same
// documents and errors, 404 for any other path. The admin token is the caller's to check. Talks to
// PostgreSQL and the lake, so it blocks: call it off a network thread. The server's gateway serves
// these under /_mallard/pipe/ through this.
http::HttpResponse PipeTableAction(cdc::SyncGroup& group, const http::HttpRequest& request);

// The status as JSON and as Prometheus text (also used by tests and the server's health page).
std::string PipeStatusJson(const cdc::GroupStatus& status);
std::string PipeMetricsText(const cdc::GroupStatus& status);

}  // namespace mallard::app
