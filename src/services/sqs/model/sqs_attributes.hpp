#pragma once
// Queue attributes: which exist, their defaults, and their validated, canonical string forms.
#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "services/sqs/model/sqs_model.hpp"

namespace mallard::sqs {

using AttributeMap = std::map<std::string, std::string>;

AttributeMap DefaultQueueAttributes(bool fifo);
// Validates the given attributes for a queue of this type and returns them in canonical form.
// `creating` allows FifoQueue. RedrivePolicy's target is checked by the service (it needs state).
Result<AttributeMap> ValidateQueueAttributes(const boost::json::object& given, bool fifo, bool creating);
// True for every attribute name GetQueueAttributes accepts (including computed ones and "All").
bool IsKnownQueueAttribute(const std::string& name);

std::int64_t AttributeInt(const AttributeMap& attributes, const std::string& name, std::int64_t fallback);

struct RedrivePolicy {
  std::string dead_letter_target_arn;
  std::int64_t max_receive_count = 0;
};
std::optional<RedrivePolicy> ParseRedrivePolicy(const AttributeMap& attributes);
// Parses "arn:aws:sqs:REGION:ACCOUNT:NAME".
std::optional<QueueKey> QueueKeyFromArn(const std::string& arn);

}  // namespace mallard::sqs
