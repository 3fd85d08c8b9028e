#pragma once
// What the bucket-configuration files (s3_configuration.cpp, s3_bucket_settings.cpp, s3_cors.cpp,
// s3_lifecycle.cpp) share: parsing a document with S3's MalformedXML, keeping a configuration in the
// bucket record (BucketRecord::configurations, by name) and answering with it or its "not
// configured" error.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"
#include "services/s3/s3_service.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

class S3Call;

namespace config {

// The request body as a document whose root element is `root` (MalformedXML otherwise).
Result<XmlDocument, AwsError> ParseRoot(const S3Call& call, std::string_view root);
// Sets the configuration `name` of the call's bucket and answers `status` with `headers`.
void Store(const std::shared_ptr<S3Call>& call, std::string name, std::string value, int status = 200,
           std::vector<std::pair<std::string, std::string>> headers = {});
// Removes it and answers 204 (also when it was not there, as S3 does).
void Remove(const std::shared_ptr<S3Call>& call, std::string name);
// Answers the stored document, or `missing(bucket)` when there is none.
void Return(const std::shared_ptr<S3Call>& call, std::string name, AwsError (*missing)(std::string_view bucket));
// A 404 "not configured" error with S3's BucketName member.
AwsError NotConfigured(std::string code, std::string message, std::string_view bucket);
// A decimal integer in 1..2^31-1 (S3's Days and counts), else nullopt.
std::optional<std::int64_t> PositiveInteger(const std::string& text);

}  // namespace config

// Website, logging, request payment, accelerate and object lock (s3_bucket_settings.cpp).
std::vector<S3Operation> WebsiteAndOtherOperations();

}  // namespace mallard::s3
