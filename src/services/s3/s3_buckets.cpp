// Buckets: create (name and location-constraint rules), head, delete, list (paged), location and
// versioning.
#include <algorithm>

#include "common/encoding.hpp"
#include "common/time_format.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool LooksLikeIpAddress(std::string_view name) {
  int dots = 0;
  for (char c : name) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

// S3's general-purpose bucket naming rules.
bool IsValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!IsLowerAlnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && i + 1 < name.size() && name[i + 1] == '.') return false;
  }
  if (LooksLikeIpAddress(name)) return false;
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.substr(0, prefix.size()) == prefix) return false;
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    if (EndsWith(name, suffix)) return false;
  }
  return true;
}

namespace {

bool IsKnownRegion(std::string_view region) {
  // A region name's shape (aa-aaaa-N, aa-gov-aaaa-N, …) and the legacy constraint "EU".
  if (region == "EU") return true;
  auto last_dash = region.rfind('-');
  if (last_dash == std::string_view::npos || last_dash + 1 >= region.size() || region.find('-') == last_dash) return false;
  for (char c : region.substr(last_dash + 1)) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : region.substr(0, last_dash)) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

void CreateBucket(const std::shared_ptr<S3Call>& call) {
  const std::string& name = call->bucket();
  if (!IsValidBucketName(name)) return call->Fail(errors::InvalidBucketName(name));
  const std::string& request_region = call->context().region;
  std::optional<std::string> constraint;
  if (!call->http().body.empty()) {
    auto document = ParseXml(call->http().body);
    if (!document || LocalName(document.value().Root()) != "CreateBucketConfiguration") {
      return call->Fail(errors::MalformedXml());
    }
    constraint = ChildText(document.value().Root(), "LocationConstraint");
  }
  std::string region = "us-east-1";
  if (constraint && !constraint->empty()) {
    if (*constraint == "us-east-1" || !IsKnownRegion(*constraint)) {
      return call->Fail(S3Error("InvalidLocationConstraint", 400, "The specified location-constraint is not valid",
                                {{"LocationConstraint", *constraint}}));
    }
    region = *constraint == "EU" ? "eu-west-1" : *constraint;
    if (request_region != "us-east-1" && region != request_region) {
      return call->Fail(S3Error("IllegalLocationConstraintException", 400,
                                "The " + *constraint +
                                    " location constraint is incompatible for the region specific endpoint this "
                                    "request was sent to."));
    }
  } else if (request_region != "us-east-1") {
    return call->Fail(S3Error("IllegalLocationConstraintException", 400,
                              "The unspecified location constraint is incompatible for the region specific endpoint "
                              "this request was sent to."));
  }
  call->Run([call, name, region] {
    BucketRecord bucket;
    bucket.name = name;
    bucket.owner_account = call->context().account_id;
    bucket.region = region;
    bucket.created_millis = call->NowMillis();
    if (const std::string* ownership = call->Header("x-amz-object-ownership")) {
      bucket.SetConfiguration("ownership", *ownership);
    }
    if (const std::string* lock = call->Header("x-amz-bucket-object-lock-enabled"); lock != nullptr && *lock == "true") {
      bucket.SetConfiguration("object_lock_enabled", "true");
      bucket.versioning = Versioning::Enabled;
    }
    auto created = call->store().CreateBucket(bucket);
    if (!created) {
      // For legacy compatibility, re-creating a bucket you own in us-east-1 succeeds (AWS's
      // CreateBucket reference); elsewhere it is BucketAlreadyOwnedByYou.
      bool own_us_east_1 = created.error().code == StoreErrc::BucketExists &&
                           created.error().detail == call->context().account_id && region == "us-east-1";
      if (!own_us_east_1) return call->Fail(created.error());
    }
    std::string location = region == "us-east-1" ? "/" + name : call->context().endpoint_base + "/" + name + "/";
    call->ReplyEmpty(200, {{"Location", location}});
  });
}

void HeadBucket(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    call->ReplyEmpty(200, {{"x-amz-bucket-region", bucket.value().region}, {"x-amz-access-point-alias", "false"}});
  });
}

void DeleteBucket(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto deleted = call->store().DeleteBucket(call->bucket());
    if (!deleted) return call->Fail(deleted.error());
    call->ReplyEmpty(204);
  });
}

void ListBuckets(const std::shared_ptr<S3Call>& call) {
  std::size_t max_buckets = 10000;
  if (const std::string* max = call->Query("max-buckets")) {
    char* end = nullptr;
    long value = std::strtol(max->c_str(), &end, 10);
    if (max->empty() || *end != '\0' || value < 1 || value > 10000) {
      return call->Fail(errors::InvalidArgument("Argument max-buckets must be an integer between 1 and 10000",
                                                "max-buckets", *max));
    }
    max_buckets = static_cast<std::size_t>(value);
  }
  std::string prefix = call->Query("prefix") ? *call->Query("prefix") : std::string();
  std::string region_filter = call->Query("bucket-region") ? *call->Query("bucket-region") : std::string();
  std::string after;
  if (const std::string* token = call->Query("continuation-token")) {
    auto decoded = Base64Decode(*token);
    if (!decoded || decoded->empty()) {
      return call->Fail(errors::InvalidArgument("The continuation token provided is incorrect", "continuation-token", *token));
    }
    after = *decoded;
  }
  call->Run([call, max_buckets, prefix, region_filter, after] {
    auto buckets = call->store().ListBuckets();
    if (!buckets) return call->Fail(buckets.error());
    XmlWriter xml("ListAllMyBucketsResult");
    xml.Open("Buckets");
    std::size_t listed = 0;
    std::string last;
    bool truncated = false;
    for (const auto& bucket : buckets.value()) {
      if (bucket.owner_account != call->context().account_id) continue;
      if (!after.empty() && bucket.name <= after) continue;
      if (bucket.name.compare(0, prefix.size(), prefix) != 0) continue;
      if (!region_filter.empty() && bucket.region != region_filter) continue;
      if (listed == max_buckets) {
        truncated = true;
        break;
      }
      xml.Open("Bucket");
      xml.Element("Name", bucket.name);
      xml.Element("CreationDate", FormatIso8601Millis(bucket.created_millis));
      xml.Element("BucketRegion", bucket.region);
      xml.Close();
      last = bucket.name;
      ++listed;
    }
    xml.Close();
    xml.Open("Owner");
    xml.Element("ID", CanonicalUserId(call->context().account_id));
    xml.Close();
    // ContinuationToken only when a page was cut short and the caller paged (max-buckets given).
    if (truncated && call->Query("max-buckets")) xml.Element("ContinuationToken", Base64Encode(last));
    if (call->Query("prefix")) xml.Element("Prefix", prefix);
    call->ReplyXml(xml.Finish());
  });
}

void GetBucketLocation(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string& region = bucket.value().region;
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"";
    body += kS3Namespace;
    body += "\">";
    if (region != "us-east-1") AppendXmlEscaped(body, region);
    body += "</LocationConstraint>";
    call->ReplyXml(std::move(body));
  });
}

void PutBucketVersioning(const std::shared_ptr<S3Call>& call) {
  auto document = ParseXml(call->http().body);
  if (!document || LocalName(document.value().Root()) != "VersioningConfiguration") {
    return call->Fail(errors::MalformedXml());
  }
  auto status = ChildText(document.value().Root(), "Status");
  auto mfa = ChildText(document.value().Root(), "MfaDelete");
  if ((status && *status != "Enabled" && *status != "Suspended") || (mfa && *mfa != "Enabled" && *mfa != "Disabled")) {
    return call->Fail(errors::MalformedXml());
  }
  if (mfa && *mfa == "Enabled") {
    // MFA delete needs the x-amz-mfa header with a device serial and code; Mallard has no MFA devices.
    return call->Fail(S3Error("InvalidRequest", 400,
                              "DevPay and Mfa are mutually exclusive authorization methods."));
  }
  call->Run([call, status] {
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      if (!status) return;
      bucket.versioning = *status == "Enabled" ? Versioning::Enabled : Versioning::Suspended;
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(200);
  });
}

void GetBucketVersioning(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    XmlWriter xml("VersioningConfiguration");
    if (bucket.value().versioning != Versioning::Unversioned) {
      xml.Element("Status", bucket.value().versioning == Versioning::Enabled ? "Enabled" : "Suspended");
    }
    call->ReplyXml(xml.Finish());
  });
}

}  // namespace

std::vector<S3Operation> BucketOperations() {
  return {
      {"CreateBucket", CreateBucket},           {"HeadBucket", HeadBucket},
      {"DeleteBucket", DeleteBucket},           {"ListBuckets", ListBuckets},
      {"GetBucketLocation", GetBucketLocation}, {"PutBucketVersioning", PutBucketVersioning},
      {"GetBucketVersioning", GetBucketVersioning},
  };
}

}  // namespace mallard::s3
