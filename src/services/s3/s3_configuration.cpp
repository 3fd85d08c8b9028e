// Bucket configurations stored and returned (tagging, CORS, policy, lifecycle, encryption, ...)
// and object tagging.
#include "services/s3/s3_call.hpp"

namespace mallard::s3 {

std::vector<S3Operation> ConfigurationOperations() { return {}; }

}  // namespace mallard::s3
