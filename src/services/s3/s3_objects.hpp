#pragma once
// Helpers the object operations share with multipart uploads and copies.
#include <string_view>

#include "common/http_types.hpp"
#include "common/result.hpp"
#include "services/s3/model/s3_store.hpp"
#include "services/s3/s3_attributes.hpp"

namespace mallard::s3 {

class S3Call;

// KeyTooLongError past 1,024 bytes.
Result<Done> CheckKey(std::string_view key);
// If-None-Match: * and If-Match on a write (PutObject, CompleteMultipartUpload, CopyObject).
Result<WriteCondition> WriteConditionOf(const S3Call& call);
// The bucket's default encryption (PutBucketEncryption) for a write that names none.
void ApplyBucketEncryption(const BucketRecord& bucket, bool explicit_sse, ObjectAttributes& attributes);
// S3's bucket naming rules for CreateBucket.
bool IsValidBucketName(std::string_view name);

}  // namespace mallard::s3
