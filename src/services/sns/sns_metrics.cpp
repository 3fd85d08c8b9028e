// SNS's series on the metrics page: deliveries to subscribers by protocol and outcome, counted by
// this server since it started (sns_delivery.cpp counts them).
#include "services/sns/sns_service.hpp"

namespace mallard::sns {

void SnsService::CollectMetrics(observability::MetricsSink& sink) const { metrics_->ReportTo(sink); }

}  // namespace mallard::sns
