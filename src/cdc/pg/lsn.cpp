#include "cdc/pg/lsn.hpp"

#include <cstdio>

namespace mallard::cdc::pg {
namespace {

// Parses one half of "X/Y". Eight digits is the most a 32-bit half can need, and the server
// rejects longer halves too, so we do not accept values it would not print.
std::optional<std::uint32_t> ParseHexHalf(std::string_view digits) {
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  std::uint32_t half = 0;
  for (char c : digits) {
    std::uint32_t nibble;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      nibble = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    half = (half << 4) | nibble;
  }
  return half;
}

}  // namespace

std::string Lsn::ToString() const {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(value >> 32),
                static_cast<unsigned>(value & 0xFFFFFFFFu));
  return text;
}

std::optional<Lsn> Lsn::Parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto high = ParseHexHalf(text.substr(0, slash));
  auto low = ParseHexHalf(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return Lsn{(static_cast<std::uint64_t>(*high) << 32) | *low};
}

}  // namespace mallard::cdc::pg
