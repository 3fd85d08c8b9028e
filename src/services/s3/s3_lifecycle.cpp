// S3 lifecycle: configuration and the expiration sweep (see s3_lifecycle.hpp).
#include "services/s3/s3_lifecycle.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <map>

#include "common/ids.hpp"
#include "common/time_format.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_configuration_common.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {

constexpr std::string_view kDefaultMinimumSize = "all_storage_classes_128K";

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view text, std::size_t at, std::size_t count, int& value) {
  if (at + count > text.size()) return false;
  value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

// "2026-01-01", "2026-01-01T00:00:00Z", "…T00:00:00.000Z", "…T00:00:00+00:00" (UTC only).
std::optional<std::int64_t> ParseIsoDate(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !ReadDigits(text, 5, 2, month) ||
      text[7] != '-' || !ReadDigits(text, 8, 2, day)) {
    return std::nullopt;
  }
  std::size_t at = 10;
  if (at < text.size()) {
    if (text[at] != 'T' || !ReadDigits(text, 11, 2, hour) || text.size() < 19 || text[13] != ':' ||
        !ReadDigits(text, 14, 2, minute) || text[16] != ':' || !ReadDigits(text, 17, 2, second)) {
      return std::nullopt;
    }
    at = 19;
    if (at < text.size() && text[at] == '.') {
      std::size_t digits = 0;
      ++at;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (digits < 3) millis = millis * 10 + (text[at] - '0');
        ++digits;
        ++at;
      }
      if (digits == 0) return std::nullopt;
      for (; digits < 3; ++digits) millis *= 10;
    }
    std::string_view zone = text.substr(at);
    if (zone != "Z" && zone != "+00:00" && !zone.empty()) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * kMillisPerDay +
         ((hour * 60 + minute) * 60 + second) * 1000LL + millis;
}

bool IsStorageClass(std::string_view value) {
  for (std::string_view known : {"GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE",
                                 "GLACIER_IR"}) {
    if (value == known) return true;
  }
  return false;
}

std::optional<std::int64_t> NonNegativeInteger(const std::string& text) {
  if (text == "0") return 0;
  return config::PositiveInteger(text);
}

struct Transition {
  std::optional<std::int64_t> days;
  std::optional<std::int64_t> date_millis;
  std::optional<std::int64_t> newer_noncurrent_versions;  // noncurrent transitions
  std::string storage_class;
};

enum class FilterForm { LegacyPrefix, Empty, Prefix, Tag, SizeGreaterThan, SizeLessThan, And };

// A rule as stored: what the sweep needs plus what GET returns (the filter's form, transitions).
struct StoredRule {
  LifecycleRule rule;
  FilterForm form = FilterForm::Empty;
  bool and_has_prefix = false;
  bool has_expiration = false;  // ExpiredObjectDeleteMarker false is kept and returned too
  std::vector<Transition> transitions;
  std::vector<Transition> noncurrent_transitions;
};

AwsError Malformed() { return errors::MalformedXml(); }

Result<std::int64_t, AwsError> PositiveChild(pugi::xml_node node, std::string_view name, std::string message) {
  auto text = ChildText(node, name);
  if (!text) return Fail(Malformed());
  auto value = config::PositiveInteger(*text);
  if (!value) return Fail(errors::InvalidArgument(std::move(message), name, *text));
  return *value;
}

Result<Done, AwsError> ParseTags(pugi::xml_node node, Tags& tags) {
  for (pugi::xml_node tag : Children(node, "Tag")) {
    auto key = ChildText(tag, "Key");
    auto value = ChildText(tag, "Value");
    if (!key || !value) return Fail(Malformed());
    for (const auto& existing : tags) {
      if (existing.first == *key) return Fail(errors::InvalidRequest("Duplicate Tag Keys are not allowed."));
    }
    tags.emplace_back(*key, *value);
  }
  return Done{};
}

Result<std::uint64_t, AwsError> SizeChild(pugi::xml_node node, std::string_view name) {
  auto text = ChildText(node, name);
  auto value = text ? NonNegativeInteger(*text) : std::nullopt;
  if (!value) return Fail(Malformed());
  return static_cast<std::uint64_t>(*value);
}

Result<Done, AwsError> ParseFilter(pugi::xml_node filter, StoredRule& stored) {
  LifecycleFilter& out = stored.rule.filter;
  int members = 0;
  for (pugi::xml_node child : filter.children()) members += child.type() == pugi::node_element ? 1 : 0;
  if (members == 0) {
    stored.form = FilterForm::Empty;
    return Done{};
  }
  if (members > 1) return Fail(Malformed());  // one of Prefix, Tag, sizes or And
  pugi::xml_node child = filter.first_child();
  while (child.type() != pugi::node_element) child = child.next_sibling();
  std::string_view name = LocalName(child);
  if (name == "Prefix") {
    stored.form = FilterForm::Prefix;
    out.prefix = child.text().get();
  } else if (name == "Tag") {
    stored.form = FilterForm::Tag;
    MALLARD_ASSIGN_OR_RETURN(auto done, ParseTags(filter, out.tags));
    (void)done;
  } else if (name == "ObjectSizeGreaterThan") {
    stored.form = FilterForm::SizeGreaterThan;
    MALLARD_ASSIGN_OR_RETURN(out.size_greater_than, SizeChild(filter, name));
  } else if (name == "ObjectSizeLessThan") {
    stored.form = FilterForm::SizeLessThan;
    MALLARD_ASSIGN_OR_RETURN(out.size_less_than, SizeChild(filter, name));
  } else if (name == "And") {
    stored.form = FilterForm::And;
    for (pugi::xml_node part : child.children()) {
      if (part.type() != pugi::node_element) continue;
      std::string_view part_name = LocalName(part);
      if (part_name != "Prefix" && part_name != "Tag" && part_name != "ObjectSizeGreaterThan" &&
          part_name != "ObjectSizeLessThan") {
        return Fail(Malformed());
      }
    }
    if (auto prefix = ChildText(child, "Prefix")) {
      stored.and_has_prefix = true;
      out.prefix = *prefix;
    }
    MALLARD_ASSIGN_OR_RETURN(auto done, ParseTags(child, out.tags));
    (void)done;
    if (ChildText(child, "ObjectSizeGreaterThan")) {
      MALLARD_ASSIGN_OR_RETURN(out.size_greater_than, SizeChild(child, "ObjectSizeGreaterThan"));
    }
    if (ChildText(child, "ObjectSizeLessThan")) {
      MALLARD_ASSIGN_OR_RETURN(out.size_less_than, SizeChild(child, "ObjectSizeLessThan"));
    }
    if (out.size_greater_than && out.size_less_than && *out.size_greater_than >= *out.size_less_than) {
      return Fail(errors::InvalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan in And",
                                          "ObjectSizeGreaterThan", std::to_string(*out.size_greater_than)));
    }
  } else {
    return Fail(Malformed());
  }
  return Done{};
}

Result<Transition, AwsError> ParseTransition(pugi::xml_node node, bool noncurrent) {
  Transition transition;
  auto storage_class = ChildText(node, "StorageClass");
  if (!storage_class || !IsStorageClass(*storage_class)) return Fail(Malformed());
  transition.storage_class = *storage_class;
  if (noncurrent) {
    auto days = ChildText(node, "NoncurrentDays");
    if (!days || !NonNegativeInteger(*days)) return Fail(Malformed());
    transition.days = NonNegativeInteger(*days);
    if (auto newer = ChildText(node, "NewerNoncurrentVersions")) {
      auto value = config::PositiveInteger(*newer);
      if (!value || *value > 100) return Fail(Malformed());
      transition.newer_noncurrent_versions = value;
    }
  } else {
    auto days = ChildText(node, "Days");
    auto date = ChildText(node, "Date");
    if (days.has_value() == date.has_value()) return Fail(Malformed());
    if (days) {
      transition.days = NonNegativeInteger(*days);
      if (!transition.days) return Fail(Malformed());
    } else {
      transition.date_millis = ParseIsoDate(*date);
      if (!transition.date_millis) return Fail(Malformed());
      if (*transition.date_millis % kMillisPerDay != 0) {
        return Fail(errors::InvalidArgument("'Date' must be at midnight GMT", "Date", *date));
      }
    }
  }
  if ((transition.storage_class == "STANDARD_IA" || transition.storage_class == "ONEZONE_IA") && transition.days &&
      *transition.days < 30) {
    std::string name = noncurrent ? "NoncurrentDays" : "Days";
    return Fail(errors::InvalidArgument("'" + name + "' in " + (noncurrent ? "NoncurrentVersionTransition" : "Transition") +
                                            " action must be greater than or equal to 30 for storageClass '" +
                                            transition.storage_class + "'",
                                        name, std::to_string(*transition.days)));
  }
  return transition;
}

Result<StoredRule, AwsError> ParseRule(pugi::xml_node node) {
  StoredRule stored;
  LifecycleRule& rule = stored.rule;
  auto status = ChildText(node, "Status");
  if (!status || (*status != "Enabled" && *status != "Disabled")) return Fail(Malformed());
  rule.enabled = *status == "Enabled";
  auto id = ChildText(node, "ID");
  rule.id = id ? *id : RandomAlnum(48);  // S3 names a rule sent without one
  if (rule.id.size() > 255) {
    return Fail(errors::InvalidArgument("ID length should not exceed allowed limit of 255", "ID", rule.id));
  }
  auto filters = Children(node, "Filter");
  auto legacy_prefix = ChildText(node, "Prefix");
  if (filters.size() > 1 || (filters.empty() == !legacy_prefix.has_value())) return Fail(Malformed());
  if (legacy_prefix) {
    stored.form = FilterForm::LegacyPrefix;
    rule.filter.prefix = *legacy_prefix;
  } else {
    MALLARD_ASSIGN_OR_RETURN(auto done, ParseFilter(filters.front(), stored));
    (void)done;
  }
  bool has_tags = !rule.filter.tags.empty();
  bool has_action = false;
  auto expirations = Children(node, "Expiration");
  if (expirations.size() > 1) return Fail(Malformed());
  if (!expirations.empty()) {
    pugi::xml_node expiration = expirations.front();
    auto days = ChildText(expiration, "Days");
    auto date = ChildText(expiration, "Date");
    auto marker = ChildText(expiration, "ExpiredObjectDeleteMarker");
    if ((days ? 1 : 0) + (date ? 1 : 0) + (marker ? 1 : 0) != 1) return Fail(Malformed());
    if (days) {
      MALLARD_ASSIGN_OR_RETURN(rule.expiration_days,
                               PositiveChild(expiration, "Days", "'Days' for Expiration action must be a positive integer"));
    } else if (date) {
      rule.expiration_date_millis = ParseIsoDate(*date);
      if (!rule.expiration_date_millis) return Fail(Malformed());
      if (*rule.expiration_date_millis % kMillisPerDay != 0) {
        return Fail(errors::InvalidArgument("'Date' must be at midnight GMT", "Date", *date));
      }
    } else {
      if (*marker != "true" && *marker != "false") return Fail(Malformed());
      rule.expired_object_delete_marker = *marker == "true";
      if (rule.expired_object_delete_marker && has_tags) {
        return Fail(errors::InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with object tags."));
      }
    }
    stored.has_expiration = true;
    has_action = true;
  }
  for (pugi::xml_node transition : Children(node, "Transition")) {
    MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseTransition(transition, false));
    stored.transitions.push_back(std::move(parsed));
    has_action = true;
  }
  for (pugi::xml_node transition : Children(node, "NoncurrentVersionTransition")) {
    MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseTransition(transition, true));
    stored.noncurrent_transitions.push_back(std::move(parsed));
    has_action = true;
  }
  auto noncurrent = Children(node, "NoncurrentVersionExpiration");
  if (noncurrent.size() > 1) return Fail(Malformed());
  if (!noncurrent.empty()) {
    auto days = ChildText(noncurrent.front(), "NoncurrentDays");
    auto newer = ChildText(noncurrent.front(), "NewerNoncurrentVersions");
    if (!days) return Fail(Malformed());
    MALLARD_ASSIGN_OR_RETURN(rule.noncurrent_days,
                             PositiveChild(noncurrent.front(), "NoncurrentDays",
                                           "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"));
    if (newer) {
      auto value = config::PositiveInteger(*newer);
      if (!value || *value > 100) {
        return Fail(errors::InvalidArgument("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a "
                                            "positive integer not greater than 100",
                                            "NewerNoncurrentVersions", *newer));
      }
      rule.newer_noncurrent_versions = value;
    }
    has_action = true;
  }
  auto aborts = Children(node, "AbortIncompleteMultipartUpload");
  if (aborts.size() > 1) return Fail(Malformed());
  if (!aborts.empty()) {
    if (has_tags) return Fail(errors::InvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags."));
    MALLARD_ASSIGN_OR_RETURN(rule.abort_days,
                             PositiveChild(aborts.front(), "DaysAfterInitiation",
                                           "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a "
                                           "positive integer"));
    has_action = true;
  }
  if (!has_action) return Fail(errors::InvalidRequest("At least one action needs to be specified in a rule"));
  return stored;
}

Result<std::vector<StoredRule>, AwsError> ParseConfiguration(pugi::xml_node root) {
  auto nodes = Children(root, "Rule");
  if (nodes.empty() || nodes.size() > 1000) return Fail(Malformed());
  std::vector<StoredRule> rules;
  for (pugi::xml_node node : nodes) {
    MALLARD_ASSIGN_OR_RETURN(auto rule, ParseRule(node));
    for (const auto& existing : rules) {
      if (existing.rule.id == rule.rule.id) {
        return Fail(errors::InvalidArgument("Rule ID must be unique. Found same ID for more than one rule", "ID", rule.rule.id));
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

void WriteTag(XmlWriter& xml, const std::pair<std::string, std::string>& tag) {
  xml.Open("Tag");
  xml.Element("Key", tag.first);
  xml.Element("Value", tag.second);
  xml.Close();
}

// S3's order of a rule's members (its schema's): Expiration, ID, Prefix, Filter, Status,
// Transition, NoncurrentVersionTransition, NoncurrentVersionExpiration, AbortIncompleteMultipartUpload.
std::string Render(const std::vector<StoredRule>& rules) {
  XmlWriter xml("LifecycleConfiguration");
  for (const StoredRule& stored : rules) {
    const LifecycleRule& rule = stored.rule;
    const LifecycleFilter& filter = rule.filter;
    xml.Open("Rule");
    if (stored.has_expiration) {
      xml.Open("Expiration");
      if (rule.expiration_date_millis) xml.Element("Date", FormatIso8601Millis(*rule.expiration_date_millis));
      if (rule.expiration_days) xml.Element("Days", *rule.expiration_days);
      if (!rule.expiration_date_millis && !rule.expiration_days) {
        xml.Element("ExpiredObjectDeleteMarker", rule.expired_object_delete_marker);
      }
      xml.Close();
    }
    xml.Element("ID", rule.id);
    if (stored.form == FilterForm::LegacyPrefix) {
      xml.Element("Prefix", filter.prefix);
    } else {
      xml.Open("Filter");
      switch (stored.form) {
        case FilterForm::Prefix:
          xml.Element("Prefix", filter.prefix);
          break;
        case FilterForm::Tag:
          WriteTag(xml, filter.tags.front());
          break;
        case FilterForm::SizeGreaterThan:
          xml.Element("ObjectSizeGreaterThan", static_cast<std::int64_t>(*filter.size_greater_than));
          break;
        case FilterForm::SizeLessThan:
          xml.Element("ObjectSizeLessThan", static_cast<std::int64_t>(*filter.size_less_than));
          break;
        case FilterForm::And:
          xml.Open("And");
          if (stored.and_has_prefix) xml.Element("Prefix", filter.prefix);
          for (const auto& tag : filter.tags) WriteTag(xml, tag);
          if (filter.size_greater_than) xml.Element("ObjectSizeGreaterThan", static_cast<std::int64_t>(*filter.size_greater_than));
          if (filter.size_less_than) xml.Element("ObjectSizeLessThan", static_cast<std::int64_t>(*filter.size_less_than));
          xml.Close();
          break;
        case FilterForm::Empty:
        case FilterForm::LegacyPrefix:
          break;
      }
      xml.Close();
    }
    xml.Element("Status", rule.enabled ? "Enabled" : "Disabled");
    for (const auto& transition : stored.transitions) {
      xml.Open("Transition");
      if (transition.date_millis) xml.Element("Date", FormatIso8601Millis(*transition.date_millis));
      if (transition.days) xml.Element("Days", *transition.days);
      xml.Element("StorageClass", transition.storage_class);
      xml.Close();
    }
    for (const auto& transition : stored.noncurrent_transitions) {
      xml.Open("NoncurrentVersionTransition");
      xml.Element("NoncurrentDays", *transition.days);
      xml.Element("StorageClass", transition.storage_class);
      if (transition.newer_noncurrent_versions) xml.Element("NewerNoncurrentVersions", *transition.newer_noncurrent_versions);
      xml.Close();
    }
    if (rule.noncurrent_days) {
      xml.Open("NoncurrentVersionExpiration");
      xml.Element("NoncurrentDays", *rule.noncurrent_days);
      if (rule.newer_noncurrent_versions) xml.Element("NewerNoncurrentVersions", *rule.newer_noncurrent_versions);
      xml.Close();
    }
    if (rule.abort_days) {
      xml.Open("AbortIncompleteMultipartUpload");
      xml.Element("DaysAfterInitiation", *rule.abort_days);
      xml.Close();
    }
    xml.Close();
  }
  return xml.Finish();
}

void PutBucketLifecycleConfiguration(const std::shared_ptr<S3Call>& call) {
  std::string minimum_size(kDefaultMinimumSize);
  if (const std::string* header = call->Header("x-amz-transition-default-minimum-object-size")) {
    if (*header != "all_storage_classes_128K" && *header != "varies_by_storage_class") {
      return call->Fail(errors::InvalidRequest("Invalid TransitionDefaultMinimumObjectSize found: " + *header));
    }
    minimum_size = *header;
  }
  auto document = config::ParseRoot(*call, "LifecycleConfiguration");
  if (!document) return call->Fail(document.error());
  auto rules = ParseConfiguration(document.value().Root());
  if (!rules) return call->Fail(rules.error());
  std::string rendered = Render(rules.value());
  call->Run([call, rendered = std::move(rendered), minimum_size] {
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      bucket.SetConfiguration("lifecycle", rendered);
      bucket.SetConfiguration("lifecycle_minimum_size", minimum_size);
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(200, {{"x-amz-transition-default-minimum-object-size", minimum_size}});
  });
}

void GetBucketLifecycleConfiguration(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("lifecycle");
    if (stored == nullptr) {
      return call->Fail(config::NotConfigured("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist",
                                              call->bucket()));
    }
    const std::string* minimum = bucket.value().Configuration("lifecycle_minimum_size");
    http::HttpResponse response;
    response.SetHeader("Content-Type", "application/xml");
    response.SetHeader("x-amz-transition-default-minimum-object-size",
                       minimum != nullptr ? *minimum : std::string(kDefaultMinimumSize));
    response.body = *stored;
    call->Reply(std::move(response));
  });
}

void DeleteBucketLifecycle(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      bucket.RemoveConfiguration("lifecycle");
      bucket.RemoveConfiguration("lifecycle_minimum_size");
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(204);
  });
}

}  // namespace

std::int64_t LifecycleDueMillis(std::int64_t since_millis, std::int64_t days) {
  std::int64_t moment = since_millis + days * kMillisPerDay;
  std::int64_t day = moment >= 0 ? moment / kMillisPerDay : (moment - kMillisPerDay + 1) / kMillisPerDay;
  return (day + 1) * kMillisPerDay;
}

std::vector<LifecycleRule> ParseStoredLifecycle(std::string_view stored_document) {
  std::vector<LifecycleRule> rules;
  auto document = ParseXml(stored_document);
  if (!document) return rules;
  auto parsed = ParseConfiguration(document.value().Root());
  if (!parsed) return rules;
  for (auto& stored : parsed.value()) rules.push_back(std::move(stored.rule));
  return rules;
}

std::vector<S3Operation> LifecycleOperations() {
  return {
      {"PutBucketLifecycleConfiguration", PutBucketLifecycleConfiguration},
      {"GetBucketLifecycleConfiguration", GetBucketLifecycleConfiguration},
      {"DeleteBucketLifecycle", DeleteBucketLifecycle},
  };
}

}  // namespace mallard::s3
