#pragma once
// The pipeline's REST API (loopback by default): GET /health, GET /status, GET /metrics
// (Prometheus text), POST /tables {"table": "schema.table"}, DELETE /tables/{schema.table},
// POST /tables/{schema.table}/resync. Errors are JSON {"error": …} with 400/404/409/500.
#include <memory>

#include "cdc/sync_group.hpp"
#include "http/http_types.hpp"

namespace mallard::app {

std::shared_ptr<http::HttpHandler> MakePipeApiHandler(std::shared_ptr<cdc::SyncGroup> group);

// The status as JSON and as Prometheus text (also used by tests and the server's health page).
std::string PipeStatusJson(const cdc::GroupStatus& status);
std::string PipeMetricsText(const cdc::GroupStatus& status);

}  // namespace mallard::app
