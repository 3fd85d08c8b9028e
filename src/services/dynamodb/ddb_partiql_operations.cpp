// The PartiQL operations (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction): partiql/
// translates each statement into native operations, which run through Run as any request does.
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/partiql/ddb_partiql.hpp"

namespace mallard::dynamodb {
using Json = DynamoDbService::Json;

namespace {

partiql::KeyLookup KeyLookupFor(DynamoDbStore& store, const Scope& scope) {
  return [&store, scope](const std::string& table_name, const std::string& index_name) -> std::optional<partiql::KeyNames> {
    auto table = store.GetTable(scope, table_name);
    if (!table) return std::nullopt;
    const KeySchema* keys = &table->keys;
    if (!index_name.empty()) {
      const IndexDefinition* index = table->FindIndex(index_name);
      if (!index) return std::nullopt;
      keys = &index->keys;
      // A multi-attribute index key has no single partition attribute for the planner to find in
      // the WHERE clause: a SELECT from such an index scans it, with the WHERE clause as filter.
      if (keys->IsMultiAttribute()) return partiql::KeyNames{"", std::nullopt};
    }
    partiql::KeyNames names{keys->partition.name, std::nullopt};
    if (keys->sort) names.sort = keys->sort->name;
    return names;
  };
}

}  // namespace

Result<Json> DynamoDbService::ExecuteStatement(const Call& call) {
  return partiql::ExecuteStatement(call.input, KeyLookupFor(*store_, call.scope),
                                   [&](const std::string& operation, Json input) {
                                     return Run(call.context, operation, input);
                                   });
}

Result<Json> DynamoDbService::BatchExecuteStatement(const Call& call) {
  return partiql::BatchExecuteStatement(call.input, KeyLookupFor(*store_, call.scope),
                                        [&](const std::string& operation, Json input) {
                                          return Run(call.context, operation, input);
                                        });
}

Result<Json> DynamoDbService::ExecuteTransaction(const Call& call) {
  return partiql::ExecuteTransaction(call.input, KeyLookupFor(*store_, call.scope),
                                     [&](const std::string& operation, Json input) {
                                       return Run(call.context, operation, input);
                                     });
}

}  // namespace mallard::dynamodb
