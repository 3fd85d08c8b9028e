// ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: request validation, running the
// translated native operations, and mapping their outputs and errors to PartiQL's shapes.
#include "services/dynamodb/partiql/ddb_partiql.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

#include "common/encoding.hpp"
#include "services/dynamodb/partiql/ddb_partiql_translate.hpp"

namespace mallard::dynamodb::partiql {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxStatementLength = 8192;
constexpr std::size_t kMaxBatchStatements = 25;
constexpr std::size_t kMaxTransactionStatements = 100;
constexpr std::string_view kDuplicateItem = "Duplicate primary key exists in table";

// Coral's request-shape validation message ("1 validation error detected: ...").
AwsError ConstraintViolation(const std::string& value, const std::string& member, const std::string& constraint) {
  return Validation("1 validation error detected: Value " + value + " at '" + member +
                    "' failed to satisfy constraint: " + constraint);
}

// Reads the Statement / Parameters pair every PartiQL request carries (top level or per member).
struct StatementInput {
  std::string text;
  json::array parameters;
};

Result<StatementInput> ReadStatementInput(const json::object& object, const std::string& member_prefix) {
  StatementInput result;
  const json::value* statement = object.if_contains("Statement");
  if (statement == nullptr || statement->is_null()) {
    return Fail(ConstraintViolation("null", member_prefix + "statement", "Member must not be null"));
  }
  if (!statement->is_string()) return Fail(Validation("Statement must be a string"));
  result.text = std::string(statement->as_string());
  if (result.text.empty()) {
    return Fail(ConstraintViolation("''", member_prefix + "statement", "Member must have length greater than or equal to 1"));
  }
  if (result.text.size() > kMaxStatementLength) {
    return Fail(ConstraintViolation("'" + result.text + "'", member_prefix + "statement",
                                    "Member must have length less than or equal to 8192"));
  }
  if (const json::value* parameters = object.if_contains("Parameters"); parameters != nullptr && !parameters->is_null()) {
    if (!parameters->is_array()) return Fail(Validation("Parameters must be a list"));
    if (parameters->as_array().empty()) {
      return Fail(ConstraintViolation("[]", member_prefix + "parameters", "Member must have length greater than or equal to 1"));
    }
    result.parameters = parameters->as_array();
  }
  return result;
}

void CopyIfPresent(const json::object& from, json::object& to, std::string_view name) {
  if (const json::value* value = from.if_contains(name); value != nullptr && !value->is_null()) to[name] = *value;
}

bool IsRead(const Statement& statement) { return statement.kind == StatementKind::Select; }

// ---------------------------------------------------------------------------------------------
// NextToken: base64 of {"h": <request fingerprint>, "k": <LastEvaluatedKey>}. The fingerprint ties
// a token to the statement and parameters that produced it, as AWS does.
std::string Fingerprint(const StatementInput& statement) {
  return Sha256Hex(statement.text + "\n" + json::serialize(statement.parameters)).substr(0, 32);
}

std::string EncodeNextToken(const StatementInput& statement, const json::value& last_evaluated_key) {
  json::object token{{"h", Fingerprint(statement)}, {"k", last_evaluated_key}};
  return Base64Encode(json::serialize(token));
}

Result<json::object> DecodeNextToken(const StatementInput& statement, const json::value& token_value) {
  static const AwsError kInvalid = Validation("Invalid NextToken");
  if (!token_value.is_string()) return Fail(kInvalid);
  std::optional<std::string> decoded = Base64Decode(std::string_view(token_value.as_string()));
  if (!decoded) return Fail(kInvalid);
  boost::system::error_code error;
  json::value token = json::parse(*decoded, error);
  if (error || !token.is_object()) return Fail(kInvalid);
  const json::value* fingerprint = token.as_object().if_contains("h");
  const json::value* key = token.as_object().if_contains("k");
  if (fingerprint == nullptr || key == nullptr || !fingerprint->is_string() || !key->is_object()) return Fail(kInvalid);
  if (fingerprint->as_string() != Fingerprint(statement)) return Fail(Validation("NextToken does not match request"));
  return key->as_object();
}

// ---------------------------------------------------------------------------------------------
// Error mapping.
AwsError DuplicateItemError() { return AwsError::Make("DuplicateItemException", 400, std::string(kDuplicateItem)); }

// AwsError::extra_json (CancellationReasons, Item) is being added to common/ concurrently; reach it
// through these two so this file builds with and without it.
template <typename E>
std::string ExtraJson(const E& error) {
  if constexpr (requires { error.extra_json; }) {
    return error.extra_json;
  } else {
    return {};
  }
}
template <typename E>
void SetExtraJson(E& error, std::string text) {
  if constexpr (requires { error.extra_json; }) error.extra_json = std::move(text);
}

bool IsConditionalCheckFailed(const AwsError& error) { return error.code == "ConditionalCheckFailedException"; }

// The BatchStatementError code for a native operation's error.
std::string BatchErrorCode(const AwsError& error) {
  static const std::pair<std::string_view, std::string_view> kCodes[] = {
      {"ConditionalCheckFailedException", "ConditionalCheckFailed"},
      {"DuplicateItemException", "DuplicateItem"},
      {"ValidationException", "ValidationError"},
      {"ResourceNotFoundException", "ResourceNotFound"},
      {"ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded"},
      {"TransactionConflictException", "TransactionConflict"},
      {"ItemCollectionSizeLimitExceededException", "ItemCollectionSizeLimitExceeded"},
      {"RequestLimitExceeded", "RequestLimitExceeded"},
      {"ThrottlingException", "ThrottlingError"},
      {"AccessDeniedException", "AccessDenied"},
  };
  for (const auto& [native, batch] : kCodes) {
    if (error.code == native) return std::string(batch);
  }
  return "InternalServerError";
}

// TransactWriteItems reports an INSERT's failed attribute_not_exists as ConditionalCheckFailed;
// PartiQL reports it as DuplicateItem. The reasons list sits in the message
// ("... specific reasons [None, ConditionalCheckFailed]"), rewritten here position by position.
AwsError MapTransactionCanceled(AwsError error, const std::vector<NativeRequest>& requests) {
  std::size_t open = error.message.rfind('[');
  std::size_t close = error.message.rfind(']');
  if (open != std::string::npos && close != std::string::npos && open < close) {
    std::string list = error.message.substr(open + 1, close - open - 1);
    std::vector<std::string> reasons;
    for (std::size_t start = 0;;) {
      std::size_t comma = list.find(',', start);
      std::string reason = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      reason.erase(0, reason.find_first_not_of(' '));
      reasons.push_back(reason);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (reasons.size() == requests.size()) {
      std::string rewritten;
      for (std::size_t i = 0; i < reasons.size(); ++i) {
        if (requests[i].kind == StatementKind::Insert && reasons[i] == "ConditionalCheckFailed") reasons[i] = "DuplicateItem";
        rewritten += (i ? ", " : "") + reasons[i];
      }
      error.message = error.message.substr(0, open + 1) + rewritten + error.message.substr(close);
    }
  }
  // The structured reasons the awsJson renderer adds to the body (extra_json), rewritten alike.
  boost::system::error_code parse_error;
  std::string extra_text = ExtraJson(error);
  json::value extra = extra_text.empty() ? json::value() : json::parse(extra_text, parse_error);
  json::value* structured = (!parse_error && extra.is_object()) ? extra.as_object().if_contains("CancellationReasons") : nullptr;
  if (structured != nullptr && structured->is_array() && structured->as_array().size() == requests.size()) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      json::value& reason = structured->as_array()[i];
      const json::value* code = reason.is_object() ? reason.as_object().if_contains("Code") : nullptr;
      if (requests[i].kind == StatementKind::Insert && code && code->is_string() && code->as_string() == "ConditionalCheckFailed") {
        reason = json::object{{"Code", "DuplicateItem"}, {"Message", kDuplicateItem}};
      }
    }
    SetExtraJson(error, json::serialize(extra));
  }
  return error;
}

// A BatchStatementError for a failed member; carries the item a failed condition returned.
json::object BatchError(const AwsError& error) {
  json::object body{{"Code", BatchErrorCode(error)}, {"Message", error.message}};
  boost::system::error_code parse_error;
  std::string extra_text = ExtraJson(error);
  json::value extra = extra_text.empty() ? json::value() : json::parse(extra_text, parse_error);
  if (!parse_error && extra.is_object()) {
    if (const json::value* item = extra.as_object().if_contains("Item"); item && item->is_object()) body["Item"] = *item;
  }
  return body;
}

// Items a write statement returns: the RETURNING projection as one item, or none.
json::array WriteItems(const json::object& output) {
  json::array items;
  const json::value* attributes = output.if_contains("Attributes");
  if (attributes != nullptr && attributes->is_object() && !attributes->as_object().empty()) items.push_back(*attributes);
  return items;
}

// Runs one translated write and maps INSERT's condition failure.
Result<json::object> RunWrite(const NativeRequest& request, const OperationRunner& run) {
  Result<json::object> output = run(request.operation, request.input);
  if (!output.ok() && request.kind == StatementKind::Insert && IsConditionalCheckFailed(output.error())) {
    return Fail(DuplicateItemError());
  }
  return output;
}

// Adds one operation's ConsumedCapacity to a per-table total.
void AccumulateCapacity(json::object& totals, const json::object& output) {
  const json::value* capacity = output.if_contains("ConsumedCapacity");
  if (capacity == nullptr) return;
  auto add = [&](const json::object& entry) {
    const json::value* table = entry.if_contains("TableName");
    if (table == nullptr || !table->is_string()) return;
    std::string name(table->as_string());
    json::value& slot = totals[name];
    if (!slot.is_object()) {
      slot = entry;
      return;
    }
    for (std::string_view field : {"CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits"}) {
      const json::value* extra = entry.if_contains(field);
      if (extra == nullptr || !extra->is_number()) continue;
      json::value* current = slot.as_object().if_contains(field);
      double sum = extra->to_number<double>() + (current && current->is_number() ? current->to_number<double>() : 0.0);
      slot.as_object()[field] = sum;
    }
  };
  if (capacity->is_object()) add(capacity->as_object());
  if (capacity->is_array()) {
    for (const json::value& entry : capacity->as_array()) {
      if (entry.is_object()) add(entry.as_object());
    }
  }
}

json::array CapacityList(const json::object& totals) {
  json::array list;
  for (const auto& entry : totals) list.push_back(entry.value());
  return list;
}

// Reads a statement list member (Statements / TransactStatements) with its length bounds.
Result<const json::array*> ReadStatementList(const json::object& input, std::string_view field, const std::string& member,
                                             std::size_t max) {
  const json::value* list = input.if_contains(field);
  if (list == nullptr || list->is_null()) return Fail(ConstraintViolation("null", member, "Member must not be null"));
  if (!list->is_array()) return Fail(Validation(std::string(field) + " must be a list"));
  if (list->as_array().empty()) {
    return Fail(ConstraintViolation("[]", member, "Member must have length greater than or equal to 1"));
  }
  if (list->as_array().size() > max) {
    return Fail(ConstraintViolation("'" + std::string(Utf8Prefix(json::serialize(*list), 64)) + "...'", member,
                                    "Member must have length less than or equal to " + std::to_string(max)));
  }
  return &list->as_array();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
Result<json::object> ExecuteStatement(const json::object& input, const KeyLookup& keys, const OperationRunner& run) {
  MALLARD_ASSIGN_OR_RETURN(StatementInput statement_input, ReadStatementInput(input, ""));
  MALLARD_ASSIGN_OR_RETURN(Statement statement, ParseStatement(statement_input.text));
  MALLARD_ASSIGN_OR_RETURN(NativeRequest request, Translate(statement, statement_input.parameters, keys, Context::Single));
  CopyIfPresent(input, request.input, "ReturnConsumedCapacity");

  json::object result;
  if (IsRead(statement)) {
    CopyIfPresent(input, request.input, "ConsistentRead");
    if (request.operation != "GetItem") {
      CopyIfPresent(input, request.input, "Limit");
      if (const json::value* token = input.if_contains("NextToken"); token != nullptr && !token->is_null()) {
        MALLARD_ASSIGN_OR_RETURN(json::object start_key, DecodeNextToken(statement_input, *token));
        request.input["ExclusiveStartKey"] = std::move(start_key);
      }
    }
    MALLARD_ASSIGN_OR_RETURN(json::object output, run(request.operation, request.input));
    json::array items;
    if (request.operation == "GetItem") {
      if (const json::value* item = output.if_contains("Item"); item != nullptr && item->is_object()) {
        items.push_back(ReshapeItem(item->as_object(), request.projection));
      }
    } else if (const json::value* found = output.if_contains("Items"); found != nullptr && found->is_array()) {
      for (const json::value& item : found->as_array()) {
        if (item.is_object()) items.push_back(ReshapeItem(item.as_object(), request.projection));
      }
    }
    result["Items"] = std::move(items);
    if (const json::value* last = output.if_contains("LastEvaluatedKey"); last != nullptr && last->is_object()) {
      result["NextToken"] = EncodeNextToken(statement_input, *last);
      result["LastEvaluatedKey"] = *last;
    }
    CopyIfPresent(output, result, "ConsumedCapacity");
    return result;
  }

  if (request.kind != StatementKind::Insert) CopyIfPresent(input, request.input, "ReturnValuesOnConditionCheckFailure");
  MALLARD_ASSIGN_OR_RETURN(json::object output, RunWrite(request, run));
  result["Items"] = WriteItems(output);
  CopyIfPresent(output, result, "ConsumedCapacity");
  return result;
}

// ---------------------------------------------------------------------------------------------
Result<json::object> BatchExecuteStatement(const json::object& input, const KeyLookup& keys, const OperationRunner& run) {
  MALLARD_ASSIGN_OR_RETURN(const json::array* members, ReadStatementList(input, "Statements", "statements", kMaxBatchStatements));

  // Parse everything first: a malformed member fails alone, but reads and writes may not mix.
  struct Member {
    std::optional<StatementInput> statement_input;
    std::optional<Statement> statement;
    std::optional<AwsError> error;
    bool consistent_read = false;
  };
  std::vector<Member> parsed(members->size());
  std::optional<bool> batch_reads;
  for (std::size_t i = 0; i < members->size(); ++i) {
    const json::value& raw = (*members)[i];
    if (!raw.is_object()) return Fail(Validation("Statements must contain BatchStatementRequest objects"));
    const json::object& member = raw.as_object();
    Member& slot = parsed[i];
    if (const json::value* consistent = member.if_contains("ConsistentRead"); consistent && consistent->is_bool()) {
      slot.consistent_read = consistent->as_bool();
    }
    Result<StatementInput> statement_input = ReadStatementInput(member, "statements." + std::to_string(i + 1) + ".member.");
    if (!statement_input.ok()) return Fail(std::move(statement_input).error());
    slot.statement_input = std::move(statement_input).value();
    Result<Statement> statement = ParseStatement(slot.statement_input->text);
    if (!statement.ok()) {
      slot.error = std::move(statement).error();
      continue;
    }
    if (statement->kind == StatementKind::Exists) {
      slot.error = Validation("EXISTS can only be used in ExecuteTransaction write requests.");
      continue;
    }
    bool read = IsRead(*statement);
    if (batch_reads && *batch_reads != read) {
      return Fail(Validation("Read and write requests together in the same batch is not supported."));
    }
    batch_reads = read;
    slot.statement = std::move(statement).value();
  }

  json::array responses;
  json::object capacity_totals;
  for (Member& member : parsed) {
    json::object response;
    if (member.statement) response["TableName"] = member.statement->table;
    auto record_error = [&](const AwsError& error) {
      response["Error"] = BatchError(error);
      responses.push_back(response);
    };
    if (member.error) {
      record_error(*member.error);
      continue;
    }
    Result<NativeRequest> request = Translate(*member.statement, member.statement_input->parameters, keys, Context::Batch);
    if (!request.ok()) {
      record_error(request.error());
      continue;
    }
    CopyIfPresent(input, request->input, "ReturnConsumedCapacity");
    if (member.consistent_read) request->input["ConsistentRead"] = true;
    Result<json::object> output = request->operation == "GetItem" ? run(request->operation, request->input) : RunWrite(*request, run);
    if (!output.ok()) {
      record_error(output.error());
      continue;
    }
    AccumulateCapacity(capacity_totals, *output);
    if (const json::value* item = output->if_contains("Item"); item != nullptr && item->is_object()) {
      response["Item"] = ReshapeItem(item->as_object(), request->projection);
    }
    responses.push_back(std::move(response));
  }
  json::object result{{"Responses", std::move(responses)}};
  if (!capacity_totals.empty()) result["ConsumedCapacity"] = CapacityList(capacity_totals);
  return result;
}

// ---------------------------------------------------------------------------------------------
Result<json::object> ExecuteTransaction(const json::object& input, const KeyLookup& keys, const OperationRunner& run) {
  MALLARD_ASSIGN_OR_RETURN(const json::array* members,
                           ReadStatementList(input, "TransactStatements", "transactStatements", kMaxTransactionStatements));
  std::vector<Statement> statements;
  std::vector<StatementInput> statement_inputs;
  std::vector<std::string> condition_failure_returns;
  bool transaction_reads = false;
  for (std::size_t i = 0; i < members->size(); ++i) {
    const json::value& raw = (*members)[i];
    if (!raw.is_object()) return Fail(Validation("TransactStatements must contain ParameterizedStatement objects"));
    MALLARD_ASSIGN_OR_RETURN(StatementInput statement_input,
                             ReadStatementInput(raw.as_object(), "transactStatements." + std::to_string(i + 1) + ".member."));
    MALLARD_ASSIGN_OR_RETURN(Statement statement, ParseStatement(statement_input.text));
    // The first statement decides; EXISTS belongs with the writes (it is a ConditionCheck).
    bool read = IsRead(statement);
    if (i == 0) {
      transaction_reads = read;
    } else if (read != transaction_reads) {
      return Fail(Validation("ExecuteTransaction API does not support both read and write operations in the same request."));
    }
    const json::value* on_failure = raw.as_object().if_contains("ReturnValuesOnConditionCheckFailure");
    condition_failure_returns.push_back(on_failure && on_failure->is_string() ? std::string(on_failure->as_string()) : "");
    statements.push_back(std::move(statement));
    statement_inputs.push_back(std::move(statement_input));
  }

  std::vector<NativeRequest> requests;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    Result<NativeRequest> request = Translate(statements[i], statement_inputs[i].parameters, keys, Context::Transaction);
    if (!request.ok()) {
      AwsError error = std::move(request).error();
      bool plain = error.code != "ValidationException" || error.message.find("mandatory equality on all key") != std::string::npos ||
                   error.message.find("Multiple conditions on same key") != std::string::npos;
      if (!plain) error.message = "Validation failed in TransactStatements[" + std::to_string(i) + "]: " + error.message;
      return Fail(std::move(error));
    }
    requests.push_back(std::move(request).value());
  }

  json::array transact_items;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    NativeRequest& request = requests[i];
    if (!condition_failure_returns[i].empty() && request.kind != StatementKind::Insert && !transaction_reads) {
      request.input["ReturnValuesOnConditionCheckFailure"] = condition_failure_returns[i];
    }
    static const std::map<std::string, std::string> kMembers = {{"GetItem", "Get"},       {"PutItem", "Put"},
                                                              {"UpdateItem", "Update"}, {"DeleteItem", "Delete"},
                                                              {"ConditionCheck", "ConditionCheck"}};
    transact_items.push_back(json::object{{kMembers.at(request.operation), request.input}});
  }
  json::object native{{"TransactItems", std::move(transact_items)}};
  CopyIfPresent(input, native, "ReturnConsumedCapacity");

  json::object result;
  if (transaction_reads) {
    MALLARD_ASSIGN_OR_RETURN(json::object output, run("TransactGetItems", std::move(native)));
    json::array responses;
    const json::value* native_responses = output.if_contains("Responses");
    for (std::size_t i = 0; i < requests.size(); ++i) {
      json::object response;
      if (native_responses && native_responses->is_array() && i < native_responses->as_array().size()) {
        const json::value& entry = native_responses->as_array()[i];
        const json::value* item = entry.is_object() ? entry.as_object().if_contains("Item") : nullptr;
        if (item && item->is_object()) response["Item"] = ReshapeItem(item->as_object(), requests[i].projection);
      }
      responses.push_back(std::move(response));
    }
    result["Responses"] = std::move(responses);
    CopyIfPresent(output, result, "ConsumedCapacity");
    return result;
  }
  CopyIfPresent(input, native, "ClientRequestToken");
  Result<json::object> output = run("TransactWriteItems", std::move(native));
  if (!output.ok()) {
    AwsError error = std::move(output).error();
    if (error.code == "TransactionCanceledException") return Fail(MapTransactionCanceled(std::move(error), requests));
    return Fail(std::move(error));
  }
  CopyIfPresent(*output, result, "ConsumedCapacity");
  return result;
}

}  // namespace mallard::dynamodb::partiql
