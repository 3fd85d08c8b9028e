// Redshift Data's series on the metrics page: its statements by state and duration (the query
// runner counts).
#include "services/redshift_data/redshift_data_service.hpp"

namespace mallard::redshift_data {

void RedshiftDataService::CollectMetrics(observability::MetricsSink& sink) const {
  runner_->ReportMetrics(sink, Descriptor().name);
}

}  // namespace mallard::redshift_data
