#pragma once
// Journaling (--data-dir) for services whose state is a control plane — SNS topics and
// subscriptions, STS credentials, Athena's work groups and history, Redshift Data's statements —
// and is not kept by a store that reports its own changes. After an operation that may change a
// scope, the scope is journaled whole: one "scope_state" change holding every record Save writes,
// replayed as Clear then Load. Idempotent and ordered per scope (a later record holds at least what
// an earlier one did), at the price of a save of the scope per change: right for scopes of
// hundreds of resources, slow for ones of millions (those belong in a store that reports changes,
// as SQS's and DynamoDB's memory stores do).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "protocol/operation.hpp"
#include "services/kit/service_state.hpp"
#include "services/kit/state_changes.hpp"

namespace mallard::services {

// Held by shared_ptr: work that may outlive the service (a query finishing on a pool) keeps it,
// and the service's state Closes it before going, after which it journals nothing.
class ScopeJournal : public std::enable_shared_from_this<ScopeJournal> {
 public:
  // `mutates`: whether an operation may change state (reads are not journaled).
  // `scope_of`: the scopes an operation changed, asked once it is done with its caller and input
  // (default: the caller's account and region).
  using Mutates = std::function<bool(std::string_view operation)>;
  using ScopeOf = std::function<std::vector<StateScope>(const RequestContext& context, const boost::json::object& input)>;
  ScopeJournal(ServiceState& state, Mutates mutates, ScopeOf scope_of = {});

  // For ServiceState::AttachChangeSink: journals from now on; always true.
  bool Attach(std::shared_ptr<StateChangeSink> sink);
  // For the service's Invoke: `done` wrapped so the scope is journaled, when `request` may change
  // it, before the answer leaves (the gateway then holds it until the journal is durable).
  protocol::OperationCallback Wrap(const protocol::OperationRequest& request, protocol::OperationCallback done);
  // Journals `scope` whole now (changes made outside an operation: a query that finished).
  void Changed(const StateScope& scope);
  // Runs the service's reset and journals every scope that held state before it.
  void Reset(const std::function<void()>& reset);
  // Journals nothing more (waits for a journaling under way); for the state's destructor.
  void Close();
  // For ServiceState::Apply: a "scope_state" change replayed (Clear, then Load of its records).
  static Status<std::string> Apply(ServiceState& state, const StateChange& change);

 private:
  ServiceState& state_;
  Mutates mutates_;
  ScopeOf scope_of_;
  std::mutex mutex_;  // one save-and-append at a time: the journal's last record is the newest state
  std::shared_ptr<StateChangeSink> sink_;
  // Whether a sink is attached, read without the mutex: every request asks (Wrap), and the mutex is
  // held for whole saves, which a read (ListTopics) must not wait behind.
  std::atomic<bool> attached_{false};
};

// A ServiceState journaled by a ScopeJournal (SNS, STS, Athena, Redshift Data derive from it). The
// derived class's destructor calls CloseJournal first, so no journaling runs Save on a state whose
// members are going.
class ScopeJournaledState : public ServiceState {
 public:
  bool AttachChangeSink(std::shared_ptr<StateChangeSink> sink) override { return journal_->Attach(std::move(sink)); }
  Status<std::string> Apply(const StateChange& change) override { return ScopeJournal::Apply(*this, change); }
  ScopeJournal& Journal() { return *journal_; }
  const std::shared_ptr<ScopeJournal>& JournalHandle() const { return journal_; }

 protected:
  explicit ScopeJournaledState(ScopeJournal::Mutates mutates, ScopeJournal::ScopeOf scope_of = {})
      : journal_(std::make_shared<ScopeJournal>(*this, std::move(mutates), std::move(scope_of))) {}
  void CloseJournal() { journal_->Close(); }

 private:
  std::shared_ptr<ScopeJournal> journal_;
};

// The operations of most services that change nothing: Get*, List*, Describe*, BatchGet*.
bool ReadsByName(std::string_view operation);

}  // namespace mallard::services
