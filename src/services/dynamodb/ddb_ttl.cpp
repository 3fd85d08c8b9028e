// Background TTL expiry: a bounded sweep a second deletes items whose TTL attribute has passed.
#include <spdlog/spdlog.h>

#include <map>

#include "services/dynamodb/ddb_service.hpp"

namespace mallard::dynamodb {

namespace {

// TTL compares the attribute, a number of epoch seconds, with now; other types never expire.
bool HasExpired(const Item& item, const std::string& attribute, const Decimal& now_seconds) {
  auto it = item.find(attribute);
  if (it == item.end() || it->second.type != AttrType::N) return false;
  return it->second.number.Compare(now_seconds) < 0;
}

}  // namespace

void DynamoDbService::SweepExpiredItems() {
  // Each sweep examines at most kTtlItemsPerSweep items of a table and resumes there on the next one,
  // so a large TTL table costs a bounded amount of work a second instead of a full scan (AWS itself
  // deletes expired items within days, not at once; until then they stay readable, as here).
  constexpr std::size_t kTtlItemsPerSweep = 5000;
  auto scopes = store_->ListScopes();
  if (!scopes) return;
  const std::int64_t now = runtime_.clock();
  const Decimal now_seconds = Decimal::FromInt(now / 1000);
  std::map<std::pair<Scope, std::string>, Item> cursors;
  for (const auto& scope : *scopes) {
    auto names = store_->ListTables(scope);
    if (!names) continue;
    for (const auto& name : *names) {
      auto table = store_->GetTable(scope, name);
      if (!table || table->ttl_attribute.empty()) continue;
      ScanRequest scan;
      scan.table = name;
      if (auto cursor = ttl_cursors_.find({scope, name}); cursor != ttl_cursors_.end()) {
        scan.exclusive_start_key = cursor->second;
      }
      std::size_t examined = 0;
      do {
        scan.limit = kTtlItemsPerSweep - examined;
        auto page = store_->Scan(scope, scan);
        if (!page) break;
        examined += page->items.size();
        for (const auto& item : page->items) {
          if (!HasExpired(item, table->ttl_attribute, now_seconds)) continue;
          const std::string attribute = table->ttl_attribute;
          // Re-checked at delete time: the item may have been rewritten since the scan.
          auto deleted = store_->WriteItems(
              scope, {ItemRef{name, ExtractKey(table->keys, item)}},
              [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
                if (current[0] && HasExpired(*current[0], attribute, now_seconds))
                  return std::vector<ItemWrite>{{ItemWrite::Kind::Delete, {}}};
                return std::vector<ItemWrite>{{ItemWrite::Kind::Keep, {}}};
              },
              {now, true});
          if (!deleted) spdlog::debug("dynamodb: TTL delete in {} failed", name);
        }
        scan.exclusive_start_key = page->last_evaluated_key;
      } while (scan.exclusive_start_key && examined < kTtlItemsPerSweep && !stopping_);
      if (scan.exclusive_start_key) cursors[{scope, name}] = *scan.exclusive_start_key;
    }
  }
  ttl_cursors_ = std::move(cursors);  // tables dropped or done start again from their beginning
}

}  // namespace mallard::dynamodb
