#pragma once
// ServiceState: how a stateful service takes part in snapshots (save, restore, merge) without the
// snapshot knowing its store. A service writes its state as records — plain JSON objects of a kind
// the service names ("queue", "message", "table", "item") — per scope (account and region), and
// loads the same records back into whatever store it runs on. The records are the service's model,
// never its store's layout, so a snapshot from the memory store loads into the Redis store and back.
//
// The snapshot file, the merge strategies and the endpoints live in app/ (state/README.md); a
// service only answers the four calls below. They may block on the store: the caller runs them on
// a worker thread, never on a network thread.
#include <boost/json/object.hpp>

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace mallard::services {

struct StateChange;
class StateChangeSink;

// Where state lives: one account in one region. Services with account-global state (none today)
// would use region "".
struct StateScope {
  std::string account;
  std::string region;
  auto operator<=>(const StateScope&) const = default;
};

// One record of a snapshot. `kind` says what it is; `body` holds everything needed to recreate
// it exactly (times as epoch milliseconds, numbers as DynamoDB's exact decimal strings, binary as
// base64). Records never hold the account or region: their scope does.
struct StateRecord {
  std::string kind;
  boost::json::object body;
};

// Receives a scope's records one at a time (so large states stream); an error stops the save.
using StateRecordSink = std::function<Status<std::string>(StateRecord record)>;

// Hands out a scope's records in the order they were saved; nullopt at the end.
using StateRecordSource = std::function<Result<std::optional<StateRecord>, std::string>()>;

class ServiceState {
 public:
  virtual ~ServiceState() = default;

  // The version of this service's record layout. Save writes it; Load accepts any version up to it
  // (a newer Mallard reads older snapshots) and refuses a newer one with a clear message.
  virtual int RecordVersion() const = 0;

  // The scopes that hold state now (any resource at all), sorted.
  virtual Result<std::vector<StateScope>, std::string> Scopes() = 0;

  // Writes every record of `scope`, consistent as of one moment: no message both in a queue and in
  // its dead-letter queue, no half-applied transaction. Requests keep being served; writes to the
  // scope may wait while it is read. Records come in load order (a queue before its messages).
  virtual Status<std::string> Save(const StateScope& scope, const StateRecordSink& sink) = 0;

  // Loads records saved by Save (of `record_version`) into `scope`: each top-level resource in
  // them (a queue with its messages, a table with its items) replaces the live resource of the same
  // name whole; resources the records do not name are kept. On an error the scope may hold part
  // of the records; the message says which record failed and why.
  virtual Status<std::string> Load(const StateScope& scope, int record_version, const StateRecordSource& records) = 0;

  // Drops everything in `scope` (restore and account-region-merge clear a scope before loading).
  virtual Status<std::string> Clear(const StateScope& scope) = 0;

  // Journaling (--data-dir; kit/state_changes.hpp). A store whose state lives in process memory
  // reports every change to `sink` from now on and answers true; a store with its own persistence
  // (Redis) answers false and is not journaled.
  virtual bool AttachChangeSink(std::shared_ptr<StateChangeSink> sink) {
    (void)sink;
    return false;
  }
  // Replays one journaled change (a Put replaces the resource whole, a Remove drops it). Only
  // called on services whose AttachChangeSink answered true.
  virtual Status<std::string> Apply(const StateChange& change);
};

}  // namespace mallard::services
