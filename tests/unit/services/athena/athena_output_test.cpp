// Athena's result files in S3: the CSV against an independent RFC 4180 reader (fixed cases and a
// seeded random table), the .metadata protobuf against the bytes Athena wrote in a public hexdump,
// and the service flow through a fake S3 peer (RUNNING until both objects are written, FAILED when
// the bucket is missing).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "services/athena/athena_output.hpp"
#include "services/athena/athena_service.hpp"
#include "services/kit/peer_directory.hpp"

namespace mallard::athena {
namespace {
namespace json = boost::json;
using sqlengine::QueryOutcome;
using sqlengine::SqlColumn;
using sqlengine::SqlTypeKind;
using sqlengine::SqlValue;

SqlColumn Column(std::string name, SqlTypeKind kind) {
  SqlColumn column;
  column.name = std::move(name);
  column.type.kind = kind;
  return column;
}

SqlValue Text(std::string text) {
  SqlValue value;
  value.kind = SqlValue::Kind::Text;
  value.text = std::move(text);
  return value;
}

SqlValue Integer(std::int64_t number) {
  SqlValue value;
  value.kind = SqlValue::Kind::Integer;
  value.integer = number;
  return value;
}

// An RFC 4180 reader written from the RFC, which keeps "" (quoted, empty) apart from an unquoted
// empty field (NULL in Athena's files).
std::vector<std::vector<std::optional<std::string>>> ReadCsv(std::string_view text) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<std::optional<std::string>> row;
  std::size_t i = 0;
  while (i < text.size()) {
    std::optional<std::string> field;
    if (text[i] == '"') {
      std::string value;
      ++i;
      while (true) {
        EXPECT_LT(i, text.size()) << "unterminated quote";
        if (i >= text.size()) return rows;
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            value.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value.push_back(text[i++]);
      }
      field = std::move(value);
    } else {
      EXPECT_TRUE(text[i] == ',' || text[i] == '\n') << "unquoted data at " << i;
    }
    row.push_back(std::move(field));
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    EXPECT_LT(i, text.size());
    if (i < text.size()) {
      EXPECT_EQ(text[i], '\n');
    }
    ++i;
    rows.push_back(std::move(row));
    row.clear();
  }
  return rows;
}

TEST(AthenaOutputTest, CsvQuotesEveryValueAndLeavesNullEmpty) {
  QueryOutcome outcome;
  outcome.has_result_set = true;
  outcome.columns = {Column("id", SqlTypeKind::Integer), Column("say \"x\"", SqlTypeKind::Varchar)};
  outcome.rows = {{Integer(1), Text("a,b")}, {Integer(2), SqlValue{}}, {SqlValue{}, Text("")},
                  {Integer(-3), Text("line\nbreak \"q\"")}};
  json::string out;
  ASSERT_TRUE(AppendResultCsv(outcome, out, 1 << 20));
  EXPECT_EQ(std::string_view(out),
            "\"id\",\"say \"\"x\"\"\"\n\"1\",\"a,b\"\n\"2\",\n,\"\"\n\"-3\",\"line\nbreak \"\"q\"\"\"\n");
}

TEST(AthenaOutputTest, NoResultSetWritesAnEmptyFile) {
  QueryOutcome outcome;
  json::string out;
  EXPECT_TRUE(AppendResultCsv(outcome, out, 10));
  EXPECT_TRUE(AppendResultText(outcome, out, 10));
  EXPECT_TRUE(out.empty());
}

TEST(AthenaOutputTest, SeededRandomValuesReadBackExactly) {
  std::mt19937 random(19);
  const std::vector<std::string> pieces = {"a", "Z", "0", " ", ",", "\"", "\"\"", "'", "\n", "\r\n", "\t", "é", "✓", ";"};
  for (int round = 0; round < 50; ++round) {
    QueryOutcome outcome;
    outcome.has_result_set = true;
    std::size_t columns = 1 + random() % 4;
    for (std::size_t c = 0; c < columns; ++c) outcome.columns.push_back(Column("c" + std::to_string(c), SqlTypeKind::Varchar));
    std::vector<std::vector<std::optional<std::string>>> expected;
    expected.emplace_back();
    for (const auto& column : outcome.columns) expected.back().push_back(column.name);
    std::size_t rows = random() % 40;
    for (std::size_t r = 0; r < rows; ++r) {
      sqlengine::SqlRow row;
      expected.emplace_back();
      for (std::size_t c = 0; c < columns; ++c) {
        if (random() % 8 == 0) {
          row.push_back(SqlValue{});
          expected.back().push_back(std::nullopt);
          continue;
        }
        std::string text;
        for (std::size_t n = random() % 10; n > 0; --n) text += pieces[random() % pieces.size()];
        row.push_back(Text(text));
        expected.back().push_back(text);
      }
      outcome.rows.push_back(std::move(row));
    }
    json::string out;
    ASSERT_TRUE(AppendResultCsv(outcome, out, 1 << 20));
    EXPECT_EQ(ReadCsv(std::string_view(out)), expected) << "round " << round;
  }
}

TEST(AthenaOutputTest, ResultOverTheLimitIsRefused) {
  QueryOutcome outcome;
  outcome.has_result_set = true;
  outcome.columns = {Column("v", SqlTypeKind::Varchar)};
  for (int i = 0; i < 100; ++i) outcome.rows.push_back({Text("0123456789")});
  json::string out;
  EXPECT_FALSE(AppendResultCsv(outcome, out, 500));
  json::string text;
  EXPECT_FALSE(AppendResultText(outcome, text, 500));
}

TEST(AthenaOutputTest, DdlTextSeparatesValuesWithTabs) {
  QueryOutcome outcome;
  outcome.has_result_set = true;
  outcome.columns = {Column("a", SqlTypeKind::Varchar), Column("b", SqlTypeKind::Varchar)};
  outcome.rows = {{Text("x"), Text("y")}, {Text("z"), SqlValue{}}};
  json::string out;
  ASSERT_TRUE(AppendResultText(outcome, out, 100));
  EXPECT_EQ(std::string_view(out), "x\ty\nz\t\n");
}

// The 56 bytes of a .csv.metadata Athena wrote for `SELECT ary` (one array column), as published
// in a question about the format: field 1 the engine's query id; field 4 the column (1 "hive",
// 4 name, 5 label, 6 type, 9 nullable = 3).
TEST(AthenaOutputTest, MetadataMatchesTheBytesAthenaWrites) {
  QueryOutcome outcome;
  outcome.has_result_set = true;
  outcome.columns = {Column("ary", SqlTypeKind::List)};
  const unsigned char athena_bytes[] = {
      0x0a, 0x1b, '2', '0', '1', '9', '0', '4', '2', '3', '_', '1', '2', '5', '1', '2', '8', '_', '0', '0',
      '0', '0', '1', '_', 'e', 'h', 't', 'u', 'r', 0x22, 0x19, 0x0a, 0x04, 'h', 'i', 'v', 'e', 0x22, 0x03,
      'a', 'r', 'y', 0x2a, 0x03, 'a', 'r', 'y', 0x32, 0x05, 'a', 'r', 'r', 'a', 'y', 0x48, 0x03};
  EXPECT_EQ(ResultMetadata(outcome, "20190423_125128_00001_ehtur"),
            std::string(reinterpret_cast<const char*>(athena_bytes), sizeof athena_bytes));
}

TEST(AthenaOutputTest, MetadataCarriesPrecisionScaleAndCaseSensitivity) {
  QueryOutcome outcome;
  outcome.has_result_set = true;
  outcome.columns = {Column("s", SqlTypeKind::Varchar)};
  std::string bytes = ResultMetadata(outcome, "q");
  // varchar: precision 2147483647 (field 7) and case sensitive (field 10 = 1), as ColumnInfo says.
  EXPECT_NE(bytes.find(std::string("\x38\xff\xff\xff\xff\x07", 6)), std::string::npos);
  EXPECT_NE(bytes.find(std::string("\x50\x01", 2)), std::string::npos);
}

TEST(AthenaOutputTest, EngineQueryIdHasTrinosShape) {
  std::string id = EngineQueryId(1556023888000, 1);  // 2019-04-23 12:51:28 UTC
  ASSERT_EQ(id.size(), 27u);
  EXPECT_EQ(id.substr(0, 22), "20190423_125128_00001_");
  for (char c : id.substr(22)) EXPECT_TRUE(c >= 'a' && c <= 'z') << id;
}

TEST(AthenaOutputTest, ParsesS3Locations) {
  auto full = ParseS3Location("s3://bucket/a/b/id.csv");
  ASSERT_TRUE(full);
  EXPECT_EQ(full.value().bucket, "bucket");
  EXPECT_EQ(full.value().key, "a/b/id.csv");
  auto bare = ParseS3Location("s3://bucket");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare.value().key, "");
  EXPECT_FALSE(ParseS3Location("https://bucket/x"));
  EXPECT_FALSE(ParseS3Location("s3:///x"));
  EXPECT_FALSE(ParseS3Location(""));
}

// ---- The service through a fake S3 ---------------------------------------------------------

// An engine whose every query succeeds at once with one fixed result.
class FixedEngine final : public sqlengine::SqlEngine {
 public:
  explicit FixedEngine(QueryOutcome outcome) : outcome_(std::move(outcome)) {}
  std::string Name() const override { return "fixed"; }
  std::string DatabaseName() const override { return "fixed"; }
  std::string DefaultSchema() const override { return "main"; }
  std::unique_ptr<sqlengine::RunningQuery> Prepare(sqlengine::QueryRequest) override {
    struct Query final : sqlengine::RunningQuery {
      QueryOutcome outcome;
      std::vector<QueryOutcome> Run() override { return {outcome}; }
      void Interrupt() override {}
    };
    auto query = std::make_unique<Query>();
    query->outcome = outcome_;
    return query;
  }
  Result<std::vector<std::string>, std::string> ListSchemas() override { return std::vector<std::string>{}; }
  Result<std::vector<sqlengine::TableInfo>, std::string> ListTables(const std::string&) override {
    return std::vector<sqlengine::TableInfo>{};
  }
  Result<std::optional<sqlengine::TableInfo>, std::string> DescribeTable(const std::string&, const std::string&) override {
    return std::optional<sqlengine::TableInfo>{};
  }
  void Reset() override {}

 private:
  QueryOutcome outcome_;
};

// Holds every PutObject until the test releases it; "missing" buckets answer NoSuchBucket.
class HeldS3 final : public services::Service {
 public:
  struct Put {
    json::object input;
    RequestContext caller;
    protocol::OperationCallback done;
  };
  const services::ServiceDescriptor& Descriptor() const override {
    static const services::ServiceDescriptor descriptor = [] {
      services::ServiceDescriptor d;
      d.name = "s3";
      return d;
    }();
    return descriptor;
  }
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override {
    std::string bucket(request.input.at("Bucket").as_string());
    // "missing" never exists; "vanishing" exists for HeadBucket and is gone by the time of the write.
    if (bucket == "missing" || (bucket == "vanishing" && request.operation == "PutObject")) {
      return done(Fail(AwsError::Make("NoSuchBucket", 404, "The specified bucket does not exist")));
    }
    if (request.operation == "HeadBucket") {
      head_buckets.push_back(bucket);
      return done(json::object{{"BucketRegion", "us-east-1"}});
    }
    EXPECT_EQ(request.operation, "PutObject");
    std::lock_guard lock(mutex_);
    puts_.push_back({request.input, request.context, std::move(done)});
    changed_.notify_all();
  }
  void Reset() override {}
  std::string StoreName() const override { return "held"; }

  std::vector<std::string> head_buckets;  // written on the test's thread only (HeadBucket answers inline)

  // Waits for the next held PutObject and returns it (without answering it).
  Put Next() {
    std::unique_lock lock(mutex_);
    EXPECT_TRUE(changed_.wait_for(lock, std::chrono::seconds(10), [&] { return !puts_.empty(); }));
    if (puts_.empty()) return {};
    Put put = std::move(puts_.front());
    puts_.erase(puts_.begin());
    return put;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Put> puts_;
};

class AthenaResultWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QueryOutcome outcome;
    outcome.succeeded = true;
    outcome.has_result_set = true;
    outcome.columns = {Column("n", SqlTypeKind::Integer)};
    outcome.rows = {{Integer(7)}};
    s3_ = std::make_shared<HeldS3>();
    peers_.Add(s3_);
    services::ServiceContext context;
    context.peers = &peers_;
    service_ = std::make_shared<AthenaService>(std::make_shared<FixedEngine>(outcome), context, 1);
  }

  json::object Call(const std::string& operation, json::object input) {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = std::move(input);
    request.context.account_id = "123456789012";
    request.context.region = "eu-west-1";
    std::optional<protocol::OperationResult> out;
    service_->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
    EXPECT_TRUE(out && out->ok()) << operation;
    return out && out->ok() ? std::move(*out).value() : json::object{};
  }

  json::object Status(const std::string& id) {
    return Call("GetQueryExecution", {{"QueryExecutionId", id}}).at("QueryExecution").at("Status").as_object();
  }

  std::string Start(const std::string& sql, const std::string& location) {
    return std::string(Call("StartQueryExecution", {{"QueryString", sql},
                                                    {"ResultConfiguration", {{"OutputLocation", location}}}})
                           .at("QueryExecutionId")
                           .as_string());
  }

  std::string WaitSettled(const std::string& id) {
    for (int i = 0; i < 1000; ++i) {
      std::string state(Status(id).at("State").as_string());
      if (state != "QUEUED" && state != "RUNNING") return state;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return "TIMEOUT";
  }

  services::PeerDirectory peers_;
  std::shared_ptr<HeldS3> s3_;
  std::shared_ptr<AthenaService> service_;
};

TEST_F(AthenaResultWriteTest, RunningUntilBothObjectsAreWritten) {
  std::string id = Start("SELECT 7 AS n", "s3://results/p");
  HeldS3::Put csv = s3_->Next();
  EXPECT_EQ(csv.input.at("Bucket").as_string(), "results");
  EXPECT_EQ(csv.input.at("Key").as_string(), "p/" + id + ".csv");
  EXPECT_EQ(csv.input.at("ContentType").as_string(), "text/csv");
  EXPECT_EQ(csv.input.at("Body").as_string(), "\"n\"\n\"7\"\n");
  EXPECT_EQ(csv.caller.account_id, "123456789012");
  EXPECT_EQ(Status(id).at("State").as_string(), "RUNNING");
  EXPECT_FALSE(Status(id).contains("CompletionDateTime"));
  csv.done(json::object{{"ETag", "\"e\""}});

  HeldS3::Put metadata = s3_->Next();
  EXPECT_EQ(metadata.input.at("Key").as_string(), "p/" + id + ".csv.metadata");
  EXPECT_EQ(Status(id).at("State").as_string(), "RUNNING");
  metadata.done(json::object{{"ETag", "\"m\""}});
  EXPECT_EQ(Status(id).at("State").as_string(), "SUCCEEDED");
  auto results = Call("GetQueryResults", {{"QueryExecutionId", id}});
  EXPECT_EQ(results.at("ResultSet").at("Rows").as_array().size(), 2u);
}

TEST_F(AthenaResultWriteTest, MissingBucketRefusesTheQueryAsAthenaDoes) {
  protocol::OperationRequest request;
  request.operation = "StartQueryExecution";
  request.input = {{"QueryString", "SELECT 7 AS n"}, {"ResultConfiguration", {{"OutputLocation", "s3://missing/p/"}}}};
  std::optional<protocol::OperationResult> out;
  service_->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
  ASSERT_TRUE(out && !out->ok());
  EXPECT_EQ(out->error().code, "InvalidRequestException");
  EXPECT_EQ(out->error().message, "Unable to verify/create output bucket missing");
  EXPECT_EQ(Call("ListQueryExecutions", {}).at("QueryExecutionIds").as_array().size(), 0u);
}

TEST_F(AthenaResultWriteTest, BucketGoneByTheWriteFailsTheQuery) {
  std::string id = Start("SELECT 7 AS n", "s3://vanishing/p/");
  EXPECT_EQ(s3_->head_buckets, std::vector<std::string>{"vanishing"});
  ASSERT_EQ(WaitSettled(id), "FAILED");
  auto status = Status(id);
  EXPECT_EQ(status.at("StateChangeReason").as_string(), "Unable to verify/create output bucket vanishing");
  EXPECT_EQ(status.at("AthenaError").at("ErrorMessage").as_string(), "Unable to verify/create output bucket vanishing");
  EXPECT_TRUE(status.contains("CompletionDateTime"));
}

TEST_F(AthenaResultWriteTest, WorkGroupLocationIsTheOneVerified) {
  Call("CreateWorkGroup", {{"Name", "wg"},
                           {"Configuration", {{"ResultConfiguration", {{"OutputLocation", "s3://missing/x/"}}},
                                              {"EnforceWorkGroupConfiguration", true}}}});
  protocol::OperationRequest request;
  request.operation = "StartQueryExecution";
  request.input = {{"QueryString", "SELECT 1"}, {"WorkGroup", "wg"},
                   {"ResultConfiguration", {{"OutputLocation", "s3://results/"}}}};
  request.context.account_id = "123456789012";
  request.context.region = "eu-west-1";
  std::optional<protocol::OperationResult> out;
  service_->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
  ASSERT_TRUE(out && !out->ok());
  EXPECT_EQ(out->error().message, "Unable to verify/create output bucket missing");
}

TEST_F(AthenaResultWriteTest, DdlWritesTextFiles) {
  std::string id = Start("CREATE TABLE t (a INT)", "s3://results/");
  HeldS3::Put text = s3_->Next();
  EXPECT_EQ(text.input.at("Key").as_string(), id + ".txt");
  text.done(json::object{});
  HeldS3::Put metadata = s3_->Next();
  EXPECT_EQ(metadata.input.at("Key").as_string(), id + ".txt.metadata");
  metadata.done(json::object{});
  EXPECT_EQ(Status(id).at("State").as_string(), "SUCCEEDED");
}

TEST(AthenaResultWriteWithoutS3Test, SucceedsWithoutWritingWhenTheServerHasNoS3) {
  QueryOutcome outcome;
  outcome.succeeded = true;
  services::ServiceContext context;  // no peers at all
  AthenaService service(std::make_shared<FixedEngine>(outcome), context, 1);
  protocol::OperationRequest request;
  request.operation = "StartQueryExecution";
  request.input = {{"QueryString", "SELECT 1"}, {"ResultConfiguration", {{"OutputLocation", "s3://b/"}}}};
  std::string id;
  service.Invoke(request, [&](protocol::OperationResult result) {
    ASSERT_TRUE(result.ok());
    id = std::string(result.value().at("QueryExecutionId").as_string());
  });
  std::string state;
  for (int i = 0; i < 1000 && state != "SUCCEEDED"; ++i) {
    protocol::OperationRequest get;
    get.operation = "GetQueryExecution";
    get.input = {{"QueryExecutionId", id}};
    service.Invoke(get, [&](protocol::OperationResult result) {
      ASSERT_TRUE(result.ok());
      state = std::string(result.value().at("QueryExecution").at("Status").at("State").as_string());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(state, "SUCCEEDED");
}

}  // namespace
}  // namespace mallard::athena
