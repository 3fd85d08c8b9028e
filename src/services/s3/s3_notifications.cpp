// S3 event notifications (see s3_notifications.hpp).
#include "services/s3/s3_notifications.hpp"

#include "services/s3/s3_call.hpp"

namespace mallard::s3 {

void NotifyObjectEvent(const S3Call& call, std::string_view event_name, const ObjectRecord& record) {
  (void)call;
  (void)event_name;
  (void)record;
}

}  // namespace mallard::s3
