#pragma once
// Translates a parsed PartiQL statement, with its parameters and the table's key schema, into the
// awsJson request of the native DynamoDB operation that does the same work. The generated
// expressions use #nN / :vN placeholders for every name and value, each of them used.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "services/dynamodb/partiql/ddb_partiql.hpp"
#include "services/dynamodb/partiql/ddb_partiql_ast.hpp"

namespace mallard::dynamodb::partiql {

// Where the statement runs; each context has its own rules (batch reads and transaction reads must
// name one item, EXISTS only inside transactions, RETURNING not inside transactions).
enum class Context : unsigned char { Single, Batch, Transaction };

struct NativeRequest {
  // "GetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", or "ConditionCheck" (an
  // EXISTS; only meaningful as a TransactWriteItems member).
  std::string operation;
  boost::json::object input;
  StatementKind kind = StatementKind::Select;
  std::string table;
  // SELECT a.b, c[0]: PartiQL names each projected value after its last path step, so the items
  // the native operation returns are reshaped (see ReshapeItem).
  std::vector<Path> projection;
};

Result<NativeRequest> Translate(const Statement& statement, const boost::json::array& parameters,
                                const KeyLookup& keys, Context context);

// Reshapes an item returned for a projected SELECT: each projected path's value under its PartiQL
// name (the last member name; `_N` for a path ending in a list index). Identity without projection.
boost::json::object ReshapeItem(const boost::json::object& item, const std::vector<Path>& projection);

}  // namespace mallard::dynamodb::partiql
