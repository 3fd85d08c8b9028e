#include "observability/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "observability/exposition.hpp"

namespace mallard::observability {

std::size_t ThreadShard() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::uint64_t Counter::Value() const {
  std::uint64_t total = 0;
  for (const auto& shard : shards_) total += shard.value.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  for (auto& shard : shards_) {
    shard.buckets = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) shard.buckets[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  // Few buckets: a linear scan beats a binary search's branches. NaN lands in +Inf only.
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && !(value <= bounds_[bucket])) ++bucket;
  auto& shard = shards_[ThreadShard()];
  shard.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  shard.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.cumulative.assign(bounds_.size() + 1, 0);
  for (const auto& shard : shards_) {
    for (std::size_t i = 0; i <= bounds_.size(); ++i) snapshot.cumulative[i] += shard.buckets[i].load(std::memory_order_relaxed);
    snapshot.sum += shard.sum.load(std::memory_order_relaxed);
  }
  // The count is the +Inf bucket, so a scrape during updates still has count == last bucket.
  for (std::size_t i = 1; i < snapshot.cumulative.size(); ++i) snapshot.cumulative[i] += snapshot.cumulative[i - 1];
  return snapshot;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// --- Family -------------------------------------------------------------------------------------

namespace {
// Label values joined with a byte no label value of ours carries in practice; a value that does
// carry it only shares a series with a look-alike, never corrupts one.
constexpr char kKeySeparator = '\x1f';

std::string KeyOf(const std::string_view* values, std::size_t count) {
  std::size_t size = count;
  for (std::size_t i = 0; i < count; ++i) size += values[i].size();
  std::string key;
  key.reserve(size);
  for (std::size_t i = 0; i < count; ++i) {
    key.append(values[i]);
    key.push_back(kKeySeparator);
  }
  return key;
}
}  // namespace

template <typename Child>
Family<Child>::Family(std::string name, std::string help, std::vector<std::string> label_names, std::size_t max_series,
                      std::function<std::unique_ptr<Child>()> make_child)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      max_series_(std::max<std::size_t>(max_series, 1)),
      make_child_(std::move(make_child)) {}

template <typename Child>
Child& Family<Child>::With(std::initializer_list<std::string_view> values) {
  return Find(KeyOf(values.begin(), values.size()), values.begin(), values.size());
}

template <typename Child>
Child& Family<Child>::With(const std::vector<std::string>& values) {
  std::vector<std::string_view> views(values.begin(), values.end());
  return Find(KeyOf(views.data(), views.size()), views.data(), views.size());
}

template <typename Child>
Child& Family<Child>::Find(std::string key, const std::string_view* values, std::size_t count) {
  auto& shard = shards_[ThreadShard()];
  {
    std::lock_guard lock(shard.mutex);
    if (auto found = shard.cache.find(key); found != shard.cache.end()) return *found->second;
  }
  Child* child = nullptr;
  bool overflowed = false;
  {
    std::lock_guard lock(mutex_);
    if (auto found = series_.find(key); found != series_.end()) {
      child = found->second.second.get();
    } else if (count == label_names_.size() && series_.size() < max_series_) {
      auto made = make_child_();
      child = made.get();
      series_.emplace(key, std::make_pair(std::vector<std::string>(values, values + count), std::move(made)));
    } else {
      if (overflow_ == nullptr) {
        std::vector<std::string> others(label_names_.size(), std::string(kOverflowLabelValue));
        auto made = make_child_();
        overflow_ = made.get();
        // The overflow series is kept outside the cap (the key cannot collide: it has no separators).
        series_.emplace(std::string(), std::make_pair(std::move(others), std::move(made)));
      }
      child = overflow_;
      overflowed = true;
    }
  }
  // Each shard caches at most the family's series (plus the keys that went to overflow, bounded
  // by the same cap so a stream of unique values cannot grow it).
  std::lock_guard lock(shard.mutex);
  if (!overflowed || shard.cache.size() < 2 * max_series_) shard.cache.emplace(std::move(key), child);
  return *child;
}

template <typename Child>
std::vector<std::pair<std::vector<std::string>, const Child*>> Family<Child>::Series() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::vector<std::string>, const Child*>> out;
  out.reserve(series_.size());
  for (const auto& [key, entry] : series_) out.emplace_back(entry.first, entry.second.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- Registry -----------------------------------------------------------------------------------

void Registry::Reserve(const std::string& name, const std::vector<std::string>& label_names) {
  if (!IsValidMetricName(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
  for (const auto& label : label_names) {
    if (!IsValidLabelName(label) || label == "le" || label == "quantile") {
      throw std::invalid_argument("invalid label name '" + label + "' on " + name);
    }
  }
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    throw std::invalid_argument("metric " + name + " registered twice");
  }
  names_.push_back(name);
}

CounterFamily& Registry::AddCounter(std::string name, std::string help, std::vector<std::string> label_names,
                                    std::size_t max_series) {
  std::lock_guard lock(mutex_);
  Reserve(name, label_names);
  counters_.push_back(std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names), max_series,
                                                      [] { return std::make_unique<Counter>(); }));
  return *counters_.back();
}

GaugeFamily& Registry::AddGauge(std::string name, std::string help, std::vector<std::string> label_names,
                                std::size_t max_series) {
  std::lock_guard lock(mutex_);
  Reserve(name, label_names);
  gauges_.push_back(std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names), max_series,
                                                  [] { return std::make_unique<Gauge>(); }));
  return *gauges_.back();
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                                        std::vector<double> upper_bounds, std::size_t max_series) {
  std::lock_guard lock(mutex_);
  if (upper_bounds.empty() || !std::is_sorted(upper_bounds.begin(), upper_bounds.end()) ||
      std::adjacent_find(upper_bounds.begin(), upper_bounds.end()) != upper_bounds.end() ||
      std::any_of(upper_bounds.begin(), upper_bounds.end(), [](double b) { return !std::isfinite(b); })) {
    throw std::invalid_argument("histogram " + name + " needs finite, strictly ascending bucket bounds");
  }
  Reserve(name, label_names);
  histograms_.push_back(std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names), max_series,
      [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); }));
  return *histograms_.back();
}

void Registry::ReportTo(MetricsSink& sink) const {
  auto labels_of = [](const std::vector<std::string>& names, const std::vector<std::string>& values) {
    Labels labels;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) labels.emplace_back(names[i], values[i]);
    return labels;
  };
  std::lock_guard lock(mutex_);
  for (const auto& family : counters_) {
    for (const auto& [values, counter] : family->Series()) {
      sink.Counter(family->Name(), family->Help(), labels_of(family->LabelNames(), values),
                   static_cast<double>(counter->Value()));
    }
  }
  for (const auto& family : gauges_) {
    for (const auto& [values, gauge] : family->Series()) {
      sink.Gauge(family->Name(), family->Help(), labels_of(family->LabelNames(), values), static_cast<double>(gauge->Value()));
    }
  }
  for (const auto& family : histograms_) {
    for (const auto& [values, histogram] : family->Series()) {
      auto snapshot = histogram->Read();
      sink.Histogram(family->Name(), family->Help(), labels_of(family->LabelNames(), values), histogram->UpperBounds(),
                     snapshot.cumulative, snapshot.sum);
    }
  }
}

void Registry::AddCollector(std::function<void(MetricsSink&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  ExpositionBuilder page(collected_max_series_);
  std::vector<std::function<void(MetricsSink&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& family : counters_) {
      for (const auto& [values, counter] : family->Series()) {
        page.AddSample(MetricType::kCounter, family->Name(), family->Help(), family->LabelNames(), values,
                       static_cast<double>(counter->Value()), /*capped=*/false);
      }
      page.Declare(MetricType::kCounter, family->Name(), family->Help());
    }
    for (const auto& family : gauges_) {
      for (const auto& [values, gauge] : family->Series()) {
        page.AddSample(MetricType::kGauge, family->Name(), family->Help(), family->LabelNames(), values,
                       static_cast<double>(gauge->Value()), /*capped=*/false);
      }
      page.Declare(MetricType::kGauge, family->Name(), family->Help());
    }
    for (const auto& family : histograms_) {
      for (const auto& [values, histogram] : family->Series()) {
        auto snapshot = histogram->Read();
        page.AddHistogram(family->Name(), family->Help(), family->LabelNames(), values, histogram->UpperBounds(),
                          snapshot.cumulative, snapshot.sum, /*capped=*/false);
      }
      page.Declare(MetricType::kHistogram, family->Name(), family->Help());
    }
    collectors = collectors_;
  }
  for (const auto& collector : collectors) page.RunCollector(collector);
  return page.Render();
}

}  // namespace mallard::observability
