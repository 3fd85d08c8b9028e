// The metrics module: exact Prometheus text exposition (escaping, histogram buckets, HELP/TYPE),
// the cardinality cap, and concurrent updates summing exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "observability/exposition.hpp"
#include "observability/metrics.hpp"

namespace mallard::observability {
namespace {

// The sample lines of a page (no comments), for lookups.
std::set<std::string> SampleLines(const std::string& page) {
  std::set<std::string> lines;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') lines.insert(line);
  }
  return lines;
}

TEST(MetricsExposition, CounterAndGaugeExactText) {
  Registry registry;
  auto& requests = registry.AddCounter("mallard_requests_total", "Requests answered.", {"service", "outcome"});
  auto& inflight = registry.AddGauge("mallard_in_flight", "Requests\\being handled\nnow.", {});
  requests.With({"sqs", "200"}).Add();
  requests.With({"sqs", "200"}).Add(2);
  requests.With({"dynamodb", "400"}).Add();
  inflight.With({}).Add(3);
  inflight.With({}).Add(-1);
  EXPECT_EQ(registry.Render(),
            "# HELP mallard_in_flight Requests\\\\being handled\\nnow.\n"
            "# TYPE mallard_in_flight gauge\n"
            "mallard_in_flight 2\n"
            "# HELP mallard_requests_total Requests answered.\n"
            "# TYPE mallard_requests_total counter\n"
            "mallard_requests_total{service=\"dynamodb\",outcome=\"400\"} 1\n"
            "mallard_requests_total{service=\"sqs\",outcome=\"200\"} 3\n");
}

TEST(MetricsExposition, LabelValuesEscaped) {
  Registry registry;
  auto& family = registry.AddCounter("c_total", "h", {"queue"});
  family.With({"a\"b\\c\nd"}).Add();
  family.With({"plain:/é"}).Add();
  auto lines = SampleLines(registry.Render());
  EXPECT_TRUE(lines.count("c_total{queue=\"a\\\"b\\\\c\\nd\"} 1")) << registry.Render();
  EXPECT_TRUE(lines.count("c_total{queue=\"plain:/é\"} 1"));
}

TEST(MetricsExposition, InvalidUtf8InLabelValuesReplacedAndMerged) {
  Registry registry;
  auto& family = registry.AddCounter("r_total", "h", {"region"});
  family.With({"eu\xff"}).Add();
  family.With({"eu\xfe"}).Add(2);  // differs only in an invalid byte: the same series on the page
  family.With({"\xc3\xa9t\xc3\xa9"}).Add();  // valid UTF-8 stays
  auto lines = SampleLines(registry.Render());
  EXPECT_EQ(lines.size(), 2u) << registry.Render();
  EXPECT_TRUE(lines.count("r_total{region=\"eu\xEF\xBF\xBD\"} 3")) << registry.Render();
  EXPECT_TRUE(lines.count("r_total{region=\"\xc3\xa9t\xc3\xa9\"} 1"));
}

TEST(MetricsExposition, HistogramBucketsCumulativeWithInf) {
  Registry registry;
  auto& latency = registry.AddHistogram("op_seconds", "Latency.", {"op"}, {0.01, 0.1, 1});
  auto& get = latency.With({"Get"});
  for (double v : {0.005, 0.01, 0.05, 0.5, 0.5, 3.0}) get.Observe(v);
  get.Observe(std::numeric_limits<double>::quiet_NaN());
  std::string page = registry.Render();
  // 0.01 is in le="0.01" (bounds are inclusive); NaN counts in +Inf only, and its sum is NaN.
  EXPECT_NE(page.find("# TYPE op_seconds histogram\n"
                      "op_seconds_bucket{op=\"Get\",le=\"0.01\"} 2\n"
                      "op_seconds_bucket{op=\"Get\",le=\"0.1\"} 3\n"
                      "op_seconds_bucket{op=\"Get\",le=\"1\"} 5\n"
                      "op_seconds_bucket{op=\"Get\",le=\"+Inf\"} 7\n"
                      "op_seconds_sum{op=\"Get\"} NaN\n"
                      "op_seconds_count{op=\"Get\"} 7\n"),
            std::string::npos)
      << page;
}

TEST(MetricsExposition, HistogramSumAndNoLabels) {
  Registry registry;
  auto& h = registry.AddHistogram("x_seconds", "h", {}, {1, 2});
  h.With({}).Observe(0.25);
  h.With({}).Observe(1.5);
  auto lines = SampleLines(registry.Render());
  EXPECT_TRUE(lines.count("x_seconds_bucket{le=\"1\"} 1"));
  EXPECT_TRUE(lines.count("x_seconds_bucket{le=\"2\"} 2"));
  EXPECT_TRUE(lines.count("x_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(lines.count("x_seconds_sum 1.75"));
  EXPECT_TRUE(lines.count("x_seconds_count 2"));
}

TEST(MetricsExposition, FamiliesWithoutSeriesStillDeclared) {
  Registry registry;
  registry.AddCounter("never_total", "Never incremented.", {"a"});
  EXPECT_EQ(registry.Render(), "# HELP never_total Never incremented.\n# TYPE never_total counter\n");
}

TEST(MetricsExposition, ValueFormatting) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(1e15), "1000000000000000");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  // Non-integral values round-trip.
  std::mt19937_64 random(20261206);
  std::uniform_real_distribution<double> values(-1e6, 1e6);
  for (int i = 0; i < 10000; ++i) {
    double v = values(random) / 7.0;
    EXPECT_EQ(std::stod(FormatValue(v)), v);
  }
}

TEST(MetricsExposition, NamesValidated) {
  EXPECT_TRUE(IsValidMetricName("mallard_sqs:depth_1"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("queue_1"));
  EXPECT_FALSE(IsValidLabelName("__name"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  Registry registry;
  EXPECT_THROW(registry.AddCounter("bad-name", "h", {}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("ok_total", "h", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h_seconds", "h", {}, {2, 1}), std::invalid_argument);
  registry.AddCounter("dup_total", "h", {});
  EXPECT_THROW(registry.AddGauge("dup_total", "h", {}), std::invalid_argument);
}

TEST(MetricsCardinality, FamilyCappedThenOther) {
  Registry registry;
  auto& family = registry.AddCounter("q_total", "h", {"queue", "region"}, /*max_series=*/3);
  for (int i = 0; i < 10; ++i) family.With({"queue" + std::to_string(i), "us-east-1"}).Add(i + 1);
  // A label set already kept stays its own series after the cap is reached.
  family.With({"queue0", "us-east-1"}).Add(100);
  auto lines = SampleLines(registry.Render());
  EXPECT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines.count("q_total{queue=\"queue0\",region=\"us-east-1\"} 101"));
  EXPECT_TRUE(lines.count("q_total{queue=\"queue2\",region=\"us-east-1\"} 3"));
  // 4 + 5 + … + 10 = 49 in the overflow series.
  EXPECT_TRUE(lines.count("q_total{queue=\"other\",region=\"other\"} 49")) << registry.Render();
}

TEST(MetricsCardinality, CollectedFamiliesCappedAndSummed) {
  Registry registry;
  registry.SetCollectedMaxSeries(2);
  registry.AddCollector([](MetricsSink& sink) {
    for (int i = 0; i < 5; ++i) sink.Gauge("depth", "Depth.", {{"queue", "q" + std::to_string(i)}}, 10);
    sink.Gauge("depth", "Depth.", {{"queue", "q0"}}, 1);  // the same series twice adds up
  });
  auto lines = SampleLines(registry.Render());
  EXPECT_EQ(lines.size(), 3u) << registry.Render();
  EXPECT_TRUE(lines.count("depth{queue=\"q0\"} 11"));
  EXPECT_TRUE(lines.count("depth{queue=\"q1\"} 10"));
  EXPECT_TRUE(lines.count("depth{queue=\"other\"} 30"));
}

TEST(MetricsCollectors, ConflictsRefusedAndExceptionsContained) {
  ExpositionBuilder page;
  page.Gauge("m", "h", {{"a", "1"}}, 1);
  page.Counter("m", "h", {{"a", "1"}}, 1);   // another type
  page.Gauge("m", "h", {{"b", "1"}}, 1);     // other label names
  page.Gauge("bad name", "h", {}, 1);
  page.Gauge("m2", "h", {{"__x", "1"}}, 1);
  page.Histogram("lat", "h", {}, {1}, {1, 2}, 3);
  page.Gauge("lat_count", "h", {}, 1);        // would collide with the histogram's samples
  EXPECT_EQ(page.Refused(), 5u);
  page.RunCollector([](MetricsSink& sink) {
    sink.Gauge("before_throw", "h", {}, 7);
    throw std::runtime_error("store down");
  });
  auto lines = SampleLines(page.Render());
  EXPECT_TRUE(lines.count("m{a=\"1\"} 1"));
  EXPECT_TRUE(lines.count("before_throw 7"));
  EXPECT_TRUE(lines.count("lat_bucket{le=\"1\"} 1"));
  EXPECT_TRUE(lines.count("lat_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(lines.count("lat_count 2"));
}

TEST(MetricsConcurrency, IncrementsFromThreadsSumExactly) {
  Registry registry;
  auto& counter = registry.AddCounter("hits_total", "h", {"service", "op"});
  auto& latency = registry.AddHistogram("lat_seconds", "h", {"op"}, {0.5, 1});
  auto& gauge = registry.AddGauge("inflight", "h", {});
  constexpr int kThreads = 8, kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.With({"sqs", i % 2 == 0 ? "Send" : "Receive"}).Add();
        latency.With({"op"}).Observe(t % 2 == 0 ? 0.25 : 0.75);
        gauge.With({}).Add(1);
        gauge.With({}).Add(-1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto lines = SampleLines(registry.Render());
  const int half = kThreads * kPerThread / 2;
  EXPECT_TRUE(lines.count("hits_total{service=\"sqs\",op=\"Send\"} " + std::to_string(half))) << registry.Render();
  EXPECT_TRUE(lines.count("hits_total{service=\"sqs\",op=\"Receive\"} " + std::to_string(half)));
  EXPECT_TRUE(lines.count("lat_seconds_bucket{op=\"op\",le=\"0.5\"} " + std::to_string(half)));
  EXPECT_TRUE(lines.count("lat_seconds_count{op=\"op\"} " + std::to_string(2 * half)));
  EXPECT_TRUE(lines.count("lat_seconds_sum{op=\"op\"} " + std::to_string(half / 4 + half * 3 / 4)));
  EXPECT_TRUE(lines.count("inflight 0"));
}

TEST(MetricsConcurrency, CapHoldsUnderConcurrentNewLabels) {
  Registry registry;
  auto& family = registry.AddCounter("ids_total", "h", {"id"}, 100);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) family.With({std::to_string(t * 1000 + i)}).Add();
    });
  }
  for (auto& thread : threads) thread.join();
  auto lines = SampleLines(registry.Render());
  EXPECT_EQ(lines.size(), 101u);
  std::uint64_t total = 0;
  for (const auto& line : lines) total += std::stoull(line.substr(line.rfind(' ') + 1));
  EXPECT_EQ(total, 4000u);
}

}  // namespace
}  // namespace mallard::observability
