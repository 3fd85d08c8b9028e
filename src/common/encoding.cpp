#include "common/encoding.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>

namespace mallard {
namespace {

// Held for the life of the process.
const EVP_MD* FetchedOr(const char* name, const EVP_MD* built_in) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : built_in;
}

std::string DigestHex(const EVP_MD* md, std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, md, nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    hex[2 * i] = kHex[byte >> 4];
    hex[2 * i + 1] = kHex[byte & 0xF];
  }
  return hex;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = HexValue(hex[i]);
    const int low = HexValue(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const sha256 = FetchedOr("SHA256", EVP_sha256());
  return sha256;
}
const EVP_MD* Md5Algorithm() {
  static const EVP_MD* const md5 = FetchedOr("MD5", EVP_md5());
  return md5;
}

std::string Md5Hex(std::string_view bytes) { return DigestHex(Md5Algorithm(), bytes); }
std::string Sha256Hex(std::string_view bytes) { return DigestHex(Sha256Algorithm(), bytes); }

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned value = (static_cast<unsigned char>(bytes[i]) << 16) |
                     (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64Alphabet[(value >> 18) & 63];
    out += kBase64Alphabet[(value >> 12) & 63];
    out += kBase64Alphabet[(value >> 6) & 63];
    out += kBase64Alphabet[value & 63];
  }
  if (i < bytes.size()) {
    unsigned value = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) value |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(value >> 18) & 63];
    out += kBase64Alphabet[(value >> 12) & 63];
    out += (i + 1 < bytes.size()) ? kBase64Alphabet[(value >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = Base64Value(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::optional<std::string> Base64DecodeStrict(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view payload = text.substr(0, text.size() - padding);
  std::string out;
  out.reserve(payload.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : payload) {
    if (c == '-' || c == '_') return std::nullopt;  // URL-safe alphabet is not accepted here
    int value = Base64Value(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return out;
}

namespace {

std::optional<std::string> PercentDecodeImpl(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> FormUrlDecode(std::string_view text) { return PercentDecodeImpl(text, true); }

std::optional<std::string> PercentDecode(std::string_view text) { return PercentDecodeImpl(text, false); }

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

Utf8Step DecodeUtf8At(std::string_view text, std::size_t position) {
  const auto byte_at = [&](std::size_t offset) { return static_cast<unsigned char>(text[position + offset]); };
  const unsigned char lead = byte_at(0);
  if (lead < 0x80) return Utf8Step{lead, 1, true};
  // The range the second byte must fall in excludes overlong forms (after E0, F0), surrogates
  // (after ED) and code points above U+10FFFF (after F4) in the same comparison.
  std::size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  char32_t code_point = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code_point = lead & 0x0F;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code_point = lead & 0x07;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return Utf8Step{0, 1, false};  // C0, C1, F5..FF, or a stray continuation byte
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (position + k >= text.size()) return Utf8Step{0, k, false};
    const unsigned char next = byte_at(k);
    const bool in_range = k == 1 ? next >= second_low && next <= second_high : IsContinuation(next);
    if (!in_range) return Utf8Step{0, k, false};
    code_point = (code_point << 6) | (next & 0x3F);
  }
  return Utf8Step{code_point, length, true};
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const Utf8Step step = DecodeUtf8At(text, i);
    if (!step.valid) return false;
    i += step.length;
  }
  return true;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const Utf8Step step = DecodeUtf8At(text, i);
    if (step.valid) {
      out.append(text.substr(i, step.length));
    } else {
      out.append(kReplacementCharacter);
    }
    i += step.length;
  }
  return out;
}

std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back up over continuation bytes to the start of the sequence that straddles the cut.
  while (end > 0 && IsContinuation(static_cast<unsigned char>(text[end]))) --end;
  return text.substr(0, end);
}

bool IsXmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

void AppendXmlEscaped(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      const Utf8Step step = DecodeUtf8At(text, i);
      if (step.valid && IsXmlChar(step.code_point)) {
        out.append(text.substr(i, step.length));
      } else {
        out.append(kReplacementCharacter);
      }
      i += step.length;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#xD;"; break;
      default:
        if (IsXmlChar(byte)) {
          out += c;
        } else {
          out.append(kReplacementCharacter);
        }
    }
    ++i;
  }
}

}  // namespace mallard
