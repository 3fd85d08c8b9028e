// Snapshots on the Redis DynamoDB store (ddb_store.hpp "Snapshots"): ExportScope, ImportTable,
// ImportBackup, ClearScope, ListStateScopes.
//
// ExportScope takes its moment in one script (SnapshotScope): small collections come back in its
// reply, so a small scope is one round trip and holds nothing. A larger collection is read in
// pages afterwards, and for that the script holds the scope: writes to it (Apply calls with the
// scope's guard) wait until the export releases it, as writers wait for the memory store's export,
// while reads and other scopes go on. The hold is a lease the export renews; if the exporting
// process dies, writers resume when it lapses, and an export that finds its lease lapsed fails
// rather than emit a torn snapshot.
// The export emits what memory's does, in the same order: tables by name, each with its items in
// primary-key order, its PITR history oldest first and its streams by ARN; then the streams of
// deleted tables by table name and ARN; then backups by ARN with their items in primary-key order.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <tuple>

#include "services/dynamodb/redis/redis_dynamodb_store.hpp"
#include "common/ids.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/dynamodb/redis/redis_dynamodb_codec.hpp"
#include "services/dynamodb/redis/redis_dynamodb_internal.hpp"
#include "services/dynamodb/redis/redis_dynamodb_scripts.hpp"

namespace mallard::dynamodb {

using redis::RedisReply;
using namespace redis_store;
namespace codec = redis_codec;

namespace {

constexpr std::size_t kImportBatch = 200;

using VisitStatus = Status<std::string>;
// An export step: a store failure, or else the visitor's verdict.
using StepResult = StoreResult<VisitStatus>;

bool IsPart(const RedisReply& part, std::size_t size) {
  return part.type == RedisReply::Type::Array && part.elements.size() >= size &&
         (part.elements[0].text == "i" || part.elements[0].text == "p");
}
// Read in pages from the live key (the export holds the scope), rather than inline in the reply.
bool IsPaged(const RedisReply& part) { return part.elements[0].text == "p"; }

// A sorted-set score as the sequence number it holds (Redis may write large ones with an exponent).
std::uint64_t ScoreToSequence(const RedisReply& score) {
  if (auto integer = score.AsInteger(-1); integer >= 0) return static_cast<std::uint64_t>(integer);
  return static_cast<std::uint64_t>(std::strtod(score.text.c_str(), nullptr));
}

// A stream record member: "<created millis>|<record text>".
StoreResult<StreamRecord> RecordFromMember(const std::string& member, const RedisReply& score) {
  const auto bar = member.find('|');
  if (bar == std::string::npos) return Corrupt("stream record");
  auto record = codec::StreamRecordFromText(std::string_view(member).substr(bar + 1));
  if (!record) return Corrupt("stream record: " + record.error());
  record->sequence_number = FormatSequence(ScoreToSequence(score));
  return std::move(record).value();
}

struct ExportedTable {
  RedisDynamoDbStore::TableState state;
  const RedisReply* items = nullptr;
  const RedisReply* history = nullptr;
};

struct ExportedStream {
  std::string arn;
  StreamEntry entry;
  const RedisReply* records = nullptr;
};

struct ExportedBackup {
  std::string arn;
  BackupEntry entry;
  const RedisReply* items = nullptr;
};

// Reads what one SnapshotScope call answered, and what it named, and hands it to the visitor.
class RedisScopeExport {
 public:
  RedisScopeExport(redis::RedisPool& pool, const RedisDynamoDbStore::ExportTuning& tuning, std::int64_t now_millis,
                   const ScopeExportVisitor& visit)
      : pool_(pool), tuning_(tuning), page_(std::max<std::size_t>(tuning.page, 1)), now_millis_(now_millis),
        visit_(visit) {}

  // The scope is held under `guard` by export `id` (set when the snapshot script answered 1).
  void Held(std::string guard, std::string id) {
    guard_ = std::move(guard);
    id_ = std::move(id);
    renewed_ = std::chrono::steady_clock::now();
  }
  ~RedisScopeExport() {
    if (!guard_.empty()) (void)pool_.Run({"SREM", guard_, id_});
  }

  // Renews the hold (at most every third of the lease unless `now`); fails when it had lapsed.
  StoreResult<Done> Renew(bool now = false) {
    if (guard_.empty()) return Done{};
    const auto elapsed = std::chrono::steady_clock::now() - renewed_;
    if (!now && elapsed < std::chrono::milliseconds(tuning_.lease_millis / 3)) return Done{};
    MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Eval(redis_scripts::RenewExport(), {guard_},
                                                                  {id_, std::to_string(tuning_.lease_millis)})));
    if (reply.AsInteger() != 1)
      return StoreFail(StoreErrc::Unavailable,
                       "the export paused longer than its " + std::to_string(tuning_.lease_millis) +
                           " ms hold on the scope, so writes may have run meanwhile; save again");
    renewed_ = std::chrono::steady_clock::now();
    return Done{};
  }

  StepResult Table(const ExportedTable& table) {
    if (auto status = visit_.table(table.state.definition); !status.ok()) return status;
    MALLARD_ASSIGN_OR_RETURN(auto items, Items(*table.items));
    if (!items.ok()) return items;
    return History(table);
  }

  StepResult Stream(const ExportedStream& stream) {
    StreamExport exported;
    exported.description = stream.entry.description;
    exported.closed_millis = stream.entry.closed_millis;
    const RedisReply& part = *stream.records;
    const std::int64_t cutoff = now_millis_ - kStreamRetentionMillis;
    // As a read trims them: the leading records older than 24 hours are gone.
    auto take = [&](const std::vector<RedisReply>& pairs) -> StoreResult<Done> {
      for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
        MALLARD_ASSIGN_OR_RETURN(StreamRecord record, RecordFromMember(pairs[i].text, pairs[i + 1]));
        if (exported.records.empty() && record.created_millis < cutoff) continue;
        exported.records.push_back(std::move(record));
      }
      return Done{};
    };
    if (!IsPaged(part)) {
      MALLARD_RETURN_IF_ERROR(take(part.elements[1].elements));
    } else {
      // By score: a reader trimming the oldest records meanwhile does not shift the pages.
      std::string after = "-inf";
      for (;;) {
        MALLARD_RETURN_IF_ERROR(Renew());
        MALLARD_ASSIGN_OR_RETURN(RedisReply page,
                                 Checked(pool_.Run({"ZRANGEBYSCORE", part.elements[1].text, after, "+inf", "WITHSCORES",
                                                    "LIMIT", "0", std::to_string(page_)})));
        MALLARD_RETURN_IF_ERROR(take(page.elements));
        if (page.elements.size() < 2 * page_) break;
        after = "(" + page.elements[page.elements.size() - 1].text;
      }
    }
    return visit_.stream(exported);
  }

  StepResult Backup(const ExportedBackup& backup) {
    if (auto status = visit_.backup(backup.entry.description); !status.ok()) return status;
    const RedisReply& part = *backup.items;
    auto emit = [&](const std::string& text) -> StepResult {
      auto item = codec::ItemFromText(text);
      if (!item) return Corrupt("backup item: " + item.error());
      return visit_.backup_item(*item);
    };
    if (!IsPaged(part)) {
      // Items in primary-key order, as a table's.
      const auto& fields = part.elements[1].elements;
      std::vector<std::pair<std::string_view, std::string_view>> sorted;
      for (std::size_t i = 0; i + 1 < fields.size(); i += 2) sorted.emplace_back(fields[i].text, fields[i + 1].text);
      std::sort(sorted.begin(), sorted.end());
      for (const auto& [key, text] : sorted) {
        MALLARD_ASSIGN_OR_RETURN(auto status, emit(std::string(text)));
        if (!status.ok()) return status;
      }
      return VisitStatus(Done{});
    }
    // A large backup: its keys first (HSCAN), sorted, then the items in that order.
    const std::string& items_key = part.elements[1].text;
    MALLARD_RETURN_IF_ERROR(Renew());
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      MALLARD_RETURN_IF_ERROR(Renew());
      MALLARD_ASSIGN_OR_RETURN(RedisReply reply,
                               Checked(pool_.Run({"HSCAN", items_key, cursor, "COUNT", std::to_string(page_)})));
      if (reply.elements.size() != 2) return Corrupt("HSCAN reply");
      cursor = reply.elements[0].AsText();
      const auto& fields = reply.elements[1].elements;
      for (std::size_t i = 0; i + 1 < fields.size(); i += 2) keys.push_back(fields[i].text);
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat a field
    if (static_cast<long long>(keys.size()) != part.elements[2].AsInteger()) return Expired();
    for (std::size_t start = 0; start < keys.size(); start += page_) {
      MALLARD_RETURN_IF_ERROR(Renew());
      std::vector<std::string> command{"HMGET", items_key};
      command.insert(command.end(), keys.begin() + static_cast<std::ptrdiff_t>(start),
                     keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), start + page_)));
      MALLARD_ASSIGN_OR_RETURN(RedisReply values, Checked(pool_.Run(command)));
      for (const auto& value : values.elements) {
        if (value.IsNil()) return Expired();
        MALLARD_ASSIGN_OR_RETURN(auto status, emit(value.text));
        if (!status.ok()) return status;
      }
    }
    return VisitStatus(Done{});
  }

 private:
  // What the export read changed although it held the scope: someone wrote around the hold.
  static Unexpected<StoreError> Expired() {
    return StoreFail(StoreErrc::Unavailable, "the scope changed while it was exported; save again");
  }

  // A table's items in primary-key order: inline, or walked in pages over the live keys.
  StepResult Items(const RedisReply& part) {
    auto emit = [&](const RedisReply& text) -> StepResult {
      if (text.IsNil()) return Expired();
      auto item = codec::ItemFromText(text.text);
      if (!item) return Corrupt("item: " + item.error());
      return visit_.item(*item);
    };
    if (!IsPaged(part)) {
      for (const auto& text : part.elements[2].elements) {
        MALLARD_ASSIGN_OR_RETURN(auto status, emit(text));
        if (!status.ok()) return status;
      }
      return VisitStatus(Done{});
    }
    const std::string& order = part.elements[1].text;
    const std::string& items = part.elements[2].text;
    long long emitted = 0;
    std::string min = "-";
    for (;;) {
      MALLARD_RETURN_IF_ERROR(Renew());
      MALLARD_ASSIGN_OR_RETURN(RedisReply reply,
                               Checked(pool_.Eval(redis_scripts::RangeBatch(), {},
                                                  {order, items, "F", min, "+", std::to_string(page_), "T"})));
      if (reply.elements.size() != 2) return Corrupt("RangeBatch reply");
      const auto& members = reply.elements[0].elements;
      for (const auto& text : reply.elements[1].elements) {
        MALLARD_ASSIGN_OR_RETURN(auto status, emit(text));
        if (!status.ok()) return status;
        ++emitted;
      }
      if (members.size() < page_) break;
      min = "(" + members.back().text;
    }
    if (emitted != part.elements[3].AsInteger()) return Expired();
    return VisitStatus(Done{});
  }

  // Entries [start, start + count) of a history part.
  StoreResult<std::vector<std::string>> HistoryPage(const RedisReply& part, std::size_t start, std::size_t count) {
    std::vector<std::string> page;
    if (!IsPaged(part)) {
      const auto& entries = part.elements[1].elements;
      for (std::size_t i = start; i < entries.size() && i < start + count; ++i) page.push_back(entries[i].text);
      return page;
    }
    MALLARD_RETURN_IF_ERROR(Renew());
    MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"LRANGE", part.elements[1].text, std::to_string(start),
                                                                  std::to_string(start + count - 1)})));
    for (auto& entry : reply.elements) page.push_back(std::move(entry.text));
    return page;
  }
  static std::size_t HistoryLength(const RedisReply& part) {
    return IsPaged(part) ? static_cast<std::size_t>(part.elements[2].AsInteger()) : part.elements[1].elements.size();
  }

  // Entries written before history kept absent items' keys: each entry from `from` on whose key is
  // not written gets it from the item's next image (the next entry's `before`, or the item now).
  StoreResult<std::map<std::size_t, Item>> ResolveOldKeys(const ExportedTable& table, std::size_t from) {
    const KeySchema& keys = table.state.definition.keys;
    const std::size_t length = HistoryLength(*table.history);
    std::map<std::size_t, Item> resolved;
    std::map<std::string, std::vector<std::size_t>> waiting;  // primary key -> entries awaiting its key
    for (std::size_t start = from; start < length; start += page_) {
      MALLARD_ASSIGN_OR_RETURN(auto page, HistoryPage(*table.history, start, page_));
      for (std::size_t i = 0; i < page.size(); ++i) {
        MALLARD_ASSIGN_OR_RETURN(HistoryEntry entry, ParseHistoryEntry(page[i]));
        std::optional<Item> known = entry.key;
        if (!known && entry.before && HasKeyAttributes(keys, *entry.before)) known = ExtractKey(keys, *entry.before);
        if (known) {
          if (auto it = waiting.find(entry.primary_key); it != waiting.end()) {
            for (std::size_t index : it->second) resolved[index] = *known;
            waiting.erase(it);
          }
        }
        if (!entry.key && !entry.before) waiting[entry.primary_key].push_back(start + i);
      }
    }
    if (waiting.empty()) return resolved;
    // The rest were created and are still there: their items now give their keys.
    std::vector<std::string> pending;
    for (const auto& [primary_key, indexes] : waiting) pending.push_back(primary_key);
    std::vector<std::optional<std::string>> texts;
    const RedisReply& items = *table.items;
    if (IsPaged(items)) {
      std::vector<std::string> command{"HMGET", items.elements[2].text};
      command.insert(command.end(), pending.begin(), pending.end());
      MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run(command)));
      for (const auto& value : reply.elements)
        texts.push_back(value.IsNil() ? std::nullopt : std::optional<std::string>(value.text));
    } else {
      std::map<std::string_view, std::string_view> inline_items;
      for (std::size_t i = 0; i < items.elements[1].elements.size() && i < items.elements[2].elements.size(); ++i)
        inline_items.emplace(items.elements[1].elements[i].text, items.elements[2].elements[i].text);
      for (const auto& primary_key : pending) {
        auto it = inline_items.find(primary_key);
        texts.push_back(it == inline_items.end() ? std::nullopt : std::optional<std::string>(std::string(it->second)));
      }
    }
    for (std::size_t i = 0; i < pending.size() && i < texts.size(); ++i) {
      if (!texts[i]) return Corrupt("a history entry of table " + table.state.definition.name + " names no key");
      auto item = codec::ItemFromText(*texts[i]);
      if (!item || !HasKeyAttributes(keys, *item)) return Corrupt("item of table " + table.state.definition.name);
      for (std::size_t index : waiting[pending[i]]) resolved[index] = ExtractKey(keys, *item);
    }
    return resolved;
  }

  StepResult History(const ExportedTable& table) {
    const KeySchema& keys = table.state.definition.keys;
    const std::size_t length = HistoryLength(*table.history);
    std::optional<std::map<std::size_t, Item>> old_keys;  // resolved at the first entry that needs it
    for (std::size_t start = 0; start < length; start += page_) {
      MALLARD_ASSIGN_OR_RETURN(auto page, HistoryPage(*table.history, start, page_));
      if (page.empty()) return Expired();
      for (std::size_t i = 0; i < page.size(); ++i) {
        MALLARD_ASSIGN_OR_RETURN(HistoryEntry entry, ParseHistoryEntry(page[i]));
        PitrChange change{entry.millis, {}, std::move(entry.before)};
        if (entry.key) {
          change.key = std::move(*entry.key);
        } else if (change.before) {
          if (!HasKeyAttributes(keys, *change.before)) return Corrupt("history item without its key");
          change.key = ExtractKey(keys, *change.before);
        } else {
          if (!old_keys) {
            MALLARD_ASSIGN_OR_RETURN(old_keys, ResolveOldKeys(table, start + i));
          }
          auto it = old_keys->find(start + i);
          if (it == old_keys->end()) return Corrupt("a history entry names no key");
          change.key = it->second;
        }
        if (auto status = visit_.pitr_change(change); !status.ok()) return status;
      }
    }
    return VisitStatus(Done{});
  }

  redis::RedisPool& pool_;
  const RedisDynamoDbStore::ExportTuning& tuning_;
  const std::size_t page_;  // elements per read of a paged collection
  std::string guard_, id_;  // the hold on the scope, when there is one
  std::chrono::steady_clock::time_point renewed_;
  std::int64_t now_millis_;
  const ScopeExportVisitor& visit_;
};

}  // namespace

StoreResult<Status<std::string>> RedisDynamoDbStore::ExportScope(const Scope& scope, std::int64_t now_millis,
                                                                    const ScopeExportVisitor& visit) {
  MALLARD_ASSIGN_OR_RETURN(const std::string export_id, NextId());
  const std::string guard = keys_->ExportGuard(scope);
  MALLARD_ASSIGN_OR_RETURN(
      RedisReply reply,
      Checked(pool_.Eval(redis_scripts::SnapshotScope(),
                         {keys_->Tables(scope), keys_->Versions(scope), keys_->Streams(scope), keys_->Backups(scope)},
                         {keys_->root, guard, export_id, std::to_string(export_tuning_.inline_per_collection),
                          std::to_string(export_tuning_.inline_budget), std::to_string(export_tuning_.lease_millis),
                          std::to_string(now_millis - kStreamRetentionMillis)})));
  // The hold on the scope, if the script took one, ends with the exporter, however the export ends.
  RedisScopeExport exporter(pool_, export_tuning_, now_millis, visit);
  if (reply.elements.size() == 4 && reply.elements[3].AsInteger() == 1) exporter.Held(guard, export_id);
  if (reply.elements.size() != 4) return Corrupt("SnapshotScope reply");

  std::vector<ExportedTable> tables;
  for (const auto& row : reply.elements[0].elements) {
    if (row.elements.size() != 5 || !IsPart(row.elements[3], 3) || !IsPart(row.elements[4], 2))
      return Corrupt("SnapshotScope table");
    ExportedTable table;
    if (!ParseVersion(row.elements[1].text, table.state)) return Corrupt("table version '" + row.elements[1].text + "'");
    if (row.elements[2].IsNil()) return Corrupt("table " + row.elements[0].text + " has no definition");
    auto definition = codec::TableFromText(row.elements[2].text);
    if (!definition) return Corrupt("table definition: " + definition.error());
    table.state.definition = std::move(definition).value();
    table.items = &row.elements[3];
    table.history = &row.elements[4];
    tables.push_back(std::move(table));
  }
  std::sort(tables.begin(), tables.end(),
            [](const auto& a, const auto& b) { return a.state.definition.name < b.state.definition.name; });

  std::vector<ExportedStream> streams;
  for (const auto& row : reply.elements[1].elements) {
    if (row.elements.size() != 3 || !IsPart(row.elements[2], 2)) return Corrupt("SnapshotScope stream");
    MALLARD_ASSIGN_OR_RETURN(StreamEntry entry, ParseStreamEntry(row.elements[1].text));
    streams.push_back({row.elements[0].text, std::move(entry), &row.elements[2]});
  }
  std::sort(streams.begin(), streams.end(), [](const auto& a, const auto& b) {
    return std::tie(a.entry.description.table_name, a.arn) < std::tie(b.entry.description.table_name, b.arn);
  });

  std::vector<ExportedBackup> backups;
  for (const auto& row : reply.elements[2].elements) {
    if (row.elements.size() != 3 || !IsPart(row.elements[2], 2)) return Corrupt("SnapshotScope backup");
    MALLARD_ASSIGN_OR_RETURN(BackupEntry entry, ParseBackupEntry(row.elements[1].text));
    backups.push_back({row.elements[0].text, std::move(entry), &row.elements[2]});
  }
  std::sort(backups.begin(), backups.end(), [](const auto& a, const auto& b) { return a.arn < b.arn; });

  std::vector<bool> streamed(streams.size(), false);
  for (const auto& table : tables) {
    MALLARD_ASSIGN_OR_RETURN(auto status, exporter.Table(table));
    if (!status.ok()) return status;
    for (std::size_t s = 0; s < streams.size(); ++s) {
      if (streams[s].entry.description.table_name != table.state.definition.name) continue;
      streamed[s] = true;
      MALLARD_ASSIGN_OR_RETURN(status, exporter.Stream(streams[s]));
      if (!status.ok()) return status;
    }
  }
  for (std::size_t s = 0; s < streams.size(); ++s) {
    if (streamed[s]) continue;
    MALLARD_ASSIGN_OR_RETURN(auto status, exporter.Stream(streams[s]));
    if (!status.ok()) return status;
  }
  for (const auto& backup : backups) {
    MALLARD_ASSIGN_OR_RETURN(auto status, exporter.Backup(backup));
    if (!status.ok()) return status;
  }
  MALLARD_RETURN_IF_ERROR(exporter.Renew(true));  // held to the end: nothing written meanwhile
  return Status<std::string>(Done{});
}

// ---- Imports ----------------------------------------------------------------------------------

namespace {

// A stream entry as the Lua scripts keep it: "id|start|closed|end|description".
std::string ImportedStreamEntry(const std::string& id, const StreamExport& stream) {
  const StreamDescription& description = stream.description;
  std::string start, end;
  if (!description.shards.empty()) {
    start = std::to_string(ParseSequence(description.shards.front().starting_sequence_number));
    if (!description.shards.front().ending_sequence_number.empty())
      end = std::to_string(ParseSequence(description.shards.front().ending_sequence_number));
  }
  const bool closed = stream.closed_millis != 0 || description.status == "DISABLED";
  return id + "|" + start + "|" + (closed ? std::to_string(stream.closed_millis) : std::string()) + "|" + end + "|" +
         codec::StreamToText(description);
}

}  // namespace

StoreResult<Done> RedisDynamoDbStore::ImportTable(const Scope& scope, TableImport imported) {
  std::string table_name;
  if (imported.definition)
    table_name = imported.definition->name;
  else if (!imported.streams.empty())
    table_name = imported.streams.front().description.table_name;
  else
    return Done{};

  // Everything goes in under fresh ids first; one Apply call then swaps the table and its streams
  // in whole. Until then nothing is visible, and on failure the fresh keys are dropped.
  std::vector<std::string> written;
  auto drop_written = [&]() {
    for (std::size_t first = 0; first < written.size(); first += 100) {
      std::vector<std::string> command{"UNLINK"};
      for (std::size_t i = first; i < written.size() && i < first + 100; ++i) command.push_back(written[i]);
      (void)pool_.Run(command);
    }
  };
  auto import_all = [&]() -> StoreResult<Done> {
    ApplyCall swap;
    swap.Guard(keys_->ExportGuard(scope));
    std::uint64_t highest = 0;  // the sequence counter ends at least here
    for (const auto& stream : imported.streams) {
      for (const auto& shard : stream.description.shards) {
        highest = std::max(highest, ParseSequence(shard.ending_sequence_number));
        if (const auto start = ParseSequence(shard.starting_sequence_number); start > 0)
          highest = std::max(highest, start - 1);
      }
      for (const auto& record : stream.records) highest = std::max(highest, ParseSequence(record.sequence_number));
    }
    swap.Op({"SEQFLOOR", std::to_string(highest)});
    swap.Op({"DROPTABLE", keys_->Tables(scope), keys_->Versions(scope), keys_->TableBase(), table_name});
    swap.Op({"DROPSTREAMS", keys_->Streams(scope), keys_->StreamBase(), table_name});

    std::string open_stream_id;
    for (const auto& stream : imported.streams) {
      MALLARD_ASSIGN_OR_RETURN(const std::string stream_id, NextId());
      const std::string records_key = keys_->StreamRecords(stream_id);
      written.push_back(records_key);
      for (std::size_t first = 0; first < stream.records.size(); first += kImportBatch) {
        std::vector<std::string> command{"ZADD", records_key};
        for (std::size_t i = first; i < stream.records.size() && i < first + kImportBatch; ++i) {
          const StreamRecord& record = stream.records[i];
          command.push_back(std::to_string(ParseSequence(record.sequence_number)));
          command.push_back(std::to_string(record.created_millis) + "|" + codec::StreamRecordToText(record));
        }
        MALLARD_RETURN_IF_ERROR(Checked(pool_.Run(command)));
      }
      swap.Op({"HSET", keys_->Streams(scope), stream.description.arn, ImportedStreamEntry(stream_id, stream)});
      const auto& definition = imported.definition;
      if (definition && definition->stream.enabled && stream.description.status == "ENABLED" &&
          stream.description.label == definition->stream.label)
        open_stream_id = stream_id;  // the table's current stream (the last such, as memory keeps it)
    }

    if (const auto& definition = imported.definition) {
      MALLARD_ASSIGN_OR_RETURN(const std::string table_id, NextId());
      for (const auto& key : {keys_->Items(table_id), keys_->Order(table_id), keys_->Stats(table_id),
                              keys_->History(table_id)})
        written.push_back(key);
      for (const auto& index : definition->indexes) written.push_back(keys_->Index(table_id, index.name));
      std::map<std::string, Item> keyed;
      for (auto& item : imported.items) {
        std::string key = EncodePrimaryKey(definition->keys, item);
        keyed.insert_or_assign(std::move(key), std::move(item));
      }
      MALLARD_RETURN_IF_ERROR(LoadItems(table_id, *definition, keyed));
      for (std::size_t first = 0; first < imported.history.size(); first += kImportBatch) {
        std::vector<std::string> command{"RPUSH", keys_->History(table_id)};
        for (std::size_t i = first; i < imported.history.size() && i < first + kImportBatch; ++i) {
          const PitrChange& change = imported.history[i];
          // The key is written unless the image before names it already.
          const bool key_in_image = change.before && HasKeyAttributes(definition->keys, *change.before) &&
                                    codec::ItemToText(ExtractKey(definition->keys, *change.before)) ==
                                        codec::ItemToText(change.key);
          command.push_back(FormatHistoryEntry(change.millis, EncodePrimaryKey(definition->keys, change.key),
                                               key_in_image ? std::nullopt : std::optional<Item>(change.key),
                                               change.before ? codec::ItemToText(*change.before) : std::string()));
        }
        MALLARD_RETURN_IF_ERROR(Checked(pool_.Run(command)));
      }
      if (definition->stream.enabled && open_stream_id.empty()) {
        // Enabled without its stream in the snapshot: a new one, as a table gets when created.
        MALLARD_ASSIGN_OR_RETURN(open_stream_id, NextId());
        MALLARD_ASSIGN_OR_RETURN(const std::uint64_t counter, CurrentSequence());
        const std::uint64_t current = std::max(counter, highest);
        const StreamDescription stream = NewStream(*definition, WallClockMillis(), current);
        swap.Op({"HSET", keys_->Streams(scope), stream.arn, FormatStreamEntry(open_stream_id, current + 1, stream)});
      }
      swap.Op({"HSET", keys_->Tables(scope), table_name, codec::TableToText(*definition)});
      swap.Op({"HSET", keys_->Versions(scope), table_name, FormatVersion(table_id, 1, open_stream_id)});
    }
    swap.Op({"SADD", keys_->ScopeSet(), KeyNames::ScopeMember(scope)});
    MALLARD_RETURN_IF_ERROR(swap.Run(pool_, keys_->SequenceCounter()));
    return Done{};
  };
  auto result = import_all();
  if (!result) drop_written();
  return result;
}

StoreResult<Done> RedisDynamoDbStore::ImportBackup(const Scope& scope, BackupImport imported) {
  const BackupDescription& description = imported.description;
  MALLARD_ASSIGN_OR_RETURN(const std::string items_id, NextId());
  const std::string items_key = keys_->BackupItems(items_id);
  auto stored = [&]() -> StoreResult<Done> {
    for (std::size_t first = 0; first < imported.items.size(); first += kImportBatch) {
      std::vector<std::string> command{"HSET", items_key};
      for (std::size_t i = first; i < imported.items.size() && i < first + kImportBatch; ++i) {
        command.push_back(EncodePrimaryKey(description.table.keys, imported.items[i]));
        command.push_back(codec::ItemToText(imported.items[i]));
      }
      MALLARD_RETURN_IF_ERROR(Checked(pool_.Run(command)));
    }
    // Replaces the backup of the same ARN (its items go with it) unless it changed meanwhile.
    for (int attempt = 0; attempt < 16; ++attempt) {
      MALLARD_ASSIGN_OR_RETURN(RedisReply old, Checked(pool_.Run({"HGET", keys_->Backups(scope), description.arn})));
      ApplyCall call;
      call.Guard(keys_->ExportGuard(scope));
      call.Check(keys_->Backups(scope), description.arn, old.IsNil() ? std::string() : old.text);
      if (!old.IsNil()) {
        MALLARD_ASSIGN_OR_RETURN(BackupEntry entry, ParseBackupEntry(old.text));
        call.Op({"UNLINK", keys_->BackupItems(entry.items_id)});
      }
      call.Op({"HSET", keys_->Backups(scope), description.arn, items_id + "|" + codec::BackupToText(description)});
      call.Op({"SADD", keys_->ScopeSet(), KeyNames::ScopeMember(scope)});
      MALLARD_ASSIGN_OR_RETURN(auto outcome, call.Run(pool_, keys_->SequenceCounter()));
      if (outcome.applied) return Done{};
    }
    return StoreFail(StoreErrc::Conflict, "the backup kept changing");
  };
  auto result = stored();
  if (!result) (void)pool_.Run({"UNLINK", items_key});
  return result;
}

StoreResult<Done> RedisDynamoDbStore::ClearScope(const Scope& scope) {
  for (int round = 0;; ++round) {
    MALLARD_ASSIGN_OR_RETURN(
        RedisReply reply,
        Checked(pool_.Eval(redis_scripts::ClearScope(),
                           {keys_->Tables(scope), keys_->Versions(scope), keys_->Streams(scope), keys_->Backups(scope),
                            keys_->ExportGuard(scope)},
                           {keys_->TableBase(), keys_->StreamBase(), keys_->root + "b:", keys_->ScopeSet(),
                            KeyNames::ScopeMember(scope)})));
    if (reply.AsText() != "EXPORTING") return Done{};
    WaitForExport(round);
  }
}

StoreResult<std::vector<Scope>> RedisDynamoDbStore::ListStateScopes() {
  MALLARD_ASSIGN_OR_RETURN(RedisReply members, Checked(pool_.Run({"SMEMBERS", keys_->ScopeSet()})));
  std::vector<Scope> candidates;
  std::vector<std::vector<std::string>> counts;
  for (const auto& member : members.elements) {
    const auto separator = member.text.find('\x1f');
    if (separator == std::string::npos) continue;
    candidates.push_back({member.text.substr(0, separator), member.text.substr(separator + 1)});
    counts.push_back({"HLEN", keys_->Tables(candidates.back())});
    counts.push_back({"HLEN", keys_->Streams(candidates.back())});
    counts.push_back({"HLEN", keys_->Backups(candidates.back())});
  }
  if (candidates.empty()) return candidates;
  MALLARD_ASSIGN_OR_RETURN(auto replies, Checked(pool_.Pipeline(counts)));
  if (replies.size() != counts.size()) return Corrupt("scope counts");
  std::vector<Scope> scopes;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (replies[3 * i].AsInteger() + replies[3 * i + 1].AsInteger() + replies[3 * i + 2].AsInteger() > 0)
      scopes.push_back(candidates[i]);
  std::sort(scopes.begin(), scopes.end());
  return scopes;
}

}  // namespace mallard::dynamodb
