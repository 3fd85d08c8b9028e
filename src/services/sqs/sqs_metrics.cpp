// SQS's series on the metrics page: each queue's message counts, as GetQueueAttributes reports
// them (ApproximateNumberOfMessages, …NotVisible, …Delayed).
#include <spdlog/spdlog.h>

#include "services/sqs/sqs_service.hpp"

namespace mallard::sqs {

namespace {
// Queues read per scrape: bounds the scrape's work on a store with very many queues (one
// round trip each on Redis). The page keeps 1,000 series per name and sums the rest in "other".
constexpr std::size_t kQueuesPerScrape = 2000;
}  // namespace

void SqsService::CollectMetrics(observability::MetricsSink& sink) const {
  auto queues = store_->ListAllQueues(kQueuesPerScrape);
  if (!queues) {
    spdlog::debug("sqs metrics: cannot list queues: {}", queues.error().detail);
    return;
  }
  std::int64_t now = Now();
  for (const auto& key : *queues) {
    auto counts = store_->CountMessages(key, now);
    if (!counts) continue;  // deleted since it was listed, or the store failed: skipped this time
    observability::Labels labels{{"queue", key.name}, {"account", key.account_id}, {"region", key.region}};
    sink.Gauge("mallard_sqs_messages_visible", "Messages a receive could return now (ApproximateNumberOfMessages).",
               labels, static_cast<double>(counts->visible));
    sink.Gauge("mallard_sqs_messages_in_flight",
               "Messages received and not yet deleted nor visible again (ApproximateNumberOfMessagesNotVisible).", labels,
               static_cast<double>(counts->in_flight));
    sink.Gauge("mallard_sqs_messages_delayed", "Messages not yet visible after their delay (ApproximateNumberOfMessagesDelayed).",
               labels, static_cast<double>(counts->delayed));
  }
}

}  // namespace mallard::sqs
