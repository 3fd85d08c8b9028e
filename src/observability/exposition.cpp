#include "observability/exposition.hpp"

#include "observability/utf8.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <exception>

namespace mallard::observability {

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // The format is UTF-8: a byte that starts no valid sequence (a region or name a client made
      // up) becomes U+FFFD rather than an unparseable page.
      std::size_t length = Utf8SequenceLength(value, i);
      if (length == 0) {
        out += kReplacementCharacter;
      } else {
        out.append(value.substr(i, length));
        i += length - 1;
      }
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integral values up to 2^53 print as integers (counts stay exact); the rest round-trip.
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return std::to_string(static_cast<long long>(value));
  }
  // Plain decimals in the range metrics live in (bucket bounds read "0.0005", not "5e-04").
  char buffer[400];
  double magnitude = std::fabs(value);
  auto format = magnitude >= 1e-6 && magnitude < 1e15 ? std::chars_format::fixed : std::chars_format::scientific;
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, format);
  return std::string(buffer, result.ptr);
}

namespace {

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// The key of a series within its family: its label values in order.
std::string LabelKey(const Labels& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    key += value;
    key.push_back('\x1f');
  }
  return key;
}

void AppendLabels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out += name;
    out += "=\"";
    out += EscapeLabelValue(value);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out.push_back('"');
  }
  out.push_back('}');
}

}  // namespace

ExpositionBuilder::ExpositionBuilder(std::size_t collected_max_series)
    : collected_max_series_(std::max<std::size_t>(collected_max_series, 1)) {}

ExpositionBuilder::Series* ExpositionBuilder::SeriesFor(MetricType type, std::string_view name, std::string_view help,
                                                        const Labels& given_labels, bool capped) {
  // Label values as they will be written (valid UTF-8), so values that differ only in invalid
  // bytes are one series rather than two identical lines.
  const Labels* sanitized = &given_labels;
  Labels valid;
  for (const auto& [label, value] : given_labels) {
    bool ascii = true;
    for (char c : value) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) continue;
    valid = given_labels;
    for (auto& entry : valid) entry.second = ValidUtf8(entry.second);
    sanitized = &valid;
    break;
  }
  const Labels& labels = *sanitized;
  if (!IsValidMetricName(name)) {
    ++refused_;
    return nullptr;
  }
  std::vector<std::string> label_names;
  label_names.reserve(labels.size());
  for (const auto& [label, value] : labels) {
    if (!IsValidLabelName(label) || label == "le" || label == "quantile") {
      ++refused_;
      return nullptr;
    }
    label_names.push_back(label);
  }
  auto found = families_.find(name);
  if (found == families_.end()) {
    // A plain family must not take the sample names of a histogram's (name_bucket/_sum/_count) nor
    // the reverse; names are checked against the families already here.
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
        auto base = families_.find(name.substr(0, name.size() - suffix.size()));
        if (base != families_.end() && base->second.type == MetricType::kHistogram) {
          ++refused_;
          return nullptr;
        }
      }
    }
    if (type == MetricType::kHistogram) {
      for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
        if (families_.count(std::string(name) + std::string(suffix)) != 0) {
          ++refused_;
          return nullptr;
        }
      }
    }
    FamilyData family;
    family.type = type;
    family.help = std::string(help);
    found = families_.emplace(std::string(name), std::move(family)).first;
  }
  auto& family = found->second;
  if (family.type != type) {
    ++refused_;
    return nullptr;
  }
  if (!family.label_names_known) {
    family.label_names = label_names;
    family.label_names_known = true;
  } else if (family.label_names != label_names) {
    ++refused_;
    return nullptr;
  }
  std::string key = LabelKey(labels);
  if (auto existing = family.series.find(key); existing != family.series.end()) return &existing->second;
  if (capped && family.series.size() - (family.has_overflow ? 1 : 0) >= collected_max_series_) {
    Labels others;
    for (const auto& label : label_names) others.emplace_back(label, std::string(kOverflowLabelValue));
    key = LabelKey(others);
    family.has_overflow = family.series.count(key) != 0 || family.has_overflow;
    auto [it, inserted] = family.series.try_emplace(key);
    if (inserted) {
      it->second.labels = std::move(others);
      family.has_overflow = true;
    }
    return &it->second;
  }
  auto& series = family.series[key];
  series.labels = labels;
  return &series;
}

void ExpositionBuilder::Gauge(std::string_view name, std::string_view help, const Labels& labels, double value) {
  if (auto* series = SeriesFor(MetricType::kGauge, name, help, labels, true)) series->value += value;
}

void ExpositionBuilder::Counter(std::string_view name, std::string_view help, const Labels& labels, double value) {
  if (auto* series = SeriesFor(MetricType::kCounter, name, help, labels, true)) series->value += value;
}

void ExpositionBuilder::Histogram(std::string_view name, std::string_view help, const Labels& labels,
                                  const std::vector<double>& upper_bounds, const std::vector<std::uint64_t>& cumulative,
                                  double sum) {
  if (cumulative.size() != upper_bounds.size() + 1) {
    ++refused_;
    return;
  }
  auto* series = SeriesFor(MetricType::kHistogram, name, help, labels, true);
  if (series == nullptr) return;
  if (series->bounds.empty() && series->cumulative.empty()) {
    series->bounds = upper_bounds;
    series->cumulative = cumulative;
  } else if (series->bounds == upper_bounds) {
    for (std::size_t i = 0; i < cumulative.size(); ++i) series->cumulative[i] += cumulative[i];
  } else {
    ++refused_;
    return;
  }
  series->value += sum;
}

void ExpositionBuilder::Declare(MetricType type, const std::string& name, const std::string& help) {
  auto found = families_.find(name);
  if (found == families_.end()) {
    FamilyData family;
    family.type = type;
    family.help = help;
    families_.emplace(name, std::move(family));
  }
}

void ExpositionBuilder::AddSample(MetricType type, std::string_view name, std::string_view help,
                                  const std::vector<std::string>& label_names, const std::vector<std::string>& values,
                                  double value, bool capped) {
  Labels labels;
  for (std::size_t i = 0; i < label_names.size() && i < values.size(); ++i) labels.emplace_back(label_names[i], values[i]);
  if (auto* series = SeriesFor(type, name, help, labels, capped)) series->value += value;
}

void ExpositionBuilder::AddHistogram(std::string_view name, std::string_view help, const std::vector<std::string>& label_names,
                                     const std::vector<std::string>& values, const std::vector<double>& upper_bounds,
                                     const std::vector<std::uint64_t>& cumulative, double sum, bool capped) {
  Labels labels;
  for (std::size_t i = 0; i < label_names.size() && i < values.size(); ++i) labels.emplace_back(label_names[i], values[i]);
  auto* series = SeriesFor(MetricType::kHistogram, name, help, labels, capped);
  if (series == nullptr) return;
  series->bounds = upper_bounds;
  series->cumulative = cumulative;
  series->value = sum;
}

void ExpositionBuilder::RunCollector(const std::function<void(MetricsSink&)>& collector) {
  try {
    collector(*this);
  } catch (const std::exception& e) {
    spdlog::warn("metrics collector failed: {}", e.what());
  }
}

std::string ExpositionBuilder::Render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP ";
    out += name;
    out.push_back(' ');
    out += EscapeHelp(family.help);
    out += "\n# TYPE ";
    out += name;
    out.push_back(' ');
    out += TypeName(family.type);
    out.push_back('\n');
    for (const auto& [key, series] : family.series) {
      if (family.type != MetricType::kHistogram) {
        out += name;
        AppendLabels(out, series.labels);
        out.push_back(' ');
        out += FormatValue(series.value);
        out.push_back('\n');
        continue;
      }
      for (std::size_t i = 0; i < series.cumulative.size(); ++i) {
        out += name;
        out += "_bucket";
        AppendLabels(out, series.labels, "le", i < series.bounds.size() ? FormatValue(series.bounds[i]) : "+Inf");
        out.push_back(' ');
        out += std::to_string(series.cumulative[i]);
        out.push_back('\n');
      }
      out += name;
      out += "_sum";
      AppendLabels(out, series.labels);
      out.push_back(' ');
      out += FormatValue(series.value);
      out += '\n';
      out += name;
      out += "_count";
      AppendLabels(out, series.labels);
      out.push_back(' ');
      out += std::to_string(series.cumulative.empty() ? 0 : series.cumulative.back());
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace mallard::observability
