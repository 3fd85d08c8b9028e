// ScopeJournal (kit/scope_journal.hpp): after operations that may change a scope, the scope is
// journaled whole, and replaying the journal gives the state the service ended with — also when
// many threads change the same scope at once (the journal's last record must be the newest state,
// not whichever save finished last). Reads are not journaled; Close and Reset behave.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <mutex>
#include <thread>

#include "services/kit/scope_journal.hpp"

namespace mallard::services {
namespace {
namespace json = boost::json;

// A service state: a counter and a list of names per scope.
class CounterState final : public ServiceState {
 public:
  int RecordVersion() const override { return 1; }
  Result<std::vector<StateScope>, std::string> Scopes() override {
    std::lock_guard lock(mutex);
    std::vector<StateScope> scopes;
    for (const auto& [scope, value] : counters) scopes.push_back(scope);
    return scopes;
  }
  Status<std::string> Save(const StateScope& scope, const StateRecordSink& sink) override {
    std::int64_t value = 0;
    {
      std::lock_guard lock(mutex);
      auto found = counters.find(scope);
      if (found == counters.end()) return Done{};
      value = found->second;
    }
    std::this_thread::yield();  // widen the window between reading and journaling
    return sink(StateRecord{"counter", json::object{{"value", value}}});
  }
  Status<std::string> Load(const StateScope& scope, int, const StateRecordSource& records) override {
    for (;;) {
      MALLARD_ASSIGN_OR_RETURN(auto record, records());
      if (!record) return Done{};
      if (record->kind != "counter") return Fail("unknown kind " + record->kind);
      std::lock_guard lock(mutex);
      counters[scope] = record->body.at("value").as_int64();
    }
  }
  Status<std::string> Clear(const StateScope& scope) override {
    std::lock_guard lock(mutex);
    counters.erase(scope);
    return Done{};
  }
  std::mutex mutex;
  std::map<StateScope, std::int64_t> counters;
};

class RecordingSink final : public StateChangeSink {
 public:
  void Record(std::span<const StateChange> changes) override {
    std::lock_guard lock(mutex);
    log.insert(log.end(), changes.begin(), changes.end());
  }
  std::mutex mutex;
  std::vector<StateChange> log;
};

protocol::OperationRequest Request(std::string operation, std::string account, std::string region) {
  protocol::OperationRequest request;
  request.operation = std::move(operation);
  request.context.account_id = std::move(account);
  request.context.region = std::move(region);
  return request;
}

std::shared_ptr<ScopeJournal> JournalOf(CounterState& state) {
  return std::make_shared<ScopeJournal>(state, [](std::string_view operation) { return !ReadsByName(operation); });
}

std::map<StateScope, std::int64_t> Replayed(const std::vector<StateChange>& log) {
  CounterState replayed;
  for (const auto& change : log) {
    auto applied = ScopeJournal::Apply(replayed, change);
    EXPECT_TRUE(applied.ok()) << applied.error();
  }
  return replayed.counters;
}

TEST(ScopeJournal, ConcurrentChangesEndWithTheNewestStateLast) {
  for (int round = 0; round < 20; ++round) {
    CounterState state;
    auto journal = JournalOf(state);
    auto sink = std::make_shared<RecordingSink>();
    ASSERT_TRUE(journal->Attach(sink));
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        const std::string region = t % 2 ? "us-east-1" : "eu-west-1";
        for (int i = 0; i < 200; ++i) {
          auto done = journal->Wrap(Request("Increment", "111122223333", region), [](protocol::OperationResult) {});
          {
            std::lock_guard lock(state.mutex);
            ++state.counters[StateScope{"111122223333", region}];
          }
          done(json::object{});
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(state.counters.size(), 2u);
    EXPECT_EQ(Replayed(sink->log), state.counters) << "round " << round;
  }
}

TEST(ScopeJournal, ReadsUnattachedAndClosedJournalsRecordNothing) {
  CounterState state;
  auto journal = JournalOf(state);
  state.counters[{"111122223333", "us-east-1"}] = 5;
  journal->Wrap(Request("Increment", "111122223333", "us-east-1"), [](protocol::OperationResult) {})(json::object{});
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(journal->Attach(sink));
  for (const char* read : {"GetCounter", "ListCounters", "DescribeCounter", "BatchGetCounters"})
    journal->Wrap(Request(read, "111122223333", "us-east-1"), [](protocol::OperationResult) {})(json::object{});
  EXPECT_TRUE(sink->log.empty());
  // A failed call is journaled too: a batch may have changed part of the scope.
  journal->Wrap(Request("Increment", "111122223333", "us-east-1"), [](protocol::OperationResult) {})(
      Fail(AwsError::Make("Boom", 400, "failed")));
  EXPECT_EQ(sink->log.size(), 1u);
  journal->Close();
  journal->Wrap(Request("Increment", "111122223333", "us-east-1"), [](protocol::OperationResult) {})(json::object{});
  journal->Changed({"111122223333", "us-east-1"});
  EXPECT_EQ(sink->log.size(), 1u);
}

TEST(ScopeJournal, ResetJournalsTheScopesItEmptied) {
  CounterState state;
  state.counters[{"111122223333", "us-east-1"}] = 5;
  state.counters[{"444455556666", "eu-west-1"}] = 7;
  auto journal = JournalOf(state);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(journal->Attach(sink));
  journal->Changed({"111122223333", "us-east-1"});
  journal->Changed({"444455556666", "eu-west-1"});
  ASSERT_EQ(Replayed(sink->log).size(), 2u);
  journal->Reset([&] { state.counters.clear(); });
  EXPECT_TRUE(Replayed(sink->log).empty());
}

TEST(ScopeJournal, ApplyRefusesOtherKindsAndMalformedRecords) {
  CounterState state;
  StateChange other;
  other.record = {"counter", json::object{}};
  EXPECT_FALSE(ScopeJournal::Apply(state, other).ok());
  StateChange malformed;
  malformed.record = {"scope_state", json::object{{"version", 1}, {"records", json::array{json::object{{"kind", 3}}}}}};
  EXPECT_FALSE(ScopeJournal::Apply(state, malformed).ok());
  StateChange unversioned;
  unversioned.record = {"scope_state", json::object{{"records", json::array{}}}};
  EXPECT_FALSE(ScopeJournal::Apply(state, unversioned).ok());
}

}  // namespace
}  // namespace mallard::services
