// Objects: PutObject (streamed, checksummed, conditional), GetObject and HeadObject (versions,
// conditions, ranges, parts, header overrides, streamed), DeleteObject (versioning, markers).
#include <spdlog/spdlog.h>

#include "common/time_format.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_body.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_conditions.hpp"
#include "services/s3/s3_lifecycle.hpp"
#include "services/s3/xml/s3_xml.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/s3_objects.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {

Result<Done> CheckKey(std::string_view key) {
  if (key.size() > 1024) return Fail(errors::KeyTooLong(key.size()));
  return Done{};
}

Result<WriteCondition> WriteConditionOf(const S3Call& call) {
  WriteCondition condition;
  if (const std::string* none_match = call.Header("if-none-match")) {
    // Conditional writes take only "*" (S3's conditional-writes documentation).
    if (*none_match != "*") return Fail(errors::NotImplemented("If-None-Match"));
    condition.if_none_match_any = true;
  }
  if (const std::string* match = call.Header("if-match")) {
    std::string etag = *match;
    if (etag.size() < 2 || etag.front() != '"') etag = "\"" + etag + "\"";
    condition.if_match_etag = std::move(etag);
  }
  return condition;
}


void ApplyBucketEncryption(const BucketRecord& bucket, bool explicit_sse, ObjectAttributes& attributes) {
  if (explicit_sse) return;
  const std::string* configuration = bucket.Configuration("encryption");
  if (configuration == nullptr) return;
  auto document = ParseXml(*configuration);
  if (!document) return;
  for (auto rule : Children(document.value().Root(), "Rule")) {
    for (auto defaults : Children(rule, "ApplyServerSideEncryptionByDefault")) {
      if (auto algorithm = ChildText(defaults, "SSEAlgorithm")) attributes.server_side_encryption = *algorithm;
      if (auto key = ChildText(defaults, "KMSMasterKeyID")) attributes.kms_key_id = *key;
    }
    if (auto bucket_key = ChildText(rule, "BucketKeyEnabled")) attributes.bucket_key_enabled = *bucket_key == "true";
  }
}

namespace {

// PutObject of a small body may run on the request's thread while at most this many requests are
// in flight (PutObject says why).
constexpr int kInlinePutCallsInFlight = 2;

// The payload length a PUT declares: Content-Length, or x-amz-decoded-content-length for
// aws-chunked bodies. S3 refuses bodies of unknown length.
Result<std::uint64_t> DeclaredPayloadLength(const S3Call& call, const codec::DeclaredChecksums& declared) {
  if (declared.aws_chunked()) {
    if (!declared.decoded_content_length) return Fail(errors::MissingContentLength());
    return *declared.decoded_content_length;
  }
  if (const auto& stream = call.http().body_stream) {
    if (auto length = stream->DeclaredLength()) return *length;
    return Fail(errors::MissingContentLength());
  }
  return static_cast<std::uint64_t>(call.http().body.size());
}

void PutObject(const std::shared_ptr<S3Call>& call) {
  if (auto key = CheckKey(call->key()); !key) return call->Fail(key.error());
  auto declared = codec::ReadDeclaredChecksums(call->http().headers);
  if (!declared) return call->Fail(declared.error());
  auto length = DeclaredPayloadLength(*call, declared.value());
  if (!length) return call->Fail(length.error());
  if (length.value() > call->options().max_object_size) {
    return call->Fail(errors::EntityTooLarge(length.value(), call->options().max_object_size));
  }
  auto attributes = AttributesFromHeaders(*call);
  if (!attributes) return call->Fail(attributes.error());
  auto condition = WriteConditionOf(*call);
  if (!condition) return call->Fail(condition.error());
  // A body that came whole with its request (BodyReadingFor) needs no pool thread to wait on the
  // connection: with an in-process store (memory) and few requests in flight, the put runs where
  // the request is, saving two hand-overs (one client's PUTs went from ~4k to ~12k a second). Under
  // load the pool takes it (its 8 threads did better than the 2 network threads at 16 clients on a
  // busy machine). A streamed body, or a store that does I/O, always goes to the pool.
  auto run = [&call](std::function<void()> work) {
    if (call->http().body_stream || call->service().CallsInFlight() > kInlinePutCallsInFlight) {
      return call->RunBlocking(std::move(work));
    }
    call->Run(std::move(work));
  };
  run([call, declared = std::move(declared).value(), attributes = std::move(attributes).value(),
       condition = std::move(condition).value()]() mutable {
    // The bucket is checked before the body is read: a missing bucket costs the client no upload.
    // The bucket first: a missing one fails before the body is read; its default encryption and
    // lifecycle rules shape the object and the answer.
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    ApplyBucketEncryption(bucket.value(), call->Header("x-amz-server-side-encryption") != nullptr, attributes);
    auto writer = call->store().NewBody(call->bucket());
    if (!writer) return call->Fail(writer.error());
    ReceiveBody(call, std::move(writer).value(), declared, codec::ExpectedDigestForm::kHex,
                call->options().max_object_size,
                [call, attributes = std::move(attributes), condition = std::move(condition),
                 bucket = std::move(bucket).value(),
                 declared_checksum = declared.algorithm.has_value() || declared.sdk_algorithm.has_value()](
                    Result<ReceivedBody> received) mutable {
                  if (!received) return call->Fail(received.error());
                  auto& body = received.value();
                  if (auto algorithm = body.digests->algorithm()) {
                    attributes.checksum_algorithm = std::string(codec::S3Name(*algorithm));
                    attributes.checksum_value = body.digests->ChecksumBase64();
                    attributes.checksum_type = "FULL_OBJECT";
                  }
                  ObjectRecord record;
                  record.key = call->key();
                  record.version_id = NewVersionId();
                  record.size = body.digests->bytes();
                  record.etag = "\"" + body.digests->Md5Hex() + "\"";
                  record.last_modified_millis = call->NowMillis();
                  record.owner_account = call->context().account_id;
                  record.attributes_json = attributes.ToJson();
                  auto stored = call->store().PutObject(call->bucket(), std::move(record), std::move(body.writer), condition);
                  if (!stored) return call->Fail(stored.error());
                  NotifyObjectEvent(*call, "ObjectCreated:Put", stored.value());
                  http::HttpResponse response;
                  response.SetHeader("ETag", stored.value().etag);
                  response.SetHeader("x-amz-server-side-encryption", attributes.server_side_encryption);
                  if (!attributes.kms_key_id.empty()) {
                    response.SetHeader("x-amz-server-side-encryption-aws-kms-key-id", attributes.kms_key_id);
                  }
                  if (auto expiration = ExpirationHeader(bucket, stored.value())) {
                    response.SetHeader("x-amz-expiration", *expiration);
                  }
                  if (stored.value().version_id != kNullVersionId) {
                    response.SetHeader("x-amz-version-id", stored.value().version_id);
                  }
                  // S3 answers with the checksum when the client named one (header, trailer or algorithm).
                  if (declared_checksum) AddChecksumHeaders(attributes, response);
                  call->Reply(std::move(response));
                });
  });
}

// The header overrides a signed GET may ask for (response-content-type=…).
void ApplyResponseOverrides(const S3Call& call, http::HttpResponse& response) {
  static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"},
  };
  for (const auto& [parameter, header] : kOverrides) {
    if (const std::string* value = call.Query(parameter)) response.SetHeader(std::string(header), *value);
  }
}

Result<std::optional<std::uint32_t>> PartNumberOf(const S3Call& call) {
  const std::string* text = call.Query("partNumber");
  if (text == nullptr) return std::optional<std::uint32_t>();
  char* end = nullptr;
  long value = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || value < 1 || value > 10000) {
    return Fail(errors::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber",
                                        *text));
  }
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(value));
}

// Objects (or ranges) up to this size are read whole before the answer (GetOrHeadObject).
constexpr std::uint64_t kInlineReadBytes = 64 * 1024;

void GetOrHeadObject(const std::shared_ptr<S3Call>& call) {
  auto part_number = PartNumberOf(*call);
  if (!part_number) return call->Fail(part_number.error());
  const std::string* range_header = call->Header("range");
  if (range_header != nullptr && part_number.value()) {
    return call->Fail(errors::InvalidRequest("Cannot specify both Range header and partNumber query parameter"));
  }
  const std::string* version = call->Query("versionId");
  if (version != nullptr && version->empty()) {
    return call->Fail(errors::InvalidArgument("Version id cannot be the empty string", "versionId", ""));
  }
  call->Run([call, part = part_number.value(), range_header]() {
    const std::string* version = call->Query("versionId");
    auto opened = call->store().GetObject(call->bucket(), call->key(), version ? *version : std::string_view(),
                                          !call->IsHead());
    if (!opened) return call->Fail(opened.error());
    const ObjectRecord& record = opened.value().record;
    if (record.delete_marker) {
      std::vector<std::pair<std::string, std::string>> headers = {{"x-amz-delete-marker", "true"}};
      if (record.version_id != kNullVersionId || version) headers.emplace_back("x-amz-version-id", record.version_id);
      if (version) {
        headers.emplace_back("Last-Modified", FormatHttpDate(record.last_modified_millis));
        headers.emplace_back("Allow", "DELETE");
        return call->Fail(errors::MethodNotAllowed(call->http().method, "DeleteMarker"), std::move(headers));
      }
      return call->Fail(errors::NoSuchKey(call->key()), std::move(headers));
    }
    if (auto failed = CheckReadConditions(call->http(), record)) {
      if (failed->http_status == 304) {
        // S3's 304 carries the validators.
        return call->Fail(*failed, {{"ETag", record.etag}, {"Last-Modified", FormatHttpDate(record.last_modified_millis)}});
      }
      return call->Fail(*failed);
    }
    auto attributes = ObjectAttributes::FromJson(record.attributes_json);
    std::uint64_t first = 0;
    std::uint64_t length = record.size;
    bool partial = false;
    http::HttpResponse response;
    if (part) {
      std::uint32_t part_count = attributes.part_sizes.empty() ? 1 : static_cast<std::uint32_t>(attributes.part_sizes.size());
      if (*part > part_count) {
        return call->Fail(S3Error("InvalidPartNumber", 416, "The requested partnumber is not satisfiable",
                                  {{"PartNumberRequested", std::to_string(*part)},
                                   {"ActualPartCount", std::to_string(part_count)}}));
      }
      if (!attributes.part_sizes.empty()) {
        for (std::uint32_t i = 0; i + 1 < *part; ++i) first += attributes.part_sizes[i];
        length = attributes.part_sizes[*part - 1];
        response.SetHeader("x-amz-mp-parts-count", std::to_string(part_count));
      }
      partial = true;
    } else if (range_header != nullptr) {
      auto range = ParseRange(*range_header, record.size);
      if (!range) return call->Fail(range.error());
      if (range.value()) {
        first = range.value()->first;
        length = range.value()->length;
        partial = true;
      }
    }
    bool full_object = !partial || (first == 0 && length == record.size);
    const std::string* checksum_mode = call->Header("x-amz-checksum-mode");
    bool with_checksum = checksum_mode != nullptr && *checksum_mode == "ENABLED" && full_object;
    AddObjectHeaders(record, attributes, record.version_id != kNullVersionId, with_checksum, response);
    if (record.is_latest || !version) {
      // The rule that will expire the current version (lifecycle), as S3 announces it.
      if (auto bucket = call->store().GetBucket(call->bucket())) {
        if (auto expiration = ExpirationHeader(bucket.value(), record)) response.SetHeader("x-amz-expiration", *expiration);
      }
    }
    ApplyResponseOverrides(*call, response);
    if (partial) {
      response.status = 206;
      if (record.size > 0) {
        response.SetHeader("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(first + length - 1) +
                                                "/" + std::to_string(record.size));
      }
    }
    if (call->IsHead() || !opened.value().body) {
      // HEAD: the length the GET would send (the source's Length), no body.
      response.body_source = StoreBodySource(call->service().shared_from_this(), nullptr, 0, length);
      return call->Reply(std::move(response));
    }
    std::shared_ptr<BodyReader> reader = std::move(opened.value().body);
    if (length <= kInlineReadBytes) {
      // A small object is read here, on the pool, and answered whole: a streamed source would hand
      // each piece (and then the end) from the network thread to the pool and back.
      std::string bytes;
      while (bytes.size() < length) {
        auto piece = reader->ReadAt(first + bytes.size(), static_cast<std::size_t>(length - bytes.size()));
        if (!piece) return call->Fail(piece.error());
        if (piece.value().empty()) return call->Fail(StoreError{StoreErrc::StorageFailed, "the object ended early"});
        if (bytes.empty()) bytes = std::move(piece).value();
        else bytes += piece.value();
      }
      response.body = std::move(bytes);
      return call->Reply(std::move(response));
    }
    response.body_source = StoreBodySource(call->service().shared_from_this(), std::move(reader), first, length);
    call->Reply(std::move(response));
  });
}

void DeleteObject(const std::shared_ptr<S3Call>& call) {
  const std::string* version = call->Query("versionId");
  if (version != nullptr && version->empty()) {
    return call->Fail(errors::InvalidArgument("Version id cannot be the empty string", "versionId", ""));
  }
  // An id S3 could not have issued is refused before any lookup; a well-formed id that names no
  // version is deleted as far as S3 says (204, the id echoed) below.
  if (version != nullptr && !WellFormedVersionId(*version)) {
    return call->Fail(errors::InvalidArgument("Invalid version id specified", "versionId", *version));
  }
  WriteCondition condition;
  if (const std::string* match = call->Header("if-match")) {
    condition.if_match_etag = match->size() >= 2 && match->front() == '"' ? *match : "\"" + *match + "\"";
  }
  call->Run([call, condition]() {
    const std::string* version = call->Query("versionId");
    ObjectRecord marker;
    marker.key = call->key();
    marker.version_id = NewVersionId();
    marker.delete_marker = true;
    marker.last_modified_millis = call->NowMillis();
    marker.owner_account = call->context().account_id;
    auto deleted = call->store().DeleteObject(call->bucket(), call->key(), version ? *version : std::string_view(),
                                              marker, condition);
    if (!deleted) {
      // Deleting a version that does not exist (or a key that never existed) succeeds in S3.
      if (deleted.error().code == StoreErrc::VersionNotFound || deleted.error().code == StoreErrc::ObjectNotFound) {
        std::vector<std::pair<std::string, std::string>> headers;
        if (version) headers.emplace_back("x-amz-version-id", *version);
        return call->ReplyEmpty(204, std::move(headers));
      }
      return call->Fail(deleted.error());
    }
    if (deleted.value().removed) {
      ObjectRecord removed;
      removed.key = call->key();
      removed.version_id = deleted.value().version_id;
      removed.delete_marker = deleted.value().delete_marker;
      NotifyObjectEvent(*call, deleted.value().delete_marker && !version ? "ObjectRemoved:DeleteMarkerCreated"
                                                                          : "ObjectRemoved:Delete",
                        removed);
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (deleted.value().delete_marker) headers.emplace_back("x-amz-delete-marker", "true");
    if (!deleted.value().version_id.empty() && (deleted.value().version_id != kNullVersionId || version)) {
      headers.emplace_back("x-amz-version-id", deleted.value().version_id);
    } else if (version) {
      headers.emplace_back("x-amz-version-id", *version);  // a named version that was not there: S3 echoes it
    }
    call->ReplyEmpty(204, std::move(headers));
  });
}

}  // namespace

std::vector<S3Operation> ObjectOperations() {
  return {
      {"PutObject", PutObject},
      {"GetObject", GetOrHeadObject},
      {"HeadObject", GetOrHeadObject},
      {"DeleteObject", DeleteObject},
  };
}

}  // namespace mallard::s3
