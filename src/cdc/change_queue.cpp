#include "cdc/change_queue.hpp"

namespace mallard::cdc {

std::size_t ApproximateBytes(const QueueItem& item) {
  std::size_t bytes = sizeof(QueueItem) + item.unchanged.size();
  for (const auto& value : item.values) bytes += sizeof(Value) + (value ? value->size() : 0);
  for (const auto& value : item.old_key) bytes += sizeof(Value) + (value ? value->size() : 0);
  return bytes;
}

void QueueBudget::Add(std::int64_t bytes) {
  std::lock_guard lock(mutex_);
  used_ += bytes;
}

void QueueBudget::Release(std::int64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
  }
  room_.notify_all();
}

bool QueueBudget::Exhausted() const {
  std::lock_guard lock(mutex_);
  return used_ >= max_bytes_;
}

std::int64_t QueueBudget::Used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

void QueueBudget::WaitForRoom(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  room_.wait_for(lock, timeout, [&] { return used_ < max_bytes_; });
}

TableQueue::~TableQueue() {
  std::lock_guard lock(mutex_);
  if (bytes_ > 0) budget_->Release(bytes_);
}

void TableQueue::Push(QueueItem item) {
  item.bytes = ApproximateBytes(item);
  budget_->Add(static_cast<std::int64_t>(item.bytes));
  {
    std::lock_guard lock(mutex_);
    bytes_ += static_cast<std::int64_t>(item.bytes);
    items_.push_back(std::move(item));
  }
  ready_.notify_one();
}

std::vector<QueueItem> TableQueue::Drain(std::size_t max_items, std::chrono::milliseconds timeout) {
  std::vector<QueueItem> out;
  std::int64_t released = 0;
  {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return !items_.empty() || woken_; });
    woken_ = false;
    while (!items_.empty() && out.size() < max_items) {
      released += static_cast<std::int64_t>(items_.front().bytes);
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    bytes_ -= released;
  }
  if (released > 0) budget_->Release(released);
  return out;
}

std::int64_t TableQueue::Bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t TableQueue::Size() const {
  std::lock_guard lock(mutex_);
  return items_.size();
}

void TableQueue::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  ready_.notify_all();
}

}  // namespace mallard::cdc
