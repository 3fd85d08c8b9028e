// Seeded random documents against every bucket-configuration PUT: valid documents mutated (elements
// dropped, duplicated, swapped, texts replaced, bytes flipped). Whatever arrives, the answer is a
// success or an S3 error with a code (never a crash, never a 5xx), and an accepted document reads
// back as a fixed point: PUT of what GET returned is accepted and GET returns it unchanged.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "s3_service_harness.hpp"

namespace mallard::s3 {
namespace {

using testing::S3Harness;

struct Subresource {
  std::string query;
  std::string valid;
};

const std::vector<Subresource>& Documents() {
  static const std::vector<Subresource> documents = {
      {"tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b c</Key><Value></Value></Tag></TagSet></Tagging>"},
      {"cors", "<CORSConfiguration><CORSRule><ID>x</ID><AllowedOrigin>https://*.a.com</AllowedOrigin><AllowedMethod>GET"
               "</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag"
               "</ExposeHeader><MaxAgeSeconds>30</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin>"
               "<AllowedMethod>HEAD</AllowedMethod></CORSRule></CORSConfiguration>"},
      {"lifecycle",
       "<LifecycleConfiguration><Rule><ID>r1</ID><Filter><And><Prefix>p/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
       "<ObjectSizeGreaterThan>1</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter><Status>"
       "Enabled</Status><Expiration><Days>3</Days></Expiration><Transition><Days>40</Days><StorageClass>STANDARD_IA"
       "</StorageClass></Transition><NoncurrentVersionTransition><NoncurrentDays>31</NoncurrentDays><StorageClass>GLACIER"
       "</StorageClass></NoncurrentVersionTransition><NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays>"
       "</NoncurrentVersionExpiration></Rule><Rule><ID>r2</ID><Prefix>old/</Prefix><Status>Disabled</Status><Expiration>"
       "<Date>2030-01-01T00:00:00Z</Date></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>2"
       "</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule><Rule><ID>r3</ID><Filter><Tag><Key>t</Key><Value>u"
       "</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>9</Days></Expiration></Rule></LifecycleConfiguration>"},
      {"encryption", "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms"
                     "</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
                     "<BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"},
      {"ownershipControls", "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"},
      {"publicAccessBlock", "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false"
                            "</IgnorePublicAcls></PublicAccessBlockConfiguration>"},
      {"website", "<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>e"
                  "</Key></ErrorDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>a/</KeyPrefixEquals>"
                  "</Condition><Redirect><ReplaceKeyPrefixWith>b/</ReplaceKeyPrefixWith><Protocol>https</Protocol>"
                  "</Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>"},
      {"requestPayment", "<RequestPaymentConfiguration><Payer>Requester</Payer></RequestPaymentConfiguration>"},
      {"accelerate", "<AccelerateConfiguration><Status>Suspended</Status></AccelerateConfiguration>"},
      {"object-lock", "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>"
                      "COMPLIANCE</Mode><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>"},
      {"logging", "<BucketLoggingStatus><LoggingEnabled><TargetBucket>target</TargetBucket><TargetPrefix>l/</TargetPrefix>"
                  "</LoggingEnabled></BucketLoggingStatus>"},
  };
  return documents;
}

// Elements of a document as [start, end) ranges of "<name>...</name>" found by scanning tags.
std::vector<std::pair<std::size_t, std::size_t>> Elements(const std::string& xml) {
  std::vector<std::pair<std::size_t, std::size_t>> found;
  for (std::size_t at = xml.find('<'); at != std::string::npos; at = xml.find('<', at + 1)) {
    if (xml[at + 1] == '/' || xml[at + 1] == '?') continue;
    auto name_end = xml.find_first_of(" >/", at + 1);
    if (name_end == std::string::npos) break;
    std::string close = "</" + xml.substr(at + 1, name_end - at - 1) + ">";
    auto end = xml.find(close, at);
    if (end != std::string::npos) found.emplace_back(at, end + close.size());
  }
  return found;
}

std::string Mutate(std::string xml, std::mt19937& random) {
  int mutations = 1 + static_cast<int>(random() % 3);
  static const std::vector<std::string> texts = {"", "0", "-1", "99999999999", "true", "Enabled", "*", "a*b*c", "GET",
                                                 "2020-01-01T10:00:00Z", "<x/>", "&amp;", "\xff", "Disabled", "GLACIER"};
  for (int m = 0; m < mutations; ++m) {
    auto elements = Elements(xml);
    if (elements.size() < 2) break;
    auto [start, end] = elements[1 + random() % (elements.size() - 1)];  // never the root
    switch (random() % 5) {
      case 0:  // drop
        xml.erase(start, end - start);
        break;
      case 1:  // duplicate
        xml.insert(end, xml.substr(start, end - start));
        break;
      case 2: {  // replace the text of a leaf
        auto open_end = xml.find('>', start);
        auto close_start = xml.rfind("</", end - 1);
        if (open_end != std::string::npos && close_start > open_end && xml.find('<', open_end + 1) == close_start) {
          xml.replace(open_end + 1, close_start - open_end - 1, texts[random() % texts.size()]);
        }
        break;
      }
      case 3: {  // move an element to the front of the root
        std::string piece = xml.substr(start, end - start);
        xml.erase(start, end - start);
        xml.insert(xml.find('>') + 1, piece);
        break;
      }
      default:  // flip a byte
        xml[random() % xml.size()] = static_cast<char>(random() % 256);
        break;
    }
  }
  return xml;
}

TEST(ConfigurationRandom, MutatedDocumentsAnswerCleanlyAndReadBackAsFixedPoints) {
  unsigned seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_S3_CONFIG_SEED")) seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
  SCOPED_TRACE("MALLARD_S3_CONFIG_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  S3Harness s3;
  s3.CreateBucket("rand");
  s3.CreateBucket("target");
  ASSERT_EQ(s3.Send("PUT", "/rand?versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").status, 200);
  std::size_t accepted = 0;
  for (int round = 0; round < 1500; ++round) {
    const auto& subresource = Documents()[random() % Documents().size()];
    std::string document = round % 10 == 0 ? subresource.valid : Mutate(subresource.valid, random);
    std::string target = "/rand?" + subresource.query;
    auto put = s3.Send("PUT", target, document);
    SCOPED_TRACE(subresource.query + ": " + document);
    if (put.status >= 300) {
      EXPECT_GE(put.status, 400);
      EXPECT_LT(put.status, 500) << put.body;
      EXPECT_FALSE(S3Harness::ErrorCode(put).empty()) << put.body;
      continue;
    }
    ++accepted;
    auto first = s3.Send("GET", target);
    ASSERT_EQ(first.status, 200) << first.body;
    auto again = s3.Send("PUT", target, first.body);
    ASSERT_LT(again.status, 300) << "what GET returned is refused: " << first.body << "\n" << again.body;
    auto second = s3.Send("GET", target);
    EXPECT_EQ(first.body, second.body);
  }
  EXPECT_GT(accepted, 150U);
}

}  // namespace
}  // namespace mallard::s3
