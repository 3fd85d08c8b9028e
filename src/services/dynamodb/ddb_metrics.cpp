// DynamoDB's series on the metrics page: each table's item count and size, as DescribeTable
// reports them (ItemCount, TableSizeBytes), in every account and region.
#include <spdlog/spdlog.h>

#include "services/dynamodb/ddb_service.hpp"

namespace mallard::dynamodb {

namespace {
// Tables read per scrape: bounds the scrape's work (a round trip each on Redis). The page keeps
// 1,000 series per name and sums the rest in "other".
constexpr std::size_t kTablesPerScrape = 2000;
}  // namespace

void DynamoDbService::CollectMetrics(observability::MetricsSink& sink) const {
  auto scopes = store_->ListScopes();
  if (!scopes) {
    spdlog::debug("dynamodb metrics: cannot list scopes: {}", scopes.error().detail);
    return;
  }
  std::size_t read = 0;
  for (const auto& scope : *scopes) {
    auto tables = store_->ListTables(scope);
    if (!tables) continue;
    for (const auto& name : *tables) {
      if (read++ >= kTablesPerScrape) return;
      auto stats = store_->GetTableStats(scope, name);
      if (!stats) continue;  // deleted since it was listed, or the store failed: skipped this time
      observability::Labels labels{{"table", name}, {"account", scope.account}, {"region", scope.region}};
      sink.Gauge("mallard_dynamodb_table_items", "Items in the table (DescribeTable's ItemCount, kept exact).", labels,
                 static_cast<double>(stats->item_count));
      sink.Gauge("mallard_dynamodb_table_size_bytes", "Size of the table's items (DescribeTable's TableSizeBytes).", labels,
                 static_cast<double>(stats->size_bytes));
    }
  }
}

}  // namespace mallard::dynamodb
