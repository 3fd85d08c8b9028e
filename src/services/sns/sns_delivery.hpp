#pragma once
// What one fan-out carries: the topic, its subscribers as read when the publish was accepted, the
// messages (one for Publish, up to ten for PublishBatch) and who published them.
#include <map>
#include <string>
#include <vector>

#include "common/request_context.hpp"
#include "services/sns/model/sns_records.hpp"
#include "services/sns/sns_message.hpp"

namespace mallard::sns {

struct FanoutJob {
  TopicRecord topic;
  std::vector<SubscriptionRecord> subscriptions;
  std::vector<OutgoingMessage> messages;
  RequestContext caller;
  // Signatures already made, by canonical string: a message's envelope differs between
  // subscribers only outside what is signed (the UnsubscribeURL), so one RSA signature serves
  // every subscriber that receives the same text. Touched by the fan-out's thread only.
  std::map<std::string, std::string> signatures;
};

// ISO 8601 with milliseconds, as SNS stamps messages: "2012-04-25T21:49:25.719Z".
std::string SnsTimestamp(std::int64_t epoch_millis);

}  // namespace mallard::sns
