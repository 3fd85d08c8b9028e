// The SnsStore conformance suite's seeded randomised cases (sns_store_conformance.hpp says how a
// store runs them): long random sequences of calls, through the store and its peer, each result
// compared with a reference model written here as plainly as the contract reads. The seed is
// printed; MALLARD_SNS_STORE_SEED=n replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "sns_store_conformance.hpp"
#include "test_seed.hpp"

namespace mallard::sns::conformance {

// ---- seeded randomised comparison with a reference model ----

namespace {

// Keys and prefixes for humans: printable ASCII as is, every other byte as \xNN.
std::string Printable(const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "\"";
}

// The contract restated as plainly as possible: ordered maps (std::string orders bytes unsigned),
// versions remembered from what the store returned.
class ReferenceRecords {
 public:
  struct Record {
    std::string document;
    std::uint64_t version = 0;
  };
  std::map<std::string, Record>& Of(Collection collection) { return records_[collection]; }
  std::vector<StoredRecord> List(Collection collection, const std::string& prefix, const std::string& after,
                                 std::size_t limit) {
    std::vector<StoredRecord> out;
    for (const auto& [key, record] : Of(collection)) {
      if (out.size() >= limit) break;
      if (key.substr(0, prefix.size()) != prefix) continue;
      if (!after.empty() && !(key > after)) continue;
      out.push_back({key, record.document, record.version});
    }
    return out;
  }
  std::size_t Count(Collection collection, const std::string& prefix) {
    return List(collection, prefix, "", std::numeric_limits<std::size_t>::max()).size();
  }

 private:
  std::map<Collection, std::map<std::string, Record>> records_;
};

}  // namespace

TEST_P(SnsStoreConformance, RandomisedAgainstReferenceModel) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_SNS_STORE_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };

  // Keys built from pieces, so that they share prefixes and carry separators and odd bytes.
  const std::vector<std::string> pieces = {"arn:aws:sns:us-east-1:1:", "t", ":", "/", "+", "a", "1", "10",
                                           "\xc3\xa9", "\xe6\x97\xa5", "\xff", std::string("\0", 1), " "};
  std::vector<std::string> keys;
  while (keys.size() < 24) {
    std::string key;
    for (std::size_t n = 1 + pick(4); n > 0; --n) key += pieces[pick(pieces.size())];
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  auto some_text = [&]() -> std::string {
    switch (pick(5)) {
      case 0: return "";
      case 1: return keys[pick(keys.size())];
      case 2: {
        const auto& key = keys[pick(keys.size())];
        return key.substr(0, pick(key.size() + 1));
      }
      case 3: return keys[pick(keys.size())] + (pick(2) ? std::string("\x01") : std::string("\xff"));
      default: return pieces[pick(pieces.size())] + pieces[pick(pieces.size())];
    }
  };
  const std::vector<std::string> documents = {"", "{}", R"({"a":[1,2,{"b":null}]})", std::string("\0z", 2),
                                              "\xf0\x9f\x98\x80", std::string(3000, 'd')};
  const Collection collections[] = {Collection::Topic, Collection::Subscription, Collection::PlatformEndpoint};

  ReferenceRecords model;
  std::map<std::pair<Collection, std::string>, std::set<std::uint64_t>> history;  // every version a key had
  std::vector<std::uint64_t> seen_versions = {1, 2, 3};
  constexpr int kSteps = 3000;
  for (int step = 0; step < kSteps; ++step) {
    SnsStore& store = pick(2) ? *store_ : Peer();
    const Collection collection = collections[pick(std::size(collections))];
    auto& records = model.Of(collection);
    const std::string& key = keys[pick(keys.size())];
    auto current = records.find(key);
    const std::string where = "step " + std::to_string(step) + " collection " +
                              std::to_string(static_cast<int>(collection)) + " ";
    switch (pick(10)) {
      case 0: case 1: case 2: case 3: {  // Put
        std::uint64_t expected = 0;
        switch (pick(4)) {
          case 0: expected = 0; break;
          case 1: case 2: expected = current != records.end() ? current->second.version : 0; break;
          default: expected = seen_versions[pick(seen_versions.size())]; break;
        }
        const std::string& document = documents[pick(documents.size())];
        auto put = store.Put(collection, key, document, expected);
        StoreErrc want = kSucceeded;
        if (expected == 0 && current != records.end()) want = StoreErrc::AlreadyExists;
        if (expected != 0 && current == records.end()) want = StoreErrc::NotFound;
        if (expected != 0 && current != records.end() && current->second.version != expected) want = StoreErrc::Conflict;
        ASSERT_EQ(CodeOf(put), want) << where << "Put " << Printable(key) << " expecting version " << expected;
        if (put.ok()) {
          auto& versions = history[{collection, key}];
          ASSERT_GE(*put, 1u) << where;
          ASSERT_EQ(versions.count(*put), 0u) << where << "Put " << Printable(key) << " reused version " << *put;
          versions.insert(*put);
          seen_versions.push_back(*put);
          records[key] = {document, *put};
        }
        break;
      }
      case 4: {  // Delete
        auto deleted = store.Delete(collection, key);
        ASSERT_EQ(CodeOf(deleted), current != records.end() ? kSucceeded : StoreErrc::NotFound)
            << where << "Delete " << Printable(key);
        if (current != records.end()) records.erase(current);
        break;
      }
      case 5: {  // Get
        auto got = store.Get(collection, key);
        ASSERT_TRUE(got.ok()) << where << got.error().detail;
        ASSERT_EQ(got->has_value(), current != records.end()) << where << "Get " << Printable(key);
        if (current != records.end()) {
          ASSERT_EQ((*got)->key, key) << where;
          ASSERT_EQ((*got)->document, current->second.document) << where << "Get " << Printable(key);
          ASSERT_EQ((*got)->version, current->second.version) << where << "Get " << Printable(key);
        }
        break;
      }
      case 6: case 7: case 8: {  // List
        std::string prefix = some_text();
        std::string after = pick(2) ? "" : some_text();
        std::size_t limit = pick(4) ? pick(6) : 1000;
        auto listed = store.List(collection, prefix, after, limit);
        ASSERT_TRUE(listed.ok()) << where << listed.error().detail;
        auto want = model.List(collection, prefix, after, limit);
        std::string call = "List prefix " + Printable(prefix) + " after " + Printable(after) + " limit " +
                           std::to_string(limit);
        ASSERT_EQ(listed->size(), want.size()) << where << call;
        for (std::size_t i = 0; i < want.size(); ++i) {
          ASSERT_EQ(Printable((*listed)[i].key), Printable(want[i].key)) << where << call << " #" << i;
          ASSERT_EQ((*listed)[i].document, want[i].document) << where << call << " #" << i;
          ASSERT_EQ((*listed)[i].version, want[i].version) << where << call << " #" << i;
        }
        break;
      }
      default: {  // Count
        std::string prefix = some_text();
        auto counted = store.Count(collection, prefix);
        ASSERT_TRUE(counted.ok()) << where << counted.error().detail;
        ASSERT_EQ(*counted, model.Count(collection, prefix)) << where << "Count " << Printable(prefix);
      }
    }
  }
}

// The delivery schedule, deduplication, sequence numbers and sent logs, with time moving forward
// by random steps. Claims are checked as the contract words them ("up to limit tasks due at or
// before now, earliest first"), so tasks due at the same instant may come in any order.
TEST_P(SnsStoreConformance, RandomisedScheduleAndLogsAgainstReferenceModel) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_SNS_STORE_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };

  const std::vector<std::string> ids = {"t1", "t2", "t:3", "t/4", "+5", "\xc3\xa9", "\xff", std::string("\0x", 2),
                                        "arn:aws:sns:us-east-1:1:t:sub", "a b", "t10", "t1 "};
  const std::vector<std::string> scopes = {kTopicArn + ".fifo", kTopicArn + "2.fifo", "x:y"};
  const std::vector<std::string> channels = {"sms", "platform", "email"};
  const std::vector<std::string> documents = {"", "{}", R"({"attempt":3})", std::string("\0\xff", 2)};
  // Leases of at least 1 ms: a zero lease has its own case (ClaimHandsOutEachTaskOnceEvenWithAZeroLease).
  const std::int64_t leases[] = {1, 100, 1000, 30'000};
  const std::int64_t windows[] = {0, 1, 1000, 300'000};

  struct Task {
    std::string document;
    std::int64_t due = 0;
  };
  struct Remembered {
    std::string message_id;
    std::int64_t expires = 0;
  };
  std::map<std::string, Task> tasks;
  std::map<std::pair<std::string, std::string>, Remembered> remembered;
  std::map<std::string, std::uint64_t> sequences;
  std::map<std::string, std::vector<std::string>> sent;
  std::int64_t now = kStart;

  constexpr int kSteps = 3000;
  for (int step = 0; step < kSteps; ++step) {
    switch (pick(6)) {
      case 0: break;
      case 1: now += 1; break;
      case 2: now += 30'000 + static_cast<std::int64_t>(pick(300'000)); break;
      default: now += static_cast<std::int64_t>(pick(2000)); break;
    }
    SnsStore& store = pick(2) ? *store_ : Peer();
    const std::string where = "step " + std::to_string(step) + " now " + std::to_string(now - kStart) + " ";
    switch (pick(12)) {
      case 0: case 1: {  // ScheduleDelivery
        const std::string& id = ids[pick(ids.size())];
        Task task{documents[pick(documents.size())], now - 500 + static_cast<std::int64_t>(pick(5500))};
        ASSERT_TRUE(store.ScheduleDelivery({id, task.document, task.due}).ok()) << where;
        tasks[id] = task;
        break;
      }
      case 2: case 3: {  // ClaimDueDeliveries
        const std::int64_t lease = leases[pick(std::size(leases))];
        const std::size_t limit = pick(5) ? pick(5) : 1000;
        auto claimed = store.ClaimDueDeliveries(now, lease, limit);
        ASSERT_TRUE(claimed.ok()) << where << claimed.error().detail;
        std::size_t due_now = std::count_if(tasks.begin(), tasks.end(), [&](const auto& t) { return t.second.due <= now; });
        ASSERT_EQ(claimed->size(), std::min(limit, due_now)) << where << "Claim limit " << limit;
        std::set<std::string> claimed_ids;
        std::int64_t latest = std::numeric_limits<std::int64_t>::min();
        for (const auto& task : *claimed) {
          auto found = tasks.find(task.id);
          ASSERT_NE(found, tasks.end()) << where << "claimed unknown " << Printable(task.id);
          ASSERT_TRUE(claimed_ids.insert(task.id).second) << where << "claimed twice " << Printable(task.id);
          ASSERT_LE(found->second.due, now) << where << "claimed before due " << Printable(task.id);
          ASSERT_EQ(task.due_millis, found->second.due) << where << Printable(task.id);
          ASSERT_EQ(task.document, found->second.document) << where << Printable(task.id);
          ASSERT_GE(task.due_millis, latest) << where << "not earliest first";
          latest = task.due_millis;
        }
        for (const auto& [id, task] : tasks) {
          if (task.due <= now && !claimed_ids.contains(id)) {
            ASSERT_GE(task.due, latest) << where << "skipped the earlier " << Printable(id);
          }
        }
        for (const auto& id : claimed_ids) tasks[id].due = now + lease;
        break;
      }
      case 4: {  // CompleteDelivery
        const std::string& id = ids[pick(ids.size())];
        ASSERT_TRUE(store.CompleteDelivery(id).ok()) << where;
        tasks.erase(id);
        break;
      }
      case 5: {  // NextDeliveryDue
        auto next = store.NextDeliveryDue();
        ASSERT_TRUE(next.ok()) << where;
        std::optional<std::int64_t> want;
        for (const auto& [id, task] : tasks) {
          if (!want || task.due < *want) want = task.due;
        }
        ASSERT_EQ(*next, want) << where << "NextDeliveryDue";
        break;
      }
      case 6: case 7: {  // RememberDeduplication
        std::pair<std::string, std::string> key{scopes[pick(scopes.size())], ids[pick(4)]};
        const std::int64_t window = windows[pick(std::size(windows))];
        const std::string message_id = "m" + std::to_string(step);
        auto result = store.RememberDeduplication(key.first, key.second, message_id, now, window);
        ASSERT_TRUE(result.ok()) << where;
        auto found = remembered.find(key);
        if (found != remembered.end() && found->second.expires > now) {
          ASSERT_EQ(*result, std::optional<std::string>(found->second.message_id))
              << where << "duplicate of " << Printable(key.second) << " in " << key.first;
        } else {
          ASSERT_EQ(*result, std::nullopt) << where << "new " << Printable(key.second) << " in " << key.first;
          remembered[key] = {message_id, now + window};
        }
        break;
      }
      case 8: {  // NextSequenceNumber
        const std::string& scope = scopes[pick(scopes.size())];
        auto next = store.NextSequenceNumber(scope);
        ASSERT_TRUE(next.ok()) << where;
        ASSERT_EQ(*next, ++sequences[scope]) << where << scope;
        break;
      }
      case 9: {  // AppendSent
        const std::string& channel = channels[pick(channels.size())];
        std::string document = R"({"step":)" + std::to_string(step) + "}";
        ASSERT_TRUE(store.AppendSent(channel, document).ok()) << where;
        sent[channel].push_back(document);
        break;
      }
      case 10: {  // ReadSent
        const std::string& channel = channels[pick(channels.size())];
        auto read = store.ReadSent(channel);
        ASSERT_TRUE(read.ok()) << where;
        ASSERT_EQ(*read, sent[channel]) << where << channel;
        break;
      }
      default: {  // ClearSent, now and then
        if (pick(4) != 0) break;
        const std::string& channel = channels[pick(channels.size())];
        ASSERT_TRUE(store.ClearSent(channel).ok()) << where;
        sent[channel].clear();
      }
    }
  }
}

}  // namespace mallard::sns::conformance
