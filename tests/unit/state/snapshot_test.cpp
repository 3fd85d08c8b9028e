// Snapshot files: round trips, the three merge strategies, filters, and damaged files (cut at every
// line, newer versions, unknown services, random byte flips) refused before anything changes.
#include "state/snapshot.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "state/snapshot_reader.hpp"

namespace mallard::state {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

using Resources = std::map<StateScope, std::map<std::string, std::string>>;

class FakeState final : public services::ServiceState {
 public:
  int RecordVersion() const override { return version; }
  Result<std::vector<StateScope>, std::string> Scopes() override {
    std::vector<StateScope> scopes;
    for (const auto& [scope, items] : resources) {
      if (!items.empty()) scopes.push_back(scope);
    }
    return scopes;
  }
  Status<std::string> Save(const StateScope& scope, const services::StateRecordSink& sink) override {
    for (const auto& [name, value] : resources[scope]) {
      MALLARD_RETURN_IF_ERROR(sink(StateRecord{"res", json::object{{"name", name}, {"value", value}}}));
    }
    return Done{};
  }
  Status<std::string> Load(const StateScope& scope, int, const services::StateRecordSource& records) override {
    for (;;) {
      MALLARD_ASSIGN_OR_RETURN(auto next, records());
      if (!next) return Done{};
      if (next->kind != "res") return Fail("no kind '" + next->kind + "'");
      const auto* name = next->body.if_contains("name");
      const auto* value = next->body.if_contains("value");
      if (name == nullptr || value == nullptr || !name->is_string() || !value->is_string()) return Fail(std::string("bad res"));
      resources[scope][std::string(name->as_string())] = std::string(value->as_string());
    }
  }
  Status<std::string> Clear(const StateScope& scope) override {
    resources.erase(scope);
    return Done{};
  }
  Resources resources;
  int version = 1;
};

class FakeService final : public services::Service {
 public:
  explicit FakeService(std::string name) { descriptor_.name = std::move(name); }
  const services::ServiceDescriptor& Descriptor() const override { return descriptor_; }
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest, protocol::OperationCallback) override {}
  void Reset() override { state.resources.clear(); }
  std::string StoreName() const override { return "fake"; }
  services::ServiceState* State() override { return &state; }
  FakeState state;

 private:
  services::ServiceDescriptor descriptor_;
};

const StateScope kA{"111111111111", "us-east-1"};
const StateScope kB{"111111111111", "eu-west-1"};
const StateScope kC{"222222222222", "us-east-1"};

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mallard-snapshot-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    sqs_ = std::make_shared<FakeService>("sqs");
    ddb_ = std::make_shared<FakeService>("dynamodb");
    services_ = {sqs_, ddb_};
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path File(const std::string& name = "state.jsonl") const { return dir_ / name; }
  std::string Text(const fs::path& file) const {
    std::ifstream in(file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  void Write(const fs::path& file, const std::string& text) const { std::ofstream(file, std::ios::binary | std::ios::trunc) << text; }

  fs::path dir_;
  std::shared_ptr<FakeService> sqs_, ddb_;
  ServiceList services_;
};

TEST_F(SnapshotTest, SaveInspectAndLoadRoundTripEveryScope) {
  sqs_->state.resources = {{kA, {{"q1", "x"}, {"q2", "line\nbreak \"quoted\" \xe2\x9c\x93"}}}, {kC, {{"q3", "z"}}}};
  ddb_->state.resources = {{kB, {{"t1", "{\"S\":\"1\"}"}}}};
  auto saved = SaveSnapshot(services_, {}, File(), "1.2.3");
  ASSERT_TRUE(saved) << saved.error();
  EXPECT_EQ(saved->sections.size(), 3u);
  EXPECT_EQ(saved->records, 4);
  auto inspected = InspectSnapshot(File());
  ASSERT_TRUE(inspected) << inspected.error();
  EXPECT_EQ(SummaryJson(*inspected), SummaryJson(*saved));
  auto live = InspectLive(services_, {}, "1.2.3");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->records, 4);

  auto expected_sqs = sqs_->state.resources;
  auto expected_ddb = ddb_->state.resources;
  sqs_->state.resources = {{kB, {{"other", "o"}}}};
  ddb_->state.resources.clear();
  auto loaded = LoadSnapshot(services_, File(), MergeStrategy::kOverwrite, {});
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(sqs_->state.resources, expected_sqs);
  EXPECT_EQ(ddb_->state.resources, expected_ddb);
  EXPECT_EQ(loaded->records, 4);
}

TEST_F(SnapshotTest, TheStrategiesReplaceWhatLocalStacksDo) {
  sqs_->state.resources = {{kA, {{"x", "snap"}}}};
  ASSERT_TRUE(SaveSnapshot(services_, {}, File(), "v"));
  Resources live = {{kA, {{"x", "live"}, {"y", "live"}}}, {kB, {{"z", "live"}}}};
  sqs_->state.resources = live;
  ddb_->state.resources = live;
  ASSERT_TRUE(LoadSnapshot(services_, File(), MergeStrategy::kServiceMerge, {}));
  EXPECT_EQ(sqs_->state.resources, (Resources{{kA, {{"x", "snap"}, {"y", "live"}}}, {kB, {{"z", "live"}}}}));
  EXPECT_EQ(ddb_->state.resources, live);

  sqs_->state.resources = live;
  ASSERT_TRUE(LoadSnapshot(services_, File(), MergeStrategy::kAccountRegionMerge, {}));
  EXPECT_EQ(sqs_->state.resources, (Resources{{kA, {{"x", "snap"}}}, {kB, {{"z", "live"}}}}));
  EXPECT_EQ(ddb_->state.resources, live);

  sqs_->state.resources = live;
  ASSERT_TRUE(LoadSnapshot(services_, File(), MergeStrategy::kOverwrite, {}));
  EXPECT_EQ(sqs_->state.resources, (Resources{{kA, {{"x", "snap"}}}}));
  EXPECT_TRUE(ddb_->state.resources.empty());  // overwrite resets every service, not only those in the file
}

TEST_F(SnapshotTest, FiltersChooseServicesAccountsAndRegions) {
  sqs_->state.resources = {{kA, {{"a", "1"}}}, {kB, {{"b", "1"}}}, {kC, {{"c", "1"}}}};
  ddb_->state.resources = {{kA, {{"t", "1"}}}};
  auto filter = StateFilter::Parse("sqs", "111111111111", "");
  ASSERT_TRUE(filter);
  auto saved = SaveSnapshot(services_, *filter, File(), "v");
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->sections.size(), 2u);  // sqs in kA and kB
  sqs_->state.resources.clear();
  auto regions = StateFilter::Parse("", "", "eu-west-1");
  ASSERT_TRUE(LoadSnapshot(services_, File(), MergeStrategy::kServiceMerge, *regions));
  EXPECT_EQ(sqs_->state.resources, (Resources{{kB, {{"b", "1"}}}}));
  EXPECT_FALSE(StateFilter::Parse("sqs,,dynamodb", "", ""));
  EXPECT_FALSE(ParseMergeStrategy("merge"));
}

TEST_F(SnapshotTest, AFileCutAtAnyLineIsRefusedAndChangesNothing) {
  sqs_->state.resources = {{kA, {{"a", "1"}, {"b", "2"}}}, {kB, {{"c", "3"}}}};
  ASSERT_TRUE(SaveSnapshot(services_, {}, File(), "v"));
  std::string whole = Text(File());
  std::vector<std::size_t> line_ends;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (whole[i] == '\n') line_ends.push_back(i + 1);
  }
  Resources live = {{kC, {{"live", "1"}}}};
  for (std::size_t cut = 0; cut + 1 < line_ends.size(); ++cut) {
    Write(File("cut.jsonl"), whole.substr(0, line_ends[cut]));
    sqs_->state.resources = live;
    auto loaded = LoadSnapshot(services_, File("cut.jsonl"), MergeStrategy::kOverwrite, {});
    ASSERT_FALSE(loaded) << "cut after line " << cut + 1;
    EXPECT_EQ(sqs_->state.resources, live) << "cut after line " << cut + 1 << ": " << loaded.error();
  }
}

TEST_F(SnapshotTest, NewerVersionsUnknownServicesAndBadLinesAreRefusedClearly) {
  sqs_->state.resources = {{kA, {{"a", "1"}}}};
  ASSERT_TRUE(SaveSnapshot(services_, {}, File(), "v"));
  std::string whole = Text(File());

  std::string newer = whole;
  newer.replace(newer.find("\"format\":1"), 10, "\"format\":9");
  Write(File("newer.jsonl"), newer);
  auto refused = LoadSnapshot(services_, File("newer.jsonl"), MergeStrategy::kOverwrite, {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("newer than this Mallard reads"), std::string::npos) << refused.error();

  sqs_->state.version = 0;  // this server reads an older record layout than the file's
  auto records_newer = LoadSnapshot(services_, File(), MergeStrategy::kOverwrite, {});
  ASSERT_FALSE(records_newer);
  EXPECT_NE(records_newer.error().find("sqs records are version 1"), std::string::npos) << records_newer.error();
  sqs_->state.version = 1;

  ServiceList without_sqs = {ddb_};
  auto unknown = LoadSnapshot(without_sqs, File(), MergeStrategy::kOverwrite, {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("state of sqs"), std::string::npos) << unknown.error();

  std::string bad = whole;
  bad.insert(bad.find('\n') + 1, "{not json}\n");
  Write(File("bad.jsonl"), bad);
  auto parse = InspectSnapshot(File("bad.jsonl"));
  ASSERT_FALSE(parse);
  EXPECT_NE(parse.error().find("line 2"), std::string::npos) << parse.error();
}

// Random damage: a flipped byte or a dropped line anywhere. Reading never crashes; a load that is
// refused leaves the live state untouched.
TEST_F(SnapshotTest, RandomDamageIsRefusedOrHarmless) {
  sqs_->state.resources = {{kA, {{"a", "1"}, {"b", "2"}}}, {kB, {{"c", "3"}}}};
  ddb_->state.resources = {{kC, {{"t", "4"}}}};
  ASSERT_TRUE(SaveSnapshot(services_, {}, File(), "v"));
  std::string whole = Text(File());
  std::mt19937_64 random(18);
  int refused = 0;
  for (int round = 0; round < 500; ++round) {
    std::string damaged = whole;
    std::size_t at = random() % damaged.size();
    if (random() % 2 == 0) {
      damaged[at] = static_cast<char>(random() % 256);
    } else {
      auto start = damaged.rfind('\n', at);
      start = start == std::string::npos ? 0 : start + 1;
      auto end = damaged.find('\n', at);
      damaged.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
    }
    Write(File("damaged.jsonl"), damaged);
    Resources live = {{kC, {{"live", "1"}}}};
    sqs_->state.resources = live;
    ddb_->state.resources = live;
    auto loaded = LoadSnapshot(services_, File("damaged.jsonl"), MergeStrategy::kOverwrite, {});
    if (!loaded) {
      ++refused;
      if (loaded.error().rfind("loading ", 0) != 0) {
        EXPECT_EQ(sqs_->state.resources, live) << loaded.error();
        EXPECT_EQ(ddb_->state.resources, live) << loaded.error();
      }
    }
  }
  EXPECT_GT(refused, 400);
}

TEST(SnapshotLineTest, ArbitraryTextNeverCrashesTheLineParser) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) {
    std::string text(random() % 64, '\0');
    for (auto& c : text) c = "{}[]\":,kindbodysectionendmallard_state0123456789 \\"[random() % 47];
    (void)ParseSnapshotLine(text, i);
  }
}

}  // namespace
}  // namespace mallard::state
