// Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts, ListMultipartUploads.
#include "services/s3/s3_call.hpp"

namespace mallard::s3 {

std::vector<S3Operation> MultipartOperations() { return {}; }

}  // namespace mallard::s3
