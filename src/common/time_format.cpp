#include "common/time_format.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace mallard {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm Utc(std::int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return utc;
}

// Reads exactly `digits` decimal digits at `position`.
std::optional<int> Number(std::string_view text, std::size_t& position, std::size_t digits) {
  if (position + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = text[position + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  position += digits;
  return value;
}

bool Expect(std::string_view text, std::size_t& position, char c) {
  if (position >= text.size() || text[position] != c) return false;
  ++position;
  return true;
}

std::optional<int> Month(std::string_view name) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<std::int64_t> ToMillis(int year, int month, int day, int hour, int minute, int second, int millis) {
  if (month < 0 || month > 11 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::tm fields{};
  fields.tm_year = year - 1900;
  fields.tm_mon = month;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  return static_cast<std::int64_t>(::timegm(&fields)) * 1000 + millis;
}

// "HH:MM:SS"
bool Clock(std::string_view text, std::size_t& position, int& hour, int& minute, int& second) {
  auto h = Number(text, position, 2);
  if (!h || !Expect(text, position, ':')) return false;
  auto m = Number(text, position, 2);
  if (!m || !Expect(text, position, ':')) return false;
  auto s = Number(text, position, 2);
  if (!s) return false;
  hour = *h;
  minute = *m;
  second = *s;
  return true;
}

}  // namespace

std::string FormatIso8601Millis(std::int64_t millis) {
  std::tm utc = Utc(millis);
  char text[64];
  int fraction = static_cast<int>(((millis % 1000) + 1000) % 1000);
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
  return text;
}

std::string FormatHttpDate(std::int64_t millis) {
  std::tm utc = Utc(millis);
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[static_cast<std::size_t>(utc.tm_wday)].data(),
                utc.tm_mday, kMonths[static_cast<std::size_t>(utc.tm_mon)].data(), utc.tm_year + 1900, utc.tm_hour,
                utc.tm_min, utc.tm_sec);
  return text;
}

std::optional<std::int64_t> ParseHttpDate(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  int hour = 0, minute = 0, second = 0;
  // ISO 8601: YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() >= 20 && text[4] == '-') {
    std::size_t p = 0;
    auto year = Number(text, p, 4);
    if (!year || !Expect(text, p, '-')) return std::nullopt;
    auto month = Number(text, p, 2);
    if (!month || !Expect(text, p, '-')) return std::nullopt;
    auto day = Number(text, p, 2);
    if (!day || !Expect(text, p, 'T') || !Clock(text, p, hour, minute, second)) return std::nullopt;
    int millis = 0;
    if (p < text.size() && text[p] == '.') {
      ++p;
      int digits = 0;
      while (p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]))) {
        if (digits < 3) millis = millis * 10 + (text[p] - '0');
        ++digits;
        ++p;
      }
      if (digits == 0) return std::nullopt;
      for (int i = digits; i < 3; ++i) millis *= 10;
    }
    if (!Expect(text, p, 'Z') || p != text.size()) return std::nullopt;
    return ToMillis(*year, *month - 1, *day, hour, minute, second, millis);
  }
  auto comma = text.find(',');
  if (comma != std::string_view::npos) {
    std::size_t p = comma + 1;
    if (!Expect(text, p, ' ')) return std::nullopt;
    if (comma == 3) {
      // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
      auto day = Number(text, p, 2);
      if (!day || !Expect(text, p, ' ') || p + 3 > text.size()) return std::nullopt;
      auto month = Month(text.substr(p, 3));
      p += 3;
      if (!month || !Expect(text, p, ' ')) return std::nullopt;
      auto year = Number(text, p, 4);
      if (!year || !Expect(text, p, ' ') || !Clock(text, p, hour, minute, second)) return std::nullopt;
      if (text.substr(p) != " GMT") return std::nullopt;
      return ToMillis(*year, *month, *day, hour, minute, second, 0);
    }
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    auto day = Number(text, p, 2);
    if (!day || !Expect(text, p, '-') || p + 3 > text.size()) return std::nullopt;
    auto month = Month(text.substr(p, 3));
    p += 3;
    if (!month || !Expect(text, p, '-')) return std::nullopt;
    auto year = Number(text, p, 2);
    if (!year || !Expect(text, p, ' ') || !Clock(text, p, hour, minute, second)) return std::nullopt;
    if (text.substr(p) != " GMT") return std::nullopt;
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    return ToMillis(*year < 70 ? 2000 + *year : 1900 + *year, *month, *day, hour, minute, second, 0);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() == 24 && text[3] == ' ' && text[7] == ' ') {
    auto month = Month(text.substr(4, 3));
    std::size_t p = 8;
    int day = 0;
    if (text[p] == ' ') {
      ++p;
      auto d = Number(text, p, 1);
      if (!d) return std::nullopt;
      day = *d;
    } else {
      auto d = Number(text, p, 2);
      if (!d) return std::nullopt;
      day = *d;
    }
    if (!month || !Expect(text, p, ' ') || !Clock(text, p, hour, minute, second) || !Expect(text, p, ' ')) return std::nullopt;
    auto year = Number(text, p, 4);
    if (!year || p != text.size()) return std::nullopt;
    return ToMillis(*year, *month, day, hour, minute, second, 0);
  }
  return std::nullopt;
}

}  // namespace mallard
