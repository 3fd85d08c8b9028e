#include "sqlengine/sql_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace mallard::sqlengine {
namespace {

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's days → civil date algorithm.
CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string FormatDate(std::int64_t days) {
  CivilDate date = CivilFromDays(days);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(date.year), date.month, date.day);
  return buffer;
}

std::string FormatTimeOfDay(std::int64_t micros, int fraction_digits) {
  std::int64_t seconds = micros / 1'000'000;
  auto fraction = static_cast<unsigned>(micros % 1'000'000);
  char buffer[48];
  int length = std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", static_cast<long long>(seconds / 3600),
                             static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  std::string text(buffer, static_cast<std::size_t>(length));
  if (fraction_digits == 0 || (fraction_digits < 0 && fraction == 0)) return text;
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06u", fraction);
  std::string fraction_text(digits);
  if (fraction_digits < 0) {
    while (fraction_text.back() == '0') fraction_text.pop_back();
  } else {
    fraction_text.resize(static_cast<std::size_t>(fraction_digits), '0');
  }
  return text + "." + fraction_text;
}

std::string FormatTimestamp(std::int64_t micros, int fraction_digits) {
  std::int64_t days = FloorDiv(micros, kMicrosPerDay);
  std::int64_t of_day = micros - days * kMicrosPerDay;
  return FormatDate(days) + " " + FormatTimeOfDay(of_day, fraction_digits);
}

std::string FormatOffset(std::int32_t offset_seconds, bool with_minutes) {
  char sign = offset_seconds < 0 ? '-' : '+';
  std::int32_t magnitude = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  char buffer[16];
  if (with_minutes || magnitude % 3600 != 0) {
    std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", sign, magnitude / 3600, magnitude / 60 % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%c%02d", sign, magnitude / 3600);
  }
  return buffer;
}

std::string FormatJavaDouble(double value, bool is_float) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then Java's layout: plain between 10^-3 and 10^7, else d.dddE±n.
  char buffer[64];
  auto result = is_float ? std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value), std::chars_format::scientific)
                         : std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  auto e = scientific.find('e');
  std::string mantissa = scientific.substr(0, e);
  int exponent = std::stoi(scientific.substr(e + 1));
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  std::string text;
  double magnitude = std::fabs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      std::string integral = digits.substr(0, std::min<std::size_t>(digits.size(), exponent + 1));
      integral.append(static_cast<std::size_t>(exponent + 1) - integral.size(), '0');
      std::string fraction = digits.size() > static_cast<std::size_t>(exponent + 1) ? digits.substr(exponent + 1) : "0";
      text = integral + "." + fraction;
    } else {
      text = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    text = digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" + std::to_string(exponent);
  }
  return negative ? "-" + text : text;
}

std::string FormatShortestDouble(double value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string HexBytes(std::string_view bytes, bool spaced) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (spaced && i != 0) text.push_back(' ');
    auto byte = static_cast<unsigned char>(bytes[i]);
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 0xF]);
  }
  return text;
}

}  // namespace mallard::sqlengine
