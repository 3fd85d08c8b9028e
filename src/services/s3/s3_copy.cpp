// CopyObject (metadata and tagging directives, source conditions and versions, across buckets),
// and what it shares with UploadPartCopy: the copy source, opening it, copying a byte range.
#include "services/s3/s3_copy.hpp"

#include "common/encoding.hpp"
#include "common/time_format.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_conditions.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/s3_objects.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {
// The largest object one CopyObject may copy (S3: larger ones need UploadPartCopy).
constexpr std::uint64_t kMaxCopySourceSize = 5ULL * 1024 * 1024 * 1024;
constexpr std::size_t kCopyPiece = 1024 * 1024;
}  // namespace

std::string LowerName(codec::ChecksumAlgorithm algorithm) {
  std::string name(codec::S3Name(algorithm));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string LowerHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string ChecksumElement(codec::ChecksumAlgorithm algorithm) {
  return "Checksum" + std::string(codec::S3Name(algorithm));
}

Result<CopySource> ParseCopySource(std::string_view header) {
  std::string_view path = header;
  std::optional<std::string> version_id;
  if (auto question = header.find('?'); question != std::string_view::npos) {
    path = header.substr(0, question);
    std::string_view query = header.substr(question + 1);
    constexpr std::string_view kVersion = "versionId=";
    if (query.substr(0, kVersion.size()) != kVersion) {
      return Fail(errors::InvalidArgument("Invalid copy source object key", "x-amz-copy-source", header));
    }
    auto decoded = PercentDecode(query.substr(kVersion.size()));
    if (!decoded || decoded->empty()) {
      return Fail(errors::InvalidArgument("Invalid version id specified", "x-amz-copy-source", header));
    }
    version_id = std::move(*decoded);
  }
  auto decoded = PercentDecode(path);
  if (!decoded) return Fail(errors::InvalidArgument("Invalid copy source encoding", "x-amz-copy-source", header));
  std::string_view text = *decoded;
  if (!text.empty() && text.front() == '/') text.remove_prefix(1);
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return Fail(errors::InvalidArgument("Invalid copy source bucket name", "x-amz-copy-source", header));
  }
  if (slash + 1 == text.size()) {
    return Fail(errors::InvalidArgument("Invalid copy source object key", "x-amz-copy-source", header));
  }
  CopySource source;
  source.bucket = std::string(text.substr(0, slash));
  source.key = std::string(text.substr(slash + 1));
  source.version_id = std::move(version_id);
  return source;
}

Result<OpenedObject> OpenCopySource(const S3Call& call, const CopySource& source) {
  auto opened = call.store().GetObject(source.bucket, source.key,
                                       source.version_id ? std::string_view(*source.version_id) : std::string_view(),
                                       true);
  if (!opened) {
    switch (opened.error().code) {
      case StoreErrc::BucketNotFound:
        return Fail(errors::NoSuchBucket(source.bucket));
      case StoreErrc::ObjectNotFound:
        return Fail(errors::NoSuchKey(source.key));
      case StoreErrc::VersionNotFound:
        return Fail(errors::NoSuchVersion(source.key, source.version_id.value_or("")));
      default:
        return Fail(call.ToAwsError(opened.error()));
    }
  }
  const ObjectRecord& record = opened.value().record;
  if (record.delete_marker) {
    if (source.version_id) {
      return Fail(errors::InvalidRequest(
          "The source of a copy request may not specifically refer to a delete marker by version id."));
    }
    return Fail(errors::NoSuchKey(source.key));
  }
  if (auto failed = CheckReadConditions(call.http(), record, "x-amz-copy-source-")) return Fail(*failed);
  if (!opened.value().body) return Fail(errors::InternalError("the store opened no body for a copy source"));
  return std::move(opened).value();
}

Result<CopiedBytes> CopyRange(const S3Call& call, BodyReader& reader, std::uint64_t first, std::uint64_t length,
                              BodyWriter& writer, std::optional<codec::ChecksumAlgorithm> algorithm) {
  auto md5 = codec::MakeMd5Hasher();
  auto checksum = algorithm ? codec::MakeHasher(*algorithm) : nullptr;
  std::uint64_t done = 0;
  while (done < length) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, kCopyPiece));
    auto piece = reader.ReadAt(first + done, want);
    if (!piece) return Fail(call.ToAwsError(piece.error()));
    if (piece.value().empty()) return Fail(errors::InternalError("the copy source ended early"));
    md5->Update(piece.value());
    if (checksum) checksum->Update(piece.value());
    if (auto appended = writer.Append(piece.value()); !appended) return Fail(call.ToAwsError(appended.error()));
    done += piece.value().size();
  }
  CopiedBytes copied;
  copied.size = done;
  copied.md5 = md5->Digest();
  if (checksum) copied.checksum_base64 = checksum->Base64Digest();
  return copied;
}

namespace {

// COPY or REPLACE (absent: COPY); anything else is S3's InvalidArgument.
Result<bool> ReplaceDirective(const S3Call& call, std::string_view header, std::string_view message) {
  const std::string* value = call.Header(header);
  if (value == nullptr || *value == "COPY") return false;
  if (*value == "REPLACE") return true;
  return Fail(errors::InvalidArgument(std::string(message), header, *value));
}

struct CopyPlan {
  CopySource source;
  ObjectAttributes from_headers;
  bool replace_metadata = false;
  bool replace_tags = false;
  std::optional<codec::ChecksumAlgorithm> requested_algorithm;
  WriteCondition condition;
};

// The attributes of the new object: the source's content headers and metadata (COPY) or the
// request's (REPLACE); tags likewise by the tagging directive; storage class, encryption and the
// checksum always from the request (S3 does not carry the storage class over).
ObjectAttributes AttributesOfCopy(const CopyPlan& plan, const ObjectAttributes& source) {
  ObjectAttributes attributes = plan.replace_metadata ? plan.from_headers : source;
  attributes.tags = plan.replace_tags ? plan.from_headers.tags : source.tags;
  attributes.storage_class = plan.from_headers.storage_class;
  attributes.server_side_encryption = plan.from_headers.server_side_encryption;
  attributes.kms_key_id = plan.from_headers.kms_key_id;
  attributes.bucket_key_enabled = plan.from_headers.bucket_key_enabled;
  if (!plan.replace_metadata && plan.from_headers.website_redirect.size() > 0) {
    attributes.website_redirect = plan.from_headers.website_redirect;
  }
  attributes.part_sizes.clear();
  attributes.part_checksums.clear();
  attributes.checksum_algorithm.clear();
  attributes.checksum_value.clear();
  attributes.checksum_type.clear();
  return attributes;
}

// Copying an object onto itself must change something (S3's rule).
bool ChangesSomething(const S3Call& call, const CopyPlan& plan) {
  return plan.replace_metadata || call.Header("x-amz-storage-class") != nullptr ||
         call.Header("x-amz-website-redirect-location") != nullptr ||
         call.Header("x-amz-server-side-encryption") != nullptr || plan.requested_algorithm.has_value();
}

void CopyObject(const std::shared_ptr<S3Call>& call) {
  if (auto key = CheckKey(call->key()); !key) return call->Fail(key.error());
  CopyPlan plan;
  auto source = ParseCopySource(*call->Header("x-amz-copy-source"));
  if (!source) return call->Fail(source.error());
  plan.source = std::move(source).value();
  auto replace_metadata = ReplaceDirective(*call, "x-amz-metadata-directive", "Unknown metadata directive.");
  if (!replace_metadata) return call->Fail(replace_metadata.error());
  plan.replace_metadata = replace_metadata.value();
  auto replace_tags = ReplaceDirective(*call, "x-amz-tagging-directive", "Unknown tagging directive.");
  if (!replace_tags) return call->Fail(replace_tags.error());
  plan.replace_tags = replace_tags.value();
  auto from_headers = AttributesFromHeaders(*call);
  if (!from_headers) return call->Fail(from_headers.error());
  plan.from_headers = std::move(from_headers).value();
  if (const std::string* algorithm = call->Header("x-amz-checksum-algorithm")) {
    plan.requested_algorithm = codec::ParseChecksumAlgorithm(*algorithm);
    if (!plan.requested_algorithm || algorithm->find('-') != std::string::npos) {
      return call->Fail(errors::InvalidRequest(
          "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
          "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"));
    }
  }
  auto condition = WriteConditionOf(*call);
  if (!condition) return call->Fail(condition.error());
  plan.condition = std::move(condition).value();
  if (plan.source.bucket == call->bucket() && plan.source.key == call->key() && !plan.source.version_id &&
      !ChangesSomething(*call, plan)) {
    return call->Fail(errors::InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the "
        "object's metadata, storage class, website redirect location or encryption attributes."));
  }
  call->RunBlocking([call, plan = std::move(plan)]() {
    auto opened = OpenCopySource(*call, plan.source);
    if (!opened) return call->Fail(opened.error());
    const ObjectRecord& source_record = opened.value().record;
    if (source_record.size > kMaxCopySourceSize) {
      return call->Fail(errors::InvalidRequest(
          "The specified copy source is larger than the maximum allowable size for a copy source: " +
          std::to_string(kMaxCopySourceSize)));
    }
    auto source_attributes = ObjectAttributes::FromJson(source_record.attributes_json);
    ObjectAttributes attributes = AttributesOfCopy(plan, source_attributes);
    std::optional<codec::ChecksumAlgorithm> algorithm = plan.requested_algorithm;
    if (!algorithm) algorithm = codec::ParseChecksumAlgorithm(source_attributes.checksum_algorithm);
    if (!algorithm) algorithm = codec::ChecksumAlgorithm::kCrc64Nvme;
    auto writer = call->store().NewBody(call->bucket());
    if (!writer) return call->Fail(writer.error());
    auto copied = CopyRange(*call, *opened.value().body, 0, source_record.size, *writer.value(), algorithm);
    if (!copied) return call->Fail(copied.error());
    attributes.checksum_algorithm = std::string(codec::S3Name(*algorithm));
    attributes.checksum_value = copied.value().checksum_base64;
    attributes.checksum_type = "FULL_OBJECT";
    ObjectRecord record;
    record.key = call->key();
    record.version_id = NewVersionId();
    record.size = copied.value().size;
    record.etag = "\"" + LowerHex(copied.value().md5) + "\"";
    record.last_modified_millis = call->NowMillis();
    record.owner_account = call->context().account_id;
    record.attributes_json = attributes.ToJson();
    auto stored = call->store().PutObject(call->bucket(), std::move(record), std::move(writer).value(), plan.condition);
    if (!stored) return call->Fail(stored.error());
    NotifyObjectEvent(*call, "ObjectCreated:Copy", stored.value());
    XmlWriter xml("CopyObjectResult");
    xml.Element("ETag", stored.value().etag);
    xml.Element("LastModified", FormatIso8601Millis(stored.value().last_modified_millis));
    xml.Element("ChecksumType", attributes.checksum_type);
    xml.Element(ChecksumElement(*algorithm), attributes.checksum_value);
    http::HttpResponse response;
    response.status = 200;
    response.SetHeader("Content-Type", "application/xml");
    response.body = xml.Finish();
    response.SetHeader("x-amz-server-side-encryption", attributes.server_side_encryption);
    if (stored.value().version_id != kNullVersionId) response.SetHeader("x-amz-version-id", stored.value().version_id);
    if (source_record.version_id != kNullVersionId) {
      response.SetHeader("x-amz-copy-source-version-id", source_record.version_id);
    }
    call->Reply(std::move(response));
  });
}

}  // namespace

std::vector<S3Operation> CopyOperations() {
  return {
      {"CopyObject", CopyObject},
  };
}

}  // namespace mallard::s3
