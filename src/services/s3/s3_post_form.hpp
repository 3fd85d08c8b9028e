#pragma once
// POST Object: browser-based uploads with an HTML form (RESTObjectPOST, "Browser-Based Uploads
// Using POST"). The body is multipart/form-data: small fields (key, policy, signature, content
// headers, metadata, ...) and then the `file` field, whose bytes go straight to the store as they
// arrive; fields after the file are ignored, as S3 ignores them. The policy (base64 JSON: an
// expiration and conditions) decides which field values the upload may carry.
//
// The parser and the policy are here (s3_post_form.cpp), apart from the handler
// (s3_post_object.cpp, PostObjectOperations), so the unit tests and the fuzz target reach them
// without a server.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"

namespace mallard::s3 {

struct PostFormField {
  std::string name;   // as sent (S3 compares field names without regard to case)
  std::string value;  // empty for the file part (its bytes are streamed)
  std::optional<std::string> filename;  // the part's filename parameter, when it has one
  std::string content_type;              // the part's own Content-Type header
};

// S3's limit on the form fields that precede the file (MaxPostPreDataLengthExceeded).
inline constexpr std::size_t kMaxPostPreDataBytes = 20 * 1024;
// A part's header block; bytes before the first boundary.
inline constexpr std::size_t kMaxPostPartHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxPostPreambleBytes = 64 * 1024;

// Incremental multipart/form-data parser: Feed takes the body in pieces split anywhere.
class PostFormParser {
 public:
  struct Events {
    // The file part begins; fields() holds every field before it. An error stops the parse.
    std::function<Result<Done>(const PostFormField& file)> file_start;
    // A piece of the file's bytes (in order; never the delimiter's bytes).
    std::function<Result<Done>(std::string_view bytes)> file_bytes;
  };

  // The parser for a request's Content-Type (its boundary parameter); MalformedPOSTRequest
  // without one.
  static Result<PostFormParser> ForContentType(std::string_view content_type);

  Result<Done> Feed(std::string_view bytes, const Events& events);
  // At the end of the body: the closing delimiter must have been read (MalformedPOSTRequest) and
  // exactly one file part (InvalidArgument).
  Result<Done> Finish() const;

  const std::vector<PostFormField>& fields() const { return fields_; }
  bool saw_file() const { return saw_file_; }
  std::uint64_t file_size() const { return file_size_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kEpilogue };
  enum class PartKind { kField, kFile, kIgnored };

  explicit PostFormParser(std::string boundary);
  Result<Done> ParsePartHeaders(std::string_view block, const Events& events);
  Result<Done> Emit(std::string_view bytes, const Events& events);
  Result<Done> EndPart();

  std::string delimiter_;  // "\r\n--" + boundary
  std::string buffer_;     // starts as "\r\n" so the first delimiter needs no special case
  State state_ = State::kPreamble;
  PartKind part_ = PartKind::kIgnored;
  PostFormField current_;
  std::vector<PostFormField> fields_;
  std::size_t pre_data_bytes_ = 0;
  std::size_t preamble_bytes_ = 0;
  bool in_part_ = false;
  bool saw_file_ = false;
  bool after_file_ = false;
  std::uint64_t file_size_ = 0;
};

// A POST policy: its expiration and conditions, checked against the form's fields.
class PostPolicy {
 public:
  // The base64 `policy` field: InvalidPolicyDocument for bad base64, JSON or conditions.
  static Result<PostPolicy> Parse(std::string_view base64_policy);

  std::int64_t expiration_millis() const { return expiration_millis_; }
  // Expiration (AccessDenied "Policy expired."), every condition but content-length-range
  // against the fields and the bucket, then fields no condition names ("Extra input fields").
  // The key field is compared with ${filename} already replaced (the caller's `fields`).
  Result<Done> CheckFields(const std::vector<PostFormField>& fields, std::string_view bucket,
                           std::int64_t now_millis) const;
  // content-length-range against the file's size: EntityTooSmall / EntityTooLarge, as S3 answers;
  // bounds that are not numbers fail as AccessDenied naming the condition.
  Result<Done> CheckLength(std::uint64_t size) const;
  // The largest size content-length-range allows (for failing early while the file streams).
  std::optional<std::uint64_t> MaxLength() const;

  struct Condition {
    // kMalformed: a condition S3 cannot read (unknown operation, wrong arity or types, a field
    // without '$'): S3 refuses it as a failed condition when it checks the form.
    enum class Kind { kEquals, kStartsWith, kLengthRange, kMalformed } kind = Kind::kEquals;
    std::string field;  // lower case, without '$'
    std::string value;  // eq / starts-with
    std::optional<std::uint64_t> min, max;  // content-length-range (nullopt: not a number)
    std::string rendered;  // as S3 quotes it in "Policy Condition failed: [...]"
  };

 private:
  std::int64_t expiration_millis_ = 0;
  std::vector<Condition> conditions_;
};

// Parses "2026-12-06T07:00:00Z" / "…:00.000Z" (the policy's expiration).
std::optional<std::int64_t> ParsePolicyExpiration(std::string_view text);

namespace errors {
AwsError MalformedPostRequest();
AwsError PostMissingField(std::string_view field);  // "Bucket POST must contain a field named '…'"
}  // namespace errors

}  // namespace mallard::s3
