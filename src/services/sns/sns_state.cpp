#include "services/sns/sns_state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "services/sns/model/sns_records.hpp"

namespace mallard::sns {

namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

namespace {

// Each collection's record kind and the body member naming the resource. Records keyed by
// "ACCOUNT:REGION[:NUMBER]" keep only the part after the scope (SMS attributes: nothing).
struct KindInfo {
  Collection collection;
  const char* kind;
  const char* name_member;  // nullptr: the scope alone names it
  bool scope_keyed;         // key = ACCOUNT:REGION[:name]
};
constexpr KindInfo kKinds[] = {
    {Collection::Topic, "topic", "TopicArn", false},
    {Collection::Subscription, "subscription", "SubscriptionArn", false},
    {Collection::ConfirmationToken, "confirmation_token", "Token", false},
    {Collection::PlatformApplication, "platform_application", "PlatformApplicationArn", false},
    {Collection::PlatformEndpoint, "platform_endpoint", "EndpointArn", false},
    {Collection::SmsSettings, "sms_attributes", nullptr, true},
    {Collection::PhoneOptOut, "phone_opt_out", "phoneNumber", true},
    {Collection::SandboxNumber, "sandbox_phone_number", "PhoneNumber", true},
};
constexpr const char* kSentKind = "sent_message";

const KindInfo& InfoOf(Collection collection) {
  for (const auto& info : kKinds) {
    if (info.collection == collection) return info;
  }
  return kKinds[0];
}

std::optional<StateScope> ScopeOfArn(const std::string& arn) {
  auto parsed = ParseArn(arn, "arn");
  if (!parsed) return std::nullopt;
  return StateScope{parsed->account, parsed->region};
}

// "ACCOUNT:REGION[:REST]" → scope and REST.
std::optional<std::pair<StateScope, std::string>> SplitScopedKey(const std::string& key) {
  auto first = key.find(':');
  if (first == std::string::npos) return std::nullopt;
  auto second = key.find(':', first + 1);
  StateScope scope{key.substr(0, first), key.substr(first + 1, second == std::string::npos ? std::string::npos
                                                                                           : second - first - 1)};
  return std::make_pair(scope, second == std::string::npos ? std::string() : key.substr(second + 1));
}

std::string ScopePrefix(const StateScope& scope) { return scope.account + ":" + scope.region; }

std::optional<StateScope> ScopeOfRecord(Collection collection, const StoredRecord& record) {
  if (InfoOf(collection).scope_keyed) {
    auto split = SplitScopedKey(record.key);
    if (!split) return std::nullopt;
    return split->first;
  }
  if (collection == Collection::ConfirmationToken) {
    auto token = TokenFromDocument(record.document);
    if (!token) return std::nullopt;
    return ScopeOfArn(token->subscription_arn);
  }
  return ScopeOfArn(record.key);
}

std::optional<StateScope> ScopeOfSent(const std::string& document) {
  auto parsed = ParseJson(document);
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const auto& object = parsed->get_object();
  const auto* account = object.if_contains("AccountId");
  const auto* region = object.if_contains("Region");
  if (!account || !region || !account->is_string() || !region->is_string()) return std::nullopt;
  return StateScope{std::string(account->get_string()), std::string(region->get_string())};
}

// The endpoints of a platform application are keyed under this prefix (sns_mobile.cpp).
std::optional<std::string> EndpointPrefixOf(const std::string& application_arn) {
  auto parsed = ParseArn(application_arn, "arn");
  if (!parsed || parsed->resource.rfind("app/", 0) != 0) return std::nullopt;
  return "arn:" + parsed->partition + ":sns:" + parsed->region + ":" + parsed->account + ":endpoint/" +
         parsed->resource.substr(4) + "/";
}

bool StartsWith(const std::string& text, const std::string& prefix) { return text.compare(0, prefix.size(), prefix) == 0; }

std::string StoreProblem(const StoreError& error) { return "SNS store: " + error.detail; }

}  // namespace

Result<std::vector<StateScope>, std::string> SnsState::Scopes() {
  auto exported = store_->ExportAll();
  if (!exported) return Fail(StoreProblem(exported.error()));
  std::set<StateScope> scopes;
  for (const auto& [collection, record] : exported->records) {
    if (auto scope = ScopeOfRecord(collection, record)) scopes.insert(*scope);
  }
  for (const auto& [channel, documents] : exported->sent) {
    for (const auto& document : documents) {
      if (auto scope = ScopeOfSent(document)) scopes.insert(*scope);
    }
  }
  return std::vector<StateScope>(scopes.begin(), scopes.end());
}

Status<std::string> SnsState::Save(const StateScope& scope, const services::StateRecordSink& sink) {
  auto exported = store_->ExportAll();
  if (!exported) return Fail(StoreProblem(exported.error()));
  for (const auto& [collection, record] : exported->records) {  // collections in load order, keys sorted
    auto record_scope = ScopeOfRecord(collection, record);
    if (!record_scope || *record_scope != scope) continue;
    const KindInfo& info = InfoOf(collection);
    auto document = ParseJson(record.document);
    if (!document) return Fail(std::string("SNS ") + info.kind + " " + record.key + ": its stored document is not JSON");
    json::object body;
    if (info.name_member) {
      body[info.name_member] = info.scope_keyed ? SplitScopedKey(record.key)->second : record.key;
    }
    body["record"] = std::move(*document);
    if (collection == Collection::Topic) {
      if (auto found = exported->sequences.find(record.key); found != exported->sequences.end()) {
        body["sequence_number"] = found->second;
      }
    }
    MALLARD_RETURN_IF_ERROR(sink(StateRecord{info.kind, std::move(body)}));
  }
  for (const char* channel : kSentChannels) {
    auto found = exported->sent.find(channel);
    if (found == exported->sent.end()) continue;
    for (const auto& document : found->second) {
      auto record_scope = ScopeOfSent(document);
      if (!record_scope || *record_scope != scope) continue;
      auto parsed = ParseJson(document);
      MALLARD_RETURN_IF_ERROR(sink(StateRecord{kSentKind, json::object{{"channel", channel}, {"record", *parsed}}}));
    }
  }
  return Done{};
}

namespace {

Result<std::string, std::string> TextMember(const json::object& body, const char* name, const std::string& what) {
  const auto* value = body.if_contains(name);
  if (!value || !value->is_string()) return Fail(what + ": \"" + name + "\" must be a string");
  return std::string(value->get_string());
}

}  // namespace

Status<std::string> SnsState::Load(const StateScope& scope, int record_version,
                                   const services::StateRecordSource& records) {
  if (record_version > RecordVersion()) {
    return Fail("SNS records of version " + std::to_string(record_version) + " are newer than this Mallard reads (" +
                std::to_string(RecordVersion()) + ")");
  }
  if (record_version < 1) return Fail("SNS records of version " + std::to_string(record_version) + " do not exist");
  StoreImport changes;
  std::set<std::pair<Collection, std::string>> loaded;
  std::set<std::string> topics;        // loaded topics: their live subscriptions go
  std::set<std::string> applications;  // loaded applications: their live endpoints go
  std::map<std::string, std::vector<std::string>> sent;  // channel → the scope's loaded documents
  for (std::size_t number = 1;; ++number) {
    auto next = records();
    if (!next) return Fail(next.error());
    if (!*next) break;
    StateRecord& record = **next;
    std::string what = "SNS record " + std::to_string(number) + " (" + record.kind + ")";
    const auto* document = record.body.if_contains("record");
    if (!document || !document->is_object()) return Fail(what + ": \"record\" must be an object");
    std::string text = SerializeCompact(*document);
    if (record.kind == kSentKind) {
      MALLARD_ASSIGN_OR_RETURN(auto channel, TextMember(record.body, "channel", what));
      bool known = false;
      for (const char* name : kSentChannels) known = known || channel == name;
      if (!known) return Fail(what + ": unknown channel \"" + channel + "\"");
      auto record_scope = ScopeOfSent(text);
      if (!record_scope || *record_scope != scope) return Fail(what + ": its AccountId and Region are not the scope's");
      sent[channel].push_back(std::move(text));
      continue;
    }
    const KindInfo* info = nullptr;
    for (const auto& candidate : kKinds) {
      if (record.kind == candidate.kind) info = &candidate;
    }
    if (!info) return Fail(what + ": unknown SNS record kind \"" + record.kind + "\"");
    std::string key = ScopePrefix(scope);
    if (info->name_member) {
      MALLARD_ASSIGN_OR_RETURN(auto name, TextMember(record.body, info->name_member, what));
      if (name.empty()) return Fail(what + ": \"" + info->name_member + "\" is empty");
      key = info->scope_keyed ? key + ":" + name : name;
    }
    StoredRecord stored{key, text, 1};
    // Documents must be ones this Mallard reads; and ARNs must belong to the scope being loaded.
    if (info->collection == Collection::Topic && !TopicFromDocument(text)) return Fail(what + ": not a topic record");
    if (info->collection == Collection::Subscription && !SubscriptionFromDocument(text)) {
      return Fail(what + ": not a subscription record");
    }
    if (info->collection == Collection::ConfirmationToken && !TokenFromDocument(text)) {
      return Fail(what + ": not a confirmation token record");
    }
    auto record_scope = ScopeOfRecord(info->collection, stored);
    if (!record_scope || *record_scope != scope) {
      return Fail(what + ": " + key + " is not in account " + scope.account + ", region " + scope.region);
    }
    if (info->collection == Collection::Topic) {
      topics.insert(key);
      if (const auto* sequence = record.body.if_contains("sequence_number")) {
        if (!sequence->is_int64() && !sequence->is_uint64()) return Fail(what + ": \"sequence_number\" must be an integer");
        auto value = sequence->to_number<std::int64_t>();
        if (value < 0) return Fail(what + ": \"sequence_number\" must not be negative");
        changes.sequences[key] = static_cast<std::uint64_t>(value);
      } else {
        changes.sequences[key] = std::nullopt;
      }
    }
    if (info->collection == Collection::PlatformApplication) applications.insert(key);
    if (!loaded.emplace(info->collection, key).second) return Fail(what + ": " + key + " appears twice");
    changes.put.emplace_back(info->collection, std::make_pair(key, std::move(text)));
  }

  // What the loaded resources replace: a loaded topic's live subscriptions (and their tokens), a
  // loaded application's live endpoints, and the scope's entries in each loaded sent-message log.
  auto exported = store_->ExportAll();
  if (!exported) return Fail(StoreProblem(exported.error()));
  std::set<std::string> removed_subscriptions;
  for (const auto& [collection, record] : exported->records) {
    if (loaded.count({collection, record.key})) continue;
    bool remove = false;
    if (collection == Collection::Subscription) {
      for (const auto& topic : topics) remove = remove || StartsWith(record.key, topic + ":");
      if (remove) removed_subscriptions.insert(record.key);
    } else if (collection == Collection::PlatformEndpoint) {
      for (const auto& application : applications) {
        auto prefix = EndpointPrefixOf(application);
        remove = remove || (prefix && StartsWith(record.key, *prefix));
      }
    }
    if (remove) changes.remove.emplace_back(collection, record.key);
  }
  for (const auto& [collection, record] : exported->records) {
    if (collection != Collection::ConfirmationToken || loaded.count({collection, record.key})) continue;
    auto token = TokenFromDocument(record.document);
    if (token && removed_subscriptions.count(token->subscription_arn)) changes.remove.emplace_back(collection, record.key);
  }
  for (auto& [channel, documents] : sent) {
    std::vector<std::string> kept;
    if (auto live = exported->sent.find(channel); live != exported->sent.end()) {
      for (const auto& document : live->second) {
        auto record_scope = ScopeOfSent(document);
        if (!record_scope || *record_scope != scope) kept.push_back(document);
      }
    }
    kept.insert(kept.end(), documents.begin(), documents.end());
    changes.sent[channel] = std::move(kept);
  }
  auto applied = store_->ApplyImport(changes);
  if (!applied) return Fail(StoreProblem(applied.error()));
  return Done{};
}

Status<std::string> SnsState::Clear(const StateScope& scope) {
  auto exported = store_->ExportAll();
  if (!exported) return Fail(StoreProblem(exported.error()));
  StoreImport changes;
  for (const auto& [collection, record] : exported->records) {
    auto record_scope = ScopeOfRecord(collection, record);
    if (!record_scope || *record_scope != scope) continue;
    changes.remove.emplace_back(collection, record.key);
    if (collection == Collection::Topic) changes.sequences[record.key] = std::nullopt;
  }
  for (const auto& [channel, documents] : exported->sent) {
    std::vector<std::string> kept;
    for (const auto& document : documents) {
      auto record_scope = ScopeOfSent(document);
      if (!record_scope || *record_scope != scope) kept.push_back(document);
    }
    if (kept.size() != documents.size()) changes.sent[channel] = std::move(kept);
  }
  auto applied = store_->ApplyImport(changes);
  if (!applied) return Fail(StoreProblem(applied.error()));
  return Done{};
}

std::vector<services::StateScope> SnsState::ScopesChangedBy(const RequestContext& caller, const json::object& input) {
  std::vector<services::StateScope> scopes{{caller.account_id, caller.region}};
  for (const auto& [name, value] : input) {
    if (!value.is_string()) continue;
    // arn:PARTITION:sns:REGION:ACCOUNT:rest
    std::string_view arn = value.get_string();
    std::vector<std::string_view> parts;
    for (std::size_t start = 0; parts.size() < 5;) {
      const auto colon = arn.find(':', start);
      if (colon == std::string_view::npos) break;
      parts.push_back(arn.substr(start, colon - start));
      start = colon + 1;
    }
    if (parts.size() < 5 || parts[0] != "arn" || parts[2] != "sns" || parts[3].empty() || parts[4].empty()) continue;
    services::StateScope scope{std::string(parts[4]), std::string(parts[3])};
    if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(std::move(scope));
  }
  return scopes;
}

}  // namespace mallard::sns
