#include "services/sns/redis/redis_sns_store.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace mallard::sns {
using redis::RedisReply;
using redis::RedisScript;

namespace {

// What the record scripts return instead of a version (versions are >= 1).
constexpr long long kNotFound = -1;
constexpr long long kAlreadyExists = -2;
constexpr long long kConflict = -3;

// Deduplication entries stay in Redis this long past their window (Redis's clock, not the
// callers'), so an entry is never collected while a caller whose clock runs a little behind
// Redis's could still find it a duplicate.
constexpr std::int64_t kDeduplicationSlackMillis = 60 * 1000;

// KEYS: record, index, version counter. ARGV: key, document, expected version ("0": create only).
const RedisScript& PutScript() {
  static const RedisScript script(R"lua(
local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[3] == '0' then
  if current then return -2 end
else
  if not current then return -1 end
  if current ~= ARGV[3] then return -3 end
end
local version = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'v', version, 'd', ARGV[2])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return version
)lua");
  return script;
}

// KEYS: record, index. ARGV: key.
const RedisScript& DeleteScript() {
  static const RedisScript script(R"lua(
if redis.call('DEL', KEYS[1]) == 0 then return -1 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
)lua");
  return script;
}

// KEYS: index. ARGV: min, max (ZRANGEBYLEX bounds), limit, record key prefix.
// Returns key, version, document for each record, flat.
const RedisScript& ListScript() {
  static const RedisScript script(R"lua(
local keys = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, ARGV[3])
local out = {}
for _, key in ipairs(keys) do
  local record = redis.call('HMGET', ARGV[4] .. key, 'v', 'd')
  out[#out + 1] = key
  out[#out + 1] = record[1] or ''
  out[#out + 1] = record[2] or ''
end
return out
)lua");
  return script;
}

// KEYS: the entry. ARGV: now (ordered text), message id, expires (ordered text), PX millis.
// Ordered text (OrderedMillis) compares as the numbers do, so no Lua double rounds a time.
// Returns {1, first message id} for a duplicate, {0} when remembered now.
const RedisScript& DeduplicationScript() {
  static const RedisScript script(R"lua(
local entry = redis.call('GET', KEYS[1])
if entry then
  local newline = string.find(entry, '\n', 1, true)
  if newline and string.sub(entry, 1, newline - 1) > ARGV[1] then return {1, string.sub(entry, newline + 1)} end
end
redis.call('SET', KEYS[1], ARGV[3] .. '\n' .. ARGV[2], 'PX', ARGV[4])
return {0}
)lua");
  return script;
}

// KEYS: due zset, task hash. ARGV: id, document, due.
const RedisScript& ScheduleScript() {
  static const RedisScript script(R"lua(
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 0
)lua");
  return script;
}

// KEYS: due zset, task hash. ARGV: now, lease end, limit. Returns id, document, due (as it was
// scheduled) for each claimed task, flat; each is re-scored to the lease end.
const RedisScript& ClaimScript() {
  static const RedisScript script(R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[3])
local out = {}
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], ARGV[2], due[i])
  out[#out + 1] = due[i]
  out[#out + 1] = redis.call('HGET', KEYS[2], due[i]) or ''
  out[#out + 1] = due[i + 1]
end
return out
)lua");
  return script;
}

// KEYS: due zset, task hash. ARGV: id.
const RedisScript& CompleteScript() {
  static const RedisScript script(R"lua(
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 0
)lua");
  return script;
}

Unexpected<StoreError> Corrupt(const std::string& what) {
  spdlog::error("sns redis store: unexpected {} from Redis", what);
  return StoreFail(StoreErrc::Unavailable, "unexpected " + what + " from Redis");
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

// A time as 20 digits that sort as the signed values do (sign bit flipped), for Lua to compare.
std::string OrderedMillis(std::int64_t millis) {
  char text[24];
  std::snprintf(text, sizeof text, "%020llu",
                static_cast<unsigned long long>(static_cast<std::uint64_t>(millis) ^ (std::uint64_t{1} << 63)));
  return text;
}

// A sorted-set score as Redis prints it ("1700000000000", or "1.7e+18" beyond double's integers).
std::optional<std::int64_t> ScoreMillis(const std::string& text) {
  std::int64_t whole = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), whole);
  if (error == std::errc() && end == text.data() + text.size()) return whole;
  double value = 0;
  auto [end2, error2] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error2 != std::errc() || end2 != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  if (value >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (value <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(std::llround(value));
}

std::optional<std::uint64_t> ParseVersion(const RedisReply& reply) {
  const std::string text = reply.AsText();
  std::uint64_t version = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (error != std::errc() || end != text.data() + text.size() || version == 0) return std::nullopt;
  return version;
}

// The smallest string greater than every string that starts with `prefix`, nullopt when there is
// none (the prefix is all 0xFF bytes): drop trailing 0xFF bytes and increment the last one.
std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

// ZRANGEBYLEX / ZLEXCOUNT bounds for keys starting with `prefix` and strictly after `after`.
std::string LowerBound(const std::string& prefix, const std::string& after) {
  if (!after.empty() && after >= prefix) return "(" + after;
  return prefix.empty() ? "-" : "[" + prefix;
}
std::string UpperBound(const std::string& prefix) {
  auto successor = PrefixSuccessor(prefix);
  return successor ? "(" + *successor : "+";
}

// A count as ZRANGEBYLEX's LIMIT takes it (a signed 64-bit integer).
std::string LimitArgument(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<long long>::max());
  return std::to_string(limit > kMax ? kMax : limit);
}


}  // namespace

RedisSnsStore::RedisSnsStore(redis::RedisEndpoint endpoint)
    : endpoint_(endpoint), prefix_(endpoint.key_prefix + "sns:"), pool_(endpoint) {}

RedisSnsStore::~RedisSnsStore() = default;

std::string RedisSnsStore::RecordKey(Collection collection, const std::string& key) const {
  return prefix_ + "r:" + std::to_string(static_cast<int>(collection)) + ":" + key;
}

std::string RedisSnsStore::IndexKey(Collection collection) const {
  return prefix_ + "i:" + std::to_string(static_cast<int>(collection));
}

StoreResult<RedisReply> RedisSnsStore::Command(const std::vector<std::string>& args) {
  auto reply = pool_.Run(args);
  if (!reply) return StoreFail(StoreErrc::Unavailable, reply.error().message);
  if (reply->IsError()) {
    // LOADING (Redis replaying its AOF after a restart), BUSY, OOM, READONLY: all temporary here.
    spdlog::error("sns redis store: {} refused: {}", args.front(), reply->text);
    return StoreFail(StoreErrc::Unavailable, "Redis refused the operation: " + reply->text);
  }
  return std::move(reply).value();
}

StoreResult<RedisReply> RedisSnsStore::Script(const RedisScript& script, const std::vector<std::string>& keys,
                                              const std::vector<std::string>& args) {
  auto reply = pool_.Eval(script, keys, args);
  if (!reply) return StoreFail(StoreErrc::Unavailable, reply.error().message);
  if (reply->IsError()) {
    spdlog::error("sns redis store: script refused: {}", reply->text);
    return StoreFail(StoreErrc::Unavailable, "Redis refused the operation: " + reply->text);
  }
  return std::move(reply).value();
}

StoreResult<Done> RedisSnsStore::Ping() {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"PING"}));
  (void)reply;
  return Done{};
}

StoreResult<std::optional<StoredRecord>> RedisSnsStore::Get(Collection collection, const std::string& key) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"HMGET", RecordKey(collection, key), "v", "d"}));
  if (reply.type != RedisReply::Type::Array || reply.elements.size() != 2) return Corrupt("record reply");
  if (reply.elements[0].IsNil()) return std::optional<StoredRecord>();
  auto version = ParseVersion(reply.elements[0]);
  if (!version) return Corrupt("record version");
  return std::optional<StoredRecord>(StoredRecord{key, reply.elements[1].AsText(), *version});
}

StoreResult<std::uint64_t> RedisSnsStore::Put(Collection collection, const std::string& key, std::string document,
                                              std::uint64_t expected_version) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(PutScript(), {RecordKey(collection, key), IndexKey(collection),
                                                            prefix_ + "version"},
                                              {key, std::move(document), std::to_string(expected_version)}));
  if (reply.type != RedisReply::Type::Integer) return Corrupt("put reply");
  switch (reply.integer) {
    case kNotFound: return StoreFail(StoreErrc::NotFound);
    case kAlreadyExists: return StoreFail(StoreErrc::AlreadyExists);
    case kConflict: return StoreFail(StoreErrc::Conflict);
    default: break;
  }
  if (reply.integer < 1) return Corrupt("put reply");
  return static_cast<std::uint64_t>(reply.integer);
}

StoreResult<Done> RedisSnsStore::Delete(Collection collection, const std::string& key) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(DeleteScript(), {RecordKey(collection, key), IndexKey(collection)}, {key}));
  if (reply.AsInteger(-2) == kNotFound) return StoreFail(StoreErrc::NotFound);
  if (reply.AsInteger(-2) != 0) return Corrupt("delete reply");
  return Done{};
}

StoreResult<std::vector<StoredRecord>> RedisSnsStore::List(Collection collection, const std::string& prefix,
                                                           const std::string& after, std::size_t limit) {
  std::vector<StoredRecord> records;
  if (limit == 0) return records;
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(ListScript(), {IndexKey(collection)},
                                              {LowerBound(prefix, after), UpperBound(prefix), LimitArgument(limit),
                                               RecordKey(collection, "")}));
  if (reply.type != RedisReply::Type::Array || reply.elements.size() % 3 != 0) return Corrupt("list reply");
  records.reserve(reply.elements.size() / 3);
  for (std::size_t i = 0; i < reply.elements.size(); i += 3) {
    auto version = ParseVersion(reply.elements[i + 1]);
    if (!version) return Corrupt("record version");
    records.push_back(StoredRecord{reply.elements[i].AsText(), reply.elements[i + 2].AsText(), *version});
  }
  return records;
}

StoreResult<std::size_t> RedisSnsStore::Count(Collection collection, const std::string& prefix) {
  MALLARD_ASSIGN_OR_RETURN(auto reply,
                           Command({"ZLEXCOUNT", IndexKey(collection), LowerBound(prefix, ""), UpperBound(prefix)}));
  if (reply.type != RedisReply::Type::Integer || reply.integer < 0) return Corrupt("count reply");
  return static_cast<std::size_t>(reply.integer);
}

StoreResult<Done> RedisSnsStore::AppendSent(const std::string& channel, std::string document) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"RPUSH", prefix_ + "s:" + channel, std::move(document)}));
  (void)reply;
  return Done{};
}

StoreResult<std::vector<std::string>> RedisSnsStore::ReadSent(const std::string& channel) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"LRANGE", prefix_ + "s:" + channel, "0", "-1"}));
  if (reply.type != RedisReply::Type::Array) return Corrupt("sent log reply");
  std::vector<std::string> documents;
  documents.reserve(reply.elements.size());
  for (auto& element : reply.elements) documents.push_back(std::move(element.text));
  return documents;
}

StoreResult<Done> RedisSnsStore::ClearSent(const std::string& channel) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"DEL", prefix_ + "s:" + channel}));
  (void)reply;
  return Done{};
}

StoreResult<std::optional<std::string>> RedisSnsStore::RememberDeduplication(const std::string& scope,
                                                                             const std::string& deduplication_id,
                                                                             const std::string& message_id,
                                                                             std::int64_t now_millis,
                                                                             std::int64_t window_millis) {
  // The scope's length first, so that no (scope, id) pair shares a key with another.
  std::string key = prefix_ + "d:" + std::to_string(scope.size()) + ":" + scope + ":" + deduplication_id;
  std::int64_t collect_after = SaturatingAdd(std::max<std::int64_t>(window_millis, 0), kDeduplicationSlackMillis);
  MALLARD_ASSIGN_OR_RETURN(auto reply,
                           Script(DeduplicationScript(), {key},
                                  {OrderedMillis(now_millis), message_id,
                                   OrderedMillis(SaturatingAdd(now_millis, window_millis)),
                                   std::to_string(collect_after)}));
  if (reply.type != RedisReply::Type::Array || reply.elements.empty()) return Corrupt("deduplication reply");
  if (reply.elements[0].AsInteger() == 0) return std::optional<std::string>();
  if (reply.elements.size() != 2) return Corrupt("deduplication reply");
  return std::optional<std::string>(reply.elements[1].AsText());
}

StoreResult<std::uint64_t> RedisSnsStore::NextSequenceNumber(const std::string& scope) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"INCR", prefix_ + "q:" + scope}));
  if (reply.type != RedisReply::Type::Integer || reply.integer < 1) return Corrupt("sequence reply");
  return static_cast<std::uint64_t>(reply.integer);
}

StoreResult<Done> RedisSnsStore::ScheduleDelivery(DeliveryTask task) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(ScheduleScript(), {prefix_ + "due", prefix_ + "task"},
                                              {task.id, std::move(task.document), std::to_string(task.due_millis)}));
  (void)reply;
  return Done{};
}

StoreResult<std::vector<DeliveryTask>> RedisSnsStore::ClaimDueDeliveries(std::int64_t now_millis,
                                                                         std::int64_t lease_millis, std::size_t limit) {
  std::vector<DeliveryTask> claimed;
  if (limit == 0) return claimed;
  MALLARD_ASSIGN_OR_RETURN(auto reply,
                           Script(ClaimScript(), {prefix_ + "due", prefix_ + "task"},
                                  {std::to_string(now_millis), std::to_string(SaturatingAdd(now_millis, lease_millis)),
                                   LimitArgument(limit)}));
  if (reply.type != RedisReply::Type::Array || reply.elements.size() % 3 != 0) return Corrupt("claim reply");
  claimed.reserve(reply.elements.size() / 3);
  for (std::size_t i = 0; i < reply.elements.size(); i += 3) {
    auto due = ScoreMillis(reply.elements[i + 2].AsText());
    if (!due) return Corrupt("delivery due time");
    claimed.push_back(DeliveryTask{reply.elements[i].AsText(), reply.elements[i + 1].AsText(), *due});
  }
  return claimed;
}

StoreResult<Done> RedisSnsStore::CompleteDelivery(const std::string& id) {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(CompleteScript(), {prefix_ + "due", prefix_ + "task"}, {id}));
  (void)reply;
  return Done{};
}

StoreResult<std::optional<std::int64_t>> RedisSnsStore::NextDeliveryDue() {
  MALLARD_ASSIGN_OR_RETURN(auto reply, Command({"ZRANGE", prefix_ + "due", "0", "0", "WITHSCORES"}));
  if (reply.type != RedisReply::Type::Array) return Corrupt("schedule reply");
  if (reply.elements.empty()) return std::optional<std::int64_t>();
  if (reply.elements.size() != 2) return Corrupt("schedule reply");
  auto due = ScoreMillis(reply.elements[1].AsText());
  if (!due) return Corrupt("delivery due time");
  return std::optional<std::int64_t>(*due);
}

void RedisSnsStore::Reset() {
  if (auto reset = redis::UnlinkKeysWithPrefix(pool_, prefix_); !reset) {
    spdlog::error("sns redis store: reset stopped: {}", reset.error().message);
  }
}

}  // namespace mallard::sns

namespace mallard::sns {
namespace {

// ARGV: store prefix, the number of collections, then the sent channels. Returns, flat: for each
// collection its record count then key, version, document per record; for each channel its
// count then documents; then topic ARN, sequence pairs for the topics with a counter.
const RedisScript& ExportScript() {
  static const RedisScript script(R"lua(
local prefix = ARGV[1]
local out = {}
local topics = {}
for c = 0, tonumber(ARGV[2]) - 1 do
  local keys = redis.call('ZRANGE', prefix .. 'i:' .. c, 0, -1)
  out[#out + 1] = #keys
  for _, key in ipairs(keys) do
    local record = redis.call('HMGET', prefix .. 'r:' .. c .. ':' .. key, 'v', 'd')
    out[#out + 1] = key
    out[#out + 1] = record[1] or ''
    out[#out + 1] = record[2] or ''
    if c == 0 then topics[#topics + 1] = key end
  end
end
for i = 3, #ARGV do
  local documents = redis.call('LRANGE', prefix .. 's:' .. ARGV[i], 0, -1)
  out[#out + 1] = #documents
  for _, document in ipairs(documents) do out[#out + 1] = document end
end
for _, topic in ipairs(topics) do
  local sequence = redis.call('GET', prefix .. 'q:' .. topic)
  if sequence then
    out[#out + 1] = topic
    out[#out + 1] = sequence
  end
end
return out
)lua");
  return script;
}

// ARGV: store prefix, then operations: 'R' c key | 'P' c key document | 'S' channel n documents... |
// 'Q' scope value ('' removes).
const RedisScript& ImportScript() {
  static const RedisScript script(R"lua(
local prefix = ARGV[1]
local i = 2
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'R' then
    redis.call('DEL', prefix .. 'r:' .. ARGV[i + 1] .. ':' .. ARGV[i + 2])
    redis.call('ZREM', prefix .. 'i:' .. ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'P' then
    local version = redis.call('INCR', prefix .. 'version')
    redis.call('DEL', prefix .. 'r:' .. ARGV[i + 1] .. ':' .. ARGV[i + 2])
    redis.call('HSET', prefix .. 'r:' .. ARGV[i + 1] .. ':' .. ARGV[i + 2], 'v', version, 'd', ARGV[i + 3])
    redis.call('ZADD', prefix .. 'i:' .. ARGV[i + 1], 0, ARGV[i + 2])
    i = i + 4
  elseif op == 'S' then
    local list = prefix .. 's:' .. ARGV[i + 1]
    local n = tonumber(ARGV[i + 2])
    redis.call('DEL', list)
    for j = 1, n do redis.call('RPUSH', list, ARGV[i + 2 + j]) end
    i = i + 3 + n
  elseif op == 'Q' then
    if ARGV[i + 2] == '' then
      redis.call('DEL', prefix .. 'q:' .. ARGV[i + 1])
    else
      redis.call('SET', prefix .. 'q:' .. ARGV[i + 1], ARGV[i + 2])
    end
    i = i + 3
  else
    return redis.error_reply('unknown import operation ' .. op)
  end
end
return 0
)lua");
  return script;
}

}  // namespace

StoreResult<StoreExport> RedisSnsStore::ExportAll() {
  std::vector<std::string> args = {prefix_, std::to_string(std::size(kAllCollections))};
  for (const char* channel : kSentChannels) args.emplace_back(channel);
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(ExportScript(), {}, args));
  if (reply.type != RedisReply::Type::Array) return Corrupt("export reply");
  const auto& items = reply.elements;
  std::size_t at = 0;
  auto count = [&]() -> std::optional<std::size_t> {
    if (at >= items.size()) return std::nullopt;
    long long n = items[at++].AsInteger(-1);
    if (n < 0) return std::nullopt;
    return static_cast<std::size_t>(n);
  };
  StoreExport exported;
  for (Collection collection : kAllCollections) {
    auto n = count();
    if (!n || items.size() - at < *n * 3) return Corrupt("export reply");
    for (std::size_t k = 0; k < *n; ++k, at += 3) {
      auto version = ParseVersion(items[at + 1]);
      if (!version) return Corrupt("record version");
      exported.records.emplace_back(collection, StoredRecord{items[at].AsText(), items[at + 2].AsText(), *version});
    }
  }
  for (const char* channel : kSentChannels) {
    auto n = count();
    if (!n || items.size() - at < *n) return Corrupt("export reply");
    std::vector<std::string> documents;
    for (std::size_t k = 0; k < *n; ++k) documents.push_back(items[at++].AsText());
    if (!documents.empty()) exported.sent[channel] = std::move(documents);
  }
  if ((items.size() - at) % 2 != 0) return Corrupt("export reply");
  for (; at < items.size(); at += 2) {
    long long sequence = items[at + 1].AsInteger(-1);
    if (sequence < 0) return Corrupt("sequence number");
    exported.sequences[items[at].AsText()] = static_cast<std::uint64_t>(sequence);
  }
  return exported;
}

StoreResult<Done> RedisSnsStore::ApplyImport(const StoreImport& changes) {
  std::vector<std::string> args = {prefix_};
  for (const auto& [collection, key] : changes.remove) {
    args.insert(args.end(), {"R", std::to_string(static_cast<int>(collection)), key});
  }
  for (const auto& [collection, entry] : changes.put) {
    args.insert(args.end(), {"P", std::to_string(static_cast<int>(collection)), entry.first, entry.second});
  }
  for (const auto& [channel, documents] : changes.sent) {
    args.insert(args.end(), {"S", channel, std::to_string(documents.size())});
    args.insert(args.end(), documents.begin(), documents.end());
  }
  for (const auto& [scope, value] : changes.sequences) {
    args.insert(args.end(), {"Q", scope, value ? std::to_string(*value) : std::string()});
  }
  MALLARD_ASSIGN_OR_RETURN(auto reply, Script(ImportScript(), {}, args));
  (void)reply;
  return Done{};
}

}  // namespace mallard::sns
