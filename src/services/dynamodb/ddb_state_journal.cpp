// DynamoDB's journal records (--data-dir): the memory store's DdbChanges as state changes in the
// snapshot's record forms, and back. The forms (README "Snapshot records"):
//   put "table_state"     {TableName, records: [{kind, body}…]}: the table whole, as a snapshot
//                          holds it (table, item…, pitr_change…, stream, stream_record…); no
//                          "table" record among them = only the streams of a deleted table
//   remove "table"        {TableName}: the table is gone (its streams follow in a table_state)
//   put / remove "item"   {TableName, TableId, Item | Key, pitr?: {changed_millis, Before?},
//                          stream_record?: a stream_record body}: one write
//   put "backup_state"    {BackupArn, records: [backup, backup_item…]}
//   remove "backup"       {BackupArn}
//   remove "scope"        {}: every table, stream and backup of the scope
#include <boost/json.hpp>

#include "services/dynamodb/ddb_state.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/kit/state_changes.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using services::StateChange;
using services::StateRecord;

namespace {

json::object Record(std::string kind, json::object body) {
  return json::object{{"kind", std::move(kind)}, {"body", std::move(body)}};
}

json::object PitrBody(const PitrChange& change) {
  json::object body{{"changed_millis", change.millis}, {"Key", MapToJson(change.key)}};
  if (change.before) body["Before"] = MapToJson(*change.before);
  return body;
}

// The records Save writes for one table (or a deleted table's streams).
json::array TableRecords(const TableImport& table, const std::string& name) {
  json::array records;
  if (table.definition) {
    records.push_back(Record("table", TableRecordJson(*table.definition)));
    for (const auto& item : table.items)
      records.push_back(Record("item", json::object{{"TableName", name}, {"Item", MapToJson(item)}}));
    for (const auto& change : table.history) {
      json::object body = PitrBody(change);
      body["TableName"] = name;
      records.push_back(Record("pitr_change", std::move(body)));
    }
  }
  for (const auto& stream : table.streams) {
    records.push_back(Record("stream", StreamJson(stream)));
    const std::string& shard_id = stream.description.shards.front().shard_id;
    for (const auto& record : stream.records)
      records.push_back(Record("stream_record", StreamRecordJson(record, stream.description.arn, shard_id)));
  }
  return records;
}

StateChange ToStateChange(const DdbChange& change) {
  StateChange out;
  out.scope = {change.scope.account, change.scope.region};
  switch (change.type) {
    case DdbChange::Type::kTable:
      out.record = {"table_state", json::object{{"TableName", change.table_name},
                                                {"records", TableRecords(change.table, change.table_name)}}};
      break;
    case DdbChange::Type::kTableRemoved:
      out.op = StateChange::Op::kRemove;
      out.record = {"table", json::object{{"TableName", change.table_name}}};
      break;
    case DdbChange::Type::kItem: {
      json::object body{{"TableName", change.table_name}, {"TableId", change.table_id}};
      if (change.item) {
        body["Item"] = MapToJson(*change.item);
      } else {
        out.op = StateChange::Op::kRemove;
        body["Key"] = MapToJson(change.key);
      }
      if (change.pitr) body["pitr"] = PitrBody(*change.pitr);
      if (change.stream_record)
        body["stream_record"] = StreamRecordJson(*change.stream_record, change.stream_arn, change.shard_id);
      out.record = {"item", std::move(body)};
      break;
    }
    case DdbChange::Type::kBackup: {
      json::array records{Record("backup", BackupJson(change.backup.description))};
      for (const auto& item : change.backup.items)
        records.push_back(Record("backup_item", json::object{{"BackupArn", change.backup.description.arn},
                                                             {"Item", MapToJson(item)}}));
      out.record = {"backup_state", json::object{{"BackupArn", change.backup.description.arn},
                                                 {"records", std::move(records)}}};
      break;
    }
    case DdbChange::Type::kBackupRemoved:
      out.op = StateChange::Op::kRemove;
      out.record = {"backup", json::object{{"BackupArn", change.backup_arn}}};
      break;
    case DdbChange::Type::kScopeCleared:
      out.op = StateChange::Op::kRemove;
      out.record = {"scope", json::object{}};
      break;
  }
  return out;
}

Result<std::string, std::string> TextAt(const json::object& body, std::string_view key, const std::string& what) {
  const auto* value = body.if_contains(key);
  if (value == nullptr || !value->is_string()) return Fail(what + ": " + std::string(key) + " is missing or not a string");
  return std::string(value->get_string());
}

Result<Item, std::string> ItemAt(const json::object& body, std::string_view key, const std::string& what) {
  const auto* value = body.if_contains(key);
  if (value == nullptr || !value->is_object()) return Fail(what + ": " + std::string(key) + " is missing or not an object");
  auto item = MapFromJson(value->get_object());
  if (!item.ok()) return Fail(what + ": " + std::string(key) + ": " + item.error());
  return std::move(item).value();
}

Result<DdbChange, std::string> ItemChangeFrom(const StateChange& change, const Scope& scope) {
  const auto& body = change.record.body;
  const std::string what = "journaled item";
  MALLARD_ASSIGN_OR_RETURN(auto table_name, TextAt(body, "TableName", what));
  auto out = DdbChange::Of(DdbChange::Type::kItem, scope, table_name);
  if (body.contains("TableId")) {
    MALLARD_ASSIGN_OR_RETURN(out.table_id, TextAt(body, "TableId", what));
  }
  if (change.op == StateChange::Op::kPut) {
    MALLARD_ASSIGN_OR_RETURN(auto item, ItemAt(body, "Item", what));
    out.key = item;  // the store takes the key attributes out of it
    out.item = std::move(item);
  } else {
    MALLARD_ASSIGN_OR_RETURN(out.key, ItemAt(body, "Key", what));
  }
  if (const auto* pitr = body.if_contains("pitr")) {
    if (!pitr->is_object()) return Fail(what + ": pitr is not an object");
    const auto& pitr_body = pitr->get_object();
    PitrChange entry;
    const auto* millis = pitr_body.if_contains("changed_millis");
    if (millis == nullptr || !millis->is_int64()) return Fail(what + ": pitr.changed_millis is missing or not an integer");
    entry.millis = millis->get_int64();
    MALLARD_ASSIGN_OR_RETURN(entry.key, ItemAt(pitr_body, "Key", what + " pitr"));
    if (pitr_body.contains("Before")) {
      MALLARD_ASSIGN_OR_RETURN(auto before, ItemAt(pitr_body, "Before", what + " pitr"));
      entry.before = std::move(before);
    }
    out.pitr = std::move(entry);
  }
  if (const auto* record = body.if_contains("stream_record")) {
    if (!record->is_object()) return Fail(what + ": stream_record is not an object");
    MALLARD_ASSIGN_OR_RETURN(out.stream_arn, TextAt(record->get_object(), "StreamArn", what + " stream_record"));
    MALLARD_ASSIGN_OR_RETURN(out.shard_id, TextAt(record->get_object(), "ShardId", what + " stream_record"));
    MALLARD_ASSIGN_OR_RETURN(auto parsed, StreamRecordFrom(record->get_object()));
    out.stream_record = std::move(parsed);
  }
  return out;
}

std::string StoreProblem(const StoreError& error) {
  return "the DynamoDB store failed" + (error.detail.empty() ? std::string() : ": " + error.detail);
}

}  // namespace

bool DynamoDbState::AttachChangeSink(std::shared_ptr<services::StateChangeSink> sink) {
  return store_->ReportChanges([sink](const std::vector<DdbChange>& changes) {
    std::vector<StateChange> out;
    out.reserve(changes.size());
    for (const auto& change : changes) out.push_back(ToStateChange(change));
    sink->Record(out);
  });
}

Status<std::string> DynamoDbState::Apply(const StateChange& change) {
  const Scope scope{change.scope.account, change.scope.region};
  const auto& kind = change.record.kind;
  const bool put = change.op == StateChange::Op::kPut;
  const auto& body = change.record.body;
  auto applied = [](const StoreResult<Done>& result) -> Status<std::string> {
    if (!result) return Fail(StoreProblem(result.error()));
    return Done{};
  };
  if (put && (kind == "table_state" || kind == "backup_state")) {
    // Loaded as a snapshot's records would be: the table (or backup) replaced whole.
    const auto* records = body.if_contains("records");
    if (records == nullptr || !records->is_array()) return Fail("journaled " + kind + ": records is missing or not an array");
    const auto& array = records->get_array();
    std::size_t next = 0;
    return Load(change.scope, RecordVersion(), [&]() -> Result<std::optional<StateRecord>, std::string> {
      if (next == array.size()) return std::optional<StateRecord>();
      const auto& element = array[next++];
      const auto* object = element.if_object();
      const auto* record_kind = object ? object->if_contains("kind") : nullptr;
      const auto* record_body = object ? object->if_contains("body") : nullptr;
      if (!record_kind || !record_kind->is_string() || !record_body || !record_body->is_object())
        return Fail("journaled " + kind + ": a record lacks kind or body");
      return std::optional<StateRecord>(StateRecord{std::string(record_kind->get_string()), record_body->get_object()});
    });
  }
  if (kind == "item") {
    MALLARD_ASSIGN_OR_RETURN(auto item_change, ItemChangeFrom(change, scope));
    return applied(store_->ApplyChange(item_change));
  }
  if (!put && kind == "table") {
    MALLARD_ASSIGN_OR_RETURN(auto table_name, TextAt(body, "TableName", "journaled table removal"));
    return applied(store_->ApplyChange(DdbChange::Of(DdbChange::Type::kTableRemoved, scope, table_name)));
  }
  if (!put && kind == "backup") {
    auto removal = DdbChange::Of(DdbChange::Type::kBackupRemoved, scope);
    MALLARD_ASSIGN_OR_RETURN(removal.backup_arn, TextAt(body, "BackupArn", "journaled backup removal"));
    return applied(store_->ApplyChange(removal));
  }
  if (!put && kind == "scope") return applied(store_->ApplyChange(DdbChange::Of(DdbChange::Type::kScopeCleared, scope)));
  return Fail("DynamoDB journals no " + std::string(put ? "put" : "remove") + " of '" + kind + "'");
}

}  // namespace mallard::dynamodb
