// Athena tags (work groups, data catalogs, capacity reservations) and capacity reservations: API
// state kept per account and region next to the work groups. A reservation has no engine behind
// it — queries run on the same worker pool whatever the assignment — so its life is a status:
// PENDING → ACTIVE (DPUs allocated), UPDATE_PENDING → ACTIVE after an update, CANCELLING →
// CANCELLED, each step taking kAllocationMillis, then DeleteCapacityReservation.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "services/athena/athena_errors.hpp"
#include "services/athena/athena_service.hpp"
#include "services/kit/api_input.hpp"

namespace mallard::athena {
namespace json = boost::json;
using services::kit::ApiInput;
using services::kit::EpochSeconds;

namespace {

// How long an allocation or a cancellation takes (Athena: up to 30 minutes; here long enough to be
// seen, short enough for tests to wait for).
constexpr std::int64_t kAllocationMillis = 1000;
// Athena's limits: 50 tags per resource; at least 24 DPUs per reservation (API reference,
// CapacityReservation.TargetDpus: "Minimum value of 24"; botocore's model still says 4).
constexpr std::size_t kMaxTags = 50;
constexpr std::int64_t kMinTargetDpus = 24;
constexpr std::int64_t kMaxTargetDpus = 1000000;

AwsError InvalidInput(std::string message) { return errors::InvalidRequest(message); }

// UTF-8 characters in `text` (Smithy's lengths count characters).
std::size_t CharacterCount(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Tag text: letters and digits of any script (non-ASCII UTF-8 passes), spaces and + - = . _ : / @.
bool ValidTagText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || std::isalnum(byte) != 0 || c == ' ' || c == '+' || c == '-' || c == '=' || c == '.' ||
           c == '_' || c == ':' || c == '/' || c == '@';
  });
}

bool ValidReservationName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

Result<std::string> ReservationName(const ApiInput& input, const char* member) {
  MALLARD_ASSIGN_OR_RETURN(auto name, input.Required(member, 128));
  if (!ValidReservationName(name)) {
    return Fail(input.Invalid(member, name, "Member must satisfy regular expression pattern: [a-zA-Z0-9._-]+"));
  }
  return name;
}

AwsError ReservationNotFound(const std::string& name) {
  return errors::InvalidRequest("Capacity reservation " + name + " does not exist");
}

json::array TagArray(const TagList& tags, std::size_t start, std::size_t end) {
  json::array listed;
  for (std::size_t i = start; i < end && i < tags.size(); ++i) {
    listed.push_back(json::object{{"Key", tags[i].first}, {"Value", tags[i].second}});
  }
  return listed;
}

// Adds or replaces `added` in `tags`, keeping the order of first insertion.
void MergeTags(TagList& tags, const TagList& added) {
  for (const auto& [key, value] : added) {
    auto existing = std::find_if(tags.begin(), tags.end(), [&](const auto& tag) { return tag.first == key; });
    if (existing != tags.end()) {
      existing->second = value;
    } else {
      tags.emplace_back(key, value);
    }
  }
}

}  // namespace

std::string AthenaService::ResourceArn(const Request& request, std::string_view kind, const std::string& name) {
  return "arn:aws:athena:" + request.context.region + ":" + request.context.account_id + ":" + std::string(kind) + "/" +
         name;
}

Result<TagList> AthenaService::ReadTags(const json::object& input) const {
  TagList tags;
  const auto* value = input.if_contains("Tags");
  if (value == nullptr || value->is_null()) return tags;
  if (!value->is_array()) return Fail(errors::InvalidRequest("Value for Tags must be a list."));
  ApiInput reader(input, &InvalidInput);
  std::size_t index = 0;
  for (const auto& entry : value->get_array()) {
    ++index;
    const std::string prefix = "Tags." + std::to_string(index) + ".member.";
    if (!entry.is_object()) return Fail(errors::InvalidRequest("Value for Tags must be a list of Tag structures."));
    const auto& tag = entry.get_object();
    const auto* key = tag.if_contains("Key");
    const auto* tag_value = tag.if_contains("Value");
    if ((key != nullptr && !key->is_string() && !key->is_null()) ||
        (tag_value != nullptr && !tag_value->is_string() && !tag_value->is_null())) {
      return Fail(errors::InvalidRequest("Tag keys and values must be strings."));
    }
    std::string key_text = key != nullptr && key->is_string() ? std::string(key->get_string()) : "";
    std::string value_text = tag_value != nullptr && tag_value->is_string() ? std::string(tag_value->get_string()) : "";
    // Key 1 to 128 characters, value 0 to 256 (TagKey / TagValue in the model).
    if (key_text.empty()) {
      return Fail(reader.Invalid((prefix + "key").c_str(), "", "Member must have length greater than or equal to 1"));
    }
    if (CharacterCount(key_text) > 128) {
      return Fail(reader.Invalid((prefix + "key").c_str(), key_text, "Member must have length less than or equal to 128"));
    }
    if (CharacterCount(value_text) > 256) {
      return Fail(reader.Invalid((prefix + "value").c_str(), value_text,
                                 "Member must have length less than or equal to 256"));
    }
    if (!ValidTagText(key_text) || !ValidTagText(value_text)) {
      return Fail(errors::InvalidRequest("Tags can only contain letters, numbers, spaces and the characters + - = . _ : / @"));
    }
    if (key_text.rfind("aws:", 0) == 0) {
      return Fail(errors::InvalidRequest("Tag keys starting with 'aws:' are reserved for AWS use"));
    }
    if (std::any_of(tags.begin(), tags.end(), [&](const auto& known) { return known.first == key_text; })) {
      return Fail(errors::InvalidRequest("Tag keys must be unique: " + key_text + " is given more than once"));
    }
    tags.emplace_back(std::move(key_text), std::move(value_text));
  }
  if (tags.size() > kMaxTags) {
    return Fail(errors::InvalidRequest("A resource can have at most " + std::to_string(kMaxTags) + " tags"));
  }
  return tags;
}

// ---- tags ----------------------------------------------------------------------------------

namespace {

// "arn:aws:athena:REGION:ACCOUNT:KIND/NAME" split into its kind and name, or false when the text is
// not an Athena resource ARN of a taggable kind.
bool SplitResourceArn(std::string_view arn, std::string& region, std::string& account, std::string& kind,
                      std::string& name) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string_view::npos) return false;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view resource = arn.substr(start);
  if (parts[0] != "arn" || parts[1].rfind("aws", 0) != 0 || parts[2] != "athena" || parts[3].empty() ||
      parts[4].empty()) {
    return false;
  }
  auto slash = resource.find('/');
  if (slash == std::string_view::npos || slash + 1 >= resource.size()) return false;
  kind = std::string(resource.substr(0, slash));
  if (kind != "workgroup" && kind != "datacatalog" && kind != "capacity-reservation") return false;
  region = std::string(parts[3]);
  account = std::string(parts[4]);
  name = std::string(resource.substr(slash + 1));
  return true;
}

}  // namespace

// A taggable resource named by `arn` must exist: InvalidRequestException when the text is not an
// Athena resource ARN at all, ResourceNotFoundException when it is well-formed but names nothing in
// this account and region.
Status<> AthenaService::FindTaggedResource(const Request& request, Partition& partition, const std::string& arn) {
  std::string region, account, kind, name;
  if (!SplitResourceArn(arn, region, account, kind, name)) return Fail(errors::InvalidRequest("Invalid ARN: " + arn));
  bool exists = region == request.context.region && account == request.context.account_id;
  if (exists && kind == "workgroup") exists = partition.work_groups.count(name) != 0;
  if (exists && kind == "datacatalog") exists = IsDefaultCatalog(name) || partition.catalogs.count(name) != 0;
  if (exists && kind == "capacity-reservation") exists = partition.capacity_reservations.count(name) != 0;
  if (!exists) return Fail(errors::ResourceNotFound("The resource " + arn + " does not exist.", arn));
  return Ok();
}

AthenaService::Result AthenaService::TagResource(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto arn, input.Required("ResourceARN", 1011));
  if (!request.input.contains("Tags") || request.input.at("Tags").is_null()) {
    return Fail(input.Invalid("Tags", "", "Member must not be null"));
  }
  MALLARD_ASSIGN_OR_RETURN(auto tags, ReadTags(request.input));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindTaggedResource(request, partition, arn));
  TagList merged = partition.tags[arn];
  MergeTags(merged, tags);
  if (merged.size() > kMaxTags) {
    return Fail(errors::InvalidRequest("A resource can have at most " + std::to_string(kMaxTags) + " tags"));
  }
  partition.tags[arn] = std::move(merged);
  return Json{};
}

AthenaService::Result AthenaService::UntagResource(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto arn, input.Required("ResourceARN", 1011));
  if (!request.input.contains("TagKeys") || request.input.at("TagKeys").is_null()) {
    return Fail(input.Invalid("TagKeys", "", "Member must not be null"));
  }
  MALLARD_ASSIGN_OR_RETURN(auto keys, input.Strings("TagKeys", 0, 1000));
  for (const auto& key : keys) {
    if (key.empty() || CharacterCount(key) > 128) {
      return Fail(input.Invalid("TagKeys", "",
                                "Member must satisfy constraint: [Member must have length less than or equal to 128, "
                                "Member must have length greater than or equal to 1]"));
    }
  }
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindTaggedResource(request, partition, arn));
  auto& tags = partition.tags[arn];
  std::erase_if(tags, [&](const auto& tag) { return std::find(keys.begin(), keys.end(), tag.first) != keys.end(); });
  return Json{};
}

AthenaService::Result AthenaService::ListTagsForResource(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto arn, input.Required("ResourceARN", 1011));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 75, 1 << 30));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  MALLARD_RETURN_IF_ERROR(FindTaggedResource(request, partition, arn));
  TagList tags;
  if (auto found = partition.tags.find(arn); found != partition.tags.end()) tags = found->second;
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(tags.size(), token, static_cast<std::size_t>(max_results.value_or(100)),
                                                          "tags/" + arn, &InvalidInput));
  Json output{{"Tags", TagArray(tags, window.start, window.end)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

// ---- capacity reservations -----------------------------------------------------------------

namespace {

json::object DescribeReservation(const CapacityReservationRecord& reservation) {
  const bool allocated = reservation.allocation_completed_ms != 0;
  json::object allocation{{"Status", allocated ? "SUCCEEDED" : "PENDING"},
                          {"RequestTime", EpochSeconds(reservation.allocation_requested_ms)}};
  if (allocated) allocation["RequestCompletionTime"] = EpochSeconds(reservation.allocation_completed_ms);
  std::int64_t allocated_dpus = 0;
  if (reservation.status == "ACTIVE" || reservation.status == "CANCELLING") allocated_dpus = reservation.target_dpus;
  json::object described{{"Name", reservation.name},
                         {"Status", reservation.status},
                         {"TargetDpus", reservation.target_dpus},
                         {"AllocatedDpus", allocated_dpus},
                         {"LastAllocation", std::move(allocation)},
                         {"CreationTime", EpochSeconds(reservation.created_ms)}};
  if (allocated) described["LastSuccessfulAllocationTime"] = EpochSeconds(reservation.allocation_completed_ms);
  return described;
}

}  // namespace

void AthenaService::AdvanceCapacityReservations(Partition& partition) {
  const std::int64_t now = Now();
  for (auto& [name, reservation] : partition.capacity_reservations) {
    if ((reservation.status == "PENDING" || reservation.status == "UPDATE_PENDING") &&
        now - reservation.allocation_requested_ms >= kAllocationMillis) {
      reservation.status = "ACTIVE";
      reservation.allocation_completed_ms = reservation.allocation_requested_ms + kAllocationMillis;
    } else if (reservation.status == "CANCELLING" && now - reservation.cancel_requested_ms >= kAllocationMillis) {
      reservation.status = "CANCELLED";
    }
  }
}

AthenaService::Result AthenaService::CreateCapacityReservation(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto target, input.Int("TargetDpus", kMinTargetDpus, kMaxTargetDpus));
  if (!target) return Fail(input.Invalid("TargetDpus", "", "Member must not be null"));
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "Name"));
  MALLARD_ASSIGN_OR_RETURN(auto tags, ReadTags(request.input));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  // A cancelled reservation keeps its name until it is deleted.
  if (partition.capacity_reservations.count(name) != 0) {
    return Fail(errors::InvalidRequest("Capacity reservation " + name + " already exists"));
  }
  CapacityReservationRecord reservation;
  reservation.name = name;
  reservation.status = "PENDING";
  reservation.target_dpus = *target;
  reservation.created_ms = reservation.allocation_requested_ms = Now();
  partition.capacity_reservations.emplace(name, std::move(reservation));
  if (!tags.empty()) partition.tags[ResourceArn(request, "capacity-reservation", name)] = std::move(tags);
  return Json{};
}

AthenaService::Result AthenaService::GetCapacityReservation(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "Name"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  AdvanceCapacityReservations(partition);
  auto found = partition.capacity_reservations.find(name);
  if (found == partition.capacity_reservations.end()) return Fail(ReservationNotFound(name));
  return Json{{"CapacityReservation", DescribeReservation(found->second)}};
}

AthenaService::Result AthenaService::ListCapacityReservations(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input.Int("MaxResults", 1, 50));
  MALLARD_ASSIGN_OR_RETURN(auto token, input.Optional("NextToken", 1024));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  AdvanceCapacityReservations(partition);
  std::vector<const CapacityReservationRecord*> reservations;
  for (const auto& [name, reservation] : partition.capacity_reservations) reservations.push_back(&reservation);
  MALLARD_ASSIGN_OR_RETURN(auto window, services::kit::PageOf(reservations.size(), token, max_results.value_or(50),
                                                          "capacity-reservations", &InvalidInput));
  json::array listed;
  for (std::size_t i = window.start; i < window.end; ++i) listed.push_back(DescribeReservation(*reservations[i]));
  Json output{{"CapacityReservations", std::move(listed)}};
  if (window.next_token) output["NextToken"] = *window.next_token;
  return output;
}

AthenaService::Result AthenaService::UpdateCapacityReservation(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto target, input.Int("TargetDpus", kMinTargetDpus, kMaxTargetDpus));
  if (!target) return Fail(input.Invalid("TargetDpus", "", "Member must not be null"));
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "Name"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  AdvanceCapacityReservations(partition);
  auto found = partition.capacity_reservations.find(name);
  if (found == partition.capacity_reservations.end()) return Fail(ReservationNotFound(name));
  CapacityReservationRecord& reservation = found->second;
  if (reservation.status == "CANCELLING" || reservation.status == "CANCELLED" || reservation.status == "FAILED") {
    return Fail(errors::InvalidRequest("Capacity reservation " + name + " cannot be updated in status " +
                                       reservation.status));
  }
  reservation.target_dpus = *target;
  if (reservation.status == "ACTIVE") {
    // A new allocation request; until it completes the reservation is UPDATE_PENDING.
    reservation.status = "UPDATE_PENDING";
    reservation.allocation_requested_ms = Now();
    reservation.allocation_completed_ms = 0;
  }
  return Json{};
}

AthenaService::Result AthenaService::CancelCapacityReservation(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "Name"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  AdvanceCapacityReservations(partition);
  auto found = partition.capacity_reservations.find(name);
  if (found == partition.capacity_reservations.end()) return Fail(ReservationNotFound(name));
  CapacityReservationRecord& reservation = found->second;
  if (reservation.status == "CANCELLING" || reservation.status == "CANCELLED") {
    return Fail(errors::InvalidRequest("Capacity reservation " + name + " is already " + reservation.status));
  }
  reservation.status = "CANCELLING";
  reservation.cancel_requested_ms = Now();
  return Json{};
}

AthenaService::Result AthenaService::DeleteCapacityReservation(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "Name"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  AdvanceCapacityReservations(partition);
  auto found = partition.capacity_reservations.find(name);
  if (found == partition.capacity_reservations.end()) return Fail(ReservationNotFound(name));
  // "A reservation must be cancelled before it can be deleted" (DeleteCapacityReservation).
  if (found->second.status != "CANCELLED") {
    return Fail(errors::InvalidRequest("Capacity reservation " + name +
                                       " must be cancelled before it can be deleted; its status is " +
                                       found->second.status));
  }
  partition.capacity_reservations.erase(found);
  partition.tags.erase(ResourceArn(request, "capacity-reservation", name));
  return Json{};
}

AthenaService::Result AthenaService::PutCapacityAssignmentConfiguration(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "CapacityReservationName"));
  const auto* assignments_value = request.input.if_contains("CapacityAssignments");
  if (assignments_value == nullptr || assignments_value->is_null()) {
    return Fail(input.Invalid("CapacityAssignments", "", "Member must not be null"));
  }
  if (!assignments_value->is_array()) return Fail(errors::InvalidRequest("Value for CapacityAssignments must be a list."));
  std::vector<std::vector<std::string>> assignments;
  std::set<std::string> named;
  for (const auto& entry : assignments_value->get_array()) {
    if (!entry.is_object()) return Fail(errors::InvalidRequest("Value for CapacityAssignments must be a list of structures."));
    ApiInput assignment(entry.get_object(), &InvalidInput);
    MALLARD_ASSIGN_OR_RETURN(auto groups, assignment.Strings("WorkGroupNames", 0, 1000));
    for (const auto& group : groups) {
      if (!named.insert(group).second) {
        return Fail(errors::InvalidRequest("WorkGroup " + group + " is assigned more than once"));
      }
    }
    assignments.push_back(std::move(groups));
  }
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  AdvanceCapacityReservations(partition);
  auto found = partition.capacity_reservations.find(name);
  if (found == partition.capacity_reservations.end()) return Fail(ReservationNotFound(name));
  if (found->second.status == "CANCELLING" || found->second.status == "CANCELLED") {
    return Fail(errors::InvalidRequest("Capacity reservation " + name + " is " + found->second.status));
  }
  for (const auto& group : named) {
    if (partition.work_groups.count(group) == 0) return Fail(errors::WorkGroupNotFound());
    // A work group draws on one reservation at a time.
    for (const auto& [other_name, other] : partition.capacity_reservations) {
      if (other_name == name) continue;
      for (const auto& other_groups : other.assignments) {
        if (std::find(other_groups.begin(), other_groups.end(), group) != other_groups.end()) {
          return Fail(errors::InvalidRequest("WorkGroup " + group + " is already assigned to capacity reservation " +
                                             other_name));
        }
      }
    }
  }
  found->second.assignments = std::move(assignments);
  found->second.has_assignment_configuration = true;
  return Json{};
}

AthenaService::Result AthenaService::GetCapacityAssignmentConfiguration(const Request& request) {
  ApiInput input(request.input, &InvalidInput);
  MALLARD_ASSIGN_OR_RETURN(auto name, ReservationName(input, "CapacityReservationName"));
  std::lock_guard lock(mutex_);
  Partition& partition = PartitionFor(request);
  auto found = partition.capacity_reservations.find(name);
  if (found == partition.capacity_reservations.end()) return Fail(ReservationNotFound(name));
  json::array assignments;
  for (const auto& groups : found->second.assignments) {
    json::array names;
    for (const auto& group : groups) names.emplace_back(group);
    assignments.push_back(json::object{{"WorkGroupNames", std::move(names)}});
  }
  return Json{{"CapacityAssignmentConfiguration",
               Json{{"CapacityReservationName", name}, {"CapacityAssignments", std::move(assignments)}}}};
}

}  // namespace mallard::athena
