#include "services/sqs/sqs_state.hpp"

#include <boost/json.hpp>

#include <optional>

#include "common/encoding.hpp"
#include "services/kit/state_changes.hpp"

namespace mallard::sqs {
namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

namespace {

std::string StoreProblem(const StoreError& error) {
  return "the SQS store failed" + (error.detail.empty() ? std::string() : ": " + error.detail);
}

json::object AttributesJson(const MessageAttributes& attributes, const json::storage_ptr& storage = {}) {
  json::object out(storage);
  for (const auto& [name, value] : attributes) {
    json::object entry({{"DataType", value.data_type}}, storage);
    if (value.data_type.rfind("Binary", 0) == 0) {
      entry["BinaryValue"] = Base64Encode(value.binary_value);
    } else {
      entry["StringValue"] = value.string_value;
    }
    out[name] = std::move(entry);
  }
  return out;
}

json::object StringMap(const std::map<std::string, std::string>& map) {
  json::object out;
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

json::object MoveTaskJson(const MoveTask& task) {
  return json::object{{"TaskHandle", task.task_handle},     {"SourceArn", task.source_arn},
                      {"DestinationArn", task.destination_arn}, {"MaxNumberOfMessagesPerSecond", task.max_per_second},
                      {"Status", task.status},              {"started_millis", task.started_millis},
                      {"ApproximateNumberOfMessagesMoved", task.moved},
                      {"ApproximateNumberOfMessagesToMove", task.to_move},
                      {"FailureReason", task.failure_reason}, {"runner", task.runner},
                      {"heartbeat_millis", task.heartbeat_millis}};
}

StateRecord QueueRecordJson(const QueueDump& dump) {
  json::array deduplication;
  for (const auto& entry : dump.deduplication) {
    deduplication.push_back(json::object{{"key", entry.deduplication_id},
                                         {"MessageId", entry.result.message_id},
                                         {"SequenceNumber", entry.result.sequence_number},
                                         {"expires_millis", entry.expires_millis}});
  }
  json::array tasks;
  for (const auto& task : dump.move_tasks) tasks.push_back(MoveTaskJson(task));
  const auto& record = dump.record;
  return {"queue", json::object{{"QueueName", record.key.name},
                                {"fifo", record.fifo},
                                {"Attributes", StringMap(record.attributes)},
                                {"Tags", StringMap(record.tags)},
                                {"created_seconds", record.created_seconds},
                                {"last_modified_seconds", record.last_modified_seconds},
                                {"last_purge_millis", record.last_purge_millis},
                                {"next_send_order", dump.next_send_order},
                                {"deduplication", std::move(deduplication)},
                                {"move_tasks", std::move(tasks)}}};
}

// `storage`: where the record's JSON lives (the journal builds it in a scratch buffer).
StateRecord MessageJson(const std::string& queue, const QueueDump::Message& entry, const json::storage_ptr& storage = {}) {
  const auto& message = entry.message;
  const auto& content = message.content;
  return {"message", json::object({{"QueueName", queue},
                                  {"send_order", entry.send_order},
                                  {"MessageId", message.message_id},
                                  {"Body", content.body},
                                  {"MessageAttributes", AttributesJson(content.attributes, storage)},
                                  {"MessageSystemAttributes", AttributesJson(content.system_attributes, storage)},
                                  {"MD5OfBody", content.md5_of_body},
                                  {"MD5OfMessageAttributes", content.md5_of_attributes},
                                  {"MD5OfMessageSystemAttributes", content.md5_of_system_attributes},
                                  {"SenderId", content.sender_id},
                                  {"DelaySeconds", content.delay_seconds},
                                  {"MessageGroupId", content.group_id},
                                  {"MessageDeduplicationId", content.deduplication_id},
                                  {"DeadLetterQueueSourceArn", content.dead_letter_source_arn},
                                  {"sent_millis", message.sent_millis},
                                  {"retention_start_millis", message.retention_start_millis},
                                  {"visible_at_millis", message.visible_at_millis},
                                  {"first_receive_millis", message.first_receive_millis},
                                  {"last_receive_millis", message.last_receive_millis},
                                  {"ApproximateReceiveCount", message.receive_count},
                                  {"SequenceNumber", message.sequence_number},
                                  {"receipt_token", message.receipt_token}},
                                 storage)};
}

// Reading a record's members: a missing or mistyped member is an error naming it.
class Reader {
 public:
  Reader(const json::object& body, std::string what) : body_(body), what_(std::move(what)) {}
  Result<std::string, std::string> Text(std::string_view key) const {
    const auto* value = body_.if_contains(key);
    if (value == nullptr || !value->is_string()) return Missing(key, "a string");
    return std::string(value->as_string());
  }
  Result<std::int64_t, std::string> Integer(std::string_view key) const {
    const auto* value = body_.if_contains(key);
    if (value != nullptr && value->is_int64()) return value->as_int64();
    if (value != nullptr && value->is_uint64() && value->as_uint64() <= INT64_MAX) return static_cast<std::int64_t>(value->as_uint64());
    return Missing(key, "an integer");
  }
  Result<std::uint64_t, std::string> Unsigned(std::string_view key) const {
    const auto* value = body_.if_contains(key);
    if (value != nullptr && value->is_uint64()) return value->as_uint64();
    if (value != nullptr && value->is_int64() && value->as_int64() >= 0) return static_cast<std::uint64_t>(value->as_int64());
    return Missing(key, "a non-negative integer");
  }
  Result<bool, std::string> Boolean(std::string_view key) const {
    const auto* value = body_.if_contains(key);
    if (value == nullptr || !value->is_bool()) return Missing(key, "true or false");
    return value->as_bool();
  }
  Result<const json::object*, std::string> Object(std::string_view key) const {
    const auto* value = body_.if_contains(key);
    if (value == nullptr || !value->is_object()) return Missing(key, "an object");
    return &value->as_object();
  }
  Result<const json::array*, std::string> Array(std::string_view key) const {
    const auto* value = body_.if_contains(key);
    if (value == nullptr || !value->is_array()) return Missing(key, "an array");
    return &value->as_array();
  }

 private:
  Unexpected<std::string> Missing(std::string_view key, std::string_view want) const {
    return Fail(what_ + ": \"" + std::string(key) + "\" must be " + std::string(want));
  }
  const json::object& body_;
  std::string what_;
};

Result<std::map<std::string, std::string>, std::string> StringMapFrom(const json::object& object, const std::string& what) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : object) {
    if (!value.is_string()) return Fail(what + ": \"" + std::string(key) + "\" must be a string");
    out[std::string(key)] = std::string(value.as_string());
  }
  return out;
}

Result<MessageAttributes, std::string> AttributesFrom(const json::object& object, const std::string& what) {
  MessageAttributes out;
  for (const auto& [name, value] : object) {
    if (!value.is_object()) return Fail(what + ": attribute \"" + std::string(name) + "\" must be an object");
    Reader entry(value.as_object(), what + " attribute " + std::string(name));
    MessageAttributeValue attribute;
    MALLARD_ASSIGN_OR_RETURN(attribute.data_type, entry.Text("DataType"));
    if (attribute.data_type.rfind("Binary", 0) == 0) {
      MALLARD_ASSIGN_OR_RETURN(auto encoded, entry.Text("BinaryValue"));
      auto decoded = Base64Decode(encoded);
      if (!decoded) return Fail(what + ": attribute \"" + std::string(name) + "\" BinaryValue is not base64");
      attribute.binary_value = std::move(*decoded);
    } else {
      MALLARD_ASSIGN_OR_RETURN(attribute.string_value, entry.Text("StringValue"));
    }
    out[std::string(name)] = std::move(attribute);
  }
  return out;
}

Result<QueueDump, std::string> QueueFrom(const StateScope& scope, const json::object& body) {
  Reader reader(body, "queue record");
  QueueDump dump;
  MALLARD_ASSIGN_OR_RETURN(auto name, reader.Text("QueueName"));
  Reader named(body, "queue " + name);
  dump.record.key = QueueKey{scope.account, scope.region, name};
  MALLARD_ASSIGN_OR_RETURN(dump.record.fifo, named.Boolean("fifo"));
  MALLARD_ASSIGN_OR_RETURN(const auto* attributes, named.Object("Attributes"));
  MALLARD_ASSIGN_OR_RETURN(dump.record.attributes, StringMapFrom(*attributes, "queue " + name + " Attributes"));
  MALLARD_ASSIGN_OR_RETURN(const auto* tags, named.Object("Tags"));
  MALLARD_ASSIGN_OR_RETURN(dump.record.tags, StringMapFrom(*tags, "queue " + name + " Tags"));
  MALLARD_ASSIGN_OR_RETURN(dump.record.created_seconds, named.Integer("created_seconds"));
  MALLARD_ASSIGN_OR_RETURN(dump.record.last_modified_seconds, named.Integer("last_modified_seconds"));
  MALLARD_ASSIGN_OR_RETURN(dump.record.last_purge_millis, named.Integer("last_purge_millis"));
  MALLARD_ASSIGN_OR_RETURN(dump.next_send_order, named.Unsigned("next_send_order"));
  MALLARD_ASSIGN_OR_RETURN(const auto* deduplication, named.Array("deduplication"));
  for (const auto& value : *deduplication) {
    if (!value.is_object()) return Fail("queue " + name + ": a deduplication entry must be an object");
    Reader entry(value.as_object(), "queue " + name + " deduplication entry");
    QueueDump::Deduplication item;
    MALLARD_ASSIGN_OR_RETURN(item.deduplication_id, entry.Text("key"));
    MALLARD_ASSIGN_OR_RETURN(item.result.message_id, entry.Text("MessageId"));
    MALLARD_ASSIGN_OR_RETURN(item.result.sequence_number, entry.Text("SequenceNumber"));
    MALLARD_ASSIGN_OR_RETURN(item.expires_millis, entry.Integer("expires_millis"));
    dump.deduplication.push_back(std::move(item));
  }
  MALLARD_ASSIGN_OR_RETURN(const auto* tasks, named.Array("move_tasks"));
  for (const auto& value : *tasks) {
    if (!value.is_object()) return Fail("queue " + name + ": a move task must be an object");
    Reader entry(value.as_object(), "queue " + name + " move task");
    MoveTask task;
    MALLARD_ASSIGN_OR_RETURN(task.task_handle, entry.Text("TaskHandle"));
    MALLARD_ASSIGN_OR_RETURN(task.source_arn, entry.Text("SourceArn"));
    MALLARD_ASSIGN_OR_RETURN(task.destination_arn, entry.Text("DestinationArn"));
    MALLARD_ASSIGN_OR_RETURN(task.max_per_second, entry.Integer("MaxNumberOfMessagesPerSecond"));
    MALLARD_ASSIGN_OR_RETURN(task.status, entry.Text("Status"));
    MALLARD_ASSIGN_OR_RETURN(task.started_millis, entry.Integer("started_millis"));
    MALLARD_ASSIGN_OR_RETURN(task.moved, entry.Integer("ApproximateNumberOfMessagesMoved"));
    MALLARD_ASSIGN_OR_RETURN(task.to_move, entry.Integer("ApproximateNumberOfMessagesToMove"));
    MALLARD_ASSIGN_OR_RETURN(task.failure_reason, entry.Text("FailureReason"));
    MALLARD_ASSIGN_OR_RETURN(task.runner, entry.Text("runner"));
    MALLARD_ASSIGN_OR_RETURN(task.heartbeat_millis, entry.Integer("heartbeat_millis"));
    dump.move_tasks.push_back(std::move(task));
  }
  return dump;
}

Result<QueueDump::Message, std::string> MessageFrom(const json::object& body, const std::string& queue) {
  Reader reader(body, "a message of queue " + queue);
  QueueDump::Message entry;
  auto& message = entry.message;
  auto& content = message.content;
  MALLARD_ASSIGN_OR_RETURN(entry.send_order, reader.Unsigned("send_order"));
  MALLARD_ASSIGN_OR_RETURN(message.message_id, reader.Text("MessageId"));
  Reader named(body, "message " + message.message_id + " of queue " + queue);
  MALLARD_ASSIGN_OR_RETURN(content.body, named.Text("Body"));
  MALLARD_ASSIGN_OR_RETURN(const auto* attributes, named.Object("MessageAttributes"));
  MALLARD_ASSIGN_OR_RETURN(content.attributes, AttributesFrom(*attributes, "message " + message.message_id));
  MALLARD_ASSIGN_OR_RETURN(const auto* system, named.Object("MessageSystemAttributes"));
  MALLARD_ASSIGN_OR_RETURN(content.system_attributes, AttributesFrom(*system, "message " + message.message_id));
  MALLARD_ASSIGN_OR_RETURN(content.md5_of_body, named.Text("MD5OfBody"));
  MALLARD_ASSIGN_OR_RETURN(content.md5_of_attributes, named.Text("MD5OfMessageAttributes"));
  MALLARD_ASSIGN_OR_RETURN(content.md5_of_system_attributes, named.Text("MD5OfMessageSystemAttributes"));
  MALLARD_ASSIGN_OR_RETURN(content.sender_id, named.Text("SenderId"));
  MALLARD_ASSIGN_OR_RETURN(content.delay_seconds, named.Integer("DelaySeconds"));
  MALLARD_ASSIGN_OR_RETURN(content.group_id, named.Text("MessageGroupId"));
  MALLARD_ASSIGN_OR_RETURN(content.deduplication_id, named.Text("MessageDeduplicationId"));
  MALLARD_ASSIGN_OR_RETURN(content.dead_letter_source_arn, named.Text("DeadLetterQueueSourceArn"));
  MALLARD_ASSIGN_OR_RETURN(message.sent_millis, named.Integer("sent_millis"));
  MALLARD_ASSIGN_OR_RETURN(message.retention_start_millis, named.Integer("retention_start_millis"));
  MALLARD_ASSIGN_OR_RETURN(message.visible_at_millis, named.Integer("visible_at_millis"));
  MALLARD_ASSIGN_OR_RETURN(message.first_receive_millis, named.Integer("first_receive_millis"));
  MALLARD_ASSIGN_OR_RETURN(message.last_receive_millis, named.Integer("last_receive_millis"));
  MALLARD_ASSIGN_OR_RETURN(message.receive_count, named.Integer("ApproximateReceiveCount"));
  MALLARD_ASSIGN_OR_RETURN(message.sequence_number, named.Text("SequenceNumber"));
  MALLARD_ASSIGN_OR_RETURN(message.receipt_token, named.Text("receipt_token"));
  return entry;
}

}  // namespace

Result<std::vector<StateScope>, std::string> SqsState::Scopes() {
  auto scopes = store_->ListScopes();
  if (!scopes) return Fail(StoreProblem(scopes.error()));
  std::vector<StateScope> out;
  for (auto& [account, region] : *scopes) out.push_back({account, region});
  return out;
}

Status<std::string> SqsState::Save(const StateScope& scope, const services::StateRecordSink& sink) {
  auto dump = store_->ExportScope(scope.account, scope.region);
  if (!dump) return Fail(StoreProblem(dump.error()));
  // Records are built after the store's locks are released: the export is a copy.
  for (const auto& queue : dump->queues) {
    MALLARD_RETURN_IF_ERROR(sink(QueueRecordJson(queue)));
    for (const auto& message : queue.messages) MALLARD_RETURN_IF_ERROR(sink(MessageJson(queue.record.key.name, message)));
  }
  for (const auto& [name, when] : dump->recently_deleted) {
    MALLARD_RETURN_IF_ERROR(sink(StateRecord{"recently_deleted", json::object{{"QueueName", name}, {"deleted_millis", when}}}));
  }
  return Done{};
}

Status<std::string> SqsState::Load(const StateScope& scope, int record_version,
                                   const services::StateRecordSource& records) {
  if (record_version > RecordVersion())
    return Fail("SQS records of version " + std::to_string(record_version) + " are newer than this Mallard reads (" +
                std::to_string(RecordVersion()) + ")");
  std::optional<QueueDump> current;
  std::vector<std::pair<std::string, std::int64_t>> recently_deleted;
  auto flush = [&]() -> Status<std::string> {
    if (!current) return Done{};
    auto imported = store_->ImportQueue(*current);
    current.reset();
    if (!imported) return Fail(StoreProblem(imported.error()));
    return Done{};
  };
  for (;;) {
    MALLARD_ASSIGN_OR_RETURN(auto next, records());
    if (!next) break;
    auto& record = *next;
    if (record.kind == "queue") {
      MALLARD_RETURN_IF_ERROR(flush());
      MALLARD_ASSIGN_OR_RETURN(auto dump, QueueFrom(scope, record.body));
      current = std::move(dump);
    } else if (record.kind == "message") {
      Reader reader(record.body, "message record");
      MALLARD_ASSIGN_OR_RETURN(auto queue, reader.Text("QueueName"));
      if (!current || current->record.key.name != queue)
        return Fail("a message of queue " + queue + " does not follow that queue's record");
      MALLARD_ASSIGN_OR_RETURN(auto message, MessageFrom(record.body, queue));
      current->messages.push_back(std::move(message));
    } else if (record.kind == "recently_deleted") {
      Reader reader(record.body, "recently_deleted record");
      MALLARD_ASSIGN_OR_RETURN(auto name, reader.Text("QueueName"));
      MALLARD_ASSIGN_OR_RETURN(auto when, reader.Integer("deleted_millis"));
      recently_deleted.emplace_back(std::move(name), when);
    } else {
      return Fail("SQS has no record kind '" + record.kind + "'");
    }
  }
  MALLARD_RETURN_IF_ERROR(flush());
  if (!recently_deleted.empty()) {
    auto marked = store_->ImportRecentlyDeleted(scope.account, scope.region, recently_deleted);
    if (!marked) return Fail(StoreProblem(marked.error()));
  }
  return Done{};
}

// ---- Journaling: each SqsChange as a StateChange in the snapshot's record forms, and back.
//   put "queue"           the queue record (its messages untouched; move tasks come separately)
//   remove "queue"        {QueueName, deleted_millis}: the queue and its messages gone
//   put/remove "message"  the message whole / {QueueName, send_order}
//   put "deduplication"   {QueueName, key, MessageId, SequenceNumber, expires_millis}
//   put "move_tasks"      {QueueName, move_tasks}

bool SqsState::AttachChangeSink(std::shared_ptr<services::StateChangeSink> sink) {
  return store_->ReportChanges([sink](const std::vector<SqsChange>& changes) {
    // The records live only until the sink has encoded them: their JSON is built in a scratch
    // buffer of this thread's (released at the end of the call) instead of a dozen heap blocks,
    // one of them over a kilobyte, for every message sent or received.
    // A report made while this thread's buffer is in use (a sink that changed the store, which
    // reported in turn) takes the heap: a second resource on the buffer would overwrite the first.
    constexpr std::size_t kScratchBytes = 16 * 1024;
    thread_local std::unique_ptr<unsigned char[]> scratch_buffer(new unsigned char[kScratchBytes]);
    thread_local bool scratch_in_use = false;
    std::optional<json::monotonic_resource> scratch;
    json::storage_ptr storage;
    if (!scratch_in_use) {
      storage = json::storage_ptr(&scratch.emplace(scratch_buffer.get(), kScratchBytes));
      scratch_in_use = true;
    }
    struct Release {
      bool owner;
      ~Release() {
        if (owner) scratch_in_use = false;
      }
    } release{scratch.has_value()};
    std::vector<services::StateChange> out;
    out.reserve(changes.size());
    for (const auto& change : changes) {
      services::StateChange state_change;
      state_change.scope = {change.key.account_id, change.key.region};
      const std::string& queue = change.key.name;
      switch (change.type) {
        case SqsChange::Type::kQueue:
          state_change.record = QueueRecordJson(change.queue);
          break;
        case SqsChange::Type::kQueueRemoved:
          state_change.op = services::StateChange::Op::kRemove;
          state_change.record = {"queue", json::object{{"QueueName", queue}, {"deleted_millis", change.when_millis}}};
          break;
        case SqsChange::Type::kMessage:
          // Constructed in place: assigning would copy the body out of the scratch storage.
          out.push_back({services::StateChange::Op::kPut, std::move(state_change.scope),
                         MessageJson(queue, change.message, storage)});
          continue;
        case SqsChange::Type::kMessageRemoved:
          state_change.op = services::StateChange::Op::kRemove;
          state_change.record = {"message", json::object{{"QueueName", queue}, {"send_order", change.send_order}}};
          break;
        case SqsChange::Type::kDeduplication:
          state_change.record = {"deduplication", json::object{{"QueueName", queue},
                                                               {"key", change.deduplication.deduplication_id},
                                                               {"MessageId", change.deduplication.result.message_id},
                                                               {"SequenceNumber", change.deduplication.result.sequence_number},
                                                               {"expires_millis", change.deduplication.expires_millis}}};
          break;
        case SqsChange::Type::kMoveTasks: {
          json::array tasks;
          for (const auto& task : change.queue.move_tasks) tasks.push_back(MoveTaskJson(task));
          state_change.record = {"move_tasks", json::object{{"QueueName", queue}, {"move_tasks", std::move(tasks)}}};
          break;
        }
      }
      out.push_back(std::move(state_change));
    }
    sink->Record(out);
  });
}

Status<std::string> SqsState::Apply(const services::StateChange& change) {
  const auto& body = change.record.body;
  Reader reader(body, "journaled " + change.record.kind);
  MALLARD_ASSIGN_OR_RETURN(auto queue, reader.Text("QueueName"));
  SqsChange out;
  out.key = QueueKey{change.scope.account, change.scope.region, queue};
  bool put = change.op == services::StateChange::Op::kPut;
  if (change.record.kind == "queue" && put) {
    out.type = SqsChange::Type::kQueue;
    MALLARD_ASSIGN_OR_RETURN(out.queue, QueueFrom(change.scope, body));
  } else if (change.record.kind == "queue") {
    out.type = SqsChange::Type::kQueueRemoved;
    MALLARD_ASSIGN_OR_RETURN(out.when_millis, reader.Integer("deleted_millis"));
  } else if (change.record.kind == "message" && put) {
    out.type = SqsChange::Type::kMessage;
    MALLARD_ASSIGN_OR_RETURN(out.message, MessageFrom(body, queue));
    out.send_order = out.message.send_order;
  } else if (change.record.kind == "message") {
    out.type = SqsChange::Type::kMessageRemoved;
    MALLARD_ASSIGN_OR_RETURN(out.send_order, reader.Unsigned("send_order"));
  } else if (change.record.kind == "deduplication" && put) {
    out.type = SqsChange::Type::kDeduplication;
    MALLARD_ASSIGN_OR_RETURN(out.deduplication.deduplication_id, reader.Text("key"));
    MALLARD_ASSIGN_OR_RETURN(out.deduplication.result.message_id, reader.Text("MessageId"));
    MALLARD_ASSIGN_OR_RETURN(out.deduplication.result.sequence_number, reader.Text("SequenceNumber"));
    MALLARD_ASSIGN_OR_RETURN(out.deduplication.expires_millis, reader.Integer("expires_millis"));
  } else if (change.record.kind == "move_tasks" && put) {
    out.type = SqsChange::Type::kMoveTasks;
    json::object holder{{"QueueName", queue}, {"fifo", false}, {"Attributes", json::object{}}, {"Tags", json::object{}},
                        {"created_seconds", 0}, {"last_modified_seconds", 0}, {"last_purge_millis", 0},
                        {"next_send_order", 1}, {"deduplication", json::array{}}};
    const auto* tasks = body.if_contains("move_tasks");
    if (tasks == nullptr) return Fail(std::string("journaled move_tasks: \"move_tasks\" is missing"));
    holder["move_tasks"] = *tasks;
    MALLARD_ASSIGN_OR_RETURN(auto parsed, QueueFrom(change.scope, holder));
    out.queue.move_tasks = std::move(parsed.move_tasks);
  } else {
    return Fail("SQS journals no " + std::string(put ? "put" : "remove") + " of '" + change.record.kind + "'");
  }
  auto applied = store_->ApplyChange(out);
  if (!applied) return Fail(StoreProblem(applied.error()));
  return Done{};
}

Status<std::string> SqsState::Clear(const StateScope& scope) {
  auto cleared = store_->ClearScope(scope.account, scope.region);
  if (!cleared) return Fail(StoreProblem(cleared.error()));
  return Done{};
}

}  // namespace mallard::sqs
