#include "services/s3/file/file_records.hpp"

#include <boost/json.hpp>

namespace mallard::s3::file {
namespace json = boost::json;

namespace {

std::optional<json::object> ParseObject(std::string_view text) {
  json::parse_options options;
  options.max_depth = 64;
  options.allow_invalid_utf8 = true;  // keys and attributes are bytes to the store
  boost::system::error_code error;
  json::value value = json::parse(text, error, {}, options);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

// Field readers that fail (nullopt) on a missing or mistyped field.
std::optional<std::string> String(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}
std::optional<std::int64_t> Int(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value->get_uint64());
  }
  return std::nullopt;
}
std::optional<std::uint64_t> Uint(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value) return std::nullopt;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0) return static_cast<std::uint64_t>(value->get_int64());
  return std::nullopt;
}
std::optional<bool> Bool(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (!value || !value->is_bool()) return std::nullopt;
  return value->get_bool();
}

json::object IdentityJson(const FileIdentity& identity) {
  return json::object{
      {"dev", identity.device}, {"ino", identity.inode}, {"size", identity.size}, {"mtime_ns", identity.mtime_ns}};
}
std::optional<FileIdentity> IdentityFrom(const json::value* value) {
  if (!value || !value->is_object()) return std::nullopt;
  const json::object& object = value->get_object();
  auto device = Uint(object, "dev");
  auto inode = Uint(object, "ino");
  auto size = Uint(object, "size");
  auto mtime = Int(object, "mtime_ns");
  if (!device || !inode || !size || !mtime) return std::nullopt;
  return FileIdentity{*device, *inode, *size, *mtime};
}

json::object ObjectJson(const ObjectRecord& record) {
  return json::object{{"key", record.key},
                      {"version_id", record.version_id},
                      {"delete_marker", record.delete_marker},
                      {"size", record.size},
                      {"etag", record.etag},
                      {"last_modified_millis", record.last_modified_millis},
                      {"owner_account", record.owner_account},
                      {"attributes_json", record.attributes_json}};
}
std::optional<ObjectRecord> ObjectFrom(const json::value* value) {
  if (!value || !value->is_object()) return std::nullopt;
  const json::object& object = value->get_object();
  ObjectRecord record;
  auto key = String(object, "key");
  auto version_id = String(object, "version_id");
  auto delete_marker = Bool(object, "delete_marker");
  auto size = Uint(object, "size");
  auto etag = String(object, "etag");
  auto modified = Int(object, "last_modified_millis");
  auto owner = String(object, "owner_account");
  auto attributes = String(object, "attributes_json");
  if (!key || !version_id || !delete_marker || !size || !etag || !modified || !owner || !attributes)
    return std::nullopt;
  record.key = std::move(*key);
  record.version_id = std::move(*version_id);
  record.delete_marker = *delete_marker;
  record.size = *size;
  record.etag = std::move(*etag);
  record.last_modified_millis = *modified;
  record.owner_account = std::move(*owner);
  record.attributes_json = std::move(*attributes);
  return record;
}

std::string_view VersioningName(Versioning versioning) {
  switch (versioning) {
    case Versioning::Enabled:
      return "Enabled";
    case Versioning::Suspended:
      return "Suspended";
    case Versioning::Unversioned:
      break;
  }
  return "Unversioned";
}
std::optional<Versioning> VersioningFrom(std::string_view name) {
  if (name == "Unversioned") return Versioning::Unversioned;
  if (name == "Enabled") return Versioning::Enabled;
  if (name == "Suspended") return Versioning::Suspended;
  return std::nullopt;
}

std::string_view StepKindName(IntentStep::Kind kind) {
  switch (kind) {
    case IntentStep::Kind::LinkIfIdentity:
      return "link";
    case IntentStep::Kind::Write:
      return "write";
    case IntentStep::Kind::Rename:
      return "rename";
    case IntentStep::Kind::Unlink:
      return "unlink";
    case IntentStep::Kind::RemoveTree:
      return "remove_tree";
  }
  return "write";
}
std::optional<IntentStep::Kind> StepKindFrom(std::string_view name) {
  for (auto kind : {IntentStep::Kind::LinkIfIdentity, IntentStep::Kind::Write, IntentStep::Kind::Rename,
                    IntentStep::Kind::Unlink, IntentStep::Kind::RemoveTree}) {
    if (StepKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace

std::string BucketToJson(const BucketRecord& bucket) {
  json::array configurations;
  for (const auto& [name, value] : bucket.configurations)
    configurations.push_back(json::array{json::string(name), json::string(value)});
  return json::serialize(json::object{{"name", bucket.name},
                                      {"owner_account", bucket.owner_account},
                                      {"region", bucket.region},
                                      {"created_millis", bucket.created_millis},
                                      {"versioning", VersioningName(bucket.versioning)},
                                      {"configurations", std::move(configurations)}});
}

std::optional<BucketRecord> BucketFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  auto name = String(*object, "name");
  auto owner = String(*object, "owner_account");
  auto region = String(*object, "region");
  auto created = Int(*object, "created_millis");
  auto versioning_name = String(*object, "versioning");
  const json::value* configurations = object->if_contains("configurations");
  if (!name || !owner || !region || !created || !versioning_name || !configurations || !configurations->is_array()) {
    return std::nullopt;
  }
  auto versioning = VersioningFrom(*versioning_name);
  if (!versioning) return std::nullopt;
  BucketRecord bucket{std::move(*name), std::move(*owner), std::move(*region), *created, *versioning, {}};
  for (const json::value& entry : configurations->get_array()) {
    if (!entry.is_array() || entry.get_array().size() != 2 || !entry.get_array()[0].is_string() ||
        !entry.get_array()[1].is_string()) {
      return std::nullopt;
    }
    bucket.configurations.emplace_back(std::string(entry.get_array()[0].get_string()),
                                       std::string(entry.get_array()[1].get_string()));
  }
  return bucket;
}

std::string CurrentToJson(const CurrentSidecar& sidecar) {
  return json::serialize(json::object{{"record", ObjectJson(sidecar.record)},
                                      {"identity", IdentityJson(sidecar.identity)},
                                      {"escaped", sidecar.escaped}});
}

std::optional<CurrentSidecar> CurrentFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  auto record = ObjectFrom(object->if_contains("record"));
  auto identity = IdentityFrom(object->if_contains("identity"));
  auto escaped = Bool(*object, "escaped");
  if (!record || !identity || !escaped) return std::nullopt;
  return CurrentSidecar{std::move(*record), *identity, *escaped};
}

std::string HistoryToJson(const KeyHistory& history) {
  json::array entries;
  for (const HistoryEntry& entry : history.entries) {
    entries.push_back(json::object{{"record", ObjectJson(entry.record)}, {"body", entry.body_name}});
  }
  return json::serialize(json::object{{"key", history.key}, {"entries", std::move(entries)}});
}

std::optional<KeyHistory> HistoryFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  auto key = String(*object, "key");
  const json::value* entries = object->if_contains("entries");
  if (!key || !entries || !entries->is_array()) return std::nullopt;
  KeyHistory history{std::move(*key), {}};
  for (const json::value& entry : entries->get_array()) {
    if (!entry.is_object()) return std::nullopt;
    auto record = ObjectFrom(entry.get_object().if_contains("record"));
    auto body = String(entry.get_object(), "body");
    if (!record || !body) return std::nullopt;
    history.entries.push_back(HistoryEntry{std::move(*record), std::move(*body)});
  }
  return history;
}

std::string UploadToJson(const UploadRecord& upload) {
  return json::serialize(json::object{{"upload_id", upload.upload_id},
                                      {"key", upload.key},
                                      {"initiated_millis", upload.initiated_millis},
                                      {"owner_account", upload.owner_account},
                                      {"attributes_json", upload.attributes_json}});
}

std::optional<UploadRecord> UploadFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  auto upload_id = String(*object, "upload_id");
  auto key = String(*object, "key");
  auto initiated = Int(*object, "initiated_millis");
  auto owner = String(*object, "owner_account");
  auto attributes = String(*object, "attributes_json");
  if (!upload_id || !key || !initiated || !owner || !attributes) return std::nullopt;
  return UploadRecord{std::move(*upload_id), std::move(*key), *initiated, std::move(*owner), std::move(*attributes)};
}

std::string PartToJson(const StoredPart& part) {
  return json::serialize(json::object{{"number", part.record.number},
                                      {"size", part.record.size},
                                      {"etag", part.record.etag},
                                      {"last_modified_millis", part.record.last_modified_millis},
                                      {"attributes_json", part.record.attributes_json},
                                      {"body", part.body_name}});
}

std::optional<StoredPart> PartFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  auto number = Uint(*object, "number");
  auto size = Uint(*object, "size");
  auto etag = String(*object, "etag");
  auto modified = Int(*object, "last_modified_millis");
  auto attributes = String(*object, "attributes_json");
  auto body = String(*object, "body");
  if (!number || *number > UINT32_MAX || !size || !etag || !modified || !attributes || !body) return std::nullopt;
  return StoredPart{
      PartRecord{static_cast<std::uint32_t>(*number), *size, std::move(*etag), *modified, std::move(*attributes)},
      std::move(*body)};
}

std::string EtagToJson(const CachedEtag& cached) {
  return json::serialize(json::object{{"identity", IdentityJson(cached.identity)}, {"etag", cached.etag}});
}

std::optional<CachedEtag> EtagFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  auto identity = IdentityFrom(object->if_contains("identity"));
  auto etag = String(*object, "etag");
  if (!identity || !etag) return std::nullopt;
  return CachedEtag{*identity, std::move(*etag)};
}

std::string IntentToJson(const std::vector<IntentStep>& steps) {
  json::array array;
  for (const IntentStep& step : steps) {
    json::object object{
        {"kind", StepKindName(step.kind)}, {"source", step.source}, {"target", step.target}, {"content", step.content}};
    if (step.identity) object["identity"] = IdentityJson(*step.identity);
    array.push_back(std::move(object));
  }
  return json::serialize(json::object{{"steps", std::move(array)}});
}

std::optional<std::vector<IntentStep>> IntentFromJson(std::string_view text) {
  auto object = ParseObject(text);
  if (!object) return std::nullopt;
  const json::value* steps = object->if_contains("steps");
  if (!steps || !steps->is_array()) return std::nullopt;
  std::vector<IntentStep> result;
  for (const json::value& value : steps->get_array()) {
    if (!value.is_object()) return std::nullopt;
    const json::object& step = value.get_object();
    auto kind_name = String(step, "kind");
    auto source = String(step, "source");
    auto target = String(step, "target");
    auto content = String(step, "content");
    if (!kind_name || !source || !target || !content) return std::nullopt;
    auto kind = StepKindFrom(*kind_name);
    if (!kind) return std::nullopt;
    IntentStep parsed{*kind, std::move(*source), std::move(*target), std::move(*content), std::nullopt};
    if (step.contains("identity")) {
      parsed.identity = IdentityFrom(step.if_contains("identity"));
      if (!parsed.identity) return std::nullopt;
    }
    result.push_back(std::move(parsed));
  }
  return result;
}

}  // namespace mallard::s3::file
