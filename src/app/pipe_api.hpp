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

// The status as JSON and as Prometheus text (also used by tests and the server's health page).
std::string PipeStatusJson(const cdc::GroupStatus& status);
std::string PipeMetricsText(const cdc::GroupStatus& status);

}  // namespace mallard::app
