#pragma once
// Metrics in the Prometheus data model: counters, gauges and histograms with labels, and their text
// exposition (format 0.0.4). Two ways in:
// - Families kept here (Registry::AddCounter/AddGauge/AddHistogram) for what happens on the request
//   path. A series is found through a per-thread shard (a lock no other thread normally takes) and
//   updated with relaxed atomics spread over cache lines, so concurrent requests never wait on one
//   lock or bounce one cache line.
// - Collectors (Registry::AddCollector) for state that already exists elsewhere (queue depths, item
//   counts, a pipe's lag): called at scrape time with a MetricsSink, they report current values.
// Cardinality is bounded per family (max_series, default 1,000): past it, further label sets are
// added into one series whose every label value is "other".
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mallard::observability {

inline constexpr std::size_t kDefaultMaxSeries = 1000;
inline constexpr std::string_view kOverflowLabelValue = "other";
// Shards of each series' value: threads are spread over them round robin.
inline constexpr std::size_t kShards = 8;

using Labels = std::vector<std::pair<std::string, std::string>>;

// The shard of the calling thread (stable for the thread's life).
std::size_t ThreadShard();

// A monotonically increasing count, sharded.
class Counter {
 public:
  void Add(std::uint64_t amount = 1) { shards_[ThreadShard()].value.fetch_add(amount, std::memory_order_relaxed); }
  std::uint64_t Value() const;

 private:
  struct alignas(64) Shard {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Shard, kShards> shards_;
};

// A value that goes up and down (in-flight requests). One atomic: gauges on the hot path are
// changed by a pair of calls per request, and a set value must not be split over shards.
class Gauge {
 public:
  void Add(std::int64_t amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void Set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
  std::int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending; +Inf is implicit), sharded.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& UpperBounds() const { return bounds_; }

 private:
  struct alignas(64) Shard {
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // bounds_.size() + 1
    std::atomic<double> sum{0};
  };
  std::vector<double> bounds_;
  std::array<Shard, kShards> shards_;
};

// Latency buckets in seconds, 0.5 ms to 10 s.
std::vector<double> DefaultLatencyBuckets();

// What a collector reports to at scrape time. Calls with the same name add series to one family;
// a label set reported twice is summed. Past the family's cap the values go to the "other" series.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void Gauge(std::string_view name, std::string_view help, const Labels& labels, double value) = 0;
  virtual void Counter(std::string_view name, std::string_view help, const Labels& labels, double value) = 0;
  // A histogram kept by the caller: cumulative counts per bound, then the +Inf count.
  virtual void Histogram(std::string_view name, std::string_view help, const Labels& labels,
                         const std::vector<double>& upper_bounds, const std::vector<std::uint64_t>& cumulative,
                         double sum) = 0;
};

enum class MetricType { kCounter, kGauge, kHistogram };

// A family of series with the same name and label names, kept on the request path.
template <typename Child>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::size_t max_series,
         std::function<std::unique_ptr<Child>()> make_child);
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The series of these label values (as many as label names; others are a programming error and
  // land in the "other" series). Created on first use; stable for the family's life.
  Child& With(std::initializer_list<std::string_view> values);
  Child& With(const std::vector<std::string>& values);

  const std::string& Name() const { return name_; }
  const std::string& Help() const { return help_; }
  const std::vector<std::string>& LabelNames() const { return label_names_; }
  // Every series with its label values, in label order (for rendering).
  std::vector<std::pair<std::vector<std::string>, const Child*>> Series() const;

 private:
  Child& Find(std::string key, const std::string_view* values, std::size_t count);

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::size_t max_series_;
  std::function<std::unique_ptr<Child>()> make_child_;
  mutable std::mutex mutex_;  // the series map; taken only when a thread meets a label set first
  std::map<std::string, std::pair<std::vector<std::string>, std::unique_ptr<Child>>> series_;
  Child* overflow_ = nullptr;
  struct alignas(64) Shard {
    std::mutex mutex;  // in practice only its thread takes it
    std::map<std::string, Child*, std::less<>> cache;
  };
  std::array<Shard, kShards> shards_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (not starting
  // with "__"); a family is registered once. Invalid or duplicate registrations throw
  // std::invalid_argument: they are programming errors found at start-up.
  CounterFamily& AddCounter(std::string name, std::string help, std::vector<std::string> label_names,
                            std::size_t max_series = kDefaultMaxSeries);
  GaugeFamily& AddGauge(std::string name, std::string help, std::vector<std::string> label_names,
                        std::size_t max_series = kDefaultMaxSeries);
  HistogramFamily& AddHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                                std::vector<double> upper_bounds, std::size_t max_series = kDefaultMaxSeries);
  // Called at every scrape, in the order added, on the scraping thread (they may do I/O: the
  // gateway scrapes on its worker pool). An exception from one is logged and skipped.
  void AddCollector(std::function<void(MetricsSink&)> collector);
  // Cap of the families collectors report (per name).
  void SetCollectedMaxSeries(std::size_t max_series) { collected_max_series_ = max_series; }

  // The Prometheus text exposition (format 0.0.4) of every family and collector, families sorted
  // by name.
  std::string Render() const;
  // Reports this registry's families (not its collectors) to `sink`: a service keeps counters of
  // its own in a registry and hands them over from Service::CollectMetrics.
  void ReportTo(MetricsSink& sink) const;

 private:
  void Reserve(const std::string& name, const std::vector<std::string>& label_names);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<CounterFamily>> counters_;
  std::vector<std::unique_ptr<GaugeFamily>> gauges_;
  std::vector<std::unique_ptr<HistogramFamily>> histograms_;
  std::vector<std::string> names_;
  std::vector<std::function<void(MetricsSink&)>> collectors_;
  std::size_t collected_max_series_ = kDefaultMaxSeries;
};

// Exposition helpers (exposed for tests).
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);
// A label value in quotes' escaping: \ → \\, " → \", newline → \n.
std::string EscapeLabelValue(std::string_view value);
// HELP text escaping: \ → \\, newline → \n.
std::string EscapeHelp(std::string_view help);
// A sample value: integers without a fraction, +Inf, -Inf, NaN, otherwise the shortest round trip.
std::string FormatValue(double value);

}  // namespace mallard::observability
