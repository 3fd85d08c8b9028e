// Versions and batches: ListObjectVersions (versions and delete markers in S3's order, with
// prefix, delimiter roll-up, key and version-id markers, EncodingType=url), DeleteObjects (up to
// 1,000 keys a request, quiet mode, a required body digest) and GetObjectAttributes (ETag,
// Checksum, ObjectParts, StorageClass, ObjectSize of a version, without its bytes).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/time_format.hpp"
#include "services/s3/codec/aws_chunked.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_conditions.hpp"
#include "services/s3/s3_listing.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {
namespace {

// --- ListObjectVersions ---

struct VersionListingRequest {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  std::size_t max_keys = 1000;
  bool url_encoding = false;
};

// One page: versions and delete markers (in `entries`, in S3's order) and common prefixes, in the
// order they were met (both count toward max-keys).
struct VersionListing {
  std::vector<ObjectRecord> entries;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;  // empty when the page ended on a common prefix
};

Result<VersionListingRequest> VersionListingParameters(const S3Call& call) {
  VersionListingRequest request;
  if (const std::string* prefix = call.Query("prefix")) request.prefix = *prefix;
  if (const std::string* delimiter = call.Query("delimiter")) request.delimiter = *delimiter;
  if (const std::string* marker = call.Query("key-marker")) request.key_marker = *marker;
  if (const std::string* marker = call.Query("version-id-marker")) request.version_id_marker = *marker;
  if (const std::string* max = call.Query("max-keys")) {
    char* end = nullptr;
    long long value = std::strtoll(max->c_str(), &end, 10);
    if (max->empty() || *end != '\0' || value < 0 || value > 2147483647) {
      return Fail(errors::InvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", *max));
    }
    request.max_keys = static_cast<std::size_t>(std::min<long long>(value, 1000));
  }
  if (const std::string* encoding = call.Query("encoding-type")) {
    if (*encoding != "url") {
      return Fail(errors::InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", *encoding));
    }
    request.url_encoding = true;
  }
  // S3 (LocalStack's recorded list-objects-next-version-only): a version-id marker alone is refused.
  if (!request.version_id_marker.empty() && request.key_marker.empty()) {
    return Fail(errors::InvalidArgument("A version-id marker cannot be specified without a key marker.",
                                        "version-id-marker", request.version_id_marker));
  }
  return request;
}

// The page after (key_marker, version_id_marker). A common prefix that sorts at or before the key
// marker was listed on an earlier page (S3 skips "folder/sub/" for the markers "folder/sub/" and
// "folder/sub/file1" alike: LocalStack's recorded list-object-versions-next-1 and
// -manual-first-file), so the listing moves past every key under it.
Result<VersionListing> ListVersionPage(S3Store& store, std::string_view bucket, const VersionListingRequest& request) {
  VersionListing listing;
  if (request.max_keys == 0) return listing;  // nothing asked for: not truncated, so pagers stop
  std::string after = request.key_marker;
  std::string after_version = request.version_id_marker;
  std::size_t count = 0;
  for (;;) {
    KeyRange range;
    range.prefix = request.prefix;
    range.after = after;
    range.limit = std::min<std::size_t>(request.max_keys - count + 1, 1000) + 1;
    auto batch = store.ListVersions(bucket, range, after_version);
    if (!batch) return Fail(ToListingError(batch.error(), bucket));
    bool restart = false;
    for (auto& record : batch.value()) {
      if (!request.delimiter.empty()) {
        auto found = record.key.find(request.delimiter, request.prefix.size());
        if (found != std::string::npos) {
          std::string common = record.key.substr(0, found + request.delimiter.size());
          after = PastPrefix(common);
          after_version.clear();
          restart = true;
          if (!request.key_marker.empty() && common.compare(request.key_marker) <= 0) break;
          if (count == request.max_keys) {
            listing.truncated = true;
            return listing;
          }
          listing.common_prefixes.push_back(common);
          listing.next_key_marker = common;
          listing.next_version_id_marker.clear();
          ++count;
          break;
        }
      }
      if (count == request.max_keys) {
        listing.truncated = true;
        return listing;
      }
      after = record.key;
      after_version = record.version_id;
      listing.next_key_marker = record.key;
      listing.next_version_id_marker = record.version_id;
      listing.entries.push_back(std::move(record));
      ++count;
    }
    if (!restart && batch.value().size() < range.limit) return listing;
  }
}

void WriteOwner(XmlWriter& xml, const ObjectRecord& record) {
  xml.Open("Owner");
  xml.Element("ID", CanonicalUserId(record.owner_account));
  xml.Close();
}

void WriteVersionEntry(XmlWriter& xml, const ObjectRecord& record, bool url_encoding) {
  std::string key = url_encoding ? UrlEncodeForListing(record.key) : record.key;
  if (record.delete_marker) {
    xml.Open("DeleteMarker");
    xml.Element("Key", key);
    xml.Element("VersionId", record.version_id);
    xml.Element("IsLatest", record.is_latest);
    xml.Element("LastModified", FormatIso8601Millis(record.last_modified_millis));
    WriteOwner(xml, record);
    xml.Close();
    return;
  }
  auto attributes = ObjectAttributes::FromJson(record.attributes_json);
  xml.Open("Version");
  xml.Element("Key", key);
  xml.Element("VersionId", record.version_id);
  xml.Element("IsLatest", record.is_latest);
  xml.Element("LastModified", FormatIso8601Millis(record.last_modified_millis));
  xml.Element("ETag", record.etag);
  if (!attributes.checksum_algorithm.empty()) {
    xml.Element("ChecksumAlgorithm", attributes.checksum_algorithm);
    if (!attributes.checksum_type.empty()) xml.Element("ChecksumType", attributes.checksum_type);
  }
  xml.Element("Size", static_cast<std::int64_t>(record.size));
  xml.Element("StorageClass", attributes.storage_class.empty() ? "STANDARD" : attributes.storage_class);
  WriteOwner(xml, record);
  xml.Close();
}

void ListObjectVersions(const std::shared_ptr<S3Call>& call) {
  auto request = VersionListingParameters(*call);
  if (!request) return call->Fail(request.error());
  call->Run([call, request = std::move(request).value()] {
    auto page = ListVersionPage(call->store(), call->bucket(), request);
    if (!page) return call->Fail(page.error());
    auto encoded = [&](const std::string& text) { return request.url_encoding ? UrlEncodeForListing(text) : text; };
    XmlWriter xml("ListVersionsResult");
    xml.Element("Name", call->bucket());
    xml.Element("Prefix", encoded(request.prefix));
    xml.Element("KeyMarker", encoded(request.key_marker));
    xml.Element("VersionIdMarker", request.version_id_marker);
    if (page.value().truncated) {
      xml.Element("NextKeyMarker", encoded(page.value().next_key_marker));
      if (!page.value().next_version_id_marker.empty()) {
        xml.Element("NextVersionIdMarker", page.value().next_version_id_marker);
      }
    }
    xml.Element("MaxKeys", static_cast<std::int64_t>(request.max_keys));
    if (!request.delimiter.empty()) xml.Element("Delimiter", encoded(request.delimiter));
    xml.Element("IsTruncated", page.value().truncated);
    for (const auto& record : page.value().entries) WriteVersionEntry(xml, record, request.url_encoding);
    for (const auto& prefix : page.value().common_prefixes) {
      xml.Open("CommonPrefixes");
      xml.Element("Prefix", encoded(prefix));
      xml.Close();
    }
    if (request.url_encoding) xml.Element("EncodingType", "url");
    call->ReplyXml(xml.Finish());
  });
}

// --- DeleteObjects ---

constexpr std::size_t kMaxDeleteObjects = 1000;

// The request body as sent, or decoded from aws-chunked framing, with every digest it declares
// verified. S3 requires one for a multi-object delete: Content-MD5 or an x-amz-checksum-* value.
Result<std::string> VerifiedDigestBody(const S3Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto declared, codec::ReadDeclaredChecksums(call.http().headers));
  if (!declared.content_md5 && !declared.checksum_value && !declared.checksum_in_trailer) {
    return Fail(errors::InvalidRequest("Missing required header for this request: Content-MD5"));
  }
  std::string payload;
  codec::Trailers trailers;
  if (declared.aws_chunked()) {
    std::optional<codec::ChunkSigning> signing;
    if (const auto& signature = call.request().signature) {
      signing = codec::ChunkSigning{signature->signing_key, signature->seed_signature, signature->amz_date,
                                    signature->scope};
    }
    codec::AwsChunkedDecoder decoder(declared.ChunkedOptions(std::move(signing)));
    if (auto fed = decoder.Feed(call.http().body, payload); !fed) return Fail(fed.error().ToAwsError());
    auto finished = decoder.Finish();
    if (!finished) return Fail(finished.error().ToAwsError());
    trailers = std::move(finished).value();
    MALLARD_RETURN_IF_ERROR(codec::CheckDecodedLength(declared, decoder.decoded_bytes()));
  } else {
    payload = call.http().body;
  }
  codec::UploadDigests digests(declared, std::nullopt);
  digests.Update(payload);
  MALLARD_RETURN_IF_ERROR(digests.Verify(trailers, codec::ExpectedDigestForm::kAsSent));
  return payload;
}

struct DeleteTarget {
  std::string key;
  std::optional<std::string> version_id;
  std::optional<std::string> etag;  // If-Match for this key (S3's conditional delete)
};

struct DeleteRequest {
  std::vector<DeleteTarget> targets;
  bool quiet = false;
};

Result<DeleteRequest> ParseDeleteRequest(std::string_view body) {
  MALLARD_ASSIGN_OR_RETURN(auto document, ParseXml(body));
  pugi::xml_node root = document.Root();
  if (LocalName(root) != "Delete") return Fail(errors::MalformedXml());
  DeleteRequest request;
  if (auto quiet = ChildText(root, "Quiet")) {
    std::string value = *quiet;
    for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (value != "true" && value != "false") return Fail(errors::MalformedXml());
    request.quiet = value == "true";
  }
  auto objects = Children(root, "Object");
  // S3's schema: one object at least, 1,000 at most.
  if (objects.empty() || objects.size() > kMaxDeleteObjects) return Fail(errors::MalformedXml());
  for (pugi::xml_node object : objects) {
    DeleteTarget target;
    auto key = ChildText(object, "Key");
    if (!key || key->empty()) return Fail(errors::MalformedXml());
    target.key = std::move(*key);
    target.version_id = ChildText(object, "VersionId");
    if (target.version_id && target.version_id->empty()) return Fail(errors::MalformedXml());
    if (auto etag = ChildText(object, "ETag")) {
      target.etag = etag->size() >= 2 && etag->front() == '"' ? *etag : "\"" + *etag + "\"";
    }
    request.targets.push_back(std::move(target));
  }
  return request;
}

struct DeleteResultEntry {
  std::string key;
  std::optional<std::string> version_id;
  bool delete_marker = false;
  std::string delete_marker_version_id;
  std::string error_code;  // empty: deleted
  std::string error_message;
};

DeleteResultEntry DeleteOne(const S3Call& call, Versioning versioning, const DeleteTarget& target) {
  DeleteResultEntry entry;
  entry.key = target.key;
  entry.version_id = target.version_id;
  // A batch reports an id S3 could not have issued as NoSuchVersion (DeleteObject refuses it with
  // InvalidArgument), without looking it up.
  if (target.version_id && !WellFormedVersionId(*target.version_id)) {
    entry.error_code = "NoSuchVersion";
    entry.error_message = "The specified version does not exist.";
    return entry;
  }
  WriteCondition condition;
  condition.if_match_etag = target.etag;
  ObjectRecord marker;
  marker.key = target.key;
  marker.version_id = NewVersionId();
  marker.delete_marker = true;
  marker.last_modified_millis = call.NowMillis();
  marker.owner_account = call.context().account_id;
  auto deleted = call.store().DeleteObject(call.bucket(), target.key, target.version_id.value_or(std::string()),
                                           marker, condition);
  if (!deleted) {
    const StoreError& error = deleted.error();
    if (error.code == StoreErrc::PreconditionFailed) {
      entry.error_code = "PreconditionFailed";
      entry.error_message = "At least one of the pre-conditions you specified did not hold";
    } else if (error.code == StoreErrc::ObjectNotFound && target.etag) {
      entry.error_code = "NoSuchKey";
      entry.error_message = "The specified key does not exist.";
    } else if ((error.code == StoreErrc::ObjectNotFound || error.code == StoreErrc::VersionNotFound) &&
               !target.version_id) {
      return entry;  // a missing key is deleted as far as S3 says
    } else if (error.code == StoreErrc::ObjectNotFound || error.code == StoreErrc::VersionNotFound) {
      entry.error_code = "NoSuchVersion";
      entry.error_message = "The specified version does not exist.";
    } else {
      spdlog::warn("s3 DeleteObjects {}: {} (request {})", target.key, error.detail, call.context().request_id);
      entry.error_code = "InternalError";
      entry.error_message = "We encountered an internal error. Please try again.";
    }
    return entry;
  }
  const DeleteOutcome& outcome = deleted.value();
  if (target.version_id) {
    // A named version that is not there: S3 answers NoSuchVersion in a batch (LocalStack's recorded
    // delete-objects-wrong-version-id), but in a bucket that never had versioning "null" names the
    // key itself, and a missing key is deleted as far as S3 says (as LocalStack answers).
    bool plain_key = versioning == Versioning::Unversioned && *target.version_id == kNullVersionId;
    if (!outcome.removed && !plain_key) {
      entry.error_code = "NoSuchVersion";
      entry.error_message = "The specified version does not exist.";
      return entry;
    }
    if (outcome.removed && outcome.delete_marker) {
      entry.delete_marker = true;
      entry.delete_marker_version_id = outcome.version_id;
    }
  } else if (outcome.removed && outcome.delete_marker) {
    entry.delete_marker = true;
    entry.delete_marker_version_id = outcome.version_id;
  }
  if (outcome.removed) {
    ObjectRecord removed;
    removed.key = target.key;
    removed.version_id = outcome.version_id;
    removed.delete_marker = outcome.delete_marker;
    NotifyObjectEvent(call, outcome.delete_marker && !target.version_id ? "ObjectRemoved:DeleteMarkerCreated"
                                                                         : "ObjectRemoved:Delete",
                      removed);
  }
  return entry;
}

void DeleteObjects(const std::shared_ptr<S3Call>& call) {
  auto body = VerifiedDigestBody(*call);
  if (!body) return call->Fail(body.error());
  auto request = ParseDeleteRequest(body.value());
  if (!request) return call->Fail(request.error());
  call->Run([call, request = std::move(request).value()] {
    // A missing bucket fails the whole request, before any key.
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    XmlWriter xml("DeleteResult");
    for (const auto& target : request.targets) {
      DeleteResultEntry entry = DeleteOne(*call, bucket.value().versioning, target);
      if (!entry.error_code.empty()) {
        xml.Open("Error");
        xml.Element("Key", entry.key);
        if (entry.version_id) xml.Element("VersionId", *entry.version_id);
        xml.Element("Code", entry.error_code);
        xml.Element("Message", entry.error_message);
        xml.Close();
        continue;
      }
      if (request.quiet) continue;  // quiet mode reports errors only
      xml.Open("Deleted");
      xml.Element("Key", entry.key);
      if (entry.version_id) xml.Element("VersionId", *entry.version_id);
      if (entry.delete_marker) {
        xml.Element("DeleteMarker", true);
        xml.Element("DeleteMarkerVersionId", entry.delete_marker_version_id);
      }
      xml.Close();
    }
    call->ReplyXml(xml.Finish());
  });
}

// --- GetObjectAttributes ---

struct AttributeSelection {
  bool etag = false;
  bool checksum = false;
  bool object_parts = false;
  bool storage_class = false;
  bool object_size = false;
};

// x-amz-object-attributes: a comma-separated list (SDKs send ", " or ","); S3's answers as
// quoted in versitygw#915 and #1000.
Result<AttributeSelection> SelectedAttributes(const S3Call& call) {
  AttributeSelection selection;
  bool any = false;
  const std::string* header = call.Header("x-amz-object-attributes");
  std::string_view rest = header != nullptr ? std::string_view(*header) : std::string_view();
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) name.remove_prefix(1);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.remove_suffix(1);
    if (name.empty()) continue;
    if (name == "ETag") {
      selection.etag = true;
    } else if (name == "Checksum") {
      selection.checksum = true;
    } else if (name == "ObjectParts") {
      selection.object_parts = true;
    } else if (name == "StorageClass") {
      selection.storage_class = true;
    } else if (name == "ObjectSize") {
      selection.object_size = true;
    } else {
      return Fail(errors::InvalidArgument("Invalid attribute name specified.", "x-amz-object-attributes", name));
    }
    any = true;
  }
  if (!any) {
    return Fail(errors::InvalidRequest(
        "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty"));
  }
  return selection;
}

// A non-negative integer header; S3 ignores values that are not (versitygw#1806 for x-amz-max-parts).
std::optional<std::uint64_t> CountHeader(const S3Call& call, std::string_view name) {
  const std::string* text = call.Header(name);
  if (text == nullptr || text->empty() || text->size() > 10) return std::nullopt;
  if (!std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return std::strtoull(text->c_str(), nullptr, 10);
}

void WriteObjectParts(XmlWriter& xml, const S3Call& call, const ObjectAttributes& attributes) {
  const std::size_t total = attributes.part_sizes.size();
  xml.Open("ObjectParts");
  xml.Element("PartsCount", static_cast<std::int64_t>(total));
  // Parts are listed only for objects whose parts carry checksums (COMPOSITE); a FULL_OBJECT or
  // checksum-less multipart object shows its count alone (AWS as recorded by LocalStack, and
  // versitygw#1001's S3 answer).
  bool per_part = attributes.checksum_type == "COMPOSITE" && !attributes.checksum_algorithm.empty();
  if (!per_part) {
    xml.Close();
    return;
  }
  std::uint64_t marker = CountHeader(call, "x-amz-part-number-marker").value_or(0);
  std::uint64_t max_parts = std::min<std::uint64_t>(CountHeader(call, "x-amz-max-parts").value_or(1000), 1000);
  // Part numbers are 1..total: the page is the parts after the marker, max_parts of them.
  std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(marker, total));
  std::vector<std::size_t> listed;
  for (std::size_t i = first; i < total && listed.size() < max_parts; ++i) listed.push_back(i);
  bool truncated = first + listed.size() < total;
  xml.Element("PartNumberMarker", static_cast<std::int64_t>(marker));
  xml.Element("NextPartNumberMarker", static_cast<std::int64_t>(listed.empty() ? 0 : listed.back() + 1));
  xml.Element("MaxParts", static_cast<std::int64_t>(max_parts));
  xml.Element("IsTruncated", truncated);
  const std::string checksum_element = "Checksum" + attributes.checksum_algorithm;
  for (std::size_t index : listed) {
    xml.Open("Part");
    xml.Element("PartNumber", static_cast<std::int64_t>(index + 1));
    xml.Element("Size", static_cast<std::int64_t>(attributes.part_sizes[index]));
    if (index < attributes.part_checksums.size() && !attributes.part_checksums[index].empty()) {
      xml.Element(checksum_element, attributes.part_checksums[index]);
    }
    xml.Close();
  }
  xml.Close();
}

void GetObjectAttributes(const std::shared_ptr<S3Call>& call) {
  auto selection = SelectedAttributes(*call);
  if (!selection) return call->Fail(selection.error());
  const std::string* version = call->Query("versionId");
  if (version != nullptr && version->empty()) {
    return call->Fail(errors::InvalidArgument("Version id cannot be the empty string", "versionId", ""));
  }
  call->Run([call, selection = selection.value()] {
    const std::string* version = call->Query("versionId");
    auto opened = call->store().GetObject(call->bucket(), call->key(), version ? *version : std::string_view(), false);
    if (!opened) return call->Fail(opened.error());
    const ObjectRecord& record = opened.value().record;
    if (record.delete_marker) {
      // As GetObject answers: 404 for a current marker, 405 for one named by its version id.
      std::vector<std::pair<std::string, std::string>> headers = {{"x-amz-delete-marker", "true"}};
      if (record.version_id != kNullVersionId || version) headers.emplace_back("x-amz-version-id", record.version_id);
      if (version) {
        headers.emplace_back("Last-Modified", FormatHttpDate(record.last_modified_millis));
        headers.emplace_back("Allow", "DELETE");
        return call->Fail(errors::MethodNotAllowed("GET", "DeleteMarker"), std::move(headers));
      }
      return call->Fail(errors::NoSuchKey(call->key()), std::move(headers));
    }
    if (auto failed = CheckReadConditions(call->http(), record)) return call->Fail(*failed);
    auto attributes = ObjectAttributes::FromJson(record.attributes_json);
    XmlWriter xml("GetObjectAttributesResponse");
    if (selection.etag) {
      // Without the quotes GET and HEAD put around it (AWS as recorded by LocalStack: object-attrs).
      std::string etag = record.etag;
      if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
      xml.Element("ETag", etag);
    }
    if (selection.checksum && !attributes.checksum_algorithm.empty()) {
      // A COMPOSITE checksum is kept as "<base64>-<parts>"; S3 reports the digest alone here.
      std::string value = attributes.checksum_value;
      if (attributes.checksum_type == "COMPOSITE") value = value.substr(0, value.rfind('-'));
      xml.Open("Checksum");
      xml.Element("Checksum" + attributes.checksum_algorithm, value);
      if (!attributes.checksum_type.empty()) xml.Element("ChecksumType", attributes.checksum_type);
      xml.Close();
    }
    if (selection.object_parts && !attributes.part_sizes.empty()) WriteObjectParts(xml, *call, attributes);
    if (selection.storage_class) {
      xml.Element("StorageClass", attributes.storage_class.empty() ? "STANDARD" : attributes.storage_class);
    }
    if (selection.object_size) xml.Element("ObjectSize", static_cast<std::int64_t>(record.size));
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    response.SetHeader("Last-Modified", FormatHttpDate(record.last_modified_millis));
    if (record.version_id != kNullVersionId || version) response.SetHeader("x-amz-version-id", record.version_id);
    response.body = xml.Finish();
    call->Reply(std::move(response));
  });
}

}  // namespace

std::vector<S3Operation> VersionOperations() {
  return {
      {"ListObjectVersions", ListObjectVersions},
      {"DeleteObjects", DeleteObjects},
      {"GetObjectAttributes", GetObjectAttributes},
  };
}

}  // namespace mallard::s3
