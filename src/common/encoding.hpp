#pragma once
// Byte encodings the AWS protocols need: hex MD5, base64, URL percent-decoding, XML escaping.
#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace mallard {

// SHA-256 and MD5 fetched once from OpenSSL's default provider (EVP_sha256() and EVP_md5() if a
// fetch fails): OpenSSL 3 looks an algorithm up in its provider registry (locks, a property query)
// each time EVP_sha256()-style handles are used, which cost more than hashing a typical request.
const EVP_MD* Sha256Algorithm();
const EVP_MD* Md5Algorithm();

std::string HexEncode(std::string_view bytes);            // lower-case
std::optional<std::string> HexDecode(std::string_view hex);  // either case; nullopt when not hex
std::string Md5Hex(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
// nullopt when the text is not valid base64 (padding optional, whitespace rejected).
std::optional<std::string> Base64Decode(std::string_view text);
// Canonical RFC 4648 base64 only (standard alphabet, length a multiple of 4, '=' only as the final
// padding, unused bits of the last character zero), as AWS's JSON protocols read blobs.
std::optional<std::string> Base64DecodeStrict(std::string_view text);
// Decodes application/x-www-form-urlencoded text ('+' is a space); nullopt on a malformed escape.
std::optional<std::string> FormUrlDecode(std::string_view text);
// Decodes %XX escapes of a URL path ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);
std::string UrlEncode(std::string_view text);
// Escapes text for XML character data and attribute values. The output is always well-formed
// XML 1.0 text whatever the input: a byte sequence that is not valid UTF-8, and a character XML 1.0
// forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF), each becomes U+FFFD. There is no
// escape for those characters in XML 1.0 (`&#x0;` is itself ill-formed), so replacing is the only
// way to keep the document parseable; services validate their inputs so that stored data never
// needs it.
void AppendXmlEscaped(std::string& out, std::string_view text);

// One step of strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates (U+D800..DFFF),
// nothing above U+10FFFF, no truncated sequences. `length` is the bytes consumed (at least 1);
// when `valid` is false, `length` covers the maximal invalid subpart (as Unicode's "U+FFFD
// substitution of maximal subparts" practice counts it) and `code_point` is meaningless.
struct Utf8Step {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};
Utf8Step DecodeUtf8At(std::string_view text, std::size_t position);
// True when the text is strictly valid UTF-8 (see DecodeUtf8At).
bool IsValidUtf8(std::string_view text);
// The text with every invalid UTF-8 sequence replaced by U+FFFD; valid text comes back unchanged.
std::string ToValidUtf8(std::string_view text);
// The longest prefix of at most `max_bytes` bytes that does not split a UTF-8 sequence (for
// excerpts of client text in messages).
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);
// XML 1.0's Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
bool IsXmlChar(char32_t code_point);

}  // namespace mallard
