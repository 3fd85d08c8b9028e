#pragma once
// OperationTable: the one list of a service's operations. A row names the operation, its handler,
// where it runs and (for awsQuery services) its input/output shapes; the descriptor's operation
// list, the dispatch and the awsQuery shapes are all read from it, so they cannot drift apart.
#include <algorithm>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/operation.hpp"
#include "protocol/shape.hpp"

namespace mallard::services::kit {

// Where an operation runs (OperationExecutor honours it).
enum class RunOn : unsigned char {
  Inline,  // in-process state only: on the calling (network) thread
  Pool,    // may wait (an engine catalogue read, a large page): on the service's own pool
  Store,   // works on the service's store: inline when the store is in-process (memory), on the
           // pool when it is remote (Redis), so a network thread never waits on store I/O
};

// How a handler answers before returning, unless the service's table names another signature.
template <typename Svc>
using SyncHandler = protocol::OperationResult (Svc::*)(const protocol::OperationRequest&);

// `HandlerT`: a service whose handlers take a call of its own (DynamoDB's Call, judged before the
// handler runs) names that signature; it then runs its rows itself (OperationExecutor::Run), and
// the table still gives it the one list of names and the dispatch.
template <typename Svc, typename HandlerT = SyncHandler<Svc>>
struct Operation {
  using Handler = HandlerT;
  // Completes `done` exactly once, possibly later and on another thread (SQS's long poll).
  using AsyncHandler = void (Svc::*)(protocol::OperationRequest, protocol::OperationCallback);

  Operation(std::string name, Handler handler, RunOn run_on = RunOn::Inline, protocol::OperationShapes shapes = {})
      : name(std::move(name)), handler(handler), run_on(run_on), shapes(shapes) {}
  Operation(std::string name, AsyncHandler handler, RunOn run_on = RunOn::Inline, protocol::OperationShapes shapes = {})
      : name(std::move(name)), async_handler(handler), run_on(run_on), shapes(shapes) {}

  std::string name;  // AWS's operation name, verbatim
  Handler handler = nullptr;             // exactly one of these two is set
  AsyncHandler async_handler = nullptr;
  RunOn run_on = RunOn::Inline;
  protocol::OperationShapes shapes;  // awsQuery members; empty for awsJson-only services
};

template <typename Svc, typename HandlerT = SyncHandler<Svc>>
class OperationTable {
 public:
  using Row = Operation<Svc, HandlerT>;
  OperationTable(std::initializer_list<Row> rows) : rows_(rows) {
    for (std::size_t i = 0; i < rows_.size(); ++i) by_name_.emplace(rows_[i].name, i);
  }

  // nullptr: not an operation of this service.
  const Row* Find(std::string_view name) const {
    auto found = by_name_.find(name);
    return found == by_name_.end() ? nullptr : &rows_[found->second];
  }
  const protocol::OperationShapes* Shapes(std::string_view name) const {
    const Row* row = Find(name);
    return row == nullptr ? nullptr : &row->shapes;
  }
  // Sorted, for the service descriptor (health output, README check).
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& row : rows_) names.push_back(row.name);
    std::sort(names.begin(), names.end());
    return names;
  }
  const std::vector<Row>& Rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
  std::map<std::string, std::size_t, std::less<>> by_name_;
};

}  // namespace mallard::services::kit
