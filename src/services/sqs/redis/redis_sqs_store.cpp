#include "services/sqs/redis/redis_sqs_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "services/sqs/redis/redis_sqs_codec.hpp"
#include "common/encoding.hpp"
#include "services/sqs/redis/redis_sqs_scripts.hpp"
#include "common/ids.hpp"

namespace mallard::sqs {
namespace scripts = redis_scripts;
using redis::RedisReply;

namespace {

constexpr std::int64_t kDeduplicationWindowMillis = 5 * 60 * 1000;
constexpr std::int64_t kRecreateDelayMillis = 60 * 1000;
constexpr std::int64_t kPurgeIntervalMillis = 60 * 1000;
// The "deleted recently" marker only has to outlive the recreate delay.
constexpr std::int64_t kDeletedMarkerMillis = 2 * kRecreateDelayMillis;
// Long polls wait this long at most for Redis to confirm a new subscription.
constexpr auto kSubscribeConfirmation = std::chrono::milliseconds(1000);
// Record updates retried this often against concurrent writers before giving up with Conflict.
constexpr int kUpdateAttempts = 16;

// The status code a script returned: the reply itself, or the first element of an array.
long long StatusOf(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::Array) return reply.elements.empty() ? -1 : reply.elements[0].AsInteger(-1);
  return reply.AsInteger(-1);
}

Unexpected<StoreError> StatusError(long long status, const std::string& detail) {
  switch (status) {
    case scripts::kNotFound: return StoreFail(StoreErrc::NotFound);
    case scripts::kDeletedRecently: return StoreFail(StoreErrc::DeletedRecently, detail);
    case scripts::kPurgeInProgress: return StoreFail(StoreErrc::PurgeInProgress, detail);
    case scripts::kInvalidReceipt: return StoreFail(StoreErrc::InvalidReceipt, detail);
    case scripts::kNotInFlight: return StoreFail(StoreErrc::NotInFlight);
    case scripts::kStaleReceipt: return StoreFail(StoreErrc::StaleReceipt, detail);
    case scripts::kVisibilityLimit: return StoreFail(StoreErrc::VisibilityLimit, detail);
    case scripts::kUnroutable:
      return StoreFail(StoreErrc::NotFound, "The message's original source queue no longer exists.");
    default: return StoreFail(StoreErrc::Unavailable, "unexpected reply from Redis (status " + std::to_string(status) + ")");
  }
}

Unexpected<StoreError> Corrupt(const std::string& what) {
  spdlog::error("sqs redis store: undecodable {} in Redis", what);
  return StoreFail(StoreErrc::Unavailable, "undecodable " + what + " in Redis");
}

StoreResult<QueueRecord> RecordFrom(const RedisReply& blob, const RedisReply& purged) {
  auto record = redis_codec::DecodeRecord(blob.AsText());
  if (!record) return Corrupt("queue record");
  record->last_purge_millis = purged.AsInteger(0);
  return *record;
}

// A message as the receive script returns it: seq, id, c, g, sent, vis, first, last, cnt, sn, tok, dlq.
StoreResult<ReceivedMessage> ReceivedFrom(const RedisReply& fields) {
  if (fields.type != RedisReply::Type::Array || fields.elements.size() != 12) return Corrupt("message");
  const auto& f = fields.elements;
  auto content = redis_codec::DecodeContent(f[2].AsText());
  if (!content) return Corrupt("message");
  ReceivedMessage received;
  StoredMessage& message = received.message;
  message.message_id = f[1].AsText();
  message.content = std::move(*content);
  message.content.dead_letter_source_arn = f[11].AsText();
  message.sent_millis = f[4].AsInteger();
  message.visible_at_millis = f[5].AsInteger();
  message.first_receive_millis = f[6].AsInteger();
  message.last_receive_millis = f[7].AsInteger();
  message.receive_count = f[8].AsInteger();
  message.sequence_number = f[9].AsText();
  message.receipt_token = f[10].AsText();
  received.receipt_handle = redis_codec::EncodeReceipt(
      {static_cast<std::uint64_t>(f[0].AsInteger()), message.receipt_token, message.message_id});
  return received;
}

std::string DeduplicationScopeOf(const QueueRecord& record) {
  auto scope = record.attributes.find("DeduplicationScope");
  return scope != record.attributes.end() && scope->second == "messageGroup" ? "messageGroup" : "queue";
}


class WatchSubscription final : public SqsStore::Subscription {
 public:
  explicit WatchSubscription(std::unique_ptr<redis::RedisSubscriber::Handle> handle) : handle_(std::move(handle)) {}

 private:
  std::unique_ptr<redis::RedisSubscriber::Handle> handle_;
};

}  // namespace

RedisSqsStore::RedisSqsStore(redis::RedisEndpoint endpoint)
    : endpoint_(endpoint),
      prefix_(endpoint.key_prefix + "sqs:"),
      pool_(endpoint),
      subscriber_(endpoint, endpoint.key_prefix + "sqs:reset") {}

RedisSqsStore::~RedisSqsStore() = default;

std::string RedisSqsStore::QueueKeyPrefix(const std::string& account_id, const std::string& region) const {
  return prefix_ + "q:" + UrlEncode(account_id) + ":" + UrlEncode(region) + ":";
}

std::string RedisSqsStore::MetaKey(const QueueKey& key) const {
  return QueueKeyPrefix(key.account_id, key.region) + UrlEncode(key.name);
}

std::string RedisSqsStore::DeletedMarkerKey(const QueueKey& key) const {
  return prefix_ + "deleted:" + UrlEncode(key.account_id) + ":" +
         UrlEncode(key.region) + ":" + UrlEncode(key.name);
}

std::string RedisSqsStore::DirectoryKey(const std::string& account_id, const std::string& region) const {
  return prefix_ + "dir:" + UrlEncode(account_id) + ":" + UrlEncode(region);
}

StoreResult<RedisReply> RedisSqsStore::Command(const std::vector<std::string>& args) {
  auto reply = pool_.Run(args);
  if (!reply) return StoreFail(StoreErrc::Unavailable, reply.error().message);
  if (reply->IsError()) {
    spdlog::error("sqs redis store: {} refused: {}", args.front(), reply->text);
    return StoreFail(StoreErrc::Unavailable, "Redis refused the operation: " + reply->text);
  }
  return std::move(reply).value();
}

StoreResult<RedisReply> RedisSqsStore::Script(const redis::RedisScript& script, const std::vector<std::string>& keys,
                                                  const std::vector<std::string>& args) {
  auto reply = pool_.Eval(script, keys, args);
  if (!reply) return StoreFail(StoreErrc::Unavailable, reply.error().message);
  if (reply->IsError()) {
    // LOADING (Redis replaying its AOF after a restart), BUSY, OOM, READONLY: all temporary here.
    spdlog::error("sqs redis store: script refused: {}", reply->text);
    return StoreFail(StoreErrc::Unavailable, "Redis refused the operation: " + reply->text);
  }
  return std::move(reply).value();
}

StoreResult<Done> RedisSqsStore::Ping() {
  auto reply = Command({"PING"});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  return Done{};
}

StoreResult<CreateOutcome> RedisSqsStore::CreateQueue(const QueueRecord& record, std::int64_t now_millis) {
  const auto& key = record.key;
  auto reply = Script(scripts::CreateQueue(),
                      {MetaKey(key), DirectoryKey(key.account_id, key.region), DeletedMarkerKey(key),
                       prefix_ + "incarnation"},
                      {redis_codec::EncodeRecord(record), record.fifo ? "1" : "0", DeduplicationScopeOf(record),
                       std::to_string(now_millis), UrlEncode(key.name),
                       std::to_string(kRecreateDelayMillis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  auto status = StatusOf(*reply);
  if (status == scripts::kOk) return CreateOutcome{true, record};
  if (status == scripts::kExists && reply->elements.size() == 3) {
    auto existing = RecordFrom(reply->elements[1], reply->elements[2]);
    if (!existing) return Unexpected<StoreError>{std::move(existing).error()};
    return CreateOutcome{false, std::move(existing).value()};
  }
  return StatusError(status, key.name);
}

StoreResult<QueueRecord> RedisSqsStore::GetQueue(const QueueKey& key) {
  auto reply = Command({"HMGET", MetaKey(key), "record", "purged"});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (reply->elements.size() != 2 || reply->elements[0].IsNil()) return StoreFail(StoreErrc::NotFound);
  return RecordFrom(reply->elements[0], reply->elements[1]);
}

StoreResult<Done> RedisSqsStore::DeleteQueue(const QueueKey& key, std::int64_t now_millis) {
  auto meta = MetaKey(key);
  auto reply = Script(scripts::DeleteQueue(),
                      {meta, DirectoryKey(key.account_id, key.region), DeletedMarkerKey(key), meta + ":tasks"},
                      {std::to_string(now_millis), UrlEncode(key.name),
                       std::to_string(kDeletedMarkerMillis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.name);
  return Done{};
}

StoreResult<std::vector<QueueRecord>> RedisSqsStore::ListQueues(const std::string& account_id,
                                                                    const std::string& region,
                                                                    const std::string& prefix) {
  auto escaped = UrlEncode(prefix);
  std::string min = prefix.empty() ? "-" : "[" + escaped;
  std::string max = prefix.empty() ? "+" : "(" + escaped + "\xff";
  auto reply = Script(scripts::ListQueues(), {DirectoryKey(account_id, region)},
                      {min, max, QueueKeyPrefix(account_id, region)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  std::vector<QueueRecord> records;
  for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    auto record = RecordFrom(reply->elements[i], reply->elements[i + 1]);
    if (!record) return Unexpected<StoreError>{std::move(record).error()};
    records.push_back(std::move(record).value());
  }
  return records;
}

StoreResult<Result<QueueRecord>> RedisSqsStore::UpdateQueue(const QueueKey& key, const QueueMutation& mutate) {
  auto meta = MetaKey(key);
  for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
    auto current = Command({"HMGET", meta, "record", "purged", "ver"});
    if (!current) return Unexpected<StoreError>{std::move(current).error()};
    if (current->elements.size() != 3 || current->elements[0].IsNil()) return StoreFail(StoreErrc::NotFound);
    auto record = RecordFrom(current->elements[0], current->elements[1]);
    if (!record) return Unexpected<StoreError>{std::move(record).error()};
    auto status = mutate(*record);
    if (!status) return Result<QueueRecord>(Fail(std::move(status).error()));
    auto stored = Script(scripts::UpdateQueue(), {meta},
                         {current->elements[2].AsText(), redis_codec::EncodeRecord(*record), DeduplicationScopeOf(*record)});
    if (!stored) return Unexpected<StoreError>{std::move(stored).error()};
    auto outcome = stored->AsInteger(-2);
    if (outcome == -1) return StoreFail(StoreErrc::NotFound);
    if (outcome == 1) return Result<QueueRecord>(std::move(record).value());
    // 0: another writer changed the record since it was read; read it again and re-apply.
  }
  return StoreFail(StoreErrc::Conflict);
}

StoreResult<std::vector<SendResult>> RedisSqsStore::SendMessages(const QueueKey& key, std::vector<NewMessage> messages,
                                                                     std::int64_t now_millis) {
  std::vector<std::string> args = {std::to_string(now_millis), std::to_string(kDeduplicationWindowMillis)};
  args.reserve(2 + messages.size() * 5);
  for (const auto& message : messages) {
    args.push_back(NewUuid());
    args.push_back(redis_codec::EncodeContent(message));
    args.push_back(message.group_id);
    args.push_back(message.deduplication_id);
    args.push_back(std::to_string(message.delay_seconds * 1000));
  }
  auto reply = Script(scripts::SendMessages(), {MetaKey(key)}, args);
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.name);
  if (reply->elements.size() != 1 + 2 * messages.size()) return Corrupt("send reply");
  std::vector<SendResult> results;
  results.reserve(messages.size());
  for (std::size_t i = 1; i + 1 < reply->elements.size(); i += 2) {
    results.push_back(SendResult{reply->elements[i].AsText(), reply->elements[i + 1].AsText()});
  }
  return results;
}

StoreResult<ReceiveOutcome> RedisSqsStore::ReceiveMessages(const QueueKey& key, const ReceiveOptions& options,
                                                               std::int64_t now_millis) {
  auto meta = MetaKey(key);
  bool redrive = options.dead_letter_queue && options.max_receive_count > 0;
  std::vector<std::string> args = {std::to_string(now_millis),
                                   std::to_string(options.visibility_timeout_seconds * 1000),
                                   std::to_string(options.max_messages),
                                   std::to_string(options.retention_seconds * 1000),
                                   options.request_attempt_id,
                                   std::to_string(kDeduplicationWindowMillis),
                                   std::to_string(redrive ? options.max_receive_count : 0),
                                   key.Arn()};
  for (int i = 0; i < options.max_messages; ++i) args.push_back(RandomAlnum(16));
  auto reply = Script(scripts::ReceiveMessages(), {meta, redrive ? MetaKey(*options.dead_letter_queue) : meta}, args);
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.name);
  if (reply->elements.size() < 2) return Corrupt("receive reply");
  ReceiveOutcome outcome;
  for (std::size_t i = 2; i < reply->elements.size(); ++i) {
    auto received = ReceivedFrom(reply->elements[i]);
    if (!received) return Unexpected<StoreError>{std::move(received).error()};
    outcome.messages.push_back(std::move(received).value());
  }
  if (auto next = reply->elements[1].AsInteger(-1); outcome.messages.empty() && next >= 0) outcome.next_visible_millis = next;
  return outcome;
}

StoreResult<Done> RedisSqsStore::DeleteMessage(const QueueKey& key, const std::string& receipt_handle,
                                                   std::int64_t now_millis) {
  auto receipt = redis_codec::DecodeReceipt(receipt_handle);
  if (!receipt) {
    // Still answer NotFound first for a missing queue, as the in-memory store does.
    auto queue = GetQueue(key);
    if (!queue) return Unexpected<StoreError>{std::move(queue).error()};
    return StoreFail(StoreErrc::InvalidReceipt, receipt_handle);
  }
  auto reply = Script(scripts::DeleteMessage(), {MetaKey(key)},
                      {std::to_string(receipt->sequence), receipt->token, receipt->message_id, std::to_string(now_millis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, receipt_handle);
  return Done{};
}

StoreResult<Done> RedisSqsStore::ChangeVisibility(const QueueKey& key, const std::string& receipt_handle,
                                                      std::int64_t visibility_timeout_seconds, std::int64_t now_millis) {
  auto receipt = redis_codec::DecodeReceipt(receipt_handle);
  if (!receipt) {
    auto queue = GetQueue(key);
    if (!queue) return Unexpected<StoreError>{std::move(queue).error()};
    return StoreFail(StoreErrc::InvalidReceipt, receipt_handle);
  }
  auto reply = Script(scripts::ChangeVisibility(), {MetaKey(key)},
                      {std::to_string(receipt->sequence), receipt->token, receipt->message_id,
                       std::to_string(visibility_timeout_seconds * 1000), std::to_string(now_millis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  auto status = StatusOf(*reply);
  if (status == scripts::kOk) return Done{};
  return StatusError(status, status == scripts::kVisibilityLimit ? std::to_string(visibility_timeout_seconds) : receipt_handle);
}

StoreResult<Done> RedisSqsStore::PurgeQueue(const QueueKey& key, std::int64_t now_millis) {
  auto reply = Script(scripts::PurgeQueue(), {MetaKey(key)},
                      {std::to_string(now_millis), std::to_string(kPurgeIntervalMillis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.Arn());
  return Done{};
}

StoreResult<QueueCounts> RedisSqsStore::CountMessages(const QueueKey& key, std::int64_t now_millis) {
  auto reply = Script(scripts::CountMessages(), {MetaKey(key)}, {std::to_string(now_millis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.name);
  if (reply->elements.size() != 4) return Corrupt("count reply");
  return QueueCounts{reply->elements[1].AsInteger(), reply->elements[2].AsInteger(), reply->elements[3].AsInteger()};
}

StoreResult<std::vector<PeekedMessage>> RedisSqsStore::PeekMessages(const QueueKey& key, std::int64_t now_millis) {
  auto reply = Script(scripts::PeekMessages(), {MetaKey(key)}, {});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.name);
  std::vector<PeekedMessage> peeked;
  peeked.reserve(reply->elements.size() - 1);
  for (std::size_t i = 1; i < reply->elements.size(); ++i) {
    // The fields of a receive's reply; the receipt handle it would build is not one anybody got.
    auto read = ReceivedFrom(reply->elements[i]);
    if (!read) return Unexpected<StoreError>{std::move(read).error()};
    StoredMessage message = std::move(read->message);
    auto state = PeekedStateOf(message, now_millis);
    peeked.push_back(PeekedMessage{std::move(message), state});
  }
  return peeked;
}

StoreResult<std::int64_t> RedisSqsStore::ExpireMessages(const QueueKey& key, std::int64_t retention_seconds,
                                                            std::int64_t now_millis) {
  auto reply = Script(scripts::ExpireMessages(), {MetaKey(key)},
                      {std::to_string(now_millis), std::to_string(retention_seconds * 1000)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, key.name);
  if (reply->elements.size() != 2) return Corrupt("expire reply");
  return static_cast<std::int64_t>(reply->elements[1].AsInteger());
}

StoreResult<std::int64_t> RedisSqsStore::MoveMessages(const QueueKey& source, const std::optional<QueueKey>& destination,
                                                          std::int64_t limit, std::int64_t now_millis) {
  auto meta = MetaKey(source);
  auto reply = Script(scripts::MoveMessages(), {meta, destination ? MetaKey(*destination) : meta},
                      {std::to_string(now_millis), std::to_string(limit), destination ? "1" : "0", prefix_ + "q:"});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (auto status = StatusOf(*reply); status != scripts::kOk) return StatusError(status, source.name);
  if (reply->elements.size() != 2) return Corrupt("move reply");
  return static_cast<std::int64_t>(reply->elements[1].AsInteger());
}

StoreResult<Done> RedisSqsStore::PutMoveTask(const QueueKey& source, const MoveTask& task) {
  // The scripts compare handle, status and runner without decoding the blob, so they lead the entry.
  std::string entry = task.task_handle + "\n" + task.status + "\n" + std::to_string(task.moved) + "\n" + task.runner +
                      "\n" + std::to_string(task.heartbeat_millis) + "\n" + redis_codec::EncodeTask(task);
  auto reply = Script(scripts::PutMoveTask(), {MetaKey(source) + ":tasks", MoveTaskSourcesKey()},
                      {task.task_handle, task.status, std::to_string(task.moved), task.runner, entry,
                       MoveTaskSourceMember(source)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (reply->AsInteger() == 1) {
    return Unexpected<StoreError>{StoreError{StoreErrc::Conflict, "the task was taken over by another runner"}};
  }
  return Done{};
}

namespace {
// A stored move task entry: handle, status, moved, runner, heartbeat, blob (see PutMoveTask);
// entries written before runners existed have the blob fourth.
StoreResult<MoveTask> TaskFromEntry(const std::string& entry) {
  std::vector<std::string_view> fields;
  std::string_view rest = entry;
  while (fields.size() < 5) {
    auto newline = rest.find('\n');
    if (newline == std::string_view::npos) break;
    fields.push_back(rest.substr(0, newline));
    rest.remove_prefix(newline + 1);
  }
  if (fields.size() < 3) return Corrupt("move task");
  std::string_view blob = rest;
  bool with_runner = fields.size() == 5 && !fields[3].starts_with("2:t1");
  if (!with_runner) blob = std::string_view(entry).substr(fields[0].size() + fields[1].size() + fields[2].size() + 3);
  auto task = redis_codec::DecodeTask(std::string(blob));
  if (!task) return Corrupt("move task");
  task->status = std::string(fields[1]);
  task->moved = std::stoll(std::string(fields[2]));
  if (with_runner) {
    task->runner = std::string(fields[3]);
    task->heartbeat_millis = std::stoll(std::string(fields[4]));
  }
  return std::move(*task);
}
}  // namespace

StoreResult<std::vector<MoveTask>> RedisSqsStore::ListMoveTasks(const QueueKey& source) {
  auto reply = Command({"LRANGE", MetaKey(source) + ":tasks", "0", "-1"});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  std::vector<MoveTask> tasks;
  for (const auto& element : reply->elements) {
    MALLARD_ASSIGN_OR_RETURN(auto task, TaskFromEntry(element.AsText()));
    tasks.push_back(std::move(task));
  }
  return tasks;
}

StoreResult<bool> RedisSqsStore::ClaimMoveTask(const QueueKey& source, const std::string& task_handle,
                                                   const std::string& runner, std::int64_t now_millis,
                                                   std::int64_t stale_before_millis) {
  auto reply = Script(scripts::ClaimMoveTask(), {MetaKey(source) + ":tasks"},
                      {task_handle, runner, std::to_string(now_millis), std::to_string(stale_before_millis)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  return reply->AsInteger() == 1;
}

StoreResult<std::vector<QueueKey>> RedisSqsStore::ListAllQueues(std::size_t limit) {
  // The directories (one sorted set of names per account and region), found with SCAN so Redis is
  // never blocked long, then their members.
  const std::string directory_prefix = prefix_ + "dir:";
  const std::string pattern = redis::GlobEscape(directory_prefix) + "*";
  std::vector<QueueKey> keys;
  std::string cursor = "0";
  do {
    auto page = Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!page) return Unexpected<StoreError>{std::move(page).error()};
    if (page->elements.size() != 2) return StoreFail(StoreErrc::Unavailable, "unexpected SCAN reply");
    cursor = page->elements[0].AsText();
    for (const auto& element : page->elements[1].elements) {
      const std::string directory = element.AsText();
      // dir:ACCOUNT:REGION, each part URL-encoded (so without ':').
      auto separator = directory.find(':', directory_prefix.size());
      if (separator == std::string::npos) continue;
      auto account = FormUrlDecode(directory.substr(directory_prefix.size(), separator - directory_prefix.size()));
      auto region = FormUrlDecode(directory.substr(separator + 1));
      if (!account || !region) continue;
      auto names = Command({"ZRANGE", directory, "0", std::to_string(limit)});
      if (!names) return Unexpected<StoreError>{std::move(names).error()};
      for (const auto& name : names->elements) {
        if (keys.size() >= limit) return keys;
        if (auto decoded = FormUrlDecode(name.AsText())) keys.push_back(QueueKey{*account, *region, *decoded});
      }
    }
  } while (cursor != "0" && keys.size() < limit);
  return keys;
}

StoreResult<std::vector<QueueKey>> RedisSqsStore::ListMoveTaskSources() {
  auto reply = Command({"SMEMBERS", MoveTaskSourcesKey()});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  std::vector<QueueKey> sources;
  for (const auto& element : reply->elements) {
    // account:region:name, each part URL-encoded (so without ':').
    const std::string member = element.AsText();
    auto first = member.find(':');
    auto second = first == std::string::npos ? first : member.find(':', first + 1);
    if (second == std::string::npos) continue;
    auto account = FormUrlDecode(member.substr(0, first));
    auto region = FormUrlDecode(member.substr(first + 1, second - first - 1));
    auto name = FormUrlDecode(member.substr(second + 1));
    if (account && region && name) sources.push_back(QueueKey{*account, *region, *name});
  }
  return sources;
}

std::string RedisSqsStore::MoveTaskSourcesKey() const { return prefix_ + "moving"; }

std::string RedisSqsStore::MoveTaskSourceMember(const QueueKey& key) const {
  return UrlEncode(key.account_id) + ":" + UrlEncode(key.region) + ":" + UrlEncode(key.name);
}

std::unique_ptr<SqsStore::Subscription> RedisSqsStore::WatchQueue(const QueueKey& key, std::function<void()> notify) {
  return std::make_unique<WatchSubscription>(
      subscriber_.Subscribe(MetaKey(key) + ":wake", std::move(notify), kSubscribeConfirmation));
}

void RedisSqsStore::Reset() {
  if (auto reset = redis::UnlinkKeysWithPrefix(pool_, prefix_); !reset) {
    spdlog::error("sqs redis store: reset stopped: {}", reset.error().message);
    return;
  }
  (void)Command({"PUBLISH", prefix_ + "reset", ""});
}

}  // namespace mallard::sqs

// ---- Snapshots
namespace mallard::sqs {
namespace {

std::int64_t ToInt(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::Integer) return reply.integer;
  const std::string text = reply.AsText();
  if (text.empty()) return 0;
  try {
    return std::stoll(text);
  } catch (...) {
    return 0;
  }
}

// Splits "account:region:name"-style text at its last ':' (components are URL-encoded, so ':'
// only separates them); nullopt when undecodable.
std::optional<std::pair<std::string, std::string>> SplitScope(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto account = FormUrlDecode(text.substr(0, colon));
  auto region = FormUrlDecode(text.substr(colon + 1));
  if (!account || !region) return std::nullopt;
  return std::make_pair(*account, *region);
}

}  // namespace

StoreResult<ScopeDump> RedisSqsStore::ExportScope(const std::string& account_id, const std::string& region) {
  const std::string deleted_prefix = prefix_ + "deleted:" + UrlEncode(account_id) + ":" + UrlEncode(region) + ":";
  auto reply = Script(scripts::ExportScope(), {DirectoryKey(account_id, region)},
                      {QueueKeyPrefix(account_id, region), redis::GlobEscape(deleted_prefix)});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  if (reply->type != RedisReply::Type::Array || reply->elements.size() != 2) return Corrupt("scope export");
  ScopeDump dump;
  for (const auto& queue : reply->elements[0].elements) {
    const auto& q = queue.elements;
    if (q.size() != 8) return Corrupt("queue export");
    QueueDump queue_dump;
    MALLARD_ASSIGN_OR_RETURN(queue_dump.record, RecordFrom(q[1], q[2]));
    queue_dump.next_send_order = static_cast<std::uint64_t>(ToInt(q[3])) + 1;
    for (const auto& fields : q[5].elements) {
      const auto& f = fields.elements;
      if (f.size() != 13) return Corrupt("message");
      auto content = redis_codec::DecodeContent(f[2].AsText());
      if (!content) return Corrupt("message");
      QueueDump::Message entry;
      entry.send_order = static_cast<std::uint64_t>(ToInt(f[0]));
      StoredMessage& message = entry.message;
      message.message_id = f[1].AsText();
      message.content = std::move(*content);
      message.content.dead_letter_source_arn = f[11].AsText();
      message.sent_millis = ToInt(f[4]);
      message.visible_at_millis = ToInt(f[5]);
      message.first_receive_millis = ToInt(f[6]);
      message.last_receive_millis = ToInt(f[7]);
      message.receive_count = ToInt(f[8]);
      message.sequence_number = f[9].AsText();
      message.receipt_token = f[10].AsText();
      message.retention_start_millis = f[12].type == RedisReply::Type::Nil ? message.sent_millis : ToInt(f[12]);
      queue_dump.messages.push_back(std::move(entry));
    }
    const auto& dedup = q[6].elements;
    for (std::size_t i = 0; i + 1 < dedup.size(); i += 2) {
      // Value: "messageId\nsequence number\nexpires millis".
      const std::string value = dedup[i + 1].AsText();
      auto first = value.find('\n');
      auto second = first == std::string::npos ? first : value.find('\n', first + 1);
      if (second == std::string::npos) return Corrupt("deduplication entry");
      QueueDump::Deduplication entry;
      entry.deduplication_id = dedup[i].AsText();
      entry.result.message_id = value.substr(0, first);
      entry.result.sequence_number = value.substr(first + 1, second - first - 1);
      try {
        entry.expires_millis = std::stoll(value.substr(second + 1));
      } catch (...) {
        return Corrupt("deduplication entry");
      }
      queue_dump.deduplication.push_back(std::move(entry));
    }
    std::sort(queue_dump.deduplication.begin(), queue_dump.deduplication.end(),
              [](const auto& a, const auto& b) { return a.deduplication_id < b.deduplication_id; });
    for (const auto& entry : q[7].elements) {
      MALLARD_ASSIGN_OR_RETURN(auto task, TaskFromEntry(entry.AsText()));
      queue_dump.move_tasks.push_back(std::move(task));
    }
    dump.queues.push_back(std::move(queue_dump));
  }
  std::sort(dump.queues.begin(), dump.queues.end(),
            [](const auto& a, const auto& b) { return a.record.key.name < b.record.key.name; });
  const auto& deleted = reply->elements[1].elements;
  for (std::size_t i = 0; i + 1 < deleted.size(); i += 2) {
    const std::string key = deleted[i].AsText();
    auto name = FormUrlDecode(key.substr(std::min(key.size(), deleted_prefix.size())));
    if (name) dump.recently_deleted.emplace_back(*name, ToInt(deleted[i + 1]));
  }
  std::sort(dump.recently_deleted.begin(), dump.recently_deleted.end());
  return dump;
}

StoreResult<Done> RedisSqsStore::ImportQueue(const QueueDump& dump) {
  const QueueKey& key = dump.record.key;
  const std::string meta = MetaKey(key);
  bool running = false;
  for (const auto& task : dump.move_tasks) running = running || task.status == "RUNNING";
  std::vector<std::string> args = {redis_codec::EncodeRecord(dump.record),
                                   dump.record.fifo ? "1" : "0",
                                   DeduplicationScopeOf(dump.record),
                                   UrlEncode(key.name),
                                   std::to_string(dump.next_send_order == 0 ? 0 : dump.next_send_order - 1),
                                   std::to_string(dump.record.last_purge_millis),
                                   MoveTaskSourceMember(key),
                                   std::to_string(dump.messages.size()),
                                   std::to_string(dump.deduplication.size()),
                                   std::to_string(dump.move_tasks.size()),
                                   running ? "1" : "0"};
  for (const auto& entry : dump.messages) {
    const StoredMessage& m = entry.message;
    args.insert(args.end(), {std::to_string(entry.send_order), m.message_id, redis_codec::EncodeContent(m.content),
                             m.content.group_id, std::to_string(m.sent_millis), std::to_string(m.visible_at_millis),
                             std::to_string(m.first_receive_millis), std::to_string(m.last_receive_millis),
                             std::to_string(m.receive_count), m.sequence_number, m.receipt_token,
                             m.content.dead_letter_source_arn, std::to_string(m.retention_start_millis)});
  }
  for (const auto& entry : dump.deduplication) {
    // Redis only collects the entry; its expiry time inside decides (as SendMessages writes it).
    args.insert(args.end(), {entry.deduplication_id,
                             entry.result.message_id + "\n" + entry.result.sequence_number + "\n" +
                                 std::to_string(entry.expires_millis),
                             std::to_string(kDeduplicationWindowMillis + 60000)});
  }
  for (const auto& task : dump.move_tasks) {
    args.push_back(task.task_handle + "\n" + task.status + "\n" + std::to_string(task.moved) + "\n" + task.runner +
                   "\n" + std::to_string(task.heartbeat_millis) + "\n" + redis_codec::EncodeTask(task));
  }
  auto reply = Script(scripts::ImportQueue(),
                      {meta, DirectoryKey(key.account_id, key.region), DeletedMarkerKey(key), prefix_ + "incarnation",
                       meta + ":tasks", MoveTaskSourcesKey()},
                      args);
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  return Done{};
}

StoreResult<Done> RedisSqsStore::ImportRecentlyDeleted(const std::string& account_id, const std::string& region,
                                                       const std::vector<std::pair<std::string, std::int64_t>>& names) {
  for (const auto& [name, deleted_millis] : names) {
    auto reply = Command({"SET", DeletedMarkerKey(QueueKey{account_id, region, name}), std::to_string(deleted_millis),
                          "PX", std::to_string(kDeletedMarkerMillis)});
    if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  }
  return Done{};
}

StoreResult<Done> RedisSqsStore::ClearScope(const std::string& account_id, const std::string& region) {
  const std::string deleted_prefix = prefix_ + "deleted:" + UrlEncode(account_id) + ":" + UrlEncode(region) + ":";
  auto reply = Script(scripts::ClearScope(), {DirectoryKey(account_id, region), MoveTaskSourcesKey()},
                      {QueueKeyPrefix(account_id, region), redis::GlobEscape(deleted_prefix),
                       UrlEncode(account_id) + ":" + UrlEncode(region) + ":"});
  if (!reply) return Unexpected<StoreError>{std::move(reply).error()};
  return Done{};
}

StoreResult<std::vector<std::pair<std::string, std::string>>> RedisSqsStore::ListScopes() {
  const std::string directory_prefix = prefix_ + "dir:";
  std::vector<std::pair<std::string, std::string>> scopes;
  std::string cursor = "0";
  do {
    auto page = Command({"SCAN", cursor, "MATCH", redis::GlobEscape(directory_prefix) + "*", "COUNT", "500"});
    if (!page) return Unexpected<StoreError>{std::move(page).error()};
    if (page->elements.size() != 2) return Corrupt("SCAN reply");
    cursor = page->elements[0].AsText();
    for (const auto& element : page->elements[1].elements) {
      const std::string directory = element.AsText();
      auto scope = SplitScope(directory.substr(directory_prefix.size()));
      if (!scope) continue;
      auto count = Command({"ZCARD", directory});
      if (!count) return Unexpected<StoreError>{std::move(count).error()};
      if (count->AsInteger(0) > 0) scopes.push_back(std::move(*scope));
    }
  } while (cursor != "0");
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  return scopes;
}

}  // namespace mallard::sqs
