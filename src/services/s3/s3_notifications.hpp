#pragma once
// S3 event notifications: after a write or delete succeeded, the bucket's notification
// configuration decides which queues (SQS) and topics (SNS) hear of it, in AWS's event JSON.
// Delivery goes through the peer directory (never another service's store) and never delays the
// answer to the client.
#include <string_view>

#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class S3Call;

// `event_name` without the "s3:" prefix: "ObjectCreated:Put", "ObjectCreated:Post",
// "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete",
// "ObjectRemoved:DeleteMarkerCreated", "ObjectTagging:Put", "ObjectTagging:Delete",
// "LifecycleExpiration:Delete", "LifecycleExpiration:DeleteMarkerCreated". `record` is the
// version written, removed or marked (key, size, ETag, version id).
void NotifyObjectEvent(const S3Call& call, std::string_view event_name, const ObjectRecord& record);

}  // namespace mallard::s3
