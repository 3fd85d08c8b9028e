// The SnsStore conformance cases (sns_store_conformance.hpp says how a store runs them): each
// method's documented behaviour, and races between threads and between two instances. The seeded
// randomised comparisons with reference models are in sns_store_conformance_random.cpp.
#include "sns_store_conformance.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace mallard::sns::conformance {
namespace {

std::vector<std::string> KeysOf(const std::vector<StoredRecord>& records) {
  std::vector<std::string> keys;
  for (const auto& record : records) keys.push_back(record.key);
  return keys;
}

std::vector<std::string> ListKeys(SnsStore& store, Collection collection, const std::string& prefix,
                                  const std::string& after, std::size_t limit) {
  auto listed = store.List(collection, prefix, after, limit);
  EXPECT_TRUE(listed.ok()) << (listed.ok() ? "" : listed.error().detail);
  return listed.ok() ? KeysOf(*listed) : std::vector<std::string>{"<error>"};
}

std::size_t CountOf(SnsStore& store, Collection collection, const std::string& prefix) {
  auto counted = store.Count(collection, prefix);
  EXPECT_TRUE(counted.ok()) << (counted.ok() ? "" : counted.error().detail);
  return counted.ok() ? *counted : std::numeric_limits<std::size_t>::max();
}

std::vector<std::string> TaskIds(const std::vector<DeliveryTask>& tasks) {
  std::vector<std::string> ids;
  for (const auto& task : tasks) ids.push_back(task.id);
  return ids;
}

}  // namespace

// ---- versioned records ----

TEST_P(SnsStoreConformance, CreateOnlyPutThenGet) {
  auto missing = store_->Get(Collection::Topic, kTopicArn);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto version = Create(Collection::Topic, kTopicArn, R"({"name":"orders"})");
  EXPECT_GE(version, 1u);
  auto got = Peer().Get(Collection::Topic, kTopicArn);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->key, kTopicArn);
  EXPECT_EQ((*got)->document, R"({"name":"orders"})");
  EXPECT_EQ((*got)->version, version);

  // Create-only again, through either instance: AlreadyExists, and the record is untouched.
  EXPECT_EQ(CodeOf(store_->Put(Collection::Topic, kTopicArn, "{}", 0)), StoreErrc::AlreadyExists);
  EXPECT_EQ(CodeOf(Peer().Put(Collection::Topic, kTopicArn, "{}", 0)), StoreErrc::AlreadyExists);
  got = store_->Get(Collection::Topic, kTopicArn);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->document, R"({"name":"orders"})");
  EXPECT_EQ((*got)->version, version);
}

TEST_P(SnsStoreConformance, CompareVersionPut) {
  auto first = Create(Collection::Subscription, kTopicArn + ":1", "one");
  auto second = Peer().Put(Collection::Subscription, kTopicArn + ":1", "two", first);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, first) << "a successful put changes the version";
  EXPECT_GE(*second, 1u);

  // The version read before the change is stale now.
  EXPECT_EQ(CodeOf(store_->Put(Collection::Subscription, kTopicArn + ":1", "stale", first)), StoreErrc::Conflict);
  EXPECT_EQ(CodeOf(store_->Put(Collection::Subscription, kTopicArn + ":1", "made up", *second + 1000)),
            StoreErrc::Conflict);
  auto got = store_->Get(Collection::Subscription, kTopicArn + ":1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->document, "two");
  EXPECT_EQ((*got)->version, *second);

  auto third = store_->Put(Collection::Subscription, kTopicArn + ":1", "three", *second);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(*third, *second);
  EXPECT_NE(*third, first);

  // Replacing a record that does not exist: NotFound, and nothing is created.
  EXPECT_EQ(CodeOf(store_->Put(Collection::Subscription, kTopicArn + ":2", "x", 1)), StoreErrc::NotFound);
  EXPECT_EQ(CodeOf(store_->Put(Collection::Subscription, kTopicArn + ":2", "x", *third)), StoreErrc::NotFound);
  auto absent = store_->Get(Collection::Subscription, kTopicArn + ":2");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

TEST_P(SnsStoreConformance, DeleteAndCreateAgainNeverMatchesAStaleVersion) {
  auto before = Create(Collection::PlatformApplication, "app", "old");
  ASSERT_TRUE(Peer().Delete(Collection::PlatformApplication, "app").ok());
  auto gone = store_->Get(Collection::PlatformApplication, "app");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(CodeOf(store_->Delete(Collection::PlatformApplication, "app")), StoreErrc::NotFound);
  EXPECT_EQ(CodeOf(store_->Delete(Collection::PlatformApplication, "never")), StoreErrc::NotFound);
  EXPECT_EQ(CodeOf(store_->Put(Collection::PlatformApplication, "app", "late", before)), StoreErrc::NotFound);
  EXPECT_EQ(CountOf(*store_, Collection::PlatformApplication, ""), 0u);

  // A writer that read the old record must not overwrite the new one (versions change on every
  // put, the create included).
  auto after = Create(Collection::PlatformApplication, "app", "new");
  EXPECT_NE(after, before);
  EXPECT_EQ(CodeOf(store_->Put(Collection::PlatformApplication, "app", "late", before)), StoreErrc::Conflict);
  auto got = store_->Get(Collection::PlatformApplication, "app");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->document, "new");
}

TEST_P(SnsStoreConformance, CollectionsAreSeparateKeySpaces) {
  for (auto collection : kAllCollections) Create(collection, "shared-key", "doc");
  for (auto collection : kAllCollections) EXPECT_EQ(CountOf(*store_, collection, ""), 1u);
  ASSERT_TRUE(store_->Delete(Collection::Topic, "shared-key").ok());
  EXPECT_EQ(CountOf(*store_, Collection::Topic, ""), 0u);
  for (auto collection : kAllCollections) {
    if (collection == Collection::Topic) continue;
    auto got = store_->Get(collection, "shared-key");
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(got->has_value()) << static_cast<int>(collection);
    EXPECT_EQ(ListKeys(*store_, collection, "", "", 10), std::vector<std::string>{"shared-key"});
  }
  EXPECT_EQ(CodeOf(store_->Put(Collection::SmsSettings, "shared-key", "x", 0)), StoreErrc::AlreadyExists);
  EXPECT_TRUE(store_->Put(Collection::Topic, "shared-key", "x", 0).ok());
}

TEST_P(SnsStoreConformance, DocumentsRoundTripEveryByte) {
  const std::string documents[] = {"", "{}", std::string("a\0b", 3), "line\nbreak\r\n", "\xff\xfe\x80",
                                   "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", std::string(100000, 'x')};
  int n = 0;
  for (const auto& document : documents) {
    std::string key = "k";  // appended, not "k" + ...: GCC 12 warns falsely (-Wrestrict) on that
    key += std::to_string(n++);
    Create(Collection::ConfirmationToken, key, document);
    auto got = Peer().Get(Collection::ConfirmationToken, key);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->document, document) << key;
  }
  auto listed = store_->List(Collection::ConfirmationToken, "", "", 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), std::size(documents));
  for (const auto& record : *listed) EXPECT_EQ(record.document, documents[std::stoi(record.key.substr(1))]);
}

TEST_P(SnsStoreConformance, ListIsByteOrderedWithPrefixAfterAndLimit) {
  // Keys sharing prefixes, with separators and non-ASCII bytes (which sort after ASCII as bytes).
  const std::string a = "arn:aws:sns:us-east-1:111:";
  std::vector<std::string> keys = {a + "t",     a + "t:1",       a + "t:2",  a + "t:10", a + "t/x",
                                   a + "t+1",   a + "tt",        a + "T",    a + "t\xc3\xa9",
                                   a + "t\xff", a + "t\xff\xff", a + "u",    "arn:aws:sns:us-east-1:222:t"};
  std::vector<std::uint64_t> versions;
  for (const auto& key : keys) versions.push_back(Create(Collection::Subscription, key, "doc of " + key));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end(), [](const std::string& x, const std::string& y) {
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                        [](char p, char q) { return static_cast<unsigned char>(p) < static_cast<unsigned char>(q); });
  });
  auto starting = [&](const std::string& prefix, const std::string& after) {
    std::vector<std::string> out;
    for (const auto& key : sorted) {
      if (key.compare(0, prefix.size(), prefix) == 0 && (after.empty() || key > after)) out.push_back(key);
    }
    return out;
  };

  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, "", "", 100), sorted);
  EXPECT_EQ(ListKeys(Peer(), Collection::Subscription, a + "t", "", 100), starting(a + "t", ""));
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, a + "t:", "", 100),
            (std::vector<std::string>{a + "t:1", a + "t:10", a + "t:2"}));
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, a + "t\xff", "", 100),
            (std::vector<std::string>{a + "t\xff", a + "t\xff\xff"}));
  EXPECT_TRUE(ListKeys(*store_, Collection::Subscription, a + "v", "", 100).empty());
  EXPECT_TRUE(ListKeys(*store_, Collection::Subscription, "arn:aws:sns:us-east-1:333:", "", 100).empty());

  // `after`: strictly after, whether or not it is a key, before the prefix or inside it.
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, a + "t", a + "t:1", 100), starting(a + "t", a + "t:1"));
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, a + "t", a + "t:15", 100), starting(a + "t", a + "t:15"));
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, a + "t", "arn", 100), starting(a + "t", ""));
  EXPECT_TRUE(ListKeys(*store_, Collection::Subscription, a + "t", a + "t\xff\xff", 100).empty());
  EXPECT_TRUE(ListKeys(*store_, Collection::Subscription, a + "t", a + "zzz", 100).empty());
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, "", a + "u", 100),
            (std::vector<std::string>{"arn:aws:sns:us-east-1:222:t"}));

  // `limit`, and paging through with the last key as `after`.
  EXPECT_TRUE(ListKeys(*store_, Collection::Subscription, "", "", 0).empty());
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, "", "", 1), std::vector<std::string>{sorted[0]});
  EXPECT_EQ(ListKeys(*store_, Collection::Subscription, "", "", std::numeric_limits<std::size_t>::max()), sorted);
  std::vector<std::string> paged;
  std::string after;
  for (int page = 0; page < 100; ++page) {
    auto keys_page = ListKeys(*store_, Collection::Subscription, a, after, 3);
    EXPECT_LE(keys_page.size(), 3u);
    if (keys_page.empty()) break;
    paged.insert(paged.end(), keys_page.begin(), keys_page.end());
    after = keys_page.back();
  }
  EXPECT_EQ(paged, starting(a, ""));

  // Records come with their documents and current versions.
  auto listed = store_->List(Collection::Subscription, "", "", 100);
  ASSERT_TRUE(listed.ok());
  for (const auto& record : *listed) {
    auto index = std::find(keys.begin(), keys.end(), record.key) - keys.begin();
    EXPECT_EQ(record.document, "doc of " + record.key);
    EXPECT_EQ(record.version, versions[index]);
  }
}

TEST_P(SnsStoreConformance, CountByPrefix) {
  const std::string topic = "arn:aws:sns:us-east-1:111:t";
  for (int i = 0; i < 12; ++i) Create(Collection::Subscription, topic + ":" + std::to_string(i), "{}");
  Create(Collection::Subscription, topic + "2:0", "{}");
  Create(Collection::Topic, topic, "{}");
  EXPECT_EQ(CountOf(*store_, Collection::Subscription, topic + ":"), 12u);
  EXPECT_EQ(CountOf(Peer(), Collection::Subscription, topic), 13u);
  EXPECT_EQ(CountOf(*store_, Collection::Subscription, ""), 13u);
  EXPECT_EQ(CountOf(*store_, Collection::Subscription, topic + ":1"), 3u);  // 1, 10, 11
  EXPECT_EQ(CountOf(*store_, Collection::Subscription, topic + ":1\xff"), 0u);
  EXPECT_EQ(CountOf(*store_, Collection::Subscription, "nothing"), 0u);
  EXPECT_EQ(CountOf(*store_, Collection::SandboxNumber, ""), 0u);
  ASSERT_TRUE(store_->Delete(Collection::Subscription, topic + ":10").ok());
  EXPECT_EQ(CountOf(*store_, Collection::Subscription, topic + ":1"), 2u);
}

// ---- sent-message logs ----

TEST_P(SnsStoreConformance, SentLogsKeepOrderPerChannelAndClear) {
  auto empty = store_->ReadSent("sms");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(store_->ClearSent("sms").ok()) << "clearing an empty log is fine";

  std::vector<std::string> sms;
  for (int i = 0; i < 20; ++i) {
    sms.push_back(R"({"n":)" + std::to_string(i) + "}");
    ASSERT_TRUE((i % 2 ? Peer() : *store_).AppendSent("sms", sms.back()).ok());
  }
  ASSERT_TRUE(store_->AppendSent("platform", "").ok());
  ASSERT_TRUE(store_->AppendSent("platform", "{}").ok());
  ASSERT_TRUE(store_->AppendSent("platform", "{}").ok()) << "equal entries are kept";

  auto read = Peer().ReadSent("sms");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, sms);
  auto platform = store_->ReadSent("platform");
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ(*platform, (std::vector<std::string>{"", "{}", "{}"}));

  ASSERT_TRUE(Peer().ClearSent("sms").ok());
  read = store_->ReadSent("sms");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
  platform = store_->ReadSent("platform");
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ(platform->size(), 3u) << "clearing one channel leaves the others";

  ASSERT_TRUE(store_->AppendSent("sms", "again").ok());
  read = store_->ReadSent("sms");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, std::vector<std::string>{"again"});
}

// ---- FIFO deduplication and sequence numbers ----

TEST_P(SnsStoreConformance, DeduplicationWithinTheWindowReturnsTheFirstMessageId) {
  constexpr std::int64_t kWindow = 5 * 60 * 1000;
  auto first = store_->RememberDeduplication(kTopicArn, "d1", "m1", kStart, kWindow);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());

  auto duplicate = Peer().RememberDeduplication(kTopicArn, "d1", "m2", kStart + 1000, kWindow);
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(*duplicate, std::optional<std::string>("m1"));
  // A duplicate neither extends the window nor replaces the first id.
  duplicate = store_->RememberDeduplication(kTopicArn, "d1", "m3", kStart + kWindow - 1, kWindow);
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(*duplicate, std::optional<std::string>("m1"));

  // Other ids and other scopes are independent.
  auto other_id = store_->RememberDeduplication(kTopicArn, "d2", "m4", kStart + 1, kWindow);
  ASSERT_TRUE(other_id.ok());
  EXPECT_FALSE(other_id->has_value());
  auto other_scope = store_->RememberDeduplication(kTopicArn + "2", "d1", "m5", kStart + 1, kWindow);
  ASSERT_TRUE(other_scope.ok());
  EXPECT_FALSE(other_scope->has_value());
  // Scope and id are not just concatenated: ("a:b", "c") and ("a", "b:c") differ.
  ASSERT_TRUE(store_->RememberDeduplication("a:b", "c", "m6", kStart, kWindow).ok());
  auto split = store_->RememberDeduplication("a", "b:c", "m7", kStart, kWindow);
  ASSERT_TRUE(split.ok());
  EXPECT_FALSE(split->has_value());

  // At the window's end the id is forgotten: remembered anew, with the new message id.
  auto expired = Peer().RememberDeduplication(kTopicArn, "d1", "m8", kStart + kWindow, kWindow);
  ASSERT_TRUE(expired.ok());
  EXPECT_FALSE(expired->has_value());
  // d2 (remembered at kStart + 1) is still within its own window at kStart + kWindow. (Time only
  // moves forward here: a store may forget expired ids by the latest clock it was shown.)
  duplicate = store_->RememberDeduplication(kTopicArn, "d2", "m10", kStart + kWindow, kWindow);
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(*duplicate, std::optional<std::string>("m4"));
  duplicate = store_->RememberDeduplication(kTopicArn, "d1", "m9", kStart + kWindow + 10, kWindow);
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(*duplicate, std::optional<std::string>("m8"));
  // Once d2's window has passed too, it is new again.
  auto d2_expired = store_->RememberDeduplication(kTopicArn, "d2", "m11", kStart + 1 + kWindow, kWindow);
  ASSERT_TRUE(d2_expired.ok());
  EXPECT_FALSE(d2_expired->has_value());
}

// A window of zero (or less) remembers nothing: the same id at the same instant is new again.
TEST_P(SnsStoreConformance, DeduplicationWithAnEmptyWindowRemembersNothing) {
  for (std::int64_t window : {0, -5}) {
    for (int i = 0; i < 2; ++i) {
      auto remembered = store_->RememberDeduplication(kTopicArn, "z", i ? "m1" : "m0", kStart, window);
      ASSERT_TRUE(remembered.ok());
      EXPECT_FALSE(remembered->has_value()) << "window " << window;
    }
  }
  auto one_milli = store_->RememberDeduplication(kTopicArn, "y", "m1", kStart, 1);
  ASSERT_TRUE(one_milli.ok());
  EXPECT_FALSE(one_milli->has_value());
  auto same_instant = store_->RememberDeduplication(kTopicArn, "y", "m2", kStart, 1);
  ASSERT_TRUE(same_instant.ok());
  EXPECT_EQ(*same_instant, std::optional<std::string>("m1"));
}

TEST_P(SnsStoreConformance, SequenceNumbersIncreasePerScope) {
  for (std::uint64_t expected = 1; expected <= 5; ++expected) {
    auto next = (expected % 2 ? *store_ : Peer()).NextSequenceNumber(kTopicArn);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, expected);
  }
  auto other = store_->NextSequenceNumber(kTopicArn + "-other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, 1u) << "scopes are independent";
  auto next = store_->NextSequenceNumber(kTopicArn);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 6u);
}

// ---- the delivery schedule ----

TEST_P(SnsStoreConformance, ClaimsDueTasksEarliestFirstAndLeasesThem) {
  auto none = store_->NextDeliveryDue();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto nothing = store_->ClaimDueDeliveries(kStart, 1000, 10);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());

  ASSERT_TRUE(store_->ScheduleDelivery({"c", "doc c", kStart + 300}).ok());
  ASSERT_TRUE(store_->ScheduleDelivery({"a", "doc a", kStart + 100}).ok());
  ASSERT_TRUE(Peer().ScheduleDelivery({"b", "", kStart + 200}).ok());
  ASSERT_TRUE(store_->ScheduleDelivery({"later", "doc later", kStart + 10'000}).ok());
  auto next = Peer().NextDeliveryDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<std::int64_t>(kStart + 100));

  // Nothing is due before its time.
  auto early = store_->ClaimDueDeliveries(kStart + 99, 1000, 10);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());

  // Due at or before now, earliest first, at most `limit`.
  auto claimed = store_->ClaimDueDeliveries(kStart + 200, 1000, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(TaskIds(*claimed), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*claimed)[0].document, "doc a");
  EXPECT_EQ((*claimed)[0].due_millis, kStart + 100) << "a claimed task comes as it was scheduled";
  EXPECT_EQ((*claimed)[1].document, "");
  EXPECT_EQ((*claimed)[1].due_millis, kStart + 200);
  auto limited = Peer().ClaimDueDeliveries(kStart + 5000, 1000, 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(TaskIds(*limited), std::vector<std::string>{"c"});

  // Leased: a and b are due again at kStart + 200 + 1000, c at kStart + 5000 + 1000.
  next = store_->NextDeliveryDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<std::int64_t>(kStart + 1200));
  auto during_lease = Peer().ClaimDueDeliveries(kStart + 1199, 1000, 10);
  ASSERT_TRUE(during_lease.ok());
  EXPECT_TRUE(during_lease->empty()) << "a leased task is not handed out again within its lease";

  // The claimer died: after the lease the other server claims them.
  auto taken_over = Peer().ClaimDueDeliveries(kStart + 1200, 60'000, 10);
  ASSERT_TRUE(taken_over.ok());
  EXPECT_EQ(TaskIds(*taken_over), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*taken_over)[0].document, "doc a");

  // Completing removes; completing an unknown id (or twice) is fine.
  ASSERT_TRUE(Peer().CompleteDelivery("a").ok());
  EXPECT_TRUE(store_->CompleteDelivery("a").ok());
  EXPECT_TRUE(store_->CompleteDelivery("no such task").ok());
  auto rest = store_->ClaimDueDeliveries(kStart + 1'000'000, 1, 10);
  ASSERT_TRUE(rest.ok());
  // Earliest first: c (leased to kStart + 6000), later (kStart + 10000), b (leased to kStart + 61200).
  EXPECT_EQ(TaskIds(*rest), (std::vector<std::string>{"c", "later", "b"}));
  for (const auto& id : {"b", "c", "later"}) ASSERT_TRUE(store_->CompleteDelivery(id).ok());
  none = store_->NextDeliveryDue();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(SnsStoreConformance, SchedulingTheSameIdReplacesTheTask) {
  ASSERT_TRUE(store_->ScheduleDelivery({"retry", "attempt 1", kStart}).ok());
  auto claimed = store_->ClaimDueDeliveries(kStart, 30'000, 10);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  // The claimer reschedules the next attempt (earlier than the lease's end): one task, new due.
  ASSERT_TRUE(Peer().ScheduleDelivery({"retry", "attempt 2", kStart + 5000}).ok());
  auto next = store_->NextDeliveryDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<std::int64_t>(kStart + 5000));
  auto again = store_->ClaimDueDeliveries(kStart + 5000, 30'000, 10);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].id, "retry");
  EXPECT_EQ((*again)[0].document, "attempt 2");
  EXPECT_EQ((*again)[0].due_millis, kStart + 5000);
  // Rescheduled later than the lease: not due at the lease's end.
  ASSERT_TRUE(store_->ScheduleDelivery({"retry", "attempt 3", kStart + 100'000}).ok());
  auto early = store_->ClaimDueDeliveries(kStart + 35'000, 30'000, 10);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
  auto zero = store_->ClaimDueDeliveries(kStart + 100'000, 30'000, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->empty()) << "limit 0 claims nothing";
  next = store_->NextDeliveryDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<std::int64_t>(kStart + 100'000)) << "limit 0 leases nothing";
}

// A lease of zero leaves a claimed task due at `now`; it is still handed out once per claim, never
// as several copies of itself.
TEST_P(SnsStoreConformance, ClaimHandsOutEachTaskOnceEvenWithAZeroLease) {
  ASSERT_TRUE(store_->ScheduleDelivery({"only", "{}", kStart}).ok());
  auto claimed = store_->ClaimDueDeliveries(kStart, 0, 10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(TaskIds(*claimed), std::vector<std::string>{"only"});
  auto again = Peer().ClaimDueDeliveries(kStart, 0, 10);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(TaskIds(*again), std::vector<std::string>{"only"}) << "due again at once";
  auto negative = store_->ClaimDueDeliveries(kStart, -1000, 10);
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(TaskIds(*negative), std::vector<std::string>{"only"});
}

// ---- reset ----

TEST_P(SnsStoreConformance, ResetDropsEverything) {
  for (auto collection : kAllCollections) Create(collection, "k", "{}");
  ASSERT_TRUE(store_->AppendSent("sms", "{}").ok());
  ASSERT_TRUE(store_->RememberDeduplication(kTopicArn, "d", "m1", kStart, 300'000).ok());
  ASSERT_TRUE(store_->NextSequenceNumber(kTopicArn).ok());
  ASSERT_TRUE(store_->NextSequenceNumber(kTopicArn).ok());
  ASSERT_TRUE(store_->ScheduleDelivery({"t", "{}", kStart}).ok());

  Peer().Reset();

  for (auto collection : kAllCollections) {
    auto got = store_->Get(collection, "k");
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->has_value());
    EXPECT_EQ(CountOf(*store_, collection, ""), 0u);
    EXPECT_TRUE(ListKeys(*store_, collection, "", "", 10).empty());
  }
  auto sent = store_->ReadSent("sms");
  ASSERT_TRUE(sent.ok());
  EXPECT_TRUE(sent->empty());
  auto dedup = store_->RememberDeduplication(kTopicArn, "d", "m2", kStart + 1, 300'000);
  ASSERT_TRUE(dedup.ok());
  EXPECT_FALSE(dedup->has_value());
  auto sequence = store_->NextSequenceNumber(kTopicArn);
  ASSERT_TRUE(sequence.ok());
  EXPECT_EQ(*sequence, 1u);
  auto next = store_->NextDeliveryDue();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  // And the store works as before.
  EXPECT_GE(Create(Collection::Topic, "k", "{}"), 1u);
}

// ---- concurrency ----

TEST_P(SnsStoreConformance, RacingCreateOnlyPutsHaveOneWinner) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = kTopicArn + "-race-" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<int> won{0};
    std::atomic<int> lost{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        SnsStore& store = t % 2 ? Peer() : *store_;
        ++ready;
        while (ready < kThreads) std::this_thread::yield();
        auto put = store.Put(Collection::Topic, key, "writer " + std::to_string(t), 0);
        if (put.ok()) ++won;
        else if (put.error().code == StoreErrc::AlreadyExists) ++lost;
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(won.load(), 1) << key;
    EXPECT_EQ(lost.load(), kThreads - 1) << key;
  }
  EXPECT_EQ(CountOf(*store_, Collection::Topic, kTopicArn + "-race-"), static_cast<std::size_t>(kRounds));
}

TEST_P(SnsStoreConformance, RacingCompareVersionIncrementsLoseNothing) {
  constexpr int kThreads = 6;
  constexpr int kIncrements = 40;
  Create(Collection::SmsSettings, "000000000000:us-east-1", "0");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SnsStore& store = t % 2 ? Peer() : *store_;
      for (int i = 0; i < kIncrements; ++i) {
        for (int attempt = 0;; ++attempt) {
          if (attempt > 10'000) {
            ++failures;
            return;
          }
          auto current = store.Get(Collection::SmsSettings, "000000000000:us-east-1");
          if (!current.ok() || !current->has_value()) {
            ++failures;
            return;
          }
          int value = std::stoi((*current)->document);
          auto put = store.Put(Collection::SmsSettings, "000000000000:us-east-1", std::to_string(value + 1),
                               (*current)->version);
          if (put.ok()) break;
          if (put.error().code != StoreErrc::Conflict) {
            ++failures;
            return;
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto final_record = store_->Get(Collection::SmsSettings, "000000000000:us-east-1");
  ASSERT_TRUE(final_record.ok() && final_record->has_value());
  EXPECT_EQ((*final_record)->document, std::to_string(kThreads * kIncrements));
}

TEST_P(SnsStoreConformance, ConcurrentClaimsNeverShareATaskWithinItsLease) {
  constexpr int kTasks = 300;
  constexpr int kThreads = 6;
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(store_->ScheduleDelivery({"task-" + std::to_string(i), "{}", kStart + i % 17}).ok());
  }
  std::mutex mutex;
  std::multiset<std::string> claimed;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SnsStore& store = t % 2 ? Peer() : *store_;
      for (int round = 0; round < 1000; ++round) {
        // Every claimer's clock within the lease of every other claim.
        auto batch = store.ClaimDueDeliveries(kStart + 100 + round % 7, 60'000, 1 + t);
        if (!batch.ok()) {
          failed = true;
          return;
        }
        if (batch->empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& task : *batch) claimed.insert(task.id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kTasks)) << "every task claimed exactly once";
  std::set<std::string> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kTasks));
}

TEST_P(SnsStoreConformance, ConcurrentSequenceNumbersAndDeduplicationAreExact) {
  constexpr int kThreads = 6;
  constexpr int kEach = 50;
  std::mutex mutex;
  std::vector<std::uint64_t> numbers;
  std::vector<std::optional<std::string>> remembered;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SnsStore& store = t % 2 ? Peer() : *store_;
      for (int i = 0; i < kEach; ++i) {
        auto number = store.NextSequenceNumber(kTopicArn);
        auto dedup = store.RememberDeduplication(kTopicArn, "same", "m-" + std::to_string(t) + "-" + std::to_string(i),
                                                 kStart + i, 300'000);
        if (!number.ok() || !dedup.ok()) {
          failed = true;
          return;
        }
        std::lock_guard lock(mutex);
        numbers.push_back(*number);
        remembered.push_back(*dedup);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_FALSE(failed.load());
  std::sort(numbers.begin(), numbers.end());
  for (std::size_t i = 0; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], i + 1) << "1.." << numbers.size();
  auto winners = std::count(remembered.begin(), remembered.end(), std::nullopt);
  EXPECT_EQ(winners, 1) << "one publish remembered the id; every other one is its duplicate";
  std::set<std::string> firsts;
  for (const auto& id : remembered) {
    if (id) firsts.insert(*id);
  }
  EXPECT_EQ(firsts.size(), 1u) << "every duplicate names the same first message";
}

}  // namespace mallard::sns::conformance
