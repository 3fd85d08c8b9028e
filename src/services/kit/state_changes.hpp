#pragma once
// State changes for the journal (--data-dir, issue 18): a store that keeps its state in process
// memory reports every change it applies, in the snapshot's record form, so the journal can replay
// them over the last snapshot after a restart. A change is the whole new state of one resource (a
// queue, a message, a table, an item) or its removal: replaying changes is idempotent and order
// alone decides the outcome, so a snapshot taken while changes go on needs no pause of the writers.
#include <memory>
#include <span>

#include "services/kit/service_state.hpp"

namespace mallard::services {

struct StateChange {
  enum class Op : unsigned char {
    kPut,     // `record` is the resource's whole state now (as Save writes it)
    kRemove,  // the resource is gone; `record` holds its kind and the fields that name it
  };
  Op op = Op::kPut;
  StateScope scope;
  StateRecord record;
};

// Where a store reports its changes. Called under the store's own lock, right after the changes
// are applied and in the order they were, so journal order is the order of the changes; one call
// per atomic unit of the store (a transaction's items in one call). Must not block on I/O: it
// copies and returns. The changes live for the call only, and a record's JSON may live in a
// scratch memory resource of the reporting thread's (SQS builds message records there): a sink
// that keeps a record copies it deep into storage of its own, json::object(body, storage_ptr()),
// since a plain json copy shares the original's memory resource.
class StateChangeSink {
 public:
  virtual ~StateChangeSink() = default;
  virtual void Record(std::span<const StateChange> changes) = 0;
};

}  // namespace mallard::services
