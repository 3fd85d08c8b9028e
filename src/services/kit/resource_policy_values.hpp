#pragma once
// The typed values IAM condition operators compare, read as IAM reads them: numbers (Numeric*),
// dates (Date*: ISO 8601 or epoch seconds) and IP addresses / CIDR blocks (IpAddress). Internal to
// resource_policy.cpp; split out so each file stays readable.
#include <array>
#include <optional>
#include <string_view>

namespace mallard::services::kit::policy_values {

// A finite decimal number ("10", "-1.5", "1e3"); nullopt for anything else, "inf" and "nan" included.
std::optional<double> ParseNumber(std::string_view text);

// ISO 8601 (a date, or a date and time with optional seconds, fraction and zone; no zone is UTC) or
// epoch seconds, as seconds since the epoch.
std::optional<double> ParseDate(std::string_view text);

struct IpBlock {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
  int prefix_bits = 0;
};

// "203.0.113.0/24", "2001:db8::/32", or an address alone (every bit significant); a prefix only when
// allow_prefix.
std::optional<IpBlock> ParseIpBlock(std::string_view text, bool allow_prefix);

// Whether `address` lies in `block` (same family, equal in the block's first prefix_bits bits).
bool BlockContains(const IpBlock& block, const IpBlock& address);

}  // namespace mallard::services::kit::policy_values
