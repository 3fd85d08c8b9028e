#pragma once
// A hosted pipe's series on the server's metrics page (GET /_mallard/metrics): the same figures as
// its /status document (pipe_api.hpp), as gauges and counters per group and per table.
#include "cdc/sync_group.hpp"
#include "observability/metrics.hpp"

namespace mallard::app {

void CollectPipeMetrics(const cdc::GroupStatus& status, observability::MetricsSink& sink);

}  // namespace mallard::app
