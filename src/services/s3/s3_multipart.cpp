// Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads.
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "common/time_format.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_body.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_conditions.hpp"
#include "services/s3/s3_copy.hpp"
#include "services/s3/s3_listing.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/s3_objects.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {
namespace {

constexpr std::uint32_t kMaxPartNumber = 10000;

// S3's upload ids are long URL-safe strings; 60 random bytes in base64url (80 characters).
std::string NewUploadId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char bytes[60];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Unique enough without the CSPRNG: NewVersionId draws from its own generator.
    return NewVersionId() + NewVersionId() + NewVersionId();
  }
  std::string id;
  for (std::size_t i = 0; i < sizeof bytes; i += 3) {
    std::uint32_t group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) id.push_back(kAlphabet[(group >> shift) & 63]);
  }
  return id;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (error != std::errc() || end != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(value));
  }
  return out;
}

std::string Quoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return std::string(etag);
  return "\"" + std::string(etag) + "\"";
}

std::string Unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return std::string(etag.substr(1, etag.size() - 2));
  return std::string(etag);
}

const std::string& UploadIdOf(const S3Call& call) {
  static const std::string kEmpty;
  const std::string* id = call.Query("uploadId");
  return id != nullptr ? *id : kEmpty;
}

// The request's upload: an upload id belongs to one key, and naming it with another is
// NoSuchUpload as S3 answers.
Result<UploadRecord> FindUpload(const S3Call& call) {
  auto upload = call.store().GetUpload(call.bucket(), UploadIdOf(call));
  if (!upload) return Fail(call.ToAwsError(upload.error()));
  if (upload.value().key != call.key()) return Fail(errors::NoSuchUpload(UploadIdOf(call)));
  return std::move(upload).value();
}

// A non-negative integer query parameter; S3's "Provided <name> not an integer or within integer
// range" otherwise.
Result<std::optional<std::int64_t>> IntegerParameter(const S3Call& call, std::string_view name) {
  const std::string* text = call.Query(name);
  if (text == nullptr) return std::optional<std::int64_t>();
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || error != std::errc() || end != text->data() + text->size() || value < 0 ||
      value > 2147483647) {
    return Fail(errors::InvalidArgument("Provided " + std::string(name) + " not an integer or within integer range",
                                        name, *text));
  }
  return std::optional<std::int64_t>(value);
}

Result<std::uint32_t> PartNumberOf(const S3Call& call) {
  const std::string* text = call.Query("partNumber");
  std::string value = text != nullptr ? *text : std::string();
  std::uint32_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size() || number < 1 ||
      number > kMaxPartNumber) {
    return Fail(errors::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber",
                                        value));
  }
  return number;
}

void AddUploadChecksumHeaders(const ObjectAttributes& upload, http::HttpResponse& response) {
  if (upload.checksum_algorithm.empty()) return;
  response.SetHeader("x-amz-checksum-algorithm", upload.checksum_algorithm);
  if (!upload.checksum_type.empty()) response.SetHeader("x-amz-checksum-type", upload.checksum_type);
}

// ---------------------------------------------------------------- CreateMultipartUpload

void CreateMultipartUpload(const std::shared_ptr<S3Call>& call) {
  if (auto key = CheckKey(call->key()); !key) return call->Fail(key.error());
  auto attributes = AttributesFromHeaders(*call);
  if (!attributes) return call->Fail(attributes.error());
  const std::string* algorithm_header = call->Header("x-amz-checksum-algorithm");
  const std::string* type_header = call->Header("x-amz-checksum-type");
  if (algorithm_header != nullptr) {
    auto algorithm = codec::ParseChecksumAlgorithm(*algorithm_header);
    if (!algorithm || algorithm_header->find('-') != std::string::npos) {
      return call->Fail(errors::InvalidRequest(
          "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
          "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"));
    }
    codec::ChecksumType type = codec::DefaultChecksumType(*algorithm);
    if (type_header != nullptr) {
      auto parsed = codec::ParseChecksumType(*type_header);
      if (!parsed) {
        return call->Fail(errors::InvalidRequest("Value for x-amz-checksum-type header is invalid."));
      }
      type = *parsed;
    }
    if (!codec::SupportsChecksumType(*algorithm, type)) {
      return call->Fail(errors::InvalidRequest(codec::UnsupportedChecksumTypeMessage(*algorithm, type)));
    }
    attributes.value().checksum_algorithm = std::string(codec::S3Name(*algorithm));
    attributes.value().checksum_type = std::string(codec::S3Name(type));
  } else if (type_header != nullptr) {
    return call->Fail(errors::InvalidRequest(
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."));
  }
  call->Run([call, attributes = std::move(attributes).value()]() {
    UploadRecord upload;
    upload.upload_id = NewUploadId();
    upload.key = call->key();
    upload.initiated_millis = call->NowMillis();
    upload.owner_account = call->context().account_id;
    upload.attributes_json = attributes.ToJson();
    if (auto created = call->store().CreateUpload(call->bucket(), upload); !created) return call->Fail(created.error());
    XmlWriter xml("InitiateMultipartUploadResult");
    xml.Element("Bucket", call->bucket());
    xml.Element("Key", call->key());
    xml.Element("UploadId", upload.upload_id);
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    response.SetHeader("x-amz-server-side-encryption", attributes.server_side_encryption);
    AddUploadChecksumHeaders(attributes, response);
    response.body = xml.Finish();
    call->Reply(std::move(response));
  });
}

// ---------------------------------------------------------------- UploadPart

Result<std::uint64_t> DeclaredPartLength(const S3Call& call, const codec::DeclaredChecksums& declared) {
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

// A part of an upload created with a checksum algorithm is checksummed with it: a part that names
// another is refused as S3 refuses it; one that names none gets it computed.
Result<Done> ApplyUploadAlgorithm(const ObjectAttributes& upload, codec::DeclaredChecksums& declared) {
  auto expected = codec::ParseChecksumAlgorithm(upload.checksum_algorithm);
  if (!expected) return Done{};
  if (declared.algorithm && *declared.algorithm != *expected) {
    return Fail(errors::InvalidRequest("Checksum Type mismatch occurred, expected checksum Type: " +
                                       LowerName(*expected) + ", actual checksum Type: " +
                                       LowerName(*declared.algorithm)));
  }
  declared.algorithm = *expected;
  return Done{};
}

std::string PartAttributes(std::optional<codec::ChecksumAlgorithm> algorithm, const std::string& value) {
  ObjectAttributes attributes;
  if (algorithm && !value.empty()) {
    attributes.checksum_algorithm = std::string(codec::S3Name(*algorithm));
    attributes.checksum_value = value;
  }
  return attributes.ToJson();
}

void UploadPart(const std::shared_ptr<S3Call>& call) {
  auto number = PartNumberOf(*call);
  if (!number) return call->Fail(number.error());
  auto declared = codec::ReadDeclaredChecksums(call->http().headers);
  if (!declared) return call->Fail(declared.error());
  auto length = DeclaredPartLength(*call, declared.value());
  if (!length) return call->Fail(length.error());
  if (length.value() > call->options().max_object_size) {
    return call->Fail(errors::EntityTooLarge(length.value(), call->options().max_object_size));
  }
  call->RunBlocking([call, number = number.value(), declared = std::move(declared).value()]() mutable {
    auto upload = FindUpload(*call);
    if (!upload) return call->Fail(upload.error());
    auto upload_attributes = ObjectAttributes::FromJson(upload.value().attributes_json);
    bool declared_checksum = declared.algorithm.has_value();
    if (auto applied = ApplyUploadAlgorithm(upload_attributes, declared); !applied) return call->Fail(applied.error());
    auto writer = call->store().NewBody(call->bucket());
    if (!writer) return call->Fail(writer.error());
    ReceiveBody(call, std::move(writer).value(), declared, codec::ExpectedDigestForm::kAsSent,
                call->options().max_object_size,
                [call, number, declared_checksum, upload_attributes](Result<ReceivedBody> received) {
                  if (!received) return call->Fail(received.error());
                  auto& body = received.value();
                  PartRecord part;
                  part.number = number;
                  part.size = body.digests->bytes();
                  part.etag = "\"" + body.digests->Md5Hex() + "\"";
                  part.last_modified_millis = call->NowMillis();
                  part.attributes_json = PartAttributes(body.digests->algorithm(), body.digests->ChecksumBase64());
                  auto stored = call->store().PutPart(call->bucket(), UploadIdOf(*call), part, std::move(body.writer));
                  if (!stored) return call->Fail(stored.error());
                  http::HttpResponse response;
                  response.SetHeader("ETag", stored.value().etag);
                  response.SetHeader("x-amz-server-side-encryption", upload_attributes.server_side_encryption);
                  auto algorithm = body.digests->algorithm();
                  if (algorithm && (declared_checksum || !upload_attributes.checksum_algorithm.empty())) {
                    response.SetHeader(std::string(codec::HeaderName(*algorithm)), body.digests->ChecksumBase64());
                  }
                  call->Reply(std::move(response));
                });
  });
}

// ---------------------------------------------------------------- UploadPartCopy

// x-amz-copy-source-range: S3 takes only "bytes=first-last", both ends given.
Result<ByteRange> ParseCopySourceRange(std::string_view header, std::uint64_t size) {
  auto form_error = [&] {
    return errors::InvalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
        "zero-based offsets of the first and last bytes to copy",
        "x-amz-copy-source-range", header);
  };
  constexpr std::string_view kBytes = "bytes=";
  if (header.substr(0, kBytes.size()) != kBytes) return Fail(form_error());
  std::string_view spec = header.substr(kBytes.size());
  auto dash = spec.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == spec.size()) return Fail(form_error());
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  auto parse = [](std::string_view text, std::uint64_t& out) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
  };
  if (!parse(spec.substr(0, dash), first) || !parse(spec.substr(dash + 1), last)) return Fail(form_error());
  if (first > last) {
    return Fail(errors::InvalidRequest("The specified copy range is invalid for the source object size"));
  }
  if (last >= size) {
    return Fail(errors::InvalidArgument("Range specified is not valid for source object of size: " + std::to_string(size),
                                        "x-amz-copy-source-range", header));
  }
  return ByteRange{first, last - first + 1};
}

void UploadPartCopy(const std::shared_ptr<S3Call>& call) {
  auto number = PartNumberOf(*call);
  if (!number) return call->Fail(number.error());
  auto source = ParseCopySource(*call->Header("x-amz-copy-source"));
  if (!source) return call->Fail(source.error());
  call->RunBlocking([call, number = number.value(), source = std::move(source).value()]() {
    auto upload = FindUpload(*call);
    if (!upload) return call->Fail(upload.error());
    auto upload_attributes = ObjectAttributes::FromJson(upload.value().attributes_json);
    auto opened = OpenCopySource(*call, source);
    if (!opened) return call->Fail(opened.error());
    const ObjectRecord& source_record = opened.value().record;
    ByteRange range{0, source_record.size};
    if (const std::string* range_header = call->Header("x-amz-copy-source-range")) {
      auto parsed = ParseCopySourceRange(*range_header, source_record.size);
      if (!parsed) return call->Fail(parsed.error());
      range = parsed.value();
    }
    if (range.length > call->options().max_object_size) {
      return call->Fail(errors::EntityTooLarge(range.length, call->options().max_object_size));
    }
    auto algorithm = codec::ParseChecksumAlgorithm(upload_attributes.checksum_algorithm);
    if (!algorithm) algorithm = codec::ChecksumAlgorithm::kCrc64Nvme;
    auto writer = call->store().NewBody(call->bucket());
    if (!writer) return call->Fail(writer.error());
    auto copied = CopyRange(*call, *opened.value().body, range.first, range.length, *writer.value(), algorithm);
    if (!copied) return call->Fail(copied.error());
    PartRecord part;
    part.number = number;
    part.size = copied.value().size;
    part.etag = "\"" + LowerHex(copied.value().md5) + "\"";
    part.last_modified_millis = call->NowMillis();
    part.attributes_json = PartAttributes(algorithm, copied.value().checksum_base64);
    auto stored = call->store().PutPart(call->bucket(), UploadIdOf(*call), part, std::move(writer).value());
    if (!stored) return call->Fail(stored.error());
    XmlWriter xml("CopyPartResult");
    xml.Element("ETag", stored.value().etag);
    xml.Element("LastModified", FormatIso8601Millis(stored.value().last_modified_millis));
    if (!upload_attributes.checksum_algorithm.empty()) {
      xml.Element(ChecksumElement(*algorithm), copied.value().checksum_base64);
    }
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    response.SetHeader("x-amz-server-side-encryption", upload_attributes.server_side_encryption);
    if (source_record.version_id != kNullVersionId) {
      response.SetHeader("x-amz-copy-source-version-id", source_record.version_id);
    }
    response.body = xml.Finish();
    call->Reply(std::move(response));
  });
}

// ---------------------------------------------------------------- CompleteMultipartUpload

struct RequestedPart {
  std::uint32_t number = 0;
  std::string etag;  // quoted
  std::optional<std::string> checksum;  // of the upload's algorithm
};

Result<std::vector<RequestedPart>> ParseCompleteBody(const S3Call& call,
                                                     std::optional<codec::ChecksumAlgorithm> algorithm) {
  MALLARD_ASSIGN_OR_RETURN(auto document, ParseXml(call.http().body));
  pugi::xml_node root = document.Root();
  if (LocalName(root) != "CompleteMultipartUpload") return Fail(errors::MalformedXml());
  std::vector<RequestedPart> parts;
  for (pugi::xml_node node : Children(root, "Part")) {
    auto number_text = ChildText(node, "PartNumber");
    auto etag = ChildText(node, "ETag");
    if (!number_text || !etag) return Fail(errors::MalformedXml());
    RequestedPart part;
    auto [end, error] = std::from_chars(number_text->data(), number_text->data() + number_text->size(), part.number);
    if (number_text->empty() || error != std::errc() || end != number_text->data() + number_text->size()) {
      return Fail(errors::MalformedXml());
    }
    part.etag = Quoted(*etag);
    if (algorithm) part.checksum = ChildText(node, ChecksumElement(*algorithm));
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return Fail(errors::InvalidRequest("You must specify at least one part"));
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].number <= parts[i - 1].number) {
      return Fail(S3Error("InvalidPartOrder", 400,
                          "The list of parts was not in ascending order. Parts must be ordered by part number.",
                          {{"UploadId", UploadIdOf(call)}}));
    }
  }
  return parts;
}

AwsError InvalidPart(const S3Call& call, const RequestedPart& part) {
  return S3Error("InvalidPart", 400,
                 "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
                 "specified entity tag may not match the part's entity tag.",
                 {{"UploadId", UploadIdOf(call)}, {"PartNumber", std::to_string(part.number)}, {"ETag", Unquoted(part.etag)}});
}

struct CompletedChecksum {
  std::string algorithm;  // S3 name; empty: none
  std::string value;
  std::string type;
  std::vector<std::string> part_values;
};

// The object's checksum from its parts' (the upload's algorithm and mode; without one, CRC64NVME
// FULL_OBJECT when every part has it, as S3 gives every new object a CRC64NVME).
Result<CompletedChecksum> CombineChecksums(const S3Call& call, const ObjectAttributes& upload,
                                           const std::vector<RequestedPart>& requested,
                                           const std::vector<const PartRecord*>& parts) {
  CompletedChecksum result;
  auto algorithm = codec::ParseChecksumAlgorithm(upload.checksum_algorithm);
  const std::string* mode = call.Header("x-amz-checksum-type");
  if (mode != nullptr && (!algorithm || *mode != upload.checksum_type)) {
    return Fail(errors::InvalidRequest("The upload was created using the " +
                                       (algorithm ? upload.checksum_type : std::string("null")) +
                                       " checksum mode. The complete request must use the same checksum mode."));
  }
  std::vector<codec::PartChecksum> values;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto part_attributes = ObjectAttributes::FromJson(parts[i]->attributes_json);
    if (algorithm) {
      if (!requested[i].checksum) {
        return Fail(errors::InvalidRequest("The upload was created using a " + LowerName(*algorithm) +
                                           " checksum. The complete request must include the checksum for each part. "
                                           "It was missing for part " + std::to_string(requested[i].number) +
                                           " in the request."));
      }
      if (*requested[i].checksum != part_attributes.checksum_value) return Fail(InvalidPart(call, requested[i]));
    } else if (part_attributes.checksum_algorithm != "CRC64NVME") {
      return result;  // a part without CRC64NVME: the object gets no checksum
    }
    values.push_back({part_attributes.checksum_value, parts[i]->size});
    result.part_values.push_back(part_attributes.checksum_value);
  }
  codec::ChecksumAlgorithm used = algorithm.value_or(codec::ChecksumAlgorithm::kCrc64Nvme);
  bool composite = algorithm && upload.checksum_type == "COMPOSITE";
  auto combined = composite ? codec::CompositeChecksum(used, values) : codec::FullObjectChecksum(used, values);
  if (!combined) return Fail(errors::InternalError("a stored part checksum could not be combined"));
  // The object's checksum the client computed itself (x-amz-checksum-<alg> on Complete) must match.
  if (const std::string* declared = call.Header(codec::HeaderName(used)); declared != nullptr && *declared != *combined) {
    return Fail(S3Error("BadDigest", 400, "The " + LowerName(used) + " you specified did not match the calculated checksum."));
  }
  result.algorithm = std::string(codec::S3Name(used));
  result.value = std::move(*combined);
  result.type = composite ? "COMPOSITE" : "FULL_OBJECT";
  if (!algorithm) result.part_values.clear();  // parts S3 checksummed by default are not listed per part
  return result;
}

void CompleteMultipartUpload(const std::shared_ptr<S3Call>& call) {
  std::optional<std::uint64_t> expected_size;
  if (const std::string* size_header = call->Header("x-amz-mp-object-size")) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(size_header->data(), size_header->data() + size_header->size(), value);
    if (size_header->empty() || error != std::errc() || end != size_header->data() + size_header->size()) {
      return call->Fail(errors::InvalidArgument("The x-amz-mp-object-size header must be a non-negative integer",
                                                "x-amz-mp-object-size", *size_header));
    }
    expected_size = value;
  }
  auto condition = WriteConditionOf(*call);
  if (!condition) return call->Fail(condition.error());
  call->RunBlocking([call, expected_size, condition = std::move(condition).value()]() {
    auto upload = FindUpload(*call);
    if (!upload) return call->Fail(upload.error());
    auto upload_attributes = ObjectAttributes::FromJson(upload.value().attributes_json);
    auto requested = ParseCompleteBody(*call, codec::ParseChecksumAlgorithm(upload_attributes.checksum_algorithm));
    if (!requested) return call->Fail(requested.error());
    auto stored_parts = call->store().ListParts(call->bucket(), UploadIdOf(*call));
    if (!stored_parts) return call->Fail(stored_parts.error());
    std::vector<const PartRecord*> parts;
    for (const auto& wanted : requested.value()) {
      auto found = std::find_if(stored_parts.value().begin(), stored_parts.value().end(),
                                [&](const PartRecord& part) { return part.number == wanted.number; });
      if (found == stored_parts.value().end() || found->etag != wanted.etag) {
        return call->Fail(InvalidPart(*call, wanted));
      }
      parts.push_back(&*found);
    }
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i]->size < call->options().min_part_size) {
        return call->Fail(S3Error("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed size",
                                  {{"ProposedSize", std::to_string(parts[i]->size)},
                                   {"MinSizeAllowed", std::to_string(call->options().min_part_size)},
                                   {"PartNumber", std::to_string(parts[i]->number)},
                                   {"ETag", Unquoted(parts[i]->etag)}}));
      }
    }
    auto checksum = CombineChecksums(*call, upload_attributes, requested.value(), parts);
    if (!checksum) return call->Fail(checksum.error());
    std::uint64_t size = 0;
    auto md5 = codec::MakeMd5Hasher();
    std::vector<std::uint32_t> numbers;
    for (const PartRecord* part : parts) {
      size += part->size;
      auto binary = HexDecode(Unquoted(part->etag));
      if (!binary) return call->Fail(errors::InternalError("a stored part ETag is not hex"));
      md5->Update(*binary);
      numbers.push_back(part->number);
    }
    if (expected_size && *expected_size != size) {
      return call->Fail(errors::InvalidRequest("The provided 'x-amz-mp-object-size' header value " +
                                               std::to_string(*expected_size) +
                                               " does not match what was computed: " + std::to_string(size)));
    }
    ObjectAttributes attributes = upload_attributes;
    attributes.checksum_algorithm = checksum.value().algorithm;
    attributes.checksum_value = checksum.value().value;
    attributes.checksum_type = checksum.value().type;
    attributes.part_checksums = checksum.value().part_values;
    attributes.part_sizes.clear();
    for (const PartRecord* part : parts) attributes.part_sizes.push_back(part->size);
    ObjectRecord record;
    record.key = call->key();
    record.version_id = NewVersionId();
    record.size = size;
    record.etag = "\"" + LowerHex(md5->Digest()) + "-" + std::to_string(parts.size()) + "\"";
    record.last_modified_millis = call->NowMillis();
    record.owner_account = call->context().account_id;
    record.attributes_json = attributes.ToJson();
    auto stored = call->store().CompleteUpload(call->bucket(), UploadIdOf(*call), numbers, std::move(record), condition);
    if (!stored) return call->Fail(stored.error());
    NotifyObjectEvent(*call, "ObjectCreated:CompleteMultipartUpload", stored.value());
    XmlWriter xml("CompleteMultipartUploadResult");
    xml.Element("Location", call->context().endpoint_base + "/" + call->bucket() + "/" + UrlEncodeForListing(call->key()));
    xml.Element("Bucket", call->bucket());
    xml.Element("Key", call->key());
    xml.Element("ETag", stored.value().etag);
    if (!attributes.checksum_algorithm.empty()) {
      xml.Element("Checksum" + attributes.checksum_algorithm, attributes.checksum_value);
      xml.Element("ChecksumType", attributes.checksum_type);
    }
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    response.SetHeader("x-amz-server-side-encryption", attributes.server_side_encryption);
    if (stored.value().version_id != kNullVersionId) response.SetHeader("x-amz-version-id", stored.value().version_id);
    response.body = xml.Finish();
    call->Reply(std::move(response));
  });
}

// ---------------------------------------------------------------- Abort, ListParts, ListMultipartUploads

void AbortMultipartUpload(const std::shared_ptr<S3Call>& call) {
  call->Run([call]() {
    if (auto upload = FindUpload(*call); !upload) return call->Fail(upload.error());
    if (auto aborted = call->store().AbortUpload(call->bucket(), UploadIdOf(*call)); !aborted) {
      return call->Fail(aborted.error());
    }
    call->ReplyEmpty(204);
  });
}

void WriteOwner(XmlWriter& xml, std::string_view element, const std::string& account) {
  xml.Open(element);
  xml.Element("ID", CanonicalUserId(account));
  xml.Element("DisplayName", "webfile");
  xml.Close();
}

void ListParts(const std::shared_ptr<S3Call>& call) {
  auto max_parts = IntegerParameter(*call, "max-parts");
  if (!max_parts) return call->Fail(max_parts.error());
  auto marker = IntegerParameter(*call, "part-number-marker");
  if (!marker) return call->Fail(marker.error());
  call->Run([call, max = std::min<std::int64_t>(max_parts.value().value_or(1000), 1000),
             marker = marker.value().value_or(0)]() {
    auto upload = FindUpload(*call);
    if (!upload) return call->Fail(upload.error());
    auto parts = call->store().ListParts(call->bucket(), UploadIdOf(*call));
    if (!parts) return call->Fail(parts.error());
    auto upload_attributes = ObjectAttributes::FromJson(upload.value().attributes_json);
    XmlWriter xml("ListPartsResult");
    xml.Element("Bucket", call->bucket());
    xml.Element("Key", upload.value().key);
    xml.Element("UploadId", upload.value().upload_id);
    xml.Element("PartNumberMarker", marker);
    std::vector<const PartRecord*> page;
    bool truncated = false;
    for (const auto& part : parts.value()) {
      if (part.number <= marker) continue;
      if (static_cast<std::int64_t>(page.size()) == max) {
        truncated = true;
        break;
      }
      page.push_back(&part);
    }
    xml.Element("NextPartNumberMarker", page.empty() ? std::int64_t{0} : std::int64_t{page.back()->number});
    xml.Element("MaxParts", max);
    xml.Element("IsTruncated", truncated);
    for (const PartRecord* part : page) {
      xml.Open("Part");
      xml.Element("PartNumber", std::int64_t{part->number});
      xml.Element("LastModified", FormatIso8601Millis(part->last_modified_millis));
      xml.Element("ETag", part->etag);
      xml.Element("Size", static_cast<std::int64_t>(part->size));
      if (!upload_attributes.checksum_algorithm.empty()) {
        auto part_attributes = ObjectAttributes::FromJson(part->attributes_json);
        if (!part_attributes.checksum_value.empty()) {
          xml.Element("Checksum" + part_attributes.checksum_algorithm, part_attributes.checksum_value);
        }
      }
      xml.Close();
    }
    WriteOwner(xml, "Initiator", upload.value().owner_account);
    WriteOwner(xml, "Owner", upload.value().owner_account);
    xml.Element("StorageClass",
                upload_attributes.storage_class.empty() ? std::string("STANDARD") : upload_attributes.storage_class);
    if (!upload_attributes.checksum_algorithm.empty()) {
      xml.Element("ChecksumAlgorithm", upload_attributes.checksum_algorithm);
      xml.Element("ChecksumType", upload_attributes.checksum_type);
    }
    call->ReplyXml(xml.Finish());
  });
}

struct UploadListing {
  std::vector<UploadRecord> uploads;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
};

// One page of uploads with the delimiter roll-up: uploads and common prefixes count together.
Result<UploadListing> ListUploadPage(const S3Call& call, const std::string& prefix, const std::string& delimiter,
                                     std::string after_key, std::string after_upload, std::size_t max) {
  UploadListing listing;
  std::size_t count = 0;
  for (;;) {
    KeyRange range;
    range.prefix = prefix;
    range.after = after_key;
    range.limit = std::min<std::size_t>(max - count + 1, 1000) + 1;
    auto batch = call.store().ListUploads(call.bucket(), range, after_upload);
    if (!batch) return Fail(call.ToAwsError(batch.error()));
    bool restart = false;
    for (auto& upload : batch.value()) {
      if (count == max) {
        listing.truncated = true;
        return listing;
      }
      if (!delimiter.empty()) {
        auto found = upload.key.find(delimiter, prefix.size());
        if (found != std::string::npos) {
          std::string common = upload.key.substr(0, found + delimiter.size());
          listing.common_prefixes.push_back(common);
          ++count;
          after_key = PastPrefix(common);
          after_upload.clear();
          restart = true;
          break;
        }
      }
      after_key = upload.key;
      after_upload = upload.upload_id;
      listing.uploads.push_back(std::move(upload));
      ++count;
    }
    if (!restart && batch.value().size() < range.limit) return listing;
  }
}

void ListMultipartUploads(const std::shared_ptr<S3Call>& call) {
  auto max_uploads = IntegerParameter(*call, "max-uploads");
  if (!max_uploads) return call->Fail(max_uploads.error());
  bool url_encoding = false;
  if (const std::string* encoding = call->Query("encoding-type")) {
    if (*encoding != "url") {
      return call->Fail(errors::InvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", *encoding));
    }
    url_encoding = true;
  }
  call->Run([call, max = static_cast<std::size_t>(std::min<std::int64_t>(max_uploads.value().value_or(1000), 1000)),
             url_encoding]() {
    auto text = [&](std::string_view name) {
      const std::string* value = call->Query(name);
      return value != nullptr ? *value : std::string();
    };
    std::string prefix = text("prefix");
    std::string delimiter = text("delimiter");
    std::string key_marker = text("key-marker");
    // S3 reads upload-id-marker only with a key-marker.
    std::string upload_marker = key_marker.empty() ? std::string() : text("upload-id-marker");
    auto encode = [&](const std::string& value) { return url_encoding ? UrlEncodeForListing(value) : value; };
    auto listing = ListUploadPage(*call, prefix, delimiter, key_marker, upload_marker, max);
    if (!listing) return call->Fail(listing.error());
    XmlWriter xml("ListMultipartUploadsResult");
    xml.Element("Bucket", call->bucket());
    xml.Element("KeyMarker", encode(key_marker));
    xml.Element("UploadIdMarker", upload_marker);
    if (listing.value().truncated) {
      // The last entry listed: an upload, or a common prefix (then no upload id).
      std::string next_key;
      std::string next_upload;
      const auto& uploads = listing.value().uploads;
      const auto& prefixes = listing.value().common_prefixes;
      bool prefix_last = !prefixes.empty() && (uploads.empty() || prefixes.back() > uploads.back().key);
      if (prefix_last) {
        next_key = prefixes.back();
      } else if (!uploads.empty()) {
        next_key = uploads.back().key;
        next_upload = uploads.back().upload_id;
      }
      xml.Element("NextKeyMarker", encode(next_key));
      xml.Element("NextUploadIdMarker", next_upload);
    }
    if (!delimiter.empty()) xml.Element("Delimiter", encode(delimiter));
    xml.Element("Prefix", encode(prefix));
    xml.Element("MaxUploads", static_cast<std::int64_t>(max));
    xml.Element("IsTruncated", listing.value().truncated);
    for (const auto& upload : listing.value().uploads) {
      auto attributes = ObjectAttributes::FromJson(upload.attributes_json);
      xml.Open("Upload");
      xml.Element("Key", encode(upload.key));
      xml.Element("UploadId", upload.upload_id);
      WriteOwner(xml, "Initiator", upload.owner_account);
      WriteOwner(xml, "Owner", upload.owner_account);
      xml.Element("StorageClass", attributes.storage_class.empty() ? std::string("STANDARD") : attributes.storage_class);
      xml.Element("Initiated", FormatIso8601Millis(upload.initiated_millis));
      if (!attributes.checksum_algorithm.empty()) {
        xml.Element("ChecksumAlgorithm", attributes.checksum_algorithm);
        xml.Element("ChecksumType", attributes.checksum_type);
      }
      xml.Close();
    }
    for (const auto& common : listing.value().common_prefixes) {
      xml.Open("CommonPrefixes");
      xml.Element("Prefix", encode(common));
      xml.Close();
    }
    if (url_encoding) xml.Element("EncodingType", "url");
    call->ReplyXml(xml.Finish());
  });
}

}  // namespace

std::vector<S3Operation> MultipartOperations() {
  return {
      {"CreateMultipartUpload", CreateMultipartUpload},
      {"UploadPart", UploadPart},
      {"UploadPartCopy", UploadPartCopy},
      {"CompleteMultipartUpload", CompleteMultipartUpload},
      {"AbortMultipartUpload", AbortMultipartUpload},
      {"ListParts", ListParts},
      {"ListMultipartUploads", ListMultipartUploads},
  };
}

}  // namespace mallard::s3
