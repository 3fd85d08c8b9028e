// S3 for the other services of this server (the peer directory's neutral form): Athena writes query
// results to an OutputLocation, DynamoDB exports to and imports from S3. The input is the
// operation's botocore members as JSON (Body a string of bytes); the same store, rules and ETags as
// the HTTP API, so what a peer writes is what `aws s3 cp` reads.
#include <boost/json.hpp>

#include "common/time_format.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_objects.hpp"
#include "services/s3/s3_service.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {
namespace json = boost::json;

namespace {

std::string StringMember(const json::object& input, std::string_view name) {
  const auto* value = input.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

AwsError PeerStoreError(const StoreError& error, std::string_view bucket, std::string_view key) {
  switch (error.code) {
    case StoreErrc::BucketNotFound: return errors::NoSuchBucket(bucket);
    case StoreErrc::ObjectNotFound: return errors::NoSuchKey(key);
    case StoreErrc::VersionNotFound: return errors::NoSuchVersion(key, "");
    case StoreErrc::PreconditionFailed: return errors::PreconditionFailed("If-None-Match");
    case StoreErrc::Unavailable: return errors::ServiceUnavailable();
    default: return errors::InternalError(error.detail);
  }
}

protocol::OperationResult PutObject(S3Store& store, const json::object& input, const RequestContext& context,
                                    std::int64_t now) {
  std::string bucket = StringMember(input, "Bucket");
  std::string key = StringMember(input, "Key");
  if (bucket.empty() || key.empty()) return Fail(errors::InvalidRequest("Bucket and Key are required"));
  MALLARD_RETURN_IF_ERROR(CheckKey(key));
  const auto* body_value = input.if_contains("Body");
  std::string_view body = body_value != nullptr && body_value->is_string() ? std::string_view(body_value->as_string())
                                                                           : std::string_view();
  ObjectAttributes attributes;
  attributes.content_type = StringMember(input, "ContentType");
  if (const auto* metadata = input.if_contains("Metadata"); metadata != nullptr && metadata->is_object()) {
    for (const auto& entry : metadata->as_object()) {
      if (entry.value().is_string()) attributes.metadata.emplace_back(entry.key(), entry.value().as_string());
    }
  }
  codec::UploadDigests digests{codec::DeclaredChecksums{}};
  digests.Update(body);
  if (auto algorithm = digests.algorithm()) {
    attributes.checksum_algorithm = std::string(codec::S3Name(*algorithm));
    attributes.checksum_value = digests.ChecksumBase64();
    attributes.checksum_type = "FULL_OBJECT";
  }
  auto writer = store.NewBody(bucket);
  if (!writer) return Fail(PeerStoreError(writer.error(), bucket, key));
  if (!body.empty()) {
    if (auto appended = writer.value()->Append(body); !appended) return Fail(PeerStoreError(appended.error(), bucket, key));
  }
  ObjectRecord record;
  record.key = key;
  record.version_id = NewVersionId();
  record.size = body.size();
  record.etag = "\"" + digests.Md5Hex() + "\"";
  record.last_modified_millis = now;
  record.owner_account = context.account_id;
  record.attributes_json = attributes.ToJson();
  auto stored = store.PutObject(bucket, std::move(record), std::move(writer).value(), WriteCondition{});
  if (!stored) return Fail(PeerStoreError(stored.error(), bucket, key));
  json::object output{{"ETag", stored.value().etag}};
  if (stored.value().version_id != kNullVersionId) output["VersionId"] = stored.value().version_id;
  return output;
}

protocol::OperationResult GetObject(S3Store& store, const json::object& input, bool with_body) {
  std::string bucket = StringMember(input, "Bucket");
  std::string key = StringMember(input, "Key");
  auto opened = store.GetObject(bucket, key, StringMember(input, "VersionId"), with_body);
  if (!opened) return Fail(PeerStoreError(opened.error(), bucket, key));
  const auto& record = opened.value().record;
  if (record.delete_marker) return Fail(errors::NoSuchKey(key));
  auto attributes = ObjectAttributes::FromJson(record.attributes_json);
  json::object output{{"ContentLength", record.size},
                      {"ETag", record.etag},
                      {"LastModified", FormatIso8601Millis(record.last_modified_millis)},
                      {"ContentType", attributes.content_type.empty() ? "binary/octet-stream" : attributes.content_type}};
  json::object metadata;
  for (const auto& [name, value] : attributes.metadata) metadata[name] = value;
  output["Metadata"] = std::move(metadata);
  if (with_body && opened.value().body) {
    std::string body;
    body.reserve(record.size);
    while (body.size() < record.size) {
      auto piece = opened.value().body->ReadAt(body.size(), 1 << 20);
      if (!piece) return Fail(PeerStoreError(piece.error(), bucket, key));
      if (piece.value().empty()) break;
      body += piece.value();
    }
    output["Body"] = json::string(body);
  }
  return output;
}

protocol::OperationResult ListObjectsV2(S3Store& store, const json::object& input) {
  std::string bucket = StringMember(input, "Bucket");
  KeyRange range;
  range.prefix = StringMember(input, "Prefix");
  range.after = StringMember(input, "StartAfter");
  range.limit = 1001;
  if (const auto* max = input.if_contains("MaxKeys"); max != nullptr && max->is_int64()) {
    range.limit = static_cast<std::size_t>(std::clamp<std::int64_t>(max->as_int64(), 0, 1000)) + 1;
  }
  auto listed = store.ListObjects(bucket, range);
  if (!listed) return Fail(PeerStoreError(listed.error(), bucket, ""));
  auto& records = listed.value();
  bool truncated = records.size() == range.limit;
  if (truncated) records.pop_back();
  json::array contents;
  for (const auto& record : records) {
    contents.emplace_back(json::object{{"Key", record.key},
                                       {"Size", record.size},
                                       {"ETag", record.etag},
                                       {"LastModified", FormatIso8601Millis(record.last_modified_millis)}});
  }
  return json::object{{"Contents", std::move(contents)}, {"IsTruncated", truncated}};
}

}  // namespace

void S3Service::Invoke(protocol::OperationRequest request, protocol::OperationCallback done) {
  auto work = [this, request = std::move(request), done = std::move(done)]() {
    const auto& input = request.input;
    const std::string& name = request.operation;
    protocol::OperationResult result = Fail(errors::NotImplemented("S3 " + name + " for other services"));
    if (name == "PutObject") {
      result = PutObject(*store_, input, request.context, context_.clock());
    } else if (name == "GetObject" || name == "HeadObject") {
      result = GetObject(*store_, input, name == "GetObject");
    } else if (name == "ListObjectsV2") {
      result = ListObjectsV2(*store_, input);
    } else if (name == "HeadBucket") {
      auto bucket = store_->GetBucket(StringMember(input, "Bucket"));
      result = bucket ? protocol::OperationResult(json::object{{"BucketRegion", bucket.value().region}})
                      : protocol::OperationResult(Fail(errors::NoSuchBucket(StringMember(input, "Bucket"))));
    } else if (name == "DeleteObject") {
      ObjectRecord marker;
      marker.key = StringMember(input, "Key");
      marker.version_id = NewVersionId();
      marker.delete_marker = true;
      marker.last_modified_millis = context_.clock();
      marker.owner_account = request.context.account_id;
      auto deleted = store_->DeleteObject(StringMember(input, "Bucket"), marker.key, "", marker, WriteCondition{});
      result = deleted || deleted.error().code == StoreErrc::ObjectNotFound
                   ? protocol::OperationResult(json::object{})
                   : protocol::OperationResult(Fail(PeerStoreError(deleted.error(), StringMember(input, "Bucket"), marker.key)));
    }
    done(std::move(result));
  };
  // Peers move whole bodies: never on the caller's thread.
  RunBlocking(std::move(work));
}

}  // namespace mallard::s3
