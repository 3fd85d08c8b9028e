// Athena's series on the metrics page: its queries by state and duration (the query runner counts).
#include "services/athena/athena_service.hpp"

namespace mallard::athena {

void AthenaService::CollectMetrics(observability::MetricsSink& sink) const {
  runner_->ReportMetrics(sink, Descriptor().name);
}

}  // namespace mallard::athena
