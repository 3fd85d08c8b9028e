#pragma once
// PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction. A front-end
// over DynamoDB's own operations: each statement is parsed and translated into the awsJson request
// of the equivalent native operation (GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem,
// TransactGetItems, TransactWriteItems), which the service runs with its full semantics through an
// OperationRunner. Nothing here touches storage.
#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace mallard::dynamodb::partiql {

struct KeyNames {
  std::string partition;
  std::optional<std::string> sort;
};

// Key schema of a table, or of one of its indexes when index is non-empty; nullopt = no such
// table/index.
using KeyLookup = std::function<std::optional<KeyNames>(const std::string& table, const std::string& index)>;

// Runs one native DynamoDB operation with an awsJson input document and returns its output
// document or its AwsError.
using OperationRunner = std::function<Result<boost::json::object>(const std::string& operation, boost::json::object input)>;

Result<boost::json::object> ExecuteStatement(const boost::json::object& input, const KeyLookup& keys,
                                             const OperationRunner& run);
Result<boost::json::object> BatchExecuteStatement(const boost::json::object& input, const KeyLookup& keys,
                                                  const OperationRunner& run);
Result<boost::json::object> ExecuteTransaction(const boost::json::object& input, const KeyLookup& keys,
                                               const OperationRunner& run);

}  // namespace mallard::dynamodb::partiql
