// TransactGetItems and TransactWriteItems: every item of a transaction is read and written in one
// store unit, so the conditions and the writes see one state and concurrent writers never
// interleave with them.
#include <boost/json/serialize.hpp>

#include <optional>
#include <set>

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_item_rules.hpp"
#include "services/dynamodb/ddb_request_expressions.hpp"
#include "services/dynamodb/ddb_service.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;
using errors::Validation;

namespace {

constexpr std::size_t kMaxTransactItems = 100;
constexpr std::int64_t kIdempotencyWindowMillis = 10 * 60 * 1000;
constexpr std::size_t kMaxTransactionBytes = 4 * 1024 * 1024;

struct TransactAction {
  enum class Kind : unsigned char { ConditionCheck, Put, Delete, Update };
  Kind kind;
  TableDefinition table;
  Item key;
  Item item;  // Put
  RequestExpressions expressions;
  bool return_old_on_failure = false;
};

Status<> CheckTransactItemCount(const json::array* items) {
  if (!items) return Fail(input::MissingMember("TransactItems"));
  if (items->empty() || items->size() > kMaxTransactItems)
    return Fail(input::ConstraintError("TransactItems", "'[...]'",
                                       items->empty() ? "Member must have length greater than or equal to 1"
                                                      : "Member must have length less than or equal to 100"));
  return Done{};
}

// A key attribute given with the wrong type is, in a transaction, not a ValidationException for
// the request but the cancellation reason of its action (ScyllaDB's
// test_transact_write_cancellation_reasons_validationerror, run against AWS). Empty or oversize key
// values stay request errors. Returns the reason's message.
std::optional<std::string> ItemKeyTypeMismatch(const KeySchema& keys, const Item& item) {
  for (const KeyElement* element : {&keys.partition, keys.sort ? &*keys.sort : nullptr}) {
    if (!element) continue;
    auto it = item.find(element->name);
    if (it != item.end() && it->second.type != element->type)
      return "One or more parameter values were invalid: Type mismatch for key " + element->name + " expected: " +
             std::string(TypeTag(element->type)) + " actual: " + std::string(TypeTag(it->second.type));
  }
  return std::nullopt;
}

// The same for a Key: every key attribute is there as one AttributeValue, but of another type.
bool KeyTypeMismatch(const KeySchema& keys, const json::value* key_json) {
  if (!key_json || !key_json->is_object()) return false;
  const auto& key = key_json->get_object();
  if (key.size() != (keys.sort ? 2u : 1u)) return false;
  bool mismatch = false;
  for (const KeyElement* element : {&keys.partition, keys.sort ? &*keys.sort : nullptr}) {
    if (!element) continue;
    const auto* value = key.if_contains(element->name);
    if (!value || !value->is_object() || value->get_object().size() != 1) return false;
    mismatch = mismatch || value->get_object().begin()->key() != TypeTag(element->type);
  }
  return mismatch;
}

std::string ItemIdentity(const TableDefinition& table, const Item& key) {
  return table.name + "\n" + json::serialize(MapToJson(key));
}

// Everything an action is judged on without its table (attribute values, expressions and their
// placeholders, one kind per action) comes before any table is looked up, as AWS judges a request
// (issue 15: validation order). The main loop repeats these checks with the table at hand.
Status<> JudgeActionsBeforeLookup(const json::array& items, std::initializer_list<const char*> kinds) {
  for (const auto& value : items) {
    if (!value.is_object()) continue;
    int present = 0;
    for (const char* kind : kinds) {
      const json::value* body = value.get_object().if_contains(kind);
      if (!body || !body->is_object()) continue;
      ++present;
      const auto& fields = body->get_object();
      for (const char* map : {"Item", "Key"})
        if (const auto* values = fields.if_contains(map); values && values->is_object())
          MALLARD_RETURN_IF_ERROR(DecodeMap(values->get_object()));
      const bool get = std::string_view(kind) == "Get";
      MALLARD_RETURN_IF_ERROR(ParseRequestExpressions(
          fields, {.condition = !get, .projection = get, .update = std::string_view(kind) == "Update"}));
    }
    if (kinds.size() > 1 && present > 1)
      return Fail(Validation("TransactItems can only contain one of Check, Put, Update or Delete"));
  }
  return Done{};
}

}  // namespace

Result<Json> DynamoDbService::TransactGetItems(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto items, input::OptionalArray(call.input, "TransactItems"));
  MALLARD_RETURN_IF_ERROR(CheckTransactItemCount(items));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_RETURN_IF_ERROR(JudgeActionsBeforeLookup(*items, {"Get"}));
  std::vector<ItemRef> refs;
  std::vector<RequestExpressions> projections;
  std::vector<TableDefinition> tables;
  std::set<std::string> seen;
  for (const auto& value : *items) {
    if (!value.is_object()) return Fail(input::WrongType("TransactItems", "structure"));
    MALLARD_ASSIGN_OR_RETURN(auto get, input::OptionalObject(value.get_object(), "Get"));
    if (!get) return Fail(input::MissingMember("TransactItems.member.get"));
    MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(*get, "TableName"));
    MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
    MALLARD_ASSIGN_OR_RETURN(auto key, rules::ParseKey(table, get->if_contains("Key")));
    if (!seen.insert(ItemIdentity(table, key)).second)
      return Fail(Validation("Transaction request cannot include multiple operations on one item"));
    MALLARD_ASSIGN_OR_RETURN(auto expressions, ParseRequestExpressions(*get, {.projection = true}));
    refs.push_back({table.name, std::move(key)});
    projections.push_back(std::move(expressions));
    tables.push_back(std::move(table));
  }
  auto found = store_->GetItems(call.scope, refs);
  if (!found) return Fail(errors::FromStore(found.error()));
  json::array responses;
  std::map<std::string, double> units;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    Json response;
    const auto& item = found.value()[i];
    units[tables[i].name] += 2 * rules::ReadUnits(item ? ItemSize(*item) : 0, true);
    if (item) response["Item"] = MapToJson(projections[i].projection ? projections[i].projection->Apply(*item) : *item);
    responses.push_back(std::move(response));
  }
  Json output{{"Responses", std::move(responses)}};
  if (capacity != rules::CapacityDetail::None) {
    json::array capacities;
    for (const auto& table : tables)
      if (auto it = units.find(table.name); it != units.end()) {
        capacities.push_back(rules::CapacityJson(table, it->second, false, capacity));
        units.erase(it);
      }
    output["ConsumedCapacity"] = std::move(capacities);
  }
  return output;
}

Result<Json> DynamoDbService::TransactWriteItems(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto items, input::OptionalArray(call.input, "TransactItems"));
  MALLARD_RETURN_IF_ERROR(CheckTransactItemCount(items));
  MALLARD_ASSIGN_OR_RETURN(auto capacity, rules::ParseCapacityDetail(call.input));
  MALLARD_RETURN_IF_ERROR(JudgeActionsBeforeLookup(*items, {"ConditionCheck", "Put", "Delete", "Update"}));
  MALLARD_ASSIGN_OR_RETURN(auto token, input::OptionalString(call.input, "ClientRequestToken"));
  if (token && (token->empty() || token->size() > 36))
    return Fail(input::ConstraintError("ClientRequestToken", "'" + *token + "'",
                                       "Member must have length less than or equal to 36"));
  std::string fingerprint;
  if (token) {
    json::object without_token = call.input;
    without_token.erase("ClientRequestToken");
    without_token.erase("ReturnConsumedCapacity");
    fingerprint = json::serialize(without_token);
    std::lock_guard lock(idempotency_mutex_);
    for (auto it = idempotent_calls_.begin(); it != idempotent_calls_.end();)
      it = it->second.expires_millis < call.now_millis ? idempotent_calls_.erase(it) : std::next(it);
    if (auto it = idempotent_calls_.find(call.scope.account + "/" + *token); it != idempotent_calls_.end()) {
      if (it->second.request_fingerprint != fingerprint) return Fail(errors::IdempotentParameterMismatch());
      return it->second.response;
    }
  }

  std::vector<TransactAction> actions;
  std::set<std::string> seen;
  std::size_t total_bytes = 0;
  // The first action whose key has the wrong type, and its reason: AWS stops checking items there.
  std::optional<std::pair<std::size_t, std::string>> key_type_error;
  for (const auto& value : *items) {
    if (!value.is_object()) return Fail(input::WrongType("TransactItems", "structure"));
    const auto& entry = value.get_object();
    static const std::pair<const char*, TransactAction::Kind> kinds[] = {
        {"ConditionCheck", TransactAction::Kind::ConditionCheck},
        {"Put", TransactAction::Kind::Put},
        {"Delete", TransactAction::Kind::Delete},
        {"Update", TransactAction::Kind::Update}};
    const json::object* body = nullptr;
    TransactAction::Kind kind{};
    int present = 0;
    for (const auto& [member, member_kind] : kinds) {
      MALLARD_ASSIGN_OR_RETURN(auto candidate, input::OptionalObject(entry, member));
      if (candidate) {
        body = candidate;
        kind = member_kind;
        ++present;
      }
    }
    if (present != 1)
      return Fail(Validation("TransactItems can only contain one of Check, Put, Update or Delete"));
    MALLARD_ASSIGN_OR_RETURN(auto table_name, input::RequiredString(*body, "TableName"));
    MALLARD_ASSIGN_OR_RETURN(auto table, LoadTable(call.scope, table_name));
    TransactAction action{kind, std::move(table), {}, {}, {}, false};
    bool mistyped_key = false;
    if (kind == TransactAction::Kind::Put) {
      MALLARD_ASSIGN_OR_RETURN(action.item, rules::ParseItem(body->if_contains("Item")));
      if (auto mismatch = ItemKeyTypeMismatch(action.table.keys, action.item)) {
        mistyped_key = true;
        if (!key_type_error) key_type_error.emplace(actions.size(), std::move(*mismatch));
      } else {
        MALLARD_RETURN_IF_ERROR(rules::ValidateItem(action.table, action.item));
      }
      action.key = ExtractKey(action.table.keys, action.item);
      total_bytes += ItemSize(action.item);
    } else if (KeyTypeMismatch(action.table.keys, body->if_contains("Key"))) {
      mistyped_key = true;
      if (!key_type_error) key_type_error.emplace(actions.size(), "The provided key element does not match the schema");
    } else {
      MALLARD_ASSIGN_OR_RETURN(action.key, rules::ParseKey(action.table, body->if_contains("Key")));
    }
    if (kind == TransactAction::Kind::ConditionCheck && !body->contains("ConditionExpression"))
      return Fail(input::MissingMember("TransactItems.member.conditionCheck.conditionExpression"));
    if (kind == TransactAction::Kind::Update && !body->contains("UpdateExpression"))
      return Fail(input::MissingMember("TransactItems.member.update.updateExpression"));
    MALLARD_ASSIGN_OR_RETURN(action.expressions,
                             ParseRequestExpressions(*body, {.condition = true,
                                                             .update = kind == TransactAction::Kind::Update}));
    if (action.expressions.update) {
      for (const auto& name : action.expressions.update->TopLevelNames())
        if (name == action.table.keys.partition.name || (action.table.keys.sort && name == action.table.keys.sort->name))
          return Fail(Validation("One or more parameter values were invalid: Cannot update attribute " + name +
                                 ". This attribute is part of the key"));
    }
    MALLARD_ASSIGN_OR_RETURN(action.return_old_on_failure, rules::ParseReturnOldOnConditionFailure(*body));
    if (!mistyped_key && !seen.insert(ItemIdentity(action.table, action.key)).second)
      return Fail(Validation("Transaction request cannot include multiple operations on one item"));
    actions.push_back(std::move(action));
  }
  // "The aggregate size of the items in the transaction cannot exceed 4 MB" (API reference); the
  // message's ending is AWS's ("…size cannot exceed 4 MB", ScyllaDB's test_transact_write_items_put_5MB).
  if (total_bytes > kMaxTransactionBytes) return Fail(Validation("Transaction size cannot exceed 4 MB"));
  if (key_type_error) {
    json::array reasons;
    std::string summary;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const bool failed = i == key_type_error->first;
      reasons.push_back(failed ? Json{{"Code", "ValidationError"}, {"Message", key_type_error->second}}
                               : Json{{"Code", "None"}});
      summary += (i ? ", " : "") + std::string(failed ? "ValidationError" : "None");
    }
    return Fail(errors::TransactionCanceled(summary, json::serialize(reasons)));
  }

  std::vector<ItemRef> refs;
  for (const auto& action : actions) refs.push_back({action.table.name, action.key});
  std::vector<std::size_t> written_bytes(actions.size(), 0);
  auto written = store_->WriteItems(
      call.scope, refs,
      [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
        std::vector<ItemWrite> writes(actions.size());
        json::array reasons;
        std::string summary;
        bool cancelled = false;
        for (std::size_t i = 0; i < actions.size(); ++i) {
          const TransactAction& action = actions[i];
          Json reason{{"Code", "None"}};
          auto fail = [&](const char* code, const std::string& message) {
            reason = Json{{"Code", code}, {"Message", message}};
            cancelled = true;
          };
          if (action.expressions.condition && !action.expressions.condition->Matches(current[i])) {
            fail("ConditionalCheckFailed", "The conditional request failed");
            if (action.return_old_on_failure && current[i]) reason["Item"] = MapToJson(*current[i]);
          } else if (action.kind == TransactAction::Kind::Put) {
            writes[i] = {ItemWrite::Kind::Put, action.item};
          } else if (action.kind == TransactAction::Kind::Delete) {
            writes[i] = {ItemWrite::Kind::Delete, {}};
          } else if (action.kind == TransactAction::Kind::Update) {
            auto updated = action.expressions.update->Apply(current[i], action.key);
            Status<> valid = updated ? rules::ValidateItem(action.table, updated.value()) : Status<>(Done{});
            if (!updated) {
              fail("ValidationError", updated.error().message);
            } else if (!valid) {
              fail("ValidationError", valid.error().message);
            } else {
              writes[i] = {ItemWrite::Kind::Put, std::move(updated).value()};
            }
          }
          written_bytes[i] = std::max(current[i] ? ItemSize(*current[i]) : 0,
                                      writes[i].kind == ItemWrite::Kind::Put ? ItemSize(writes[i].item) : 0);
          summary += (i ? ", " : "") + std::string(reason.at("Code").as_string());
          reasons.push_back(std::move(reason));
        }
        if (cancelled) return Fail(errors::TransactionCanceled(summary, json::serialize(reasons)));
        return writes;
      },
      {call.now_millis, false});
  if (!written) return Fail(errors::FromStore(written.error()));
  if (!written->ok()) return Fail(std::move(*written).error());

  Json output;
  if (capacity != rules::CapacityDetail::None) {
    std::map<std::string, std::pair<const TableDefinition*, double>> units;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      auto& slot = units[actions[i].table.name];
      slot.first = &actions[i].table;
      slot.second += 2 * rules::WriteUnits(written_bytes[i]);
    }
    json::array capacities;
    for (const auto& [name, entry] : units) capacities.push_back(rules::CapacityJson(*entry.first, entry.second, true, capacity));
    output["ConsumedCapacity"] = std::move(capacities);
  }
  if (token) {
    std::lock_guard lock(idempotency_mutex_);
    idempotent_calls_[call.scope.account + "/" + *token] = {fingerprint, output, call.now_millis + kIdempotencyWindowMillis};
  }
  return output;
}

}  // namespace mallard::dynamodb
