#include "services/dynamodb/model/ddb_decimal.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace mallard::dynamodb {
namespace {

// DynamoDB's range in terms of exponent_ (value = 0.digits x 10^exponent_): the magnitude must be
// at least 1E-130 (exponent_ >= -129) and below 1E+126 (exponent_ <= 126).
constexpr int kMinExponent = -129;
constexpr int kMaxExponent = 126;

constexpr std::string_view kNotNumericMessage = "The parameter cannot be converted to a numeric value";

std::string NotNumeric(std::string_view text) {
  std::string message(kNotNumericMessage);
  if (!text.empty()) {
    message.append(": ");
    message.append(text);
  }
  return message;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int FloorDiv2(int value) { return value >= 0 ? value / 2 : -((1 - value) / 2); }

}  // namespace

Result<Decimal, std::string> Decimal::Parse(std::string_view text) {
  std::size_t i = 0;
  const std::size_t size = text.size();
  Decimal out;
  if (i < size && (text[i] == '+' || text[i] == '-')) {
    out.negative_ = text[i] == '-';
    ++i;
  }
  // The exponent of the first significant digit is counted from the digits that precede the point
  // (once a non-zero digit has been seen) minus the zeros between the point and the first non-zero.
  bool any_digit = false;
  bool seen_point = false;
  bool seen_nonzero = false;
  long long point_exponent = 0;
  std::size_t pending_zeros = 0;  // zeros after the last non-zero digit: significant only if one follows
  std::size_t significant = 0;    // digits up to and including the last non-zero one
  for (; i < size; ++i) {
    const char c = text[i];
    if (c == '.') {
      if (seen_point) return Fail(NotNumeric(text));
      seen_point = true;
      continue;
    }
    if (!IsDigit(c)) break;
    any_digit = true;
    if (c == '0') {
      if (!seen_nonzero) {
        if (seen_point) --point_exponent;
        continue;
      }
      ++pending_zeros;
    } else {
      if (significant + pending_zeros < kMaxDigits) {
        std::fill_n(out.digits_.begin() + static_cast<std::ptrdiff_t>(significant), pending_zeros, '0');
        out.digits_[significant + pending_zeros] = c;
      }
      significant += pending_zeros + 1;
      pending_zeros = 0;
      seen_nonzero = true;
    }
    if (seen_nonzero && !seen_point) ++point_exponent;
  }
  if (!any_digit) return Fail(NotNumeric(text));

  long long exponent = 0;
  if (i < size && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < size && (text[i] == '+' || text[i] == '-')) {
      exponent_negative = text[i] == '-';
      ++i;
    }
    if (i == size) return Fail(NotNumeric(text));
    for (; i < size; ++i) {
      if (!IsDigit(text[i])) return Fail(NotNumeric(text));
      exponent = exponent * 10 + (text[i] - '0');
      // AWS parses with a 32-bit exponent; anything wider is not a number to it.
      if (exponent > 2147483647LL) return Fail(NotNumeric(text));
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (i != size) return Fail(NotNumeric(text));

  if (!seen_nonzero) return Decimal();
  const long long total_exponent = point_exponent + exponent;
  if (total_exponent > kMaxExponent) return Fail(std::string(kOverflowMessage));
  if (total_exponent < kMinExponent) return Fail(std::string(kUnderflowMessage));
  if (significant > static_cast<std::size_t>(kMaxDigits)) return Fail(std::string(kTooManyDigitsMessage));
  out.digit_count_ = static_cast<unsigned char>(significant);
  out.exponent_ = static_cast<int>(total_exponent);
  return out;
}

Result<Decimal, std::string> Decimal::FromParts(bool negative, std::string_view digits, int exponent) {
  if (digits.empty()) {
    if (negative || exponent != 0) return Fail(std::string("zero has no sign or exponent"));
    return Decimal();
  }
  if (digits.size() > static_cast<std::size_t>(kMaxDigits)) return Fail(std::string(kTooManyDigitsMessage));
  if (digits.front() == '0' || digits.back() == '0' || !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return Fail("not a number's significant digits: " + std::string(digits));
  }
  if (exponent > kMaxExponent) return Fail(std::string(kOverflowMessage));
  if (exponent < kMinExponent) return Fail(std::string(kUnderflowMessage));
  Decimal out;
  out.negative_ = negative;
  out.digit_count_ = static_cast<unsigned char>(digits.size());
  std::copy(digits.begin(), digits.end(), out.digits_.begin());
  out.exponent_ = exponent;
  return out;
}

Decimal Decimal::FromInt(std::int64_t value) {
  Decimal out;
  if (value == 0) return out;
  out.negative_ = value < 0;
  std::uint64_t magnitude = out.negative_ ? ~static_cast<std::uint64_t>(value) + 1 : static_cast<std::uint64_t>(value);
  char reversed[20];
  int length = 0;
  while (magnitude != 0) {
    reversed[length++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  }
  out.exponent_ = length;
  int first_nonzero = 0;
  while (reversed[first_nonzero] == '0') ++first_nonzero;  // trailing zeros of the integer
  for (int k = length - 1; k >= first_nonzero; --k) out.digits_[out.digit_count_++] = reversed[k];
  return out;
}

std::string Decimal::ToString() const {
  if (IsZero()) return std::string(1, '0');
  const std::string_view digits = Digits();
  const int count = digit_count_;
  std::string out;
  out.reserve(static_cast<std::size_t>(count + std::max(exponent_, 0) + std::max(-exponent_, 0) + 3));
  if (negative_) out.push_back('-');
  if (exponent_ <= 0) {
    out.append("0.", 2);
    out.append(static_cast<std::size_t>(-exponent_), '0');
    out.append(digits);
  } else if (exponent_ < count) {
    out.append(digits.substr(0, static_cast<std::size_t>(exponent_)));
    out.push_back('.');
    out.append(digits.substr(static_cast<std::size_t>(exponent_)));
  } else {
    out.append(digits);
    out.append(static_cast<std::size_t>(exponent_ - count), '0');
  }
  return out;
}

namespace {

// Orders magnitudes of two non-zero normalized decimals.
int CompareMagnitude(std::string_view a_digits, int a_exponent, std::string_view b_digits, int b_exponent) {
  if (a_exponent != b_exponent) return a_exponent < b_exponent ? -1 : 1;
  const std::size_t common = std::min(a_digits.size(), b_digits.size());
  const int by_digits = std::memcmp(a_digits.data(), b_digits.data(), common);
  if (by_digits != 0) return by_digits < 0 ? -1 : 1;
  // No trailing zeros: the longer one has more non-zero value below the common digits.
  if (a_digits.size() == b_digits.size()) return 0;
  return a_digits.size() < b_digits.size() ? -1 : 1;
}

}  // namespace

int Decimal::Compare(const Decimal& other) const {
  const int sign = IsZero() ? 0 : (negative_ ? -1 : 1);
  const int other_sign = other.IsZero() ? 0 : (other.negative_ ? -1 : 1);
  if (sign != other_sign) return sign < other_sign ? -1 : 1;
  if (sign == 0) return 0;
  const int magnitude = CompareMagnitude(Digits(), exponent_, other.Digits(), other.exponent_);
  return sign > 0 ? magnitude : -magnitude;
}

Result<Decimal, std::string> Decimal::Add(const Decimal& other) const {
  if (other.IsZero()) return *this;
  if (IsZero()) return other;
  // Both operands lie within the range, so every digit position is in [-129 - 38, 126); one more
  // slot at the top takes the final carry.
  constexpr int kLowestPosition = kMinExponent - kMaxDigits;
  constexpr int kSpan = kMaxExponent - kLowestPosition + 1;
  const int magnitude_order = CompareMagnitude(Digits(), exponent_, other.Digits(), other.exponent_);
  if (negative_ != other.negative_ && magnitude_order == 0) return Decimal();
  // Work on |larger| +/- |smaller| so that borrows never run past the top.
  const Decimal& larger = magnitude_order >= 0 ? *this : other;
  const Decimal& smaller = magnitude_order >= 0 ? other : *this;
  const int direction = negative_ == other.negative_ ? 1 : -1;

  std::array<signed char, kSpan> column{};
  const int low = std::min(larger.exponent_ - larger.digit_count_, smaller.exponent_ - smaller.digit_count_);
  const int high = larger.exponent_;  // exclusive; the carry may reach `high`
  for (int k = 0; k < larger.digit_count_; ++k) {
    column[static_cast<std::size_t>(larger.exponent_ - 1 - k - low)] = static_cast<signed char>(larger.digits_[k] - '0');
  }
  for (int k = 0; k < smaller.digit_count_; ++k) {
    column[static_cast<std::size_t>(smaller.exponent_ - 1 - k - low)] += static_cast<signed char>(direction * (smaller.digits_[k] - '0'));
  }
  const int width = high - low;
  for (int k = 0; k < width; ++k) {
    auto& digit = column[static_cast<std::size_t>(k)];
    if (digit >= 10) {
      digit = static_cast<signed char>(digit - 10);
      ++column[static_cast<std::size_t>(k + 1)];
    } else if (digit < 0) {
      digit = static_cast<signed char>(digit + 10);
      --column[static_cast<std::size_t>(k + 1)];
    }
  }
  int top = width;
  while (top >= 0 && column[static_cast<std::size_t>(top)] == 0) --top;
  int bottom = 0;
  while (column[static_cast<std::size_t>(bottom)] == 0) ++bottom;

  Decimal out;
  out.negative_ = larger.negative_;
  out.exponent_ = low + top + 1;
  const int count = top - bottom + 1;
  if (out.exponent_ > kMaxExponent || count > kMaxDigits) return Fail(std::string(kOverflowMessage));
  if (out.exponent_ < kMinExponent) return Fail(std::string(kUnderflowMessage));
  for (int k = top; k >= bottom; --k) {
    out.digits_[out.digit_count_++] = static_cast<char>('0' + column[static_cast<std::size_t>(k)]);
  }
  return out;
}

Result<Decimal, std::string> Decimal::Subtract(const Decimal& other) const {
  Decimal negated = other;
  if (!negated.IsZero()) negated.negative_ = !negated.negative_;
  return Add(negated);
}

std::size_t Decimal::StorageSize() const {
  if (IsZero()) return 1;
  // DynamoDB stores the mantissa in base 100 with the pairs aligned on even powers of ten, so the
  // byte count depends on where the digits fall, plus one byte of exponent and, for negatives, a
  // terminator. (Matches the item-size boundaries AWS enforces on numbers.)
  const int highest_position = exponent_ - 1;
  const int lowest_position = exponent_ - digit_count_;
  const int pairs = FloorDiv2(highest_position) - FloorDiv2(lowest_position) + 1;
  return static_cast<std::size_t>(1 + pairs + (negative_ ? 1 : 0));
}

std::string Decimal::OrderPreservingKey() const {
  // Class byte (negative < zero < positive), then the biased exponent and the digits, both inverted
  // for negatives (a larger magnitude is a smaller value), then a terminator that sorts a shorter
  // digit string correctly against a longer one with the same prefix, so keys can be concatenated.
  constexpr char kNegativeClass = 0x01;
  constexpr char kZeroClass = 0x02;
  constexpr char kPositiveClass = 0x03;
  if (IsZero()) return std::string(1, kZeroClass);
  std::string key;
  key.reserve(static_cast<std::size_t>(digit_count_) + 3);
  const auto biased_exponent = static_cast<unsigned char>(exponent_ - kMinExponent);  // 0..255
  if (!negative_) {
    key.push_back(kPositiveClass);
    key.push_back(static_cast<char>(biased_exponent));
    key.append(Digits());
    key.push_back('\0');
  } else {
    key.push_back(kNegativeClass);
    key.push_back(static_cast<char>(255 - biased_exponent));
    for (int k = 0; k < digit_count_; ++k) key.push_back(static_cast<char>('9' - digits_[k] + '0'));
    key.push_back(static_cast<char>(0xFF));
  }
  return key;
}

std::size_t Decimal::Hash() const {
  // The representation is canonical (normalized digits, zero has one form), so hashing the parts is
  // consistent with ==.
  std::size_t hash = std::hash<std::string_view>{}(Digits());
  hash ^= static_cast<std::size_t>(exponent_ + 1000) * 0x9E3779B97F4A7C15ULL + (hash << 6) + (hash >> 2);
  return negative_ ? ~hash : hash;
}

}  // namespace mallard::dynamodb
