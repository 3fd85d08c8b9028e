// Listings: ListObjects (v1) and ListObjectsV2 — prefix, delimiter and common prefixes, markers and
// continuation tokens, EncodingType=url, 1,000 keys a page, keys in UTF-8 binary order.
#include "common/encoding.hpp"
#include "common/time_format.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_listing.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

std::string UrlEncodeForListing(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Keys after a common prefix: no UTF-8 key has the byte 0xFF, so every key that starts with the
// prefix sorts before prefix + "\xFF".
std::string PastPrefix(std::string_view common_prefix) { return std::string(common_prefix) + '\xFF'; }

Result<KeyListing> ListKeys(S3Store& store, std::string_view bucket, const KeyListingRequest& request) {
  KeyListing listing;
  std::string after = request.after;
  std::string last_prefix;
  std::size_t count = 0;
  for (;;) {
    KeyRange range;
    range.prefix = request.prefix;
    range.after = after;
    range.limit = std::min<std::size_t>(request.max_keys - count + 1, 1000) + 1;
    auto batch = store.ListObjects(bucket, range);
    if (!batch) return Fail(ToListingError(batch.error(), bucket));
    bool restart = false;
    for (auto& record : batch.value()) {
      if (!request.delimiter.empty()) {
        auto found = record.key.find(request.delimiter, request.prefix.size());
        if (found != std::string::npos) {
          std::string common = record.key.substr(0, found + request.delimiter.size());
          if (count == request.max_keys) {
            listing.truncated = true;
            return listing;
          }
          listing.common_prefixes.push_back(common);
          listing.last = common;
          listing.last_is_prefix = true;
          ++count;
          after = PastPrefix(common);
          restart = true;
          break;
        }
      }
      if (count == request.max_keys) {
        listing.truncated = true;
        return listing;
      }
      after = record.key;
      listing.last = record.key;
      listing.last_is_prefix = false;
      listing.objects.push_back(std::move(record));
      ++count;
    }
    if (!restart && batch.value().size() < range.limit) return listing;
  }
}

AwsError ToListingError(const StoreError& error, std::string_view bucket) {
  if (error.code == StoreErrc::BucketNotFound) return errors::NoSuchBucket(bucket);
  if (error.code == StoreErrc::Unavailable) return errors::ServiceUnavailable();
  return errors::InternalError(error.detail);
}

namespace {

struct ListParameters {
  std::string prefix;
  std::string delimiter;
  std::size_t max_keys = 1000;
  bool url_encoding = false;
};

Result<ListParameters> CommonParameters(const S3Call& call) {
  ListParameters parameters;
  if (const std::string* prefix = call.Query("prefix")) parameters.prefix = *prefix;
  if (const std::string* delimiter = call.Query("delimiter")) parameters.delimiter = *delimiter;
  if (const std::string* max = call.Query("max-keys")) {
    char* end = nullptr;
    long long value = std::strtoll(max->c_str(), &end, 10);
    if (max->empty() || *end != '\0' || value < 0 || value > 2147483647) {
      return Fail(errors::InvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", *max));
    }
    parameters.max_keys = static_cast<std::size_t>(std::min<long long>(value, 1000));
  }
  if (const std::string* encoding = call.Query("encoding-type")) {
    if (*encoding != "url") {
      return Fail(errors::InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", *encoding));
    }
    parameters.url_encoding = true;
  }
  return parameters;
}

void WriteContents(XmlWriter& xml, const ObjectRecord& record, bool url_encoding, bool with_owner) {
  auto attributes = ObjectAttributes::FromJson(record.attributes_json);
  xml.Open("Contents");
  xml.Element("Key", url_encoding ? UrlEncodeForListing(record.key) : record.key);
  xml.Element("LastModified", FormatIso8601Millis(record.last_modified_millis));
  xml.Element("ETag", record.etag);
  if (!attributes.checksum_algorithm.empty()) {
    xml.Element("ChecksumAlgorithm", attributes.checksum_algorithm);
    if (!attributes.checksum_type.empty()) xml.Element("ChecksumType", attributes.checksum_type);
  }
  xml.Element("Size", static_cast<std::int64_t>(record.size));
  if (with_owner) {
    xml.Open("Owner");
    xml.Element("ID", CanonicalUserId(record.owner_account));
    xml.Close();
  }
  xml.Element("StorageClass", attributes.storage_class.empty() ? "STANDARD" : attributes.storage_class);
  xml.Close();
}

void WriteCommonPrefixes(XmlWriter& xml, const std::vector<std::string>& prefixes, bool url_encoding) {
  for (const auto& prefix : prefixes) {
    xml.Open("CommonPrefixes");
    xml.Element("Prefix", url_encoding ? UrlEncodeForListing(prefix) : prefix);
    xml.Close();
  }
}

std::string Encoded(const ListParameters& parameters, const std::string& text) {
  return parameters.url_encoding ? UrlEncodeForListing(text) : text;
}

void ListObjectsV2(const std::shared_ptr<S3Call>& call) {
  auto parameters = CommonParameters(*call);
  if (!parameters) return call->Fail(parameters.error());
  KeyListingRequest request;
  request.prefix = parameters.value().prefix;
  request.delimiter = parameters.value().delimiter;
  request.max_keys = parameters.value().max_keys;
  const std::string* start_after = call->Query("start-after");
  const std::string* token = call->Query("continuation-token");
  if (token != nullptr) {
    // The token is ours: "k" + the last key listed, or "p" + the last common prefix.
    auto decoded = Base64Decode(*token);
    if (!decoded || decoded->empty() || ((*decoded)[0] != 'k' && (*decoded)[0] != 'p')) {
      return call->Fail(errors::InvalidArgument("The continuation token provided is incorrect", "continuation-token", *token));
    }
    request.after = (*decoded)[0] == 'p' ? PastPrefix(decoded->substr(1)) : decoded->substr(1);
  } else if (start_after != nullptr) {
    request.after = *start_after;
  }
  call->Run([call, parameters = parameters.value(), request] {
    auto listing = ListKeys(call->store(), call->bucket(), request);
    if (!listing) return call->Fail(listing.error());
    const auto& page = listing.value();
    const std::string* fetch_owner = call->Query("fetch-owner");
    bool with_owner = fetch_owner != nullptr && *fetch_owner == "true";
    XmlWriter xml("ListBucketResult");
    xml.Element("Name", call->bucket());
    xml.Element("Prefix", Encoded(parameters, parameters.prefix));
    if (page.truncated) {
      xml.Element("NextContinuationToken", Base64Encode(std::string(page.last_is_prefix ? "p" : "k") + page.last));
    }
    xml.Element("KeyCount", static_cast<std::int64_t>(page.objects.size() + page.common_prefixes.size()));
    xml.Element("MaxKeys", static_cast<std::int64_t>(parameters.max_keys));
    if (!parameters.delimiter.empty()) xml.Element("Delimiter", Encoded(parameters, parameters.delimiter));
    xml.Element("IsTruncated", page.truncated);
    for (const auto& record : page.objects) WriteContents(xml, record, parameters.url_encoding, with_owner);
    WriteCommonPrefixes(xml, page.common_prefixes, parameters.url_encoding);
    if (parameters.url_encoding) xml.Element("EncodingType", "url");
    if (const std::string* token = call->Query("continuation-token")) xml.Element("ContinuationToken", *token);
    if (const std::string* start_after = call->Query("start-after")) {
      xml.Element("StartAfter", Encoded(parameters, *start_after));
    }
    call->ReplyXml(xml.Finish());
  });
}

void ListObjects(const std::shared_ptr<S3Call>& call) {
  auto parameters = CommonParameters(*call);
  if (!parameters) return call->Fail(parameters.error());
  KeyListingRequest request;
  request.prefix = parameters.value().prefix;
  request.delimiter = parameters.value().delimiter;
  request.max_keys = parameters.value().max_keys;
  if (const std::string* marker = call->Query("marker")) {
    // A marker that is a common prefix skips the keys under it, as S3's NextMarker intends.
    request.after = !request.delimiter.empty() && marker->size() >= request.delimiter.size() &&
                            marker->compare(marker->size() - request.delimiter.size(), std::string::npos,
                                            request.delimiter) == 0 &&
                            marker->rfind(request.prefix, 0) == 0
                        ? PastPrefix(*marker)
                        : *marker;
  }
  call->Run([call, parameters = parameters.value(), request] {
    auto listing = ListKeys(call->store(), call->bucket(), request);
    if (!listing) return call->Fail(listing.error());
    const auto& page = listing.value();
    XmlWriter xml("ListBucketResult");
    xml.Element("Name", call->bucket());
    xml.Element("Prefix", Encoded(parameters, parameters.prefix));
    const std::string* marker = call->Query("marker");
    xml.Element("Marker", marker != nullptr ? Encoded(parameters, *marker) : std::string());
    // NextMarker only with a delimiter (without one the client continues from the last key).
    if (page.truncated && !parameters.delimiter.empty()) xml.Element("NextMarker", Encoded(parameters, page.last));
    xml.Element("MaxKeys", static_cast<std::int64_t>(parameters.max_keys));
    if (!parameters.delimiter.empty()) xml.Element("Delimiter", Encoded(parameters, parameters.delimiter));
    xml.Element("IsTruncated", page.truncated);
    for (const auto& record : page.objects) WriteContents(xml, record, parameters.url_encoding, true);
    WriteCommonPrefixes(xml, page.common_prefixes, parameters.url_encoding);
    if (parameters.url_encoding) xml.Element("EncodingType", "url");
    call->ReplyXml(xml.Finish());
  });
}

}  // namespace

std::vector<S3Operation> ListingOperations() {
  return {
      {"ListObjectsV2", ListObjectsV2},
      {"ListObjects", ListObjects},
  };
}

}  // namespace mallard::s3
