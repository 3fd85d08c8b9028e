#include "services/athena/athena_external_projection.hpp"

#include <algorithm>
#include <charconv>
#include <system_error>

namespace mallard::athena::external {

namespace {

std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

std::string Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return std::string(text);
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    parts.push_back(Trimmed(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, code] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (code != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's civil algorithms).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day, hour, minute, second;
};

Civil CivilFromSeconds(std::int64_t seconds) {
  std::int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  std::int64_t rest = seconds - days * 86400;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Civil{static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d, static_cast<unsigned>(rest / 3600),
               static_cast<unsigned>(rest % 3600 / 60), static_cast<unsigned>(rest % 60)};
}

std::int64_t SecondsFromCivil(const Civil& civil) {
  return DaysFromCivil(civil.year, civil.month, civil.day) * 86400 + civil.hour * 3600 + civil.minute * 60 + civil.second;
}

enum class Unit { Seconds, Minutes, Hours, Days, Weeks, Months, Years };

std::optional<Unit> ParseUnit(std::string text) {
  text = Lowered(text);
  if (!text.empty() && text.back() == 's') text.pop_back();
  if (text == "second") return Unit::Seconds;
  if (text == "minute") return Unit::Minutes;
  if (text == "hour") return Unit::Hours;
  if (text == "day") return Unit::Days;
  if (text == "week") return Unit::Weeks;
  if (text == "month") return Unit::Months;
  if (text == "year") return Unit::Years;
  return std::nullopt;
}

std::int64_t Step(std::int64_t seconds, Unit unit, std::int64_t amount) {
  switch (unit) {
    case Unit::Seconds: return seconds + amount;
    case Unit::Minutes: return seconds + amount * 60;
    case Unit::Hours: return seconds + amount * 3600;
    case Unit::Days: return seconds + amount * 86400;
    case Unit::Weeks: return seconds + amount * 7 * 86400;
    case Unit::Months:
    case Unit::Years: {
      Civil civil = CivilFromSeconds(seconds);
      std::int64_t months = civil.year * 12 + (civil.month - 1) + (unit == Unit::Years ? amount * 12 : amount);
      civil.year = months >= 0 ? months / 12 : -((-months + 11) / 12);
      civil.month = static_cast<unsigned>(months - civil.year * 12 + 1);
      static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      bool leap = (civil.year % 4 == 0 && civil.year % 100 != 0) || civil.year % 400 == 0;
      unsigned last = kDays[civil.month - 1] + (civil.month == 2 && leap ? 1 : 0);
      if (civil.day > last) civil.day = last;
      return SecondsFromCivil(civil);
    }
  }
  return seconds;
}

// The finest unit a date pattern shows (the default projection.<col>.interval.unit).
Unit PatternUnit(std::string_view pattern) {
  if (pattern.find('s') != std::string_view::npos) return Unit::Seconds;
  if (pattern.find('m') != std::string_view::npos) return Unit::Minutes;
  if (pattern.find('H') != std::string_view::npos) return Unit::Hours;
  if (pattern.find('d') != std::string_view::npos) return Unit::Days;
  if (pattern.find('M') != std::string_view::npos) return Unit::Months;
  return Unit::Years;
}

// A date range end: a date in the pattern, or NOW[(+|-)N UNIT].
std::optional<std::int64_t> RangeEnd(std::string_view pattern, const std::string& text, std::int64_t now) {
  std::string upper = text;
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper.rfind("NOW", 0) != 0) return ParseProjectedDate(pattern, text);
  std::string rest = Trimmed(std::string_view(upper).substr(3));
  if (rest.empty()) return now;
  if (rest[0] != '+' && rest[0] != '-') return std::nullopt;
  int sign = rest[0] == '-' ? -1 : 1;
  std::size_t digits = 1;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  auto amount = ParseInteger(std::string_view(rest).substr(1, digits - 1));
  auto unit = ParseUnit(Trimmed(std::string_view(rest).substr(digits)));
  if (!amount || !unit) return std::nullopt;
  return Step(now, *unit, sign * *amount);
}

const std::string* Property(const ExternalTableSpec& spec, const std::string& column, std::string_view suffix) {
  return FindProperty(spec.table_properties, "projection." + column + "." + std::string(suffix));
}

// The values one projected column takes ("" entries never: an empty list is an error).
Result<std::vector<std::string>, std::string> ColumnValues(const ExternalTableSpec& spec, const std::string& column,
                                                           std::int64_t now) {
  const std::string* type = Property(spec, column, "type");
  if (type == nullptr) return Fail("Partition projection: projection." + column + ".type is missing");
  const std::string kind = Lowered(*type);
  std::vector<std::string> values;
  if (kind == "enum") {
    const std::string* list = Property(spec, column, "values");
    if (list == nullptr || list->empty()) return Fail("Partition projection: projection." + column + ".values is missing");
    return Split(*list, ',');
  }
  if (kind == "integer") {
    const std::string* range = Property(spec, column, "range");
    auto parts = range == nullptr ? std::vector<std::string>{} : Split(*range, ',');
    auto low = parts.size() == 2 ? ParseInteger(parts[0]) : std::nullopt;
    auto high = parts.size() == 2 ? ParseInteger(parts[1]) : std::nullopt;
    if (!low || !high || *low > *high) {
      return Fail("Partition projection: projection." + column + ".range must be 'low,high' integers");
    }
    std::int64_t interval = 1;
    if (const std::string* given = Property(spec, column, "interval")) {
      auto parsed = ParseInteger(*given);
      if (!parsed || *parsed <= 0) return Fail("Partition projection: projection." + column + ".interval must be a positive integer");
      interval = *parsed;
    }
    std::int64_t digits = 0;
    if (const std::string* given = Property(spec, column, "digits")) digits = ParseInteger(*given).value_or(0);
    // In 128 bits: the range's ends may be any 64-bit integers.
    if ((static_cast<__int128>(*high) - *low) / interval >= static_cast<__int128>(kMaxProjectedPartitions)) {
      return Fail("Partition projection: projection." + column + " spans more than " +
                  std::to_string(kMaxProjectedPartitions) + " values");
    }
    for (__int128 at = *low; at <= *high; at += interval) {
      const auto value = static_cast<std::int64_t>(at);
      std::string text = std::to_string(value < 0 ? -value : value);
      while (static_cast<std::int64_t>(text.size()) < digits) text.insert(text.begin(), '0');
      values.push_back((value < 0 ? "-" : "") + text);
    }
    return values;
  }
  if (kind == "date") {
    const std::string* format = Property(spec, column, "format");
    const std::string* range = Property(spec, column, "range");
    if (format == nullptr || format->empty()) return Fail("Partition projection: projection." + column + ".format is missing");
    auto parts = range == nullptr ? std::vector<std::string>{} : Split(*range, ',');
    auto low = parts.size() == 2 ? RangeEnd(*format, parts[0], now) : std::nullopt;
    auto high = parts.size() == 2 ? RangeEnd(*format, parts[1], now) : std::nullopt;
    if (!low || !high) {
      return Fail("Partition projection: projection." + column + ".range must be two dates in the format '" + *format +
                  "' or NOW[+-N UNIT]");
    }
    std::int64_t interval = 1;
    if (const std::string* given = Property(spec, column, "interval")) {
      auto parsed = ParseInteger(*given);
      if (!parsed || *parsed <= 0) return Fail("Partition projection: projection." + column + ".interval must be a positive integer");
      interval = *parsed;
    }
    Unit unit = PatternUnit(*format);
    if (const std::string* given = Property(spec, column, "interval.unit")) {
      auto parsed = ParseUnit(*given);
      if (!parsed) return Fail("Partition projection: projection." + column + ".interval.unit '" + *given + "' is not a unit");
      unit = *parsed;
    }
    for (std::int64_t at = *low; at <= *high; at = Step(at, unit, interval)) {
      if (values.size() >= kMaxProjectedPartitions) {
        return Fail("Partition projection: projection." + column + " spans more than " +
                    std::to_string(kMaxProjectedPartitions) + " values");
      }
      values.push_back(FormatProjectedDate(*format, at));
    }
    return values;
  }
  if (kind == "injected") return values;  // filled from the directories by the caller
  return Fail("Partition projection: projection." + column + ".type '" + *type +
              "' is not one of enum, integer, date, injected");
}

void Discover(const std::filesystem::path& directory, const std::vector<std::string>& keys, std::size_t level,
              std::vector<std::string>& values, std::vector<std::vector<std::string>>& out) {
  if (level == keys.size()) {
    out.push_back(values);
    return;
  }
  if (out.size() >= kMaxProjectedPartitions) return;
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) return;
  std::vector<std::pair<std::string, std::filesystem::path>> found;
  const std::string prefix = keys[level] + "=";
  for (const auto& entry : entries) {
    std::error_code status_error;
    if (!entry.is_directory(status_error) || status_error || entry.is_symlink(status_error)) continue;
    std::string name = entry.path().filename().string();
    if (Lowered(name).rfind(prefix, 0) != 0) continue;
    found.emplace_back(UnescapePartitionValue(std::string_view(name).substr(prefix.size())), entry.path());
  }
  std::sort(found.begin(), found.end());
  for (const auto& [value, path] : found) {
    values.push_back(value);
    Discover(path, keys, level + 1, values, out);
    values.pop_back();
  }
}

}  // namespace

std::string FormatProjectedDate(std::string_view pattern, std::int64_t epoch_seconds) {
  Civil civil = CivilFromSeconds(epoch_seconds);
  std::string out;
  auto pad = [](std::int64_t value, std::size_t width) {
    std::string text = std::to_string(value);
    while (text.size() < width) text.insert(text.begin(), '0');
    return text;
  };
  for (std::size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    std::size_t run = 1;
    while (i + run < pattern.size() && pattern[i + run] == c) ++run;
    if (c == '\'') {
      std::size_t end = pattern.find('\'', i + 1);
      if (end == std::string_view::npos) end = pattern.size();
      out += pattern.substr(i + 1, end - i - 1);
      i = end + 1;
      continue;
    }
    switch (c) {
      case 'y': out += run == 2 ? pad(civil.year % 100, 2) : pad(civil.year, run); break;
      case 'M': out += pad(civil.month, run); break;
      case 'd': out += pad(civil.day, run); break;
      case 'H': out += pad(civil.hour, run); break;
      case 'm': out += pad(civil.minute, run); break;
      case 's': out += pad(civil.second, run); break;
      default: out.append(run, c);
    }
    i += run;
  }
  return out;
}

std::optional<std::int64_t> ParseProjectedDate(std::string_view pattern, std::string_view text) {
  Civil civil{1970, 1, 1, 0, 0, 0};
  std::size_t at = 0;
  for (std::size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    std::size_t run = 1;
    while (i + run < pattern.size() && pattern[i + run] == c) ++run;
    if (c == '\'') {
      std::size_t end = pattern.find('\'', i + 1);
      if (end == std::string_view::npos) end = pattern.size();
      std::string_view literal = pattern.substr(i + 1, end - i - 1);
      if (text.substr(at, literal.size()) != literal) return std::nullopt;
      at += literal.size();
      i = end + 1;
      continue;
    }
    if (c == 'y' || c == 'M' || c == 'd' || c == 'H' || c == 'm' || c == 's') {
      std::size_t width = c == 'y' && run != 2 ? std::max<std::size_t>(run, 4) : std::max<std::size_t>(run, 2);
      std::size_t end = at;
      while (end < text.size() && end - at < width && text[end] >= '0' && text[end] <= '9') ++end;
      auto value = ParseInteger(text.substr(at, end - at));
      if (!value) return std::nullopt;
      at = end;
      switch (c) {
        case 'y': civil.year = run == 2 ? 2000 + *value : *value; break;
        case 'M': civil.month = static_cast<unsigned>(*value); break;
        case 'd': civil.day = static_cast<unsigned>(*value); break;
        case 'H': civil.hour = static_cast<unsigned>(*value); break;
        case 'm': civil.minute = static_cast<unsigned>(*value); break;
        case 's': civil.second = static_cast<unsigned>(*value); break;
      }
    } else {
      for (std::size_t k = 0; k < run; ++k) {
        if (at >= text.size() || text[at] != c) return std::nullopt;
        ++at;
      }
    }
    i += run;
  }
  if (at != text.size() || civil.month < 1 || civil.month > 12 || civil.day < 1 || civil.day > 31 || civil.hour > 23 ||
      civil.minute > 59 || civil.second > 59) {
    return std::nullopt;
  }
  return SecondsFromCivil(civil);
}

bool ProjectionEnabled(const ExternalTableSpec& spec) {
  const std::string* enabled = FindProperty(spec.table_properties, "projection.enabled");
  return enabled != nullptr && Lowered(*enabled) == "true" && !spec.partition_columns.empty();
}

Status<std::string> CheckProjection(const ExternalTableSpec& spec) {
  if (!ProjectionEnabled(spec)) return Done{};
  for (const auto& column : spec.partition_columns) {
    auto values = ColumnValues(spec, column.name, 0);
    if (!values.ok()) return Fail(values.error());
  }
  return Done{};
}

Result<std::vector<PartitionSpec>, std::string> ProjectedPartitions(const ExternalTable& table,
                                                                   const services::S3LocalFiles& files,
                                                                   std::int64_t now_seconds) {
  const ExternalTableSpec& spec = table.spec;
  std::vector<std::vector<std::string>> per_column;
  bool injected = false;
  std::vector<bool> injected_column;
  for (const auto& column : spec.partition_columns) {
    MALLARD_ASSIGN_OR_RETURN(auto values, ColumnValues(spec, column.name, now_seconds));
    const std::string* type = Property(spec, column.name, "type");
    injected_column.push_back(type != nullptr && Lowered(*type) == "injected");
    if (injected_column.back()) injected = true;
    per_column.push_back(std::move(values));
  }
  std::vector<std::vector<std::string>> combinations;
  if (injected) {
    // Injected values come from the query in Athena; here they are the directories that exist
    // (the default layout), restricted to the projected values of the other columns.
    MALLARD_ASSIGN_OR_RETURN(auto discovered, DiscoverPartitionDirectories(table, files));
    for (auto& values : discovered) {
      bool fits = true;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!injected_column[i] && std::find(per_column[i].begin(), per_column[i].end(), values[i]) == per_column[i].end()) {
          fits = false;
        }
      }
      if (fits) combinations.push_back(std::move(values));
    }
  } else {
    combinations.emplace_back();
    for (const auto& values : per_column) {
      std::vector<std::vector<std::string>> next;
      if (combinations.size() * values.size() > kMaxProjectedPartitions) {
        return Fail("Partition projection: the table projects more than " + std::to_string(kMaxProjectedPartitions) +
                    " partitions");
      }
      for (const auto& prefix : combinations) {
        for (const auto& value : values) {
          next.push_back(prefix);
          next.back().push_back(value);
        }
      }
      combinations = std::move(next);
    }
  }
  const std::string* location_template = FindProperty(spec.table_properties, "storage.location.template");
  std::vector<std::string> keys;
  for (const auto& column : spec.partition_columns) keys.push_back(column.name);
  std::vector<PartitionSpec> partitions;
  for (const auto& values : combinations) {
    PartitionSpec partition;
    for (std::size_t i = 0; i < keys.size(); ++i) partition.values.emplace_back(keys[i], values[i]);
    if (location_template != nullptr && !location_template->empty()) {
      std::string location = *location_template;
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string placeholder = "${" + keys[i] + "}";
        for (std::size_t at = location.find(placeholder); at != std::string::npos;
             at = location.find(placeholder, at + values[i].size())) {
          location.replace(at, placeholder.size(), values[i]);
        }
      }
      partition.location = location;
    } else {
      partition.location = WithSlash(spec.location) + PartitionPath(keys, values) + "/";
    }
    partitions.push_back(std::move(partition));
  }
  return partitions;
}

Result<std::vector<std::vector<std::string>>, std::string> DiscoverPartitionDirectories(
    const ExternalTable& table, const services::S3LocalFiles& files) {
  MALLARD_ASSIGN_OR_RETURN(auto location, files.Resolve(table.spec.location));
  std::vector<std::string> keys;
  for (const auto& column : table.spec.partition_columns) keys.push_back(column.name);
  std::vector<std::vector<std::string>> found;
  std::vector<std::string> values;
  if (!keys.empty()) Discover(location.directory, keys, 0, values, found);
  return found;
}

}  // namespace mallard::athena::external
