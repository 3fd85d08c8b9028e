// Background TTL expiry and the PartiQL entry points (which run native operations through Run).
#include <spdlog/spdlog.h>

#include "services/dynamodb/ddb_partiql.hpp"
#include "services/dynamodb/ddb_service.hpp"

namespace mallard::dynamodb {
using Json = DynamoDbService::Json;

namespace {

// TTL compares the attribute, a number of epoch seconds, with now; other types never expire.
bool HasExpired(const Item& item, const std::string& attribute, const Decimal& now_seconds) {
  auto it = item.find(attribute);
  if (it == item.end() || it->second.type != AttrType::N) return false;
  return it->second.number.Compare(now_seconds) < 0;
}

}  // namespace

void DynamoDbService::SweepExpiredItems() {
  auto scopes = backend_->ListScopes();
  if (!scopes) return;
  const std::int64_t now = runtime_.clock();
  const Decimal now_seconds = Decimal::FromInt(now / 1000);
  for (const auto& scope : *scopes) {
    auto names = backend_->ListTables(scope);
    if (!names) continue;
    for (const auto& name : *names) {
      auto table = backend_->GetTable(scope, name);
      if (!table || table->ttl_attribute.empty()) continue;
      ScanRequest scan;
      scan.table = name;
      do {
        auto page = backend_->Scan(scope, scan);
        if (!page) break;
        for (const auto& item : page->items) {
          if (!HasExpired(item, table->ttl_attribute, now_seconds)) continue;
          const std::string attribute = table->ttl_attribute;
          // Re-checked at delete time: the item may have been rewritten since the scan.
          auto deleted = backend_->WriteItems(
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
      } while (scan.exclusive_start_key && !stopping_);
    }
  }
}

namespace {

partiql::KeyLookup KeyLookupFor(DynamoDbBackend& backend, const Scope& scope) {
  return [&backend, scope](const std::string& table_name, const std::string& index_name) -> std::optional<partiql::KeyNames> {
    auto table = backend.GetTable(scope, table_name);
    if (!table) return std::nullopt;
    const KeySchema* keys = &table->keys;
    if (!index_name.empty()) {
      const IndexDefinition* index = table->FindIndex(index_name);
      if (!index) return std::nullopt;
      keys = &index->keys;
    }
    partiql::KeyNames names{keys->partition.name, std::nullopt};
    if (keys->sort) names.sort = keys->sort->name;
    return names;
  };
}

}  // namespace

Result<Json> DynamoDbService::ExecuteStatement(const Call& call) {
  return partiql::ExecuteStatement(call.input, KeyLookupFor(*backend_, call.scope),
                                   [&](const std::string& operation, Json input) {
                                     return Run(call.context, operation, input);
                                   });
}

Result<Json> DynamoDbService::BatchExecuteStatement(const Call& call) {
  return partiql::BatchExecuteStatement(call.input, KeyLookupFor(*backend_, call.scope),
                                        [&](const std::string& operation, Json input) {
                                          return Run(call.context, operation, input);
                                        });
}

Result<Json> DynamoDbService::ExecuteTransaction(const Call& call) {
  return partiql::ExecuteTransaction(call.input, KeyLookupFor(*backend_, call.scope),
                                     [&](const std::string& operation, Json input) {
                                       return Run(call.context, operation, input);
                                     });
}

}  // namespace mallard::dynamodb
