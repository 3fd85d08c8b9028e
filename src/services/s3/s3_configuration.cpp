// Bucket configurations stored and returned: tagging, policy, encryption, ownership controls,
// public access block, ACLs (bucket and object), and object tagging; website, logging, request
// payment, accelerate and object lock are in s3_bucket_settings.cpp. Each is validated as S3 validates it, kept in the bucket record under its own name
// as the document GET returns (S3's element order, not the client's), and absent until set.
// CORS (stored and applied) is in s3_cors.cpp, lifecycle (stored and swept) in s3_lifecycle.cpp.
#include <boost/json.hpp>

#include "common/encoding.hpp"
#include "services/s3/s3_acl.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_configuration_common.hpp"
#include "services/s3/s3_cors.hpp"
#include "services/s3/s3_lifecycle.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace config {

Result<XmlDocument, AwsError> ParseRoot(const S3Call& call, std::string_view root) {
  auto document = ParseXml(call.http().body);
  if (!document) return Fail(document.error());
  if (LocalName(document.value().Root()) != root) return Fail(errors::MalformedXml());
  return document;
}

void Store(const std::shared_ptr<S3Call>& call, std::string name, std::string value, int status,
           std::vector<std::pair<std::string, std::string>> headers) {
  call->Run([call, name = std::move(name), value = std::move(value), status, headers = std::move(headers)]() mutable {
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      bucket.SetConfiguration(name, value);
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(status, std::move(headers));
  });
}

void Remove(const std::shared_ptr<S3Call>& call, std::string name) {
  call->Run([call, name = std::move(name)] {
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      bucket.RemoveConfiguration(name);
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(204);
  });
}

void Return(const std::shared_ptr<S3Call>& call, std::string name, AwsError (*missing)(std::string_view bucket)) {
  call->Run([call, name = std::move(name), missing] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration(name);
    if (stored == nullptr || stored->empty()) return call->Fail(missing(call->bucket()));
    call->ReplyXml(*stored);
  });
}

AwsError NotConfigured(std::string code, std::string message, std::string_view bucket) {
  return S3Error(std::move(code), 404, std::move(message), {{"BucketName", std::string(bucket)}});
}

std::optional<std::int64_t> PositiveInteger(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value <= 0 || value > 2147483647) return std::nullopt;
  return value;
}

}  // namespace config

namespace {

using config::NotConfigured;

// --- tagging ---

bool IsTagCharacter(unsigned char c) {
  // AWS's tag syntax: letters and digits (any script), spaces, and + - = . _ : / @
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view(" +-=._:/@").find(static_cast<char>(c)) != std::string_view::npos;
}

std::size_t Utf8Length(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool IsValidTagText(std::string_view text, std::size_t min_length, std::size_t max_length) {
  std::size_t length = Utf8Length(text);
  if (length < min_length || length > max_length) return false;
  for (unsigned char c : text) {
    if (!IsTagCharacter(c)) return false;
  }
  return true;
}

AwsError InvalidTag(std::string message, std::vector<std::pair<std::string, std::string>> fields) {
  return S3Error("InvalidTag", 400, std::move(message), std::move(fields));
}

void PutBucketTagging(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "Tagging");
  if (!document) return call->Fail(document.error());
  auto tag_sets = Children(document.value().Root(), "TagSet");
  if (tag_sets.size() != 1) return call->Fail(errors::MalformedXml());
  Tags tags;
  for (pugi::xml_node tag : Children(tag_sets.front(), "Tag")) {
    auto key = ChildText(tag, "Key");
    auto value = ChildText(tag, "Value");
    if (!key || !value) return call->Fail(errors::MalformedXml());
    tags.emplace_back(*key, *value);
  }
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const auto& [key, value] = tags[i];
    if (!IsValidTagText(key, 1, 128)) return call->Fail(InvalidTag("The TagKey you have provided is invalid", {{"TagKey", key}}));
    if (!IsValidTagText(value, 0, 256)) {
      return call->Fail(InvalidTag("The TagValue you have provided is invalid", {{"TagKey", key}, {"TagValue", value}}));
    }
    if (key.rfind("aws:", 0) == 0) {
      return call->Fail(InvalidTag("System tags cannot be added/updated by requester", {{"TagKey", key}}));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (tags[j].first == key) {
        return call->Fail(InvalidTag("Cannot provide multiple Tags with the same key", {{"TagKey", key}}));
      }
    }
  }
  if (tags.size() > 50) return call->Fail(InvalidTag("Bucket tag count cannot be greater than 50", {}));
  XmlWriter xml("Tagging");
  xml.Open("TagSet");
  for (const auto& [key, value] : tags) {
    xml.Open("Tag");
    xml.Element("Key", key);
    xml.Element("Value", value);
    xml.Close();
  }
  config::Store(call, "tagging", xml.Finish(), 204);
}

AwsError NoSuchTagSet(std::string_view bucket) {
  return NotConfigured("NoSuchTagSet", "The TagSet does not exist", bucket);
}

void GetBucketTagging(const std::shared_ptr<S3Call>& call) { config::Return(call, "tagging", NoSuchTagSet); }
void DeleteBucketTagging(const std::shared_ptr<S3Call>& call) { config::Remove(call, "tagging"); }

// --- policy ---

AwsError MalformedPolicy(std::string message) { return S3Error("MalformedPolicy", 400, std::move(message)); }

bool NamesAnotherBucket(const boost::json::value& resource, std::string_view bucket) {
  if (!resource.is_string()) return true;
  std::string_view arn = resource.as_string();
  constexpr std::string_view kS3Arn = "arn:aws:s3:::";
  if (arn.substr(0, kS3Arn.size()) != kS3Arn) return false;  // another partition or service: IAM's business
  std::string_view named = arn.substr(kS3Arn.size());
  named = named.substr(0, named.find('/'));
  if (named.find_first_of("*?") != std::string_view::npos) return false;  // a wildcard may cover this bucket
  return named != bucket;
}

// A statement's required members and S3's checks of a bucket policy (the policy is kept, not evaluated).
std::optional<std::string> CheckStatement(const boost::json::value& value, std::string_view bucket) {
  if (!value.is_object()) return "Statement is not an object";
  const auto& statement = value.as_object();
  const auto* effect = statement.if_contains("Effect");
  if (effect == nullptr) return "Missing required field Effect";
  if (!effect->is_string() || (effect->as_string() != "Allow" && effect->as_string() != "Deny")) {
    return "Invalid effect: " + (effect->is_string() ? std::string(effect->as_string()) : boost::json::serialize(*effect));
  }
  if (statement.if_contains("Principal") == nullptr && statement.if_contains("NotPrincipal") == nullptr) {
    return "Missing required field Principal";
  }
  if (statement.if_contains("Action") == nullptr && statement.if_contains("NotAction") == nullptr) {
    return "Missing required field Action";
  }
  const auto* resources = statement.if_contains("Resource");
  if (resources == nullptr) resources = statement.if_contains("NotResource");
  if (resources == nullptr) return "Missing required field Resource";
  if (resources->is_array()) {
    for (const auto& resource : resources->as_array()) {
      if (NamesAnotherBucket(resource, bucket)) return "Policy has invalid resource";
    }
  } else if (NamesAnotherBucket(*resources, bucket)) {
    return "Policy has invalid resource";
  }
  return std::nullopt;
}

void PutBucketPolicy(const std::shared_ptr<S3Call>& call) {
  const std::string& body = call->http().body;
  std::size_t first = body.find_first_not_of(" \t\r\n");
  boost::json::parse_options options;
  options.max_depth = 10000;
  boost::system::error_code error;
  boost::json::value parsed;
  if (first != std::string::npos && body[first] == '{') parsed = boost::json::parse(body, error, {}, options);
  if (first == std::string::npos || body[first] != '{' || error || !parsed.is_object()) {
    return call->Fail(MalformedPolicy("Policies must be valid JSON and the first byte must be '{'"));
  }
  const auto& policy = parsed.as_object();
  const auto* statement = policy.if_contains("Statement");
  if (statement == nullptr) return call->Fail(MalformedPolicy("Missing required field Statement"));
  if (!statement->is_object() && !statement->is_array()) {
    return call->Fail(MalformedPolicy("Statement is not an object or array"));
  }
  if (const auto* version = policy.if_contains("Version")) {
    if (!version->is_string() || (version->as_string() != "2012-10-17" && version->as_string() != "2008-10-17")) {
      return call->Fail(MalformedPolicy("The policy must contain a valid version string"));
    }
  }
  std::vector<const boost::json::value*> statements;
  if (statement->is_array()) {
    for (const auto& each : statement->as_array()) statements.push_back(&each);
  } else {
    statements.push_back(statement);
  }
  for (const auto* each : statements) {
    if (auto refused = CheckStatement(*each, call->bucket())) return call->Fail(MalformedPolicy(*refused));
  }
  // S3 keeps the document as sent (GetBucketPolicy returns it byte for byte).
  config::Store(call, "policy", body, 204);
}

AwsError NoSuchBucketPolicy(std::string_view bucket) {
  return NotConfigured("NoSuchBucketPolicy", "The bucket policy does not exist", bucket);
}

void GetBucketPolicy(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* policy = bucket.value().Configuration("policy");
    if (policy == nullptr) return call->Fail(NoSuchBucketPolicy(call->bucket()));
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/json");
    response.body = *policy;
    call->Reply(std::move(response));
  });
}

void DeleteBucketPolicy(const std::shared_ptr<S3Call>& call) { config::Remove(call, "policy"); }

bool IsEveryone(const boost::json::value& principal) {
  if (principal.is_string()) return principal.as_string() == "*";
  if (principal.is_array()) {
    for (const auto& each : principal.as_array()) {
      if (IsEveryone(each)) return true;
    }
    return false;
  }
  if (principal.is_object()) {
    if (const auto* aws = principal.as_object().if_contains("AWS")) return IsEveryone(*aws);
  }
  return false;
}

// S3 calls a policy public when it allows anyone ("*") without a condition that pins the caller
// to fixed values. Mallard counts an Allow for Principal "*" with no Condition as public (a
// conditioned grant is treated as non-public, which is what S3 answers for the usual
// aws:SourceIp / aws:SourceVpc / aws:PrincipalAccount conditions).
bool IsPublicPolicy(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 10000;
  boost::system::error_code error;
  auto parsed = boost::json::parse(text, error, {}, options);
  if (error || !parsed.is_object()) return false;
  const auto* statements = parsed.as_object().if_contains("Statement");
  if (statements == nullptr) return false;
  auto is_public = [](const boost::json::value& statement) {
    if (!statement.is_object()) return false;
    const auto& object = statement.as_object();
    const auto* effect = object.if_contains("Effect");
    const auto* principal = object.if_contains("Principal");
    if (effect == nullptr || !effect->is_string() || effect->as_string() != "Allow" || principal == nullptr) return false;
    return IsEveryone(*principal) && object.if_contains("Condition") == nullptr;
  };
  if (statements->is_array()) {
    for (const auto& statement : statements->as_array()) {
      if (is_public(statement)) return true;
    }
    return false;
  }
  return is_public(*statements);
}

void GetBucketPolicyStatus(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* policy = bucket.value().Configuration("policy");
    if (policy == nullptr) return call->Fail(NoSuchBucketPolicy(call->bucket()));
    XmlWriter xml("PolicyStatus");
    xml.Element("IsPublic", IsPublicPolicy(*policy));
    call->ReplyXml(xml.Finish());
  });
}

// --- encryption ---

void PutBucketEncryption(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "ServerSideEncryptionConfiguration");
  if (!document) return call->Fail(document.error());
  auto rules = Children(document.value().Root(), "Rule");
  if (rules.size() != 1) return call->Fail(errors::MalformedXml());
  auto defaults = Children(rules.front(), "ApplyServerSideEncryptionByDefault");
  if (defaults.size() > 1) return call->Fail(errors::MalformedXml());
  std::string algorithm = "AES256";
  std::optional<std::string> kms_key;
  if (!defaults.empty()) {
    auto sse = ChildText(defaults.front(), "SSEAlgorithm");
    if (!sse || (*sse != "AES256" && *sse != "aws:kms" && *sse != "aws:kms:dsse")) {
      return call->Fail(errors::MalformedXml());
    }
    algorithm = *sse;
    kms_key = ChildText(defaults.front(), "KMSMasterKeyID");
    if (kms_key && algorithm == "AES256") {
      return call->Fail(S3Error("InvalidArgument", 400,
                                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
                                "aws:kms:dsse",
                                {{"ArgumentName", "ApplyServerSideEncryptionByDefault"}}));
    }
  }
  auto bucket_key = ChildText(rules.front(), "BucketKeyEnabled");
  if (bucket_key && *bucket_key != "true" && *bucket_key != "false") return call->Fail(errors::MalformedXml());
  XmlWriter xml("ServerSideEncryptionConfiguration");
  xml.Open("Rule");
  xml.Open("ApplyServerSideEncryptionByDefault");
  xml.Element("SSEAlgorithm", algorithm);
  if (kms_key) xml.Element("KMSMasterKeyID", *kms_key);
  xml.Close();
  xml.Element("BucketKeyEnabled", bucket_key && *bucket_key == "true");
  xml.Close();
  config::Store(call, "encryption", xml.Finish());
}

// Buckets are encrypted with SSE-S3 by default (since January 2023): with no configuration of its
// own, a bucket answers AES256, and deleting the configuration returns it to that default.
std::string DefaultEncryption() {
  XmlWriter xml("ServerSideEncryptionConfiguration");
  xml.Open("Rule");
  xml.Open("ApplyServerSideEncryptionByDefault");
  xml.Element("SSEAlgorithm", "AES256");
  xml.Close();
  xml.Element("BucketKeyEnabled", false);
  xml.Close();
  return xml.Finish();
}

void GetBucketEncryption(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("encryption");
    call->ReplyXml(stored != nullptr ? *stored : DefaultEncryption());
  });
}

void DeleteBucketEncryption(const std::shared_ptr<S3Call>& call) { config::Remove(call, "encryption"); }

// --- ownership controls ---
// Stored as the bare ObjectOwnership value under "ownership" (CreateBucket keeps the
// x-amz-object-ownership header there); absent = S3's default for new buckets (BucketOwnerEnforced);
// "" = deleted (S3 then answers OwnershipControlsNotFoundError).

bool IsObjectOwnership(std::string_view value) {
  return value == "BucketOwnerEnforced" || value == "BucketOwnerPreferred" || value == "ObjectWriter";
}

void PutBucketOwnershipControls(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "OwnershipControls");
  if (!document) return call->Fail(document.error());
  auto rules = Children(document.value().Root(), "Rule");
  if (rules.size() != 1) return call->Fail(errors::MalformedXml());
  auto ownership = ChildText(rules.front(), "ObjectOwnership");
  if (!ownership || !IsObjectOwnership(*ownership)) return call->Fail(errors::MalformedXml());
  call->Run([call, ownership = *ownership] {
    bool refused = false;
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      // Disabling ACLs needs a bucket ACL that grants only the owner (S3's prerequisite).
      const std::string* acl = bucket.Configuration("acl");
      if (ownership == "BucketOwnerEnforced" && acl != nullptr &&
          *acl != RenderAccessControlPolicy(bucket.owner_account, OwnerFullControl(bucket.owner_account))) {
        refused = true;
        return;
      }
      bucket.SetConfiguration("ownership", ownership);
    });
    if (!updated) return call->Fail(updated.error());
    if (refused) {
      return call->Fail(S3Error("InvalidBucketAclWithObjectOwnership", 400,
                                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"));
    }
    call->ReplyEmpty(200);
  });
}

void GetBucketOwnershipControls(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("ownership");
    if (stored != nullptr && stored->empty()) {
      return call->Fail(NotConfigured("OwnershipControlsNotFoundError", "The bucket ownership controls were not found",
                                      call->bucket()));
    }
    XmlWriter xml("OwnershipControls");
    xml.Open("Rule");
    xml.Element("ObjectOwnership", stored != nullptr && IsObjectOwnership(*stored) ? *stored : "BucketOwnerEnforced");
    xml.Close();
    call->ReplyXml(xml.Finish());
  });
}

void DeleteBucketOwnershipControls(const std::shared_ptr<S3Call>& call) { config::Store(call, "ownership", "", 204); }

// --- public access block ---
// Absent = S3's default for new buckets (since April 2023: all four settings on); "" = deleted.

void PutPublicAccessBlock(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "PublicAccessBlockConfiguration");
  if (!document) return call->Fail(document.error());
  static constexpr std::string_view kSettings[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                                   "RestrictPublicBuckets"};
  XmlWriter xml("PublicAccessBlockConfiguration");
  for (std::string_view setting : kSettings) {
    auto value = ChildText(document.value().Root(), setting);
    if (value && *value != "true" && *value != "false") return call->Fail(errors::MalformedXml());
    xml.Element(setting, value && *value == "true");
  }
  config::Store(call, "public_access_block", xml.Finish());
}

void GetPublicAccessBlock(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("public_access_block");
    if (stored != nullptr && stored->empty()) {
      return call->Fail(NotConfigured("NoSuchPublicAccessBlockConfiguration",
                                      "The public access block configuration was not found", call->bucket()));
    }
    if (stored != nullptr) return call->ReplyXml(*stored);
    XmlWriter xml("PublicAccessBlockConfiguration");
    for (std::string_view setting : {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}) {
      xml.Element(setting, true);
    }
    call->ReplyXml(xml.Finish());
  });
}

void DeletePublicAccessBlock(const std::shared_ptr<S3Call>& call) { config::Store(call, "public_access_block", "", 204); }

// --- ACLs ---

// The grants a request sets (canned header, grant headers or an AccessControlPolicy body), with
// S3's checks, and the bucket-owner-enforced rule: such buckets take only owner-full-control ACLs.
Result<std::vector<Grant>, AwsError> RequestedGrants(const S3Call& call, const BucketRecord& bucket) {
  const std::string* stored = bucket.Configuration("ownership");
  bool enforced = stored == nullptr || *stored == "BucketOwnerEnforced";
  auto grants = GrantsFromRequest(call, bucket.owner_account);
  if (!grants) return grants;
  if (enforced && !IsOwnerFullControlOnly(grants.value(), bucket.owner_account)) {
    return Fail(S3Error("AccessControlListNotSupported", 400, "The bucket does not allow ACLs"));
  }
  return grants;
}

void PutBucketAcl(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    auto grants = RequestedGrants(*call, bucket.value());
    if (!grants) return call->Fail(grants.error());
    std::string document = RenderAccessControlPolicy(bucket.value().owner_account, grants.value());
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& record) {
      record.SetConfiguration("acl", document);
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(200);
  });
}

void GetBucketAcl(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    // With ACLs disabled (bucket owner enforced), S3 answers owner full control whatever was set before.
    const std::string* ownership = bucket.value().Configuration("ownership");
    bool enforced = ownership == nullptr || *ownership == "BucketOwnerEnforced";
    const std::string* stored = bucket.value().Configuration("acl");
    if (stored != nullptr && !enforced) return call->ReplyXml(*stored);
    call->ReplyXml(RenderAccessControlPolicy(bucket.value().owner_account,
                                             OwnerFullControl(bucket.value().owner_account)));
  });
}

// Object ACLs: checked as S3 checks them, but not kept — the object's attributes document has no
// ACL member (its owner is the service's ObjectAttributes), so every object answers "owner full
// control", which is what S3 answers for every object in a bucket-owner-enforced bucket (the
// default since April 2023).
void PutObjectAcl(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    auto grants = RequestedGrants(*call, bucket.value());
    if (!grants) return call->Fail(grants.error());
    const std::string* version = call->Query("versionId");
    auto object = call->store().GetObject(call->bucket(), call->key(), version ? *version : std::string(), false);
    if (!object) return call->Fail(object.error());
    if (object.value().record.delete_marker) {
      if (version == nullptr) return call->Fail(errors::NoSuchKey(call->key()));
      return call->Fail(errors::MethodNotAllowed("PUT", "DeleteMarker"));
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (version != nullptr) headers.emplace_back("x-amz-version-id", *version);
    call->ReplyEmpty(200, std::move(headers));
  });
}

void GetObjectAcl(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    const std::string* version = call->Query("versionId");
    auto object = call->store().GetObject(call->bucket(), call->key(), version ? *version : std::string(), false);
    if (!object) return call->Fail(object.error());
    if (object.value().record.delete_marker) {
      if (version == nullptr) return call->Fail(errors::NoSuchKey(call->key()));
      return call->Fail(errors::MethodNotAllowed("GET", "DeleteMarker"));
    }
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string& owner = bucket.value().owner_account;
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    if (version != nullptr) response.SetHeader("x-amz-version-id", *version);
    response.body = RenderAccessControlPolicy(owner, OwnerFullControl(owner));
    call->Reply(std::move(response));
  });
}

// --- object tagging ---
// The tags live in the version's attributes document (ObjectAttributes::tags), rewritten in place:
// the bytes, ETag and time stay.

// The version a tagging call names (or the current one), refusing delete markers as S3 does.
StoreResult<ObjectRecord> TaggedVersion(const S3Call& call, std::string_view method, std::optional<AwsError>& refused) {
  const std::string* version = call.Query("versionId");
  auto object = call.store().GetObject(call.bucket(), call.key(), version ? *version : std::string(), false);
  if (!object) return Fail(object.error());
  // S3 answers 405 for a delete marker, named by version id or current.
  if (object.value().record.delete_marker) refused = errors::MethodNotAllowed(method, "DeleteMarker");
  return std::move(object.value().record);
}

std::vector<std::pair<std::string, std::string>> VersionHeader(const ObjectRecord& record) {
  if (record.version_id.empty() || record.version_id == kNullVersionId) return {};
  return {{"x-amz-version-id", record.version_id}};
}

void PutObjectTagging(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "Tagging");
  if (!document) return call->Fail(document.error());
  auto tag_sets = Children(document.value().Root(), "TagSet");
  if (tag_sets.size() != 1) return call->Fail(errors::MalformedXml());
  Tags tags;
  for (pugi::xml_node tag : Children(tag_sets.front(), "Tag")) {
    auto key = ChildText(tag, "Key");
    auto value = ChildText(tag, "Value");
    if (!key || !value) return call->Fail(errors::MalformedXml());
    tags.emplace_back(*key, *value);
  }
  if (auto checked = CheckTags(tags); !checked) return call->Fail(checked.error());
  for (const auto& [key, value] : tags) {
    if (key.rfind("aws:", 0) == 0) return call->Fail(InvalidTag("Your TagKey cannot be prefixed with aws:", {{"TagKey", key}}));
  }
  call->Run([call, tags = std::move(tags)] {
    std::optional<AwsError> refused;
    auto record = TaggedVersion(*call, "PUT", refused);
    if (!record) return call->Fail(record.error());
    if (refused) return call->Fail(*refused);
    auto updated = call->store().UpdateObjectAttributes(call->bucket(), call->key(), record.value().version_id,
                                                        [&](std::string& json) {
                                                          auto attributes = ObjectAttributes::FromJson(json);
                                                          attributes.tags = tags;
                                                          json = attributes.ToJson();
                                                        });
    if (!updated) return call->Fail(updated.error());
    NotifyObjectEvent(*call, "ObjectTagging:Put", updated.value());
    call->ReplyEmpty(200, VersionHeader(updated.value()));
  });
}

void GetObjectTagging(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    std::optional<AwsError> refused;
    auto record = TaggedVersion(*call, "GET", refused);
    if (!record) return call->Fail(record.error());
    if (refused) return call->Fail(*refused);
    XmlWriter xml("Tagging");
    xml.Open("TagSet");
    for (const auto& [key, value] : ObjectAttributes::FromJson(record.value().attributes_json).tags) {
      xml.Open("Tag");
      xml.Element("Key", key);
      xml.Element("Value", value);
      xml.Close();
    }
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    for (auto& [name, value] : VersionHeader(record.value())) response.SetHeader(name, value);
    response.body = xml.Finish();
    call->Reply(std::move(response));
  });
}

void DeleteObjectTagging(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    std::optional<AwsError> refused;
    auto record = TaggedVersion(*call, "DELETE", refused);
    if (!record) return call->Fail(record.error());
    if (refused) return call->Fail(*refused);
    auto updated = call->store().UpdateObjectAttributes(call->bucket(), call->key(), record.value().version_id,
                                                        [](std::string& json) {
                                                          auto attributes = ObjectAttributes::FromJson(json);
                                                          attributes.tags.clear();
                                                          json = attributes.ToJson();
                                                        });
    if (!updated) return call->Fail(updated.error());
    NotifyObjectEvent(*call, "ObjectTagging:Delete", updated.value());
    call->ReplyEmpty(204, VersionHeader(updated.value()));
  });
}

}  // namespace

std::vector<S3Operation> ConfigurationOperations() {
  std::vector<S3Operation> operations = {
      {"PutBucketTagging", PutBucketTagging},
      {"GetBucketTagging", GetBucketTagging},
      {"DeleteBucketTagging", DeleteBucketTagging},
      {"PutBucketPolicy", PutBucketPolicy},
      {"GetBucketPolicy", GetBucketPolicy},
      {"DeleteBucketPolicy", DeleteBucketPolicy},
      {"GetBucketPolicyStatus", GetBucketPolicyStatus},
      {"PutBucketEncryption", PutBucketEncryption},
      {"GetBucketEncryption", GetBucketEncryption},
      {"DeleteBucketEncryption", DeleteBucketEncryption},
      {"PutBucketOwnershipControls", PutBucketOwnershipControls},
      {"GetBucketOwnershipControls", GetBucketOwnershipControls},
      {"DeleteBucketOwnershipControls", DeleteBucketOwnershipControls},
      {"PutPublicAccessBlock", PutPublicAccessBlock},
      {"GetPublicAccessBlock", GetPublicAccessBlock},
      {"DeletePublicAccessBlock", DeletePublicAccessBlock},
      {"PutBucketAcl", PutBucketAcl},
      {"GetBucketAcl", GetBucketAcl},
      {"PutObjectAcl", PutObjectAcl},
      {"GetObjectAcl", GetObjectAcl},
      {"PutObjectTagging", PutObjectTagging},
      {"GetObjectTagging", GetObjectTagging},
      {"DeleteObjectTagging", DeleteObjectTagging},
  };
  for (const auto& table : {WebsiteAndOtherOperations(), CorsOperations(), LifecycleOperations()}) {
    operations.insert(operations.end(), table.begin(), table.end());
  }
  return operations;
}

}  // namespace mallard::s3
