#pragma once
// The hand-off between the WAL reader and one table's flusher: an ordered queue of changes and
// transaction boundaries, with the bytes it holds counted against a budget shared by every queue
// of the group. When the budget is spent the reader stops reading WAL until flushers drain.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cdc/table_schema.hpp"

namespace mallard::cdc {

using Value = std::optional<std::string>;  // PostgreSQL text output; nullopt is NULL

struct QueueItem {
  enum class Kind {
    kRow,       // a change: op 'I', 'U' or 'D' (for 'D' only key columns carry values)
    kCommit,    // the transaction `commit_lsn` committed; everything before it in the queue is complete
    kTruncate,  // TRUNCATE of the table inside transaction `commit_lsn`
    kSchema,    // the table's columns changed (new `schema`), inside transaction `commit_lsn`
  };
  Kind kind = Kind::kRow;
  std::int64_t seq = 0;           // the group's order of changes
  std::uint64_t commit_lsn = 0;   // the transaction's commit LSN: order and idempotency key
  std::uint64_t end_lsn = 0;      // kCommit: the commit's end LSN
  char op = 'I';
  std::vector<Value> values;      // in the table's column order
  std::string unchanged;          // ",3,7,": columns whose unchanged TOAST value was not sent
  std::vector<Value> old_key;     // an update that changed the key: the old key (key columns set)
  std::shared_ptr<const TableSchema> schema;
  std::size_t bytes = 0;
};

std::size_t ApproximateBytes(const QueueItem& item);

// The group's byte budget across all queues.
class QueueBudget {
 public:
  explicit QueueBudget(std::int64_t max_bytes) : max_bytes_(max_bytes) {}
  void Add(std::int64_t bytes);
  void Release(std::int64_t bytes);
  bool Exhausted() const;
  std::int64_t Used() const;
  std::int64_t Max() const { return max_bytes_; }
  // Waits until the budget has room again or `timeout` passes.
  void WaitForRoom(std::chrono::milliseconds timeout);

 private:
  const std::int64_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::int64_t used_ = 0;
};

class TableQueue {
 public:
  explicit TableQueue(std::shared_ptr<QueueBudget> budget) : budget_(std::move(budget)) {}
  ~TableQueue();
  void Push(QueueItem item);
  // Up to `max_items`, waiting at most `timeout` for the first one.
  std::vector<QueueItem> Drain(std::size_t max_items, std::chrono::milliseconds timeout);
  std::int64_t Bytes() const;
  std::size_t Size() const;
  void Wake();

 private:
  std::shared_ptr<QueueBudget> budget_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<QueueItem> items_;
  std::int64_t bytes_ = 0;
  bool woken_ = false;
};

}  // namespace mallard::cdc
