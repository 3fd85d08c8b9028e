// POST Object (browser form uploads): the PostObject handler. The form is read as it arrives
// (s3_post_form.hpp); every field before the file is checked (signing fields, policy, key,
// attributes) before a byte of the file is stored, and the file streams into a store BodyWriter
// hashed as PutObject's body is (ETag, the declared checksum or CRC64NVME).
#include "services/s3/s3_post_form.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/encoding.hpp"
#include "protocol/sigv4.hpp"
#include "protocol/sigv4_verify.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_lifecycle.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/s3_objects.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}


const std::string* FieldOf(const std::vector<PostFormField>& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (IEquals(field.name, name)) return &field.value;
  }
  return nullptr;
}

// Form fields that act as the request headers of a PutObject (content headers, metadata, storage
// class, encryption, checksums) replace those of the POST itself.
bool IsObjectHeaderField(std::string_view lower_name) {
  return lower_name == "content-type" || lower_name == "content-encoding" || lower_name == "content-disposition" ||
         lower_name == "content-language" || lower_name == "cache-control" || lower_name == "expires" ||
         lower_name.rfind("x-amz-meta-", 0) == 0 || lower_name == "x-amz-storage-class" ||
         lower_name == "x-amz-website-redirect-location" || lower_name.rfind("x-amz-server-side-encryption", 0) == 0 ||
         lower_name.rfind("x-amz-checksum-", 0) == 0 || lower_name == "x-amz-tagging" || lower_name == "content-md5";
}

Result<Tags> TagsFromTaggingField(std::string_view xml) {
  MALLARD_ASSIGN_OR_RETURN(auto document, ParseXml(xml));
  Tags tags;
  for (auto tag_set : Children(document.Root(), "TagSet")) {
    for (auto tag : Children(tag_set, "Tag")) {
      auto key = ChildText(tag, "Key");
      if (!key) return Fail(errors::MalformedXml());
      tags.emplace_back(*key, ChildText(tag, "Value").value_or(""));
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto checked, CheckTags(tags));
  (void)checked;
  return tags;
}

class PostUpload : public std::enable_shared_from_this<PostUpload> {
 public:
  PostUpload(std::shared_ptr<S3Call> call, PostFormParser parser, BucketRecord bucket, std::unique_ptr<BodyWriter> writer)
      : call_(std::move(call)), parser_(std::move(parser)), bucket_(std::move(bucket)), writer_(std::move(writer)) {
    events_.file_start = [this](const PostFormField& file) { return OnFileStart(file); };
    events_.file_bytes = [this](std::string_view bytes) { return OnFileBytes(bytes); };
  }

  void Start() {
    if (!call_->http().body_stream) {
      std::string body = std::move(call_->request().http.body);
      if (Consume(body)) End();
      return;
    }
    ReadNext();
  }

 private:
  void ReadNext() {
    auto self = shared_from_this();
    call_->request().http.body_stream->Read([self](std::string bytes, std::string error) {
      if (!error.empty()) {
        spdlog::debug("s3 POST form body failed: {} (request {})", error, self->call_->context().request_id);
        return self->call_->Fail(errors::IncompleteBody());
      }
      self->call_->RunBlocking([self, bytes = std::move(bytes)] {
        if (bytes.empty()) return self->End();
        if (self->Consume(bytes)) self->ReadNext();
      });
    });
  }

  bool Consume(std::string_view bytes) {
    if (auto fed = parser_.Feed(bytes, events_); !fed) {
      call_->Fail(fed.error());
      return false;
    }
    return true;
  }

  // Every field the policy and the object need precedes the file: check them all before a byte
  // of the file is stored.
  Result<Done> OnFileStart(const PostFormField& file) {
    const auto& fields = parser_.fields();
    const std::string* key = FieldOf(fields, "key");
    if (key == nullptr) return Fail(errors::PostMissingField("key"));
    const std::string* policy_field = FieldOf(fields, "policy");
    bool sigv4 = FieldOf(fields, "x-amz-algorithm") || FieldOf(fields, "x-amz-credential") ||
                 FieldOf(fields, "x-amz-signature") || FieldOf(fields, "x-amz-date");
    bool sigv2 = FieldOf(fields, "awsaccesskeyid") || FieldOf(fields, "signature");
    if (policy_field == nullptr && (sigv4 || sigv2)) return Fail(errors::PostMissingField("Policy"));
    if (policy_field != nullptr) {
      // The signature is in the form, so the gateway verified nothing; Mallard has no secret here
      // to check it with, so it checks that the signing fields are all present, as S3 does first.
      std::vector<std::string_view> required = sigv4 ? std::vector<std::string_view>{"X-Amz-Algorithm", "X-Amz-Credential",
                                                                                    "X-Amz-Date", "X-Amz-Signature"}
                                                     : std::vector<std::string_view>{"AWSAccessKeyId", "Signature"};
      for (auto name : required) {
        if (FieldOf(fields, name) == nullptr) return Fail(errors::PostMissingField(name));
      }
      // The credential names the region the form was signed for; it must be the bucket's.
      if (sigv4) {
        const std::string& credential = *FieldOf(fields, "x-amz-credential");
        if (auto scope = protocol::ParseCredential(credential); scope && scope->region != bucket_.region) {
          return Fail(errors::WrongRegionInFormCredential(credential, scope->region, bucket_.region));
        }
      }
    }
    if (const auto& lookup = call_->request().form_signature_lookup) {
      // --auth sigv4: the form's own signature is all that authenticates this request. Without a
      // policy the upload is anonymous, which needs a bucket policy granting it (Mallard has none).
      if (policy_field == nullptr) return Fail(errors::AccessDenied());
      protocol::PostPolicySignature form;
      form.policy = *policy_field;
      form.sigv4 = sigv4;
      auto value_of = [&](std::string_view name) {
        const std::string* field = FieldOf(fields, name);
        return field != nullptr ? *field : std::string();
      };
      form.algorithm = value_of("x-amz-algorithm");
      form.credential = value_of("x-amz-credential");
      form.signature = sigv4 ? value_of("x-amz-signature") : value_of("signature");
      form.access_key_id = value_of("awsaccesskeyid");
      if (const std::string* token = FieldOf(fields, "x-amz-security-token")) form.security_token = *token;
      if (auto rejected = protocol::VerifyPostPolicySignature(form, lookup)) {
        protocol::AuthErrorStyle style;
        style.s3 = true;
        return Fail(protocol::AuthError(*rejected, style));
      }
    }
    key_ = *key;
    for (auto at = key_.find("${filename}"); at != std::string::npos; at = key_.find("${filename}", at)) {
      std::string filename = file.filename.value_or("");
      // Browsers send a bare name; older ones sent a Windows path.
      if (auto slash = filename.find_last_of("\\/"); slash != std::string::npos) filename.erase(0, slash + 1);
      key_.replace(at, 11, filename);
      at += filename.size();
    }
    if (policy_field != nullptr) {
      // The key condition holds for the key as stored, ${filename} replaced.
      std::vector<PostFormField> checked_fields = fields;
      for (auto& field : checked_fields) {
        if (IEquals(field.name, "key")) field.value = key_;
      }
      MALLARD_ASSIGN_OR_RETURN(auto policy, PostPolicy::Parse(*policy_field));
      MALLARD_ASSIGN_OR_RETURN(auto checked, policy.CheckFields(checked_fields, call_->bucket(), call_->NowMillis()));
      (void)checked;
      policy_ = std::move(policy);
    }
    if (key_.empty()) return Fail(errors::InvalidArgument("User key must have a length greater than 0.", "key", ""));
    MALLARD_ASSIGN_OR_RETURN(auto key_checked, CheckKey(key_));
    (void)key_checked;

    // The fields as the headers of a PutObject.
    auto& headers = call_->request().http.headers;
    std::erase_if(headers, [](const auto& header) { return IsObjectHeaderField(header.first); });
    codec::RequestHeaders checksum_headers;
    for (const auto& field : fields) {
      std::string name = Lower(field.name);
      if (name == "tagging" || !IsObjectHeaderField(name)) continue;
      if (name == "x-amz-checksum-algorithm") {
        checksum_headers.emplace_back("x-amz-sdk-checksum-algorithm", field.value);
        continue;
      }
      if (name.rfind("x-amz-checksum-", 0) == 0 || name == "content-md5") checksum_headers.emplace_back(name, field.value);
      headers.emplace_back(std::move(name), field.value);
    }
    MALLARD_ASSIGN_OR_RETURN(attributes_, AttributesFromHeaders(*call_));
    if (const std::string* tagging = FieldOf(fields, "tagging")) {
      MALLARD_ASSIGN_OR_RETURN(attributes_.tags, TagsFromTaggingField(*tagging));
    }
    ApplyBucketEncryption(bucket_, FieldOf(fields, "x-amz-server-side-encryption") != nullptr, attributes_);
    MALLARD_ASSIGN_OR_RETURN(auto declared, codec::ReadDeclaredChecksums(checksum_headers));
    declared_checksum_ = declared.algorithm.has_value();
    digests_ = std::make_shared<codec::UploadDigests>(declared);
    return Done{};
  }

  Result<Done> OnFileBytes(std::string_view bytes) {
    received_ += bytes.size();
    if (received_ > call_->options().max_object_size) {
      return Fail(errors::EntityTooLarge(received_, call_->options().max_object_size));
    }
    // Past the policy's largest length the upload fails now rather than after the whole file.
    if (policy_ && policy_->MaxLength() && received_ > *policy_->MaxLength()) return policy_->CheckLength(received_);
    digests_->Update(bytes);
    if (auto appended = writer_->Append(bytes); !appended) return Fail(call_->ToAwsError(appended.error()));
    return Done{};
  }

  void End() {
    if (auto finished = parser_.Finish(); !finished) return call_->Fail(finished.error());
    if (policy_) {
      if (auto length = policy_->CheckLength(received_); !length) return call_->Fail(length.error());
    }
    if (auto verified = digests_->Verify({}, codec::ExpectedDigestForm::kHex); !verified) {
      return call_->Fail(verified.error());
    }
    if (auto algorithm = digests_->algorithm()) {
      attributes_.checksum_algorithm = std::string(codec::S3Name(*algorithm));
      attributes_.checksum_value = digests_->ChecksumBase64();
      attributes_.checksum_type = "FULL_OBJECT";
    }
    ObjectRecord record;
    record.key = key_;
    record.version_id = NewVersionId();
    record.size = digests_->bytes();
    record.etag = "\"" + digests_->Md5Hex() + "\"";
    record.last_modified_millis = call_->NowMillis();
    record.owner_account = call_->context().account_id;
    record.attributes_json = attributes_.ToJson();
    auto stored = call_->store().PutObject(call_->bucket(), std::move(record), std::move(writer_), WriteCondition{});
    if (!stored) return call_->Fail(stored.error());
    NotifyObjectEvent(*call_, "ObjectCreated:Post", stored.value());
    Answer(stored.value());
  }

  void Answer(const ObjectRecord& stored) {
    const auto& fields = parser_.fields();
    // As S3 writes it: the key percent-encoded whole ("uploads%2Ffile.txt").
    std::string location = call_->context().endpoint_base + "/" + call_->bucket() + "/" + UrlEncode(stored.key);
    http::HttpResponse response;
    response.SetHeader("ETag", stored.etag);
    response.SetHeader("x-amz-server-side-encryption", attributes_.server_side_encryption);
    if (!attributes_.kms_key_id.empty()) {
      response.SetHeader("x-amz-server-side-encryption-aws-kms-key-id", attributes_.kms_key_id);
    }
    if (stored.version_id != kNullVersionId) response.SetHeader("x-amz-version-id", stored.version_id);
    if (auto expiration = ExpirationHeader(bucket_, stored)) response.SetHeader("x-amz-expiration", *expiration);
    if (declared_checksum_) AddChecksumHeaders(attributes_, response);

    const std::string* redirect = FieldOf(fields, "success_action_redirect");
    if (redirect == nullptr) redirect = FieldOf(fields, "redirect");
    // S3 ignores a redirect that is not a URL and answers with the status instead.
    if (redirect != nullptr && (redirect->rfind("http://", 0) == 0 || redirect->rfind("https://", 0) == 0)) {
      std::string target = *redirect;
      target += target.find('?') == std::string::npos ? '?' : '&';
      target += "bucket=" + UrlEncode(call_->bucket()) + "&key=" + UrlEncode(stored.key) + "&etag=" + UrlEncode(stored.etag);
      response.status = 303;
      response.SetHeader("Location", target);
      return call_->Reply(std::move(response));
    }
    response.SetHeader("Location", location);
    const std::string* status = FieldOf(fields, "success_action_status");
    if (status != nullptr && *status == "201") {
      XmlWriter xml("PostResponse", "");
      xml.Element("Location", location);
      xml.Element("Bucket", call_->bucket());
      xml.Element("Key", stored.key);
      xml.Element("ETag", stored.etag);
      response.status = 201;
      response.SetHeader("Content-Type", "application/xml");
      response.body = xml.Finish();
      return call_->Reply(std::move(response));
    }
    // 200 when asked; anything else (absent, or a value S3 does not take) is 204.
    response.status = status != nullptr && *status == "200" ? 200 : 204;
    call_->Reply(std::move(response));
  }

  std::shared_ptr<S3Call> call_;
  PostFormParser parser_;
  PostFormParser::Events events_;
  BucketRecord bucket_;
  std::unique_ptr<BodyWriter> writer_;
  std::optional<PostPolicy> policy_;
  std::string key_;
  ObjectAttributes attributes_;
  std::shared_ptr<codec::UploadDigests> digests_;
  bool declared_checksum_ = false;
  std::uint64_t received_ = 0;
};

void PostObject(const std::shared_ptr<S3Call>& call) {
  const std::string* content_type = call->Header("content-type");
  if (content_type == nullptr || !IEquals(Trim(content_type->substr(0, content_type->find(';'))), "multipart/form-data")) {
    return call->Fail(S3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold",
                              {{"Condition", "Bucket POST must be of the enclosure-type multipart/form-data"}}));
  }
  auto parser = PostFormParser::ForContentType(*content_type);
  if (!parser) return call->Fail(parser.error());
  call->RunBlocking([call, parser = std::move(parser).value()]() mutable {
    // The bucket first: a missing one fails before the body is read.
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    auto writer = call->store().NewBody(call->bucket());
    if (!writer) return call->Fail(writer.error());
    std::make_shared<PostUpload>(call, std::move(parser), std::move(bucket).value(), std::move(writer).value())->Start();
  });
}

}  // namespace

std::vector<S3Operation> PostObjectOperations() { return {{"PostObject", PostObject}}; }

}  // namespace mallard::s3
