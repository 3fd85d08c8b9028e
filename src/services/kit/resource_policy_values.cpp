#include "services/kit/resource_policy_values.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace mallard::services::kit::policy_values {

namespace {

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days inverse, era-based).
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool ReadDigits(std::string_view text, std::size_t& at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[at + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  at += count;
  return true;
}

}  // namespace

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  // from_chars also accepts "inf" and "nan"; IAM's numbers are decimal text only.
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+')) return std::nullopt;
  }
  return value;
}

std::optional<double> ParseDate(std::string_view text) {
  if (AllDigits(text)) {
    if (text.size() > 12) return std::nullopt;
    return ParseNumber(text);
  }
  std::size_t at = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(text, at, 4, year) || at >= text.size() || text[at++] != '-' || !ReadDigits(text, at, 2, month) ||
      at >= text.size() || text[at++] != '-' || !ReadDigits(text, at, 2, day)) {
    return std::nullopt;
  }
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDaysInMonth[month - 1] || (month == 2 && day == 29 && !leap)) {
    return std::nullopt;
  }
  double seconds = static_cast<double>(DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day))) * 86400.0;
  if (at == text.size()) return seconds;
  if (text[at] != 'T' && text[at] != 't') return std::nullopt;
  ++at;
  int hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, at, 2, hour) || at >= text.size() || text[at++] != ':' || !ReadDigits(text, at, 2, minute)) {
    return std::nullopt;
  }
  if (at < text.size() && text[at] == ':') {
    ++at;
    if (!ReadDigits(text, at, 2, second)) return std::nullopt;
    if (at < text.size() && text[at] == '.') {
      ++at;
      std::size_t first = at;
      double fraction = 0, scale = 0.1;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        fraction += (text[at] - '0') * scale;
        scale /= 10;
        ++at;
      }
      if (at == first) return std::nullopt;
      seconds += fraction;
    }
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  seconds += hour * 3600.0 + minute * 60.0 + second;
  if (at == text.size()) return seconds;  // no zone: UTC, as IAM reads it
  if (text[at] == 'Z' || text[at] == 'z') return at + 1 == text.size() ? std::optional<double>(seconds) : std::nullopt;
  if (text[at] != '+' && text[at] != '-') return std::nullopt;
  int sign = text[at++] == '+' ? 1 : -1;
  int offset_hours = 0, offset_minutes = 0;
  if (!ReadDigits(text, at, 2, offset_hours)) return std::nullopt;
  if (at < text.size() && text[at] == ':') ++at;
  if (!ReadDigits(text, at, 2, offset_minutes) || at != text.size() || offset_hours > 23 || offset_minutes > 59) {
    return std::nullopt;
  }
  return seconds - sign * (offset_hours * 3600.0 + offset_minutes * 60.0);
}

std::optional<IpBlock> ParseIpBlock(std::string_view text, bool allow_prefix) {
  std::size_t slash = text.find('/');
  std::string address(text.substr(0, slash));
  if (address.empty() || address.find('\0') != std::string::npos) return std::nullopt;
  IpBlock block;
  if (inet_pton(AF_INET, address.c_str(), block.bytes.data()) == 1) {
    block.family = AF_INET;
    block.prefix_bits = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), block.bytes.data()) == 1) {
    block.family = AF_INET6;
    block.prefix_bits = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    if (!allow_prefix || !AllDigits(bits) || bits.size() > 3) return std::nullopt;
    int prefix = 0;
    std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (prefix > block.prefix_bits) return std::nullopt;
    block.prefix_bits = prefix;
  }
  return block;
}

bool BlockContains(const IpBlock& block, const IpBlock& address) {
  if (block.family != address.family) return false;
  int bits = block.prefix_bits;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    unsigned mask = bits >= 8 ? 0xFFu : (0xFFu << (8 - bits)) & 0xFFu;
    if ((block.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace mallard::services::kit::policy_values
