// Query and Scan on Redis: a walk over a lexicographic range of a table's or index's ordering set,
// fetched in growing batches (one script call each, which also resolves index entries to items),
// until the page is full or the range ends.
#include <algorithm>

#include "services/dynamodb/redis/redis_dynamodb_store.hpp"
#include "services/dynamodb/redis/redis_dynamodb_codec.hpp"
#include "services/dynamodb/redis/redis_dynamodb_internal.hpp"
#include "services/dynamodb/redis/redis_dynamodb_scripts.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {

using redis::RedisReply;
using namespace redis_store;

namespace {

constexpr std::size_t kFirstBatch = 16;
constexpr std::size_t kLargestBatch = 512;

// `prefix` followed by the escaped bytes of `value`, without the terminator: every key whose sort
// value is `value` (or starts with it, for strings) begins with this.
std::string SortBound(const std::string& prefix, const AttributeValue& value) {
  std::string bound = prefix;
  AppendSortComponent(bound, value);
  bound.resize(bound.size() - 2);
  return bound;
}

// Just past every key whose sort value equals the bound's value: its terminator is "\0\0".
std::string PastEqual(const std::string& bound) { return bound + std::string("\0\x01", 2); }

void RaiseTo(std::string& low, const std::string& bound) { low = std::max(low, bound); }
void LowerTo(std::string& high, const std::string& bound) {
  if (high.empty() || bound < high) high = bound;
}

}  // namespace

// One walk over [low, high) (high "" = unbounded) of the table or an index.
struct RangeWalk {
  const IndexDefinition* index = nullptr;
  std::string low;
  std::string high;
  bool forward = true;
  std::function<int(const Item&)> position;  // as SortPosition
  std::size_t limit = 0;
  std::size_t max_bytes = 0;
  bool whole_items = false;
};

StoreResult<Page> RedisDynamoDbStore::ReadRange(const TableState& table, const RangeWalk& walk) {
  const TableDefinition& definition = table.definition;
  const IndexDefinition* index = walk.index;
  const std::string set = index ? keys_->Index(table.id, index->name) : keys_->Order(table.id);
  // How RangeBatch finds the item key in a member: "T" the member is it, "I" it follows the
  // partition, "S" one sort component more, "2".."4" that many (multi-attribute sort keys).
  const std::size_t sort_count = index ? index->keys.SortCount() : 0;
  const std::string mode = !index ? "T" : sort_count == 0 ? "I" : sort_count == 1 ? "S" : std::to_string(sort_count);
  std::string min = "[" + walk.low;
  std::string max = walk.high.empty() ? "+" : "(" + walk.high;
  Page page;
  bool done = false;

  // Adds an item to the page; the page ends at `limit` items or once `max_bytes` have been read,
  // and then names its last item's keys (table and index) as where the next page starts.
  auto add = [&](const Item& item) {
    Item returned = index && !walk.whole_items ? ProjectForIndex(*index, definition.keys, item) : item;
    page.bytes_read += ItemSize(returned);
    if ((walk.limit != 0 && page.items.size() + 1 >= walk.limit) || page.bytes_read >= walk.max_bytes) {
      page.last_evaluated_key = LastEvaluatedKey(definition, index, item);
      done = true;
    }
    page.items.push_back(std::move(returned));
  };

  std::size_t batch = kFirstBatch;
  while (!done) {
    std::size_t count = batch;
    if (walk.limit != 0) count = std::max<std::size_t>(1, std::min(count, walk.limit - page.items.size()));
    MALLARD_ASSIGN_OR_RETURN(
        RedisReply reply,
        Checked(pool_.Eval(redis_scripts::RangeBatch(), {},
                           {set, keys_->Items(table.id), walk.forward ? "F" : "R", min, max, std::to_string(count), mode})));
    if (reply.elements.size() != 2) return Corrupt("RangeBatch reply");
    const auto& members = reply.elements[0].elements;
    const auto& items = reply.elements[1].elements;
    for (std::size_t k = 0; k < members.size() && k < items.size() && !done; ++k) {
      if (items[k].IsNil()) continue;  // an index entry whose item is gone: not in a consistent store
      auto item = redis_codec::ItemFromText(items[k].text);
      if (!item) return Corrupt("item: " + item.error());
      const int where = walk.position(*item);
      if (walk.forward ? where > 0 : where < 0) {
        done = true;  // past the sort condition's range
        break;
      }
      if (where == 0) add(*item);
    }
    if (members.size() < count) break;  // the range is exhausted
    (walk.forward ? min : max) = "(" + members.back().text;
    batch = std::min(batch * 2, kLargestBatch);
  }
  return page;
}

StoreResult<Page> RedisDynamoDbStore::Query(const Scope& scope, const QueryRequest& request) {
  MALLARD_ASSIGN_OR_RETURN(TableState table, LoadTable(scope, request.table));
  const TableDefinition& definition = table.definition;
  MALLARD_ASSIGN_OR_RETURN(const IndexDefinition* index, ResolveIndex(definition, request.index));
  const KeySchema& keys = index ? index->keys : definition.keys;
  const std::string prefix = QueryPrefix(request);
  RangeWalk walk;
  walk.index = index;
  walk.low = prefix;
  walk.high = PrefixSuccessor(prefix);
  if (request.sort) {
    // Narrow the range to the condition's bounds; the per-item check stays authoritative.
    const std::string bound = SortBound(prefix, request.sort->value);
    switch (request.sort->op) {
      case SortOp::Eq: RaiseTo(walk.low, bound); LowerTo(walk.high, PastEqual(bound)); break;
      case SortOp::Gt:
      case SortOp::Ge: RaiseTo(walk.low, bound); break;
      case SortOp::Lt: LowerTo(walk.high, bound); break;
      case SortOp::Le: LowerTo(walk.high, PastEqual(bound)); break;
      case SortOp::Between:
        RaiseTo(walk.low, bound);
        LowerTo(walk.high, PastEqual(SortBound(prefix, request.sort->upper)));
        break;
      case SortOp::BeginsWith:
        RaiseTo(walk.low, bound);
        if (auto past = PrefixSuccessor(bound); !past.empty()) LowerTo(walk.high, past);
        break;
    }
  }
  if (request.exclusive_start_key) {
    const Item& start = *request.exclusive_start_key;
    MALLARD_ASSIGN_OR_RETURN(const std::string encoded, EncodeStartKey(definition, index, start));
    if (PartitionPrefixOf(keys, start) != PartitionPrefix(request.partition, request.more_partition))
      return StoreFail(StoreErrc::InvalidStartKey,
                         "The provided starting key is outside query boundaries based on provided conditions");
    if (request.forward)
      RaiseTo(walk.low, encoded + std::string(1, '\0'));  // the successor of the start key
    else
      LowerTo(walk.high, encoded);
  }
  walk.forward = request.forward;
  walk.limit = request.limit;
  walk.max_bytes = request.max_bytes;
  walk.whole_items = request.whole_items;
  walk.position = [&](const Item& item) { return QueryPosition(keys, request, item); };
  if (!walk.high.empty() && walk.low >= walk.high) return Page{};
  return ReadRange(table, walk);
}

StoreResult<Page> RedisDynamoDbStore::Scan(const Scope& scope, const ScanRequest& request) {
  MALLARD_ASSIGN_OR_RETURN(TableState table, LoadTable(scope, request.table));
  const TableDefinition& definition = table.definition;
  MALLARD_ASSIGN_OR_RETURN(const IndexDefinition* index, ResolveIndex(definition, request.index));
  RangeWalk walk;
  walk.index = index;
  walk.low = SegmentStart(request.segment, request.total_segments);
  if (request.segment + 1 < request.total_segments)
    walk.high = SegmentStart(request.segment + 1, request.total_segments);
  if (request.exclusive_start_key) {
    MALLARD_ASSIGN_OR_RETURN(const std::string encoded, EncodeStartKey(definition, index, *request.exclusive_start_key));
    RaiseTo(walk.low, encoded + std::string(1, '\0'));
  }
  walk.limit = request.limit;
  walk.max_bytes = request.max_bytes;
  walk.whole_items = request.whole_items;
  walk.position = [](const Item&) { return 0; };
  if (!walk.high.empty() && walk.low >= walk.high) return Page{};
  return ReadRange(table, walk);
}

}  // namespace mallard::dynamodb
