#pragma once
// What DynamoDB keeps about tables, indexes, streams and backups: plain data shared by the service
// (which validates and renders it) and the stores (which store it and maintain the indexes).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "services/dynamodb/model/ddb_value.hpp"

namespace mallard::dynamodb {

// Tables live per account and region, as in AWS.
struct Scope {
  std::string account;
  std::string region;
  bool operator<(const Scope& other) const {
    return account != other.account ? account < other.account : region < other.region;
  }
  bool operator==(const Scope&) const = default;
};

struct KeyElement {
  std::string name;
  AttrType type = AttrType::S;  // S, N or B
};

struct KeySchema {
  KeyElement partition;
  std::optional<KeyElement> sort;
  // A global index's key may have up to four HASH and four RANGE attributes (multi-attribute keys,
  // AWS since November 2025): `partition` and `sort` are the first of each, these the others, in
  // KeySchema order. Always empty for tables, local indexes and single-attribute GSI keys, so code
  // that knows only `partition` and `sort` keeps working for them unchanged.
  std::vector<KeyElement> more_partition;
  std::vector<KeyElement> more_sort;

  bool IsMultiAttribute() const { return !more_partition.empty() || !more_sort.empty(); }
  std::size_t PartitionCount() const { return 1 + more_partition.size(); }
  const KeyElement& PartitionAt(std::size_t i) const { return i == 0 ? partition : more_partition[i - 1]; }
  std::size_t SortCount() const { return sort ? 1 + more_sort.size() : 0; }
  const KeyElement& SortAt(std::size_t i) const { return i == 0 ? *sort : more_sort[i - 1]; }
};

enum class ProjectionType : unsigned char { All, KeysOnly, Include };

struct IndexProjection {
  ProjectionType type = ProjectionType::All;
  std::vector<std::string> non_key_attributes;  // Include only
};

struct Throughput {
  std::int64_t read_units = 0;
  std::int64_t write_units = 0;
  std::int64_t last_increase_millis = 0;
  std::int64_t last_decrease_millis = 0;
  std::int64_t decreases_today = 0;
};

// WarmThroughput: the read and write units per second a table or GSI can serve at once. DynamoDB
// reports it for every table (at least 12,000 reads and 4,000 writes per second); a request may only
// raise it.
struct WarmThroughput {
  std::int64_t read_units_per_second = 0;   // 0 = not set: DescribeTable reports the minimum
  std::int64_t write_units_per_second = 0;
};

// A resource-based policy (PutResourcePolicy) of a table or one of its streams.
struct ResourcePolicy {
  std::string document;     // the JSON text as given
  std::string revision_id;  // changes with every new document
};

// Calls `visit` with every key element of `keys` (KeySchema or const KeySchema): the HASH ones,
// then the RANGE ones, each in KeySchema order.
template <typename Keys, typename Visit>
void ForEachKeyElement(Keys& keys, Visit visit) {
  visit(keys.partition);
  for (auto& element : keys.more_partition) visit(element);
  if (keys.sort) visit(*keys.sort);
  for (auto& element : keys.more_sort) visit(element);
}

struct IndexDefinition {
  std::string name;
  bool global = true;
  KeySchema keys;
  IndexProjection projection;
  Throughput throughput;  // GSIs of provisioned tables
  std::string status = "ACTIVE";
  std::string arn;
  WarmThroughput warm;  // GSIs
};

struct StreamSettings {
  bool enabled = false;
  std::string view_type;  // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
  std::string label;      // the current (latest) stream's label; kept after disabling
};

struct TableDefinition {
  std::string name;
  std::string table_id;
  std::string arn;
  KeySchema keys;
  std::map<std::string, AttrType> attribute_definitions;
  std::vector<IndexDefinition> indexes;  // global and local
  std::string billing_mode = "PROVISIONED";
  std::int64_t billing_mode_changed_millis = 0;
  Throughput throughput;
  std::int64_t created_millis = 0;
  std::string status = "ACTIVE";
  StreamSettings stream;
  std::string ttl_attribute;  // non-empty = TTL enabled on this attribute
  bool pitr_enabled = false;
  std::int64_t pitr_enabled_millis = 0;
  bool deletion_protection = false;
  std::string table_class = "STANDARD";
  std::map<std::string, std::string> tags;
  // Restores record where they came from (DescribeTable RestoreSummary).
  std::string restored_from_backup_arn;
  std::string restored_from_table_arn;
  std::int64_t restored_millis = 0;
  // Point-in-time recovery window in days (UpdateContinuousBackups RecoveryPeriodInDays, 1-35).
  std::int64_t pitr_recovery_days = 35;
  // SSESpecification Enabled=true: the KMS key's ARN, which SSEDescription echoes; empty = the AWS
  // owned key, which DescribeTable does not describe.
  std::string sse_kms_key_arn;
  WarmThroughput warm;
  // Resource-based policies by resource: "" = the table, a stream label = that stream.
  std::map<std::string, ResourcePolicy> policies;

  const IndexDefinition* FindIndex(const std::string& index_name) const {
    for (const auto& index : indexes)
      if (index.name == index_name) return &index;
    return nullptr;
  }
};

// The key attributes of `item` under `keys` (precondition: the item has them).
Item ExtractKey(const KeySchema& keys, const Item& item);

// One change of one item, as DynamoDB Streams reports it.
struct StreamRecord {
  std::string event_id;
  std::string event_name;  // INSERT, MODIFY, REMOVE
  std::string sequence_number;  // decimal digits, increasing within a shard
  std::int64_t created_millis = 0;
  Item keys;
  std::optional<Item> old_image;
  std::optional<Item> new_image;
  std::size_t size_bytes = 0;
  std::string view_type;
  bool by_ttl = false;  // deleted by TTL: userIdentity is the DynamoDB service principal
};

struct StreamShard {
  std::string shard_id;
  std::string parent_shard_id;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // empty while open
};

struct StreamDescription {
  std::string arn;
  std::string label;
  std::string table_name;
  std::string status;  // ENABLED, DISABLED
  std::string view_type;
  KeySchema keys;
  std::int64_t created_millis = 0;
  std::vector<StreamShard> shards;
};

struct BackupDescription {
  std::string arn;
  std::string name;
  std::string table_name;
  std::string table_arn;
  std::string table_id;
  std::string status = "AVAILABLE";
  std::string type = "USER";
  std::int64_t created_millis = 0;
  std::int64_t size_bytes = 0;
  std::int64_t item_count = 0;
  TableDefinition table;  // the definition at backup time
};

}  // namespace mallard::dynamodb
