// Bucket settings stored and returned with S3's validation: website, logging, request payment,
// transfer acceleration and the object lock configuration. Mallard keeps them (a client reads back
// what it set) but serves no website endpoint, writes no access logs, bills nobody and has no
// accelerated endpoint; object lock retention is not enforced here.
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_configuration_common.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {
namespace {

using config::NotConfigured;

// --- website ---

// Copies the named children of `from` into `xml` in the given order (S3 answers in its schema's
// order, whatever order the client sent).
void CopyChildren(XmlWriter& xml, pugi::xml_node from, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    for (pugi::xml_node child : Children(from, name)) {
      if (child.first_child().type() == pugi::node_element) {
        xml.Open(name);
        for (pugi::xml_node grandchild : child.children()) {
          if (grandchild.type() == pugi::node_element) xml.Element(LocalName(grandchild), grandchild.text().get());
        }
        xml.Close();
      } else {
        xml.Element(name, child.text().get());
      }
    }
  }
}

AwsError WebsiteArgument(std::string message, std::string_view name, std::string_view value) {
  return S3Error("InvalidArgument", 400, std::move(message),
                 {{"ArgumentName", std::string(name)}, {"ArgumentValue", std::string(value)}});
}

Result<Done, AwsError> CheckProtocol(pugi::xml_node node) {
  auto protocol = ChildText(node, "Protocol");
  if (protocol && *protocol != "http" && *protocol != "https") {
    return Fail(errors::InvalidRequest(
        "Invalid protocol, protocol can be http or https. If not defined the protocol will be selected automatically."));
  }
  return Done{};
}

void PutBucketWebsite(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "WebsiteConfiguration");
  if (!document) return call->Fail(document.error());
  pugi::xml_node root = document.value().Root();
  auto redirect_all = Children(root, "RedirectAllRequestsTo");
  auto index = Children(root, "IndexDocument");
  auto error_document = Children(root, "ErrorDocument");
  auto routing = Children(root, "RoutingRules");
  if (redirect_all.size() > 1 || index.size() > 1 || error_document.size() > 1 || routing.size() > 1) {
    return call->Fail(errors::MalformedXml());
  }
  if (!redirect_all.empty()) {
    if (!index.empty() || !error_document.empty() || !routing.empty()) {
      return call->Fail(WebsiteArgument("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
                                        "RedirectAllRequestsTo", "not null"));
    }
    if (!ChildText(redirect_all.front(), "HostName")) return call->Fail(errors::MalformedXml());
    if (auto checked = CheckProtocol(redirect_all.front()); !checked) return call->Fail(checked.error());
  } else {
    if (index.empty()) {
      return call->Fail(WebsiteArgument("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                                        "IndexDocument", "null"));
    }
    auto suffix = ChildText(index.front(), "Suffix");
    if (!suffix) return call->Fail(errors::MalformedXml());
    if (suffix->empty() || suffix->find('/') != std::string::npos) {
      return call->Fail(WebsiteArgument("The IndexDocument Suffix is not well formed", "IndexDocument", *suffix));
    }
    if (!error_document.empty() && !ChildText(error_document.front(), "Key")) return call->Fail(errors::MalformedXml());
  }
  XmlWriter xml("WebsiteConfiguration");
  CopyChildren(xml, root, {"RedirectAllRequestsTo", "IndexDocument", "ErrorDocument"});
  if (!routing.empty()) {
    auto rules = Children(routing.front(), "RoutingRule");
    if (rules.empty()) return call->Fail(errors::MalformedXml());
    xml.Open("RoutingRules");
    for (pugi::xml_node rule : rules) {
      auto conditions = Children(rule, "Condition");
      auto redirects = Children(rule, "Redirect");
      if (conditions.size() > 1 || redirects.size() != 1) return call->Fail(errors::MalformedXml());
      if (!conditions.empty() && !ChildText(conditions.front(), "KeyPrefixEquals") &&
          !ChildText(conditions.front(), "HttpErrorCodeReturnedEquals")) {
        return call->Fail(errors::InvalidRequest("Condition cannot be empty. To redirect all requests without a "
                                                 "condition, the condition element shouldn't be present."));
      }
      if (ChildText(redirects.front(), "ReplaceKeyPrefixWith") && ChildText(redirects.front(), "ReplaceKeyWith")) {
        return call->Fail(errors::InvalidRequest("You can only define ReplaceKeyPrefix or ReplaceKey but not both."));
      }
      if (auto checked = CheckProtocol(redirects.front()); !checked) return call->Fail(checked.error());
      xml.Open("RoutingRule");
      CopyChildren(xml, rule, {"Condition", "Redirect"});
      xml.Close();
    }
    xml.Close();
  }
  config::Store(call, "website", xml.Finish());
}

AwsError NoSuchWebsiteConfiguration(std::string_view bucket) {
  return NotConfigured("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", bucket);
}

void GetBucketWebsite(const std::shared_ptr<S3Call>& call) { config::Return(call, "website", NoSuchWebsiteConfiguration); }
void DeleteBucketWebsite(const std::shared_ptr<S3Call>& call) { config::Remove(call, "website"); }

// --- logging ---

void PutBucketLogging(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "BucketLoggingStatus");
  if (!document) return call->Fail(document.error());
  auto enabled = Children(document.value().Root(), "LoggingEnabled");
  if (enabled.size() > 1) return call->Fail(errors::MalformedXml());
  if (enabled.empty()) {
    // An empty status turns logging off (200, unlike the 204 of a Delete*).
    return call->Run([call] {
      auto updated = call->store().UpdateBucket(call->bucket(), [](BucketRecord& bucket) {
        bucket.RemoveConfiguration("logging");
      });
      if (!updated) return call->Fail(updated.error());
      call->ReplyEmpty(200);
    });
  }
  auto target = ChildText(enabled.front(), "TargetBucket");
  auto prefix = ChildText(enabled.front(), "TargetPrefix");
  if (!target || !prefix) return call->Fail(errors::MalformedXml());
  XmlWriter xml("BucketLoggingStatus");
  xml.Open("LoggingEnabled");
  CopyChildren(xml, enabled.front(), {"TargetBucket", "TargetPrefix", "TargetObjectKeyFormat"});
  xml.Close();
  call->Run([call, target = *target, document = xml.Finish()] {
    auto source = call->store().GetBucket(call->bucket());
    if (!source) return call->Fail(source.error());
    auto target_bucket = call->store().GetBucket(target);
    if (!target_bucket) {
      return call->Fail(S3Error("InvalidTargetBucketForLogging", 400, "The target bucket for logging does not exist",
                                {{"TargetBucket", target}}));
    }
    if (target_bucket.value().region != source.value().region) {
      return call->Fail(S3Error("CrossLocationLoggingProhibitted", 403, "Cross S3 location logging not allowed. ",
                                {{"TargetBucketLocation", target_bucket.value().region}}));
    }
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      bucket.SetConfiguration("logging", document);
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(200);
  });
}

void GetBucketLogging(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("logging");
    call->ReplyXml(stored != nullptr ? *stored : XmlWriter("BucketLoggingStatus").Finish());
  });
}

// --- request payment ---

void PutBucketRequestPayment(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "RequestPaymentConfiguration");
  if (!document) return call->Fail(document.error());
  auto payer = ChildText(document.value().Root(), "Payer");
  if (!payer || (*payer != "Requester" && *payer != "BucketOwner")) return call->Fail(errors::MalformedXml());
  XmlWriter xml("RequestPaymentConfiguration");
  xml.Element("Payer", *payer);
  config::Store(call, "request_payment", xml.Finish());
}

void GetBucketRequestPayment(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    if (const std::string* stored = bucket.value().Configuration("request_payment")) return call->ReplyXml(*stored);
    XmlWriter xml("RequestPaymentConfiguration");
    xml.Element("Payer", "BucketOwner");
    call->ReplyXml(xml.Finish());
  });
}

// --- transfer acceleration ---

void PutBucketAccelerateConfiguration(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "AccelerateConfiguration");
  if (!document) return call->Fail(document.error());
  auto status = ChildText(document.value().Root(), "Status");
  if (!status || (*status != "Enabled" && *status != "Suspended")) return call->Fail(errors::MalformedXml());
  if (call->bucket().find('.') != std::string::npos) {
    return call->Fail(errors::InvalidRequest(
        "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"));
  }
  XmlWriter xml("AccelerateConfiguration");
  xml.Element("Status", *status);
  config::Store(call, "accelerate", xml.Finish());
}

void GetBucketAccelerateConfiguration(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("accelerate");
    call->ReplyXml(stored != nullptr ? *stored : XmlWriter("AccelerateConfiguration").Finish());
  });
}

// --- object lock ---

void PutObjectLockConfiguration(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "ObjectLockConfiguration");
  if (!document) return call->Fail(document.error());
  pugi::xml_node root = document.value().Root();
  auto enabled = ChildText(root, "ObjectLockEnabled");
  if (enabled && *enabled != "Enabled") return call->Fail(errors::MalformedXml());
  auto rules = Children(root, "Rule");
  if (rules.size() > 1) return call->Fail(errors::MalformedXml());
  XmlWriter xml("ObjectLockConfiguration");
  xml.Element("ObjectLockEnabled", "Enabled");
  if (!rules.empty()) {
    auto retentions = Children(rules.front(), "DefaultRetention");
    if (retentions.size() != 1) return call->Fail(errors::MalformedXml());
    auto mode = ChildText(retentions.front(), "Mode");
    auto days = ChildText(retentions.front(), "Days");
    auto years = ChildText(retentions.front(), "Years");
    if (!mode || (*mode != "GOVERNANCE" && *mode != "COMPLIANCE") || days.has_value() == years.has_value()) {
      return call->Fail(errors::MalformedXml());
    }
    const std::string& period = days ? *days : *years;
    if (!config::PositiveInteger(period)) {
      return call->Fail(S3Error("InvalidArgument", 400, "Default retention period must be a positive integer value",
                                {{"ArgumentName", days ? "Days" : "Years"}, {"ArgumentValue", period}}));
    }
    xml.Open("Rule");
    xml.Open("DefaultRetention");
    xml.Element("Mode", *mode);
    xml.Element(days ? "Days" : "Years", period);
    xml.Close();
    xml.Close();
  }
  std::string stored = xml.Finish();
  call->Run([call, stored = std::move(stored)] {
    bool refused = false;
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      if (bucket.versioning != Versioning::Enabled) {
        refused = true;
        return;
      }
      bucket.SetConfiguration("object_lock", stored);
      bucket.SetConfiguration("object_lock_enabled", "true");
    });
    if (!updated) return call->Fail(updated.error());
    if (refused) {
      return call->Fail(S3Error("InvalidBucketState", 409,
                                "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"));
    }
    call->ReplyEmpty(200);
  });
}

void GetObjectLockConfiguration(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    if (const std::string* stored = bucket.value().Configuration("object_lock")) return call->ReplyXml(*stored);
    // A bucket created with x-amz-bucket-object-lock-enabled has the lock on and no default rule.
    const std::string* enabled = bucket.value().Configuration("object_lock_enabled");
    if (enabled == nullptr || *enabled != "true") {
      return call->Fail(NotConfigured("ObjectLockConfigurationNotFoundError",
                                      "Object Lock configuration does not exist for this bucket", call->bucket()));
    }
    XmlWriter xml("ObjectLockConfiguration");
    xml.Element("ObjectLockEnabled", "Enabled");
    call->ReplyXml(xml.Finish());
  });
}

}  // namespace

std::vector<S3Operation> WebsiteAndOtherOperations() {
  return {
      {"PutBucketWebsite", PutBucketWebsite},
      {"GetBucketWebsite", GetBucketWebsite},
      {"DeleteBucketWebsite", DeleteBucketWebsite},
      {"PutBucketLogging", PutBucketLogging},
      {"GetBucketLogging", GetBucketLogging},
      {"PutBucketRequestPayment", PutBucketRequestPayment},
      {"GetBucketRequestPayment", GetBucketRequestPayment},
      {"PutBucketAccelerateConfiguration", PutBucketAccelerateConfiguration},
      {"GetBucketAccelerateConfiguration", GetBucketAccelerateConfiguration},
      {"PutObjectLockConfiguration", PutObjectLockConfiguration},
      {"GetObjectLockConfiguration", GetObjectLockConfiguration},
  };
}

}  // namespace mallard::s3
