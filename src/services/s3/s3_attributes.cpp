#include "services/s3/s3_attributes.hpp"

#include <boost/json.hpp>
#include <openssl/sha.h>

#include "common/encoding.hpp"
#include "common/text.hpp"
#include "common/ids.hpp"
#include "common/time_format.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/wire/s3_routing.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxUserMetadataBytes = 2048;

json::array PairsToJson(const Tags& pairs) {
  json::array out;
  for (const auto& [name, value] : pairs) out.emplace_back(json::array{json::string(name), json::string(value)});
  return out;
}

Tags PairsFromJson(const json::value* value) {
  Tags out;
  if (value == nullptr || !value->is_array()) return out;
  for (const auto& pair : value->as_array()) {
    if (!pair.is_array() || pair.as_array().size() != 2) continue;
    const auto& entry = pair.as_array();
    if (entry[0].is_string() && entry[1].is_string()) out.emplace_back(entry[0].as_string(), entry[1].as_string());
  }
  return out;
}

std::string StringOf(const json::object& object, std::string_view name) {
  auto found = object.find(name);
  return found != object.end() && found->value().is_string() ? std::string(found->value().as_string()) : std::string();
}

bool IsKnownStorageClass(std::string_view storage_class) {
  for (std::string_view known : {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                                 "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"}) {
    if (storage_class == known) return true;
  }
  return false;
}

std::string PercentDecodeForm(std::string_view text) {
  // x-amz-tagging is a URL query string: '+' is a space there.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

ObjectAttributes ObjectAttributes::FromJson(std::string_view text) {
  ObjectAttributes attributes;
  boost::system::error_code error;
  json::parse_options options;
  options.max_depth = 64;
  auto parsed = json::parse(text, error, {}, options);
  if (error || !parsed.is_object()) return attributes;
  const auto& object = parsed.as_object();
  attributes.content_type = StringOf(object, "content_type");
  attributes.content_encoding = StringOf(object, "content_encoding");
  attributes.content_disposition = StringOf(object, "content_disposition");
  attributes.content_language = StringOf(object, "content_language");
  attributes.cache_control = StringOf(object, "cache_control");
  attributes.expires = StringOf(object, "expires");
  attributes.metadata = PairsFromJson(object.if_contains("metadata"));
  attributes.storage_class = StringOf(object, "storage_class");
  attributes.website_redirect = StringOf(object, "website_redirect");
  attributes.tags = PairsFromJson(object.if_contains("tags"));
  attributes.checksum_algorithm = StringOf(object, "checksum_algorithm");
  attributes.checksum_value = StringOf(object, "checksum_value");
  attributes.checksum_type = StringOf(object, "checksum_type");
  if (const auto* sizes = object.if_contains("part_sizes"); sizes != nullptr && sizes->is_array()) {
    for (const auto& size : sizes->as_array()) {
      if (size.is_int64()) attributes.part_sizes.push_back(static_cast<std::uint64_t>(size.as_int64()));
      if (size.is_uint64()) attributes.part_sizes.push_back(size.as_uint64());
    }
  }
  if (const auto* sums = object.if_contains("part_checksums"); sums != nullptr && sums->is_array()) {
    for (const auto& sum : sums->as_array()) attributes.part_checksums.emplace_back(sum.is_string() ? sum.as_string() : "");
  }
  if (object.contains("sse")) attributes.server_side_encryption = StringOf(object, "sse");
  attributes.kms_key_id = StringOf(object, "kms_key_id");
  if (const auto* key = object.if_contains("bucket_key"); key != nullptr && key->is_bool()) {
    attributes.bucket_key_enabled = key->as_bool();
  }
  return attributes;
}

std::string ObjectAttributes::ToJson() const {
  json::object object;
  auto put = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) object[name] = value;
  };
  put("content_type", content_type);
  put("content_encoding", content_encoding);
  put("content_disposition", content_disposition);
  put("content_language", content_language);
  put("cache_control", cache_control);
  put("expires", expires);
  if (!metadata.empty()) object["metadata"] = PairsToJson(metadata);
  put("storage_class", storage_class);
  put("website_redirect", website_redirect);
  if (!tags.empty()) object["tags"] = PairsToJson(tags);
  put("checksum_algorithm", checksum_algorithm);
  put("checksum_value", checksum_value);
  put("checksum_type", checksum_type);
  if (!part_sizes.empty()) {
    json::array sizes;
    for (auto size : part_sizes) sizes.emplace_back(size);
    object["part_sizes"] = std::move(sizes);
    json::array sums;
    for (const auto& sum : part_checksums) sums.emplace_back(json::string(sum));
    object["part_checksums"] = std::move(sums);
  }
  object["sse"] = server_side_encryption;
  put("kms_key_id", kms_key_id);
  if (bucket_key_enabled) object["bucket_key"] = true;
  return json::serialize(object);
}

Result<Tags> ParseTaggingHeader(std::string_view header) {
  Tags tags;
  while (!header.empty()) {
    auto amp = header.find('&');
    std::string_view pair = header.substr(0, amp);
    header = amp == std::string_view::npos ? std::string_view() : header.substr(amp + 1);
    if (pair.empty()) continue;
    auto equals = pair.find('=');
    std::string name = PercentDecodeForm(pair.substr(0, equals));
    std::string value = equals == std::string_view::npos ? std::string() : PercentDecodeForm(pair.substr(equals + 1));
    tags.emplace_back(std::move(name), std::move(value));
  }
  MALLARD_RETURN_IF_ERROR(CheckTags(tags));
  return tags;
}

Result<Done> CheckTags(const Tags& tags) {
  if (tags.size() > 10) return Fail(S3Error("BadRequest", 400, "Object tags cannot be greater than 10"));
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const auto& [name, value] = tags[i];
    if (name.empty() || name.size() > 128 || !IsValidUtf8(name)) {
      return Fail(S3Error("InvalidTag", 400, "The TagKey you have provided is invalid", {{"TagKey", name}}));
    }
    if (value.size() > 256 || !IsValidUtf8(value)) {
      return Fail(S3Error("InvalidTag", 400, "The TagValue you have provided is invalid",
                          {{"TagKey", name}, {"TagValue", value}}));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (tags[j].first == name) {
        return Fail(S3Error("InvalidTag", 400, "Cannot provide multiple Tags with the same key", {{"TagKey", name}}));
      }
    }
  }
  return Done{};
}

Result<ObjectAttributes> AttributesFromHeaders(const S3Call& call) {
  ObjectAttributes attributes;
  std::size_t metadata_bytes = 0;
  for (const auto& [name, value] : call.http().headers) {
    if (name == "content-type") attributes.content_type = value;
    else if (name == "content-encoding") {
      if (auto stored = codec::StoredContentEncoding(value)) attributes.content_encoding = *stored;
    } else if (name == "content-disposition") attributes.content_disposition = value;
    else if (name == "content-language") attributes.content_language = value;
    else if (name == "cache-control") attributes.cache_control = value;
    else if (name == "expires") attributes.expires = value;
    else if (name == "x-amz-website-redirect-location") attributes.website_redirect = value;
    else if (name.rfind("x-amz-meta-", 0) == 0) {
      std::string meta_name = name.substr(11);
      metadata_bytes += meta_name.size() + value.size();
      attributes.metadata.emplace_back(std::move(meta_name), value);
    }
  }
  if (metadata_bytes > kMaxUserMetadataBytes) {
    return Fail(S3Error("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size",
                        {{"Size", std::to_string(metadata_bytes)}, {"MaxSizeAllowed", std::to_string(kMaxUserMetadataBytes)}}));
  }
  if (const std::string* storage_class = call.Header("x-amz-storage-class")) {
    if (!IsKnownStorageClass(*storage_class)) {
      return Fail(S3Error("InvalidStorageClass", 400, "The storage class you specified is not valid",
                          {{"StorageClassRequested", *storage_class}}));
    }
    if (*storage_class != "STANDARD") attributes.storage_class = *storage_class;
  }
  if (const std::string* tagging = call.Header("x-amz-tagging")) {
    MALLARD_ASSIGN_OR_RETURN(attributes.tags, ParseTaggingHeader(*tagging));
  }
  if (const std::string* sse = call.Header("x-amz-server-side-encryption")) {
    if (*sse != "AES256" && *sse != "aws:kms" && *sse != "aws:kms:dsse") {
      return Fail(errors::InvalidArgument("The encryption method specified is not supported",
                                          "x-amz-server-side-encryption", *sse));
    }
    attributes.server_side_encryption = *sse;
    if (const std::string* key = call.Header("x-amz-server-side-encryption-aws-kms-key-id")) attributes.kms_key_id = *key;
  }
  if (const std::string* bucket_key = call.Header("x-amz-server-side-encryption-bucket-key-enabled")) {
    attributes.bucket_key_enabled = *bucket_key == "true";
  }
  return attributes;
}

void AddObjectHeaders(const ObjectRecord& record, const ObjectAttributes& attributes, bool show_version_id,
                      bool with_checksum, http::HttpResponse& response) {
  response.SetHeader("Content-Type", attributes.content_type.empty() ? "binary/octet-stream" : attributes.content_type);
  response.SetHeader("ETag", record.etag);
  response.SetHeader("Last-Modified", FormatHttpDate(record.last_modified_millis));
  response.SetHeader("Accept-Ranges", "bytes");
  if (!attributes.content_encoding.empty()) response.SetHeader("Content-Encoding", attributes.content_encoding);
  if (!attributes.content_disposition.empty()) response.SetHeader("Content-Disposition", attributes.content_disposition);
  if (!attributes.content_language.empty()) response.SetHeader("Content-Language", attributes.content_language);
  if (!attributes.cache_control.empty()) response.SetHeader("Cache-Control", attributes.cache_control);
  if (!attributes.expires.empty()) response.SetHeader("Expires", attributes.expires);
  if (!attributes.website_redirect.empty()) {
    response.SetHeader("x-amz-website-redirect-location", attributes.website_redirect);
  }
  for (const auto& [name, value] : attributes.metadata) response.headers.emplace_back("x-amz-meta-" + name, value);
  if (!attributes.storage_class.empty()) response.SetHeader("x-amz-storage-class", attributes.storage_class);
  if (show_version_id) response.SetHeader("x-amz-version-id", record.version_id);
  if (!attributes.server_side_encryption.empty()) {
    response.SetHeader("x-amz-server-side-encryption", attributes.server_side_encryption);
    if (!attributes.kms_key_id.empty()) {
      response.SetHeader("x-amz-server-side-encryption-aws-kms-key-id", attributes.kms_key_id);
    }
    if (attributes.bucket_key_enabled) response.SetHeader("x-amz-server-side-encryption-bucket-key-enabled", "true");
  }
  if (!attributes.tags.empty()) response.SetHeader("x-amz-tagging-count", std::to_string(attributes.tags.size()));
  if (with_checksum) AddChecksumHeaders(attributes, response);
}

void AddChecksumHeaders(const ObjectAttributes& attributes, http::HttpResponse& response) {
  if (attributes.checksum_algorithm.empty()) return;
  response.SetHeader("x-amz-checksum-" + AsciiLower(attributes.checksum_algorithm), attributes.checksum_value);
  if (!attributes.checksum_type.empty()) response.SetHeader("x-amz-checksum-type", attributes.checksum_type);
}

std::string CanonicalUserId(std::string_view account) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  std::string seed = "mallard-s3-owner:" + std::string(account);
  SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

std::string NewVersionId() { return RandomAlnum(32); }

bool WellFormedVersionId(std::string_view version_id) {
  if (version_id == kNullVersionId) return true;
  if (version_id.size() != 32) return false;
  for (char c : version_id) {
    bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!url_safe) return false;
  }
  return true;
}

}  // namespace mallard::s3
