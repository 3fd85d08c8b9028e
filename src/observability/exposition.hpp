#pragma once
// ExpositionBuilder: gathers the samples of one scrape (the registry's families and what collectors
// report) and writes them in the Prometheus text format 0.0.4:
//   # HELP name text        (once per family, escaped)
//   # TYPE name counter|gauge|histogram
//   name{label="value",…} value
// Histograms as name_bucket{…,le="bound"} cumulative counts ending with le="+Inf", then name_sum and
// name_count. Families are written in name order, each family's lines together.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "observability/metrics.hpp"

namespace mallard::observability {

class ExpositionBuilder final : public MetricsSink {
 public:
  // `collected_max_series`: the cap on series per family for what collectors report.
  explicit ExpositionBuilder(std::size_t collected_max_series = kDefaultMaxSeries);

  // MetricsSink (collectors).
  void Gauge(std::string_view name, std::string_view help, const Labels& labels, double value) override;
  void Counter(std::string_view name, std::string_view help, const Labels& labels, double value) override;
  void Histogram(std::string_view name, std::string_view help, const Labels& labels, const std::vector<double>& upper_bounds,
                 const std::vector<std::uint64_t>& cumulative, double sum) override;

  // Registry families: a family with no series yet still gets its HELP and TYPE.
  void Declare(MetricType type, const std::string& name, const std::string& help);
  void AddSample(MetricType type, std::string_view name, std::string_view help, const std::vector<std::string>& label_names,
                 const std::vector<std::string>& values, double value, bool capped);
  void AddHistogram(std::string_view name, std::string_view help, const std::vector<std::string>& label_names,
                    const std::vector<std::string>& values, const std::vector<double>& upper_bounds,
                    const std::vector<std::uint64_t>& cumulative, double sum, bool capped);
  // Runs a collector against this builder; an exception is logged and the collector skipped (what
  // it reported before throwing stays).
  void RunCollector(const std::function<void(MetricsSink&)>& collector);

  std::string Render() const;
  // Samples refused (bad names, a name reported with two types or two label sets of names).
  std::size_t Refused() const { return refused_; }

 private:
  struct Series {
    Labels labels;
    double value = 0;
    std::vector<double> bounds;               // histograms
    std::vector<std::uint64_t> cumulative;    // histograms
  };
  struct FamilyData {
    MetricType type = MetricType::kGauge;
    std::string help;
    std::vector<std::string> label_names;
    bool label_names_known = false;
    std::map<std::string, Series> series;  // by label-values key
    bool has_overflow = false;
  };
  // The family's series for these labels (created; or the overflow series past the cap), null
  // when refused.
  Series* SeriesFor(MetricType type, std::string_view name, std::string_view help, const Labels& labels, bool capped);

  std::size_t collected_max_series_;
  std::map<std::string, FamilyData, std::less<>> families_;
  std::size_t refused_ = 0;
};

}  // namespace mallard::observability
