#pragma once
// Decimal: DynamoDB's number type. Up to 38 significant digits, exponent range -130..+125, exact
// (no binary floating point anywhere): parsed, compared, added, subtracted and rendered exactly.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::dynamodb {

class Decimal {
 public:
  static constexpr int kMaxDigits = 38;
  // The value must be a DynamoDB number literal: optional sign, digits with an optional point,
  // optional exponent; leading/trailing zeros are insignificant. Errors are AWS's messages, e.g.
  // "The parameter cannot be converted to a numeric value: abc",
  // "Attempting to store more than 38 significant digits in a Number",
  // "Number overflow. Attempting to store a number with magnitude larger than supported range",
  // "Number underflow. Attempting to store a number with magnitude smaller than supported range".
  static Result<Decimal, std::string> Parse(std::string_view text);
  static Decimal Zero() { return Decimal(); }
  // The number whose Digits() and Exponent() these are (a compact codec's inverse of them); fails
  // when they are not such parts: digits not '1'..'9' first and last, more than 38, an exponent
  // outside DynamoDB's range, a sign or exponent on zero.
  static Result<Decimal, std::string> FromParts(bool negative, std::string_view digits, int exponent);
  static Decimal FromInt(std::int64_t value);

  // Canonical text as DynamoDB returns it: no exponent, no trailing fractional zeros, no leading
  // zeros, "-" only for negatives, "0" for zero (e.g. "1.50e2" -> "150", "0.00100" -> "0.001").
  std::string ToString() const;
  // -1, 0 or 1, numerically (1.0 == 1).
  int Compare(const Decimal& other) const;
  bool operator==(const Decimal& other) const { return Compare(other) == 0; }
  bool operator<(const Decimal& other) const { return Compare(other) < 0; }
  // Exact; fails like Parse when the result needs more than 38 digits or leaves the range.
  Result<Decimal, std::string> Add(const Decimal& other) const;
  Result<Decimal, std::string> Subtract(const Decimal& other) const;
  bool IsZero() const { return digit_count_ == 0; }
  bool IsNegative() const { return negative_; }
  // Bytes the number counts for in an item's size, as AWS documents it: about one byte per two
  // significant digits plus one.
  std::size_t StorageSize() const;
  // A byte string whose memcmp order is the numeric order (for ordered stores such as Redis
  // sorted-set members and in-memory sort-key maps).
  std::string OrderPreservingKey() const;
  // Hash consistent with ==.
  std::size_t Hash() const;

  // Significant digits ('1'..'9' first and last, no leading or trailing zeros; empty for zero) and
  // the exponent E such that the value is 0.digits x 10^E: for codecs that need the parts.
  std::string_view Digits() const { return {digits_.data(), digit_count_}; }
  int Exponent() const { return exponent_; }

  // The exception message for arithmetic results AWS cannot store (AWS says "overflow" also when
  // only the precision is exceeded, e.g. 1e50 + 1).
  static constexpr std::string_view kOverflowMessage =
      "Number overflow. Attempting to store a number with magnitude larger than supported range";
  static constexpr std::string_view kUnderflowMessage =
      "Number underflow. Attempting to store a number with magnitude smaller than supported range";
  static constexpr std::string_view kTooManyDigitsMessage =
      "Attempting to store more than 38 significant digits in a Number";

 private:
  // Fixed storage: copying a Decimal never allocates (numbers are copied on every item read).
  bool negative_ = false;
  unsigned char digit_count_ = 0;
  std::array<char, kMaxDigits> digits_{};  // significant digits as characters, see Digits()
  int exponent_ = 0;                       // value = 0.digits x 10^exponent_
};

struct DecimalHash {
  std::size_t operator()(const Decimal& value) const { return value.Hash(); }
};

}  // namespace mallard::dynamodb
