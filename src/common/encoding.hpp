#pragma once
// Byte encodings the AWS protocols need: hex MD5, base64, URL percent-decoding, XML escaping.
#include <optional>
#include <string>
#include <string_view>

namespace mallard {

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
// Escapes text for XML character data and attribute values.
void AppendXmlEscaped(std::string& out, std::string_view text);
// True when every code point is valid UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace mallard
