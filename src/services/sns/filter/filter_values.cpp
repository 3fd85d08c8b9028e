// Number and IP address helpers shared by the filter policy compiler and matcher.
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "services/sns/filter/filter_policy_model.hpp"

namespace mallard::sns::filter_detail {

std::optional<std::int64_t> ComparableKey(double value) {
  if (!(value >= -kMaxComparableNumber && value <= kMaxComparableNumber)) return std::nullopt;  // NaN too
  // Non-negative, so the truncating cast is a floor: five digits after the decimal point.
  return static_cast<std::int64_t>(1e5 * (kMaxComparableNumber + value));
}

std::optional<double> ParseNumber(std::string_view text) {
  // [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? — decimal only: strtod alone would
  // also take hex, "inf" and "nan", which are no numbers to SNS.
  std::size_t at = 0;
  auto digits = [&] {
    std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    return at - start;
  };
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) ++at;
  std::size_t integer_digits = digits();
  std::size_t fraction_digits = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    fraction_digits = digits();
  }
  if (integer_digits + fraction_digits == 0) return std::nullopt;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    if (at < text.size() && (text[at] == '-' || text[at] == '+')) ++at;
    if (digits() == 0) return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::string copy(text);
  return std::strtod(copy.c_str(), nullptr);  // overflow gives ±HUGE_VAL: outside the comparable range
}

namespace {

std::optional<unsigned> ParseDecimalOctet(std::string_view part) {
  if (part.empty() || part.size() > 3) return std::nullopt;
  unsigned value = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 255) return std::nullopt;
  return value;
}

bool ParseIpv4Into(std::string_view text, std::uint8_t* out) {
  for (int i = 0; i < 4; ++i) {
    std::size_t dot = i < 3 ? text.find('.') : std::string_view::npos;
    if (i < 3 && dot == std::string_view::npos) return false;
    std::string_view part = i < 3 ? text.substr(0, dot) : text;
    auto octet = ParseDecimalOctet(part);
    if (!octet) return false;
    out[i] = static_cast<std::uint8_t>(*octet);
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return true;
}

// Parses colon-separated 16-bit groups into `groups`; returns how many (dotted quad counts 2).
bool ParseIpv6Groups(std::string_view text, std::vector<std::uint16_t>& groups, bool allow_ipv4_tail) {
  if (text.empty()) return true;
  std::size_t start = 0;
  while (true) {
    std::size_t colon = text.find(':', start);
    std::string_view part = text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    if (colon == std::string_view::npos && allow_ipv4_tail && part.find('.') != std::string_view::npos) {
      std::uint8_t quad[4];
      if (!ParseIpv4Into(part, quad)) return false;
      groups.push_back(static_cast<std::uint16_t>(quad[0] << 8 | quad[1]));
      groups.push_back(static_cast<std::uint16_t>(quad[2] << 8 | quad[3]));
      return true;
    }
    if (part.empty() || part.size() > 4) return false;
    unsigned value = 0;
    for (char c : part) {
      unsigned digit;
      if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
      else return false;
      value = value * 16 + digit;
    }
    groups.push_back(static_cast<std::uint16_t>(value));
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}

}  // namespace

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    if (!ParseIpv4Into(text, address.bytes.data())) return std::nullopt;
    address.size = 4;
    return address;
  }
  std::vector<std::uint16_t> head, tail;
  std::size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!ParseIpv6Groups(text, head, true) || head.size() != 8) return std::nullopt;
  } else {
    if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    if (!ParseIpv6Groups(text.substr(0, gap), head, false)) return std::nullopt;
    if (!ParseIpv6Groups(text.substr(gap + 2), tail, true)) return std::nullopt;
    if (head.size() + tail.size() > 7) return std::nullopt;
    head.resize(8 - tail.size(), 0);
    head.insert(head.end(), tail.begin(), tail.end());
  }
  for (std::size_t i = 0; i < 8; ++i) {
    address.bytes[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    address.bytes[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xFF);
  }
  address.size = 16;
  // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address, as Java's InetAddress reads it.
  bool mapped = head[5] == 0xFFFF && std::all_of(head.begin(), head.begin() + 5, [](std::uint16_t g) { return g == 0; });
  if (mapped) {
    std::copy(address.bytes.begin() + 12, address.bytes.begin() + 16, address.bytes.begin());
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    address.size = 4;
  }
  return address;
}

namespace {

// Lower case of the upper-case letters of the alphabets a policy is likely to use: ASCII, Latin-1,
// Latin Extended-A, Greek and Cyrillic (SNS folds with Java's full Unicode tables; the letters
// outside these blocks compare as they are).
std::uint32_t LowerCodePoint(std::uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0xC0) return c;
  if (c <= 0xDE) return c == 0xD7 ? c : c + 0x20;
  if (c >= 0x100 && c <= 0x137) return c | 1;  // pairs: even upper, odd lower
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
  if (c >= 0x14A && c <= 0x177) return c | 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  return c;
}

void AppendCodePoint(std::string& out, std::uint32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

std::string FoldCase(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    // Two-byte sequences hold every letter folded here; anything else is copied byte for byte.
    if (lead >= 0xC2 && lead <= 0xDF && i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80) {
      std::uint32_t c = ((lead & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
      AppendCodePoint(folded, LowerCodePoint(c));
      i += 2;
      continue;
    }
    folded.push_back(lead < 0x80 ? static_cast<char>(LowerCodePoint(lead)) : text[i]);
    ++i;
  }
  return folded;
}

}  // namespace mallard::sns::filter_detail
