// Bucket configurations through HandleRest: round trips, S3's validation errors and "not
// configured" answers, ACLs under the ownership rules, CORS preflight and CORS headers on replies
// (with a seeded randomised comparison against a matcher written here).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "services/s3/s3_attributes.hpp"
#include "s3_service_harness.hpp"

namespace mallard::s3 {
namespace {

using testing::S3Harness;

constexpr const char* kNs = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

std::string Tagging(const std::vector<std::pair<std::string, std::string>>& tags) {
  std::string xml = "<Tagging><TagSet>";
  for (const auto& [key, value] : tags) xml += "<Tag><Key>" + key + "</Key><Value>" + value + "</Value></Tag>";
  return xml + "</TagSet></Tagging>";
}

class ConfigurationTest : public ::testing::Test {
 protected:
  void SetUp() override { s3.CreateBucket("conf"); }
  S3Harness s3;
};

TEST_F(ConfigurationTest, TaggingRoundTripAndErrors) {
  auto missing = s3.Send("GET", "/conf?tagging");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(S3Harness::ErrorCode(missing), "NoSuchTagSet");
  EXPECT_EQ(S3Harness::Element(missing.body, "Message"), "The TagSet does not exist");
  EXPECT_EQ(S3Harness::Element(missing.body, "BucketName"), "conf");

  EXPECT_EQ(s3.Send("PUT", "/conf?tagging", Tagging({{"b", "2"}, {"a", "1"}, {"empty", ""}})).status, 204);
  auto got = s3.Send("GET", "/conf?tagging");
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find(std::string("<Tagging") + kNs + "><TagSet><Tag><Key>b</Key><Value>2</Value></Tag><Tag><Key>a</Key>"
                          "<Value>1</Value></Tag><Tag><Key>empty</Key><Value></Value></Tag></TagSet></Tagging>"),
            std::string::npos)
      << got.body;

  auto duplicate = s3.Send("PUT", "/conf?tagging", Tagging({{"Key1", "a"}, {"Key1", "b"}}));
  EXPECT_EQ(duplicate.status, 400);
  EXPECT_EQ(S3Harness::ErrorCode(duplicate), "InvalidTag");
  EXPECT_EQ(S3Harness::Element(duplicate.body, "Message"), "Cannot provide multiple Tags with the same key");
  EXPECT_EQ(S3Harness::Element(duplicate.body, "TagKey"), "Key1");
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf?tagging", Tagging({{"Key1,Key2", "a"}})).body, "Message"),
            "The TagKey you have provided is invalid");
  auto bad_value = s3.Send("PUT", "/conf?tagging", Tagging({{"Key1", "Val1,Val2"}}));
  EXPECT_EQ(S3Harness::Element(bad_value.body, "Message"), "The TagValue you have provided is invalid");
  EXPECT_EQ(S3Harness::Element(bad_value.body, "TagValue"), "Val1,Val2");
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf?tagging", Tagging({{"aws:prefixed", "a"}})).body, "Message"),
            "System tags cannot be added/updated by requester");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?tagging", "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")),
            "MalformedXML");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?tagging", "<Tagging>")), "MalformedXML");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?tagging", Tagging({{std::string(129, 'k'), "v"}}))), "InvalidTag");
  EXPECT_EQ(s3.Send("PUT", "/conf?tagging", Tagging({{std::string(128, 'k'), std::string(256, 'v')}})).status, 204);
  std::vector<std::pair<std::string, std::string>> fifty, fifty_one;
  for (int i = 0; i < 51; ++i) (i < 50 ? fifty : fifty_one).emplace_back("k" + std::to_string(i), "v");
  EXPECT_EQ(s3.Send("PUT", "/conf?tagging", Tagging(fifty)).status, 204);
  fifty.insert(fifty.end(), fifty_one.begin(), fifty_one.end());
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?tagging", Tagging(fifty))), "InvalidTag");

  EXPECT_EQ(s3.Send("DELETE", "/conf?tagging").status, 204);
  EXPECT_EQ(s3.Send("DELETE", "/conf?tagging").status, 204);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?tagging")), "NoSuchTagSet");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/nowhere?tagging")), "NoSuchBucket");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/nowhere?tagging", Tagging({{"a", "b"}}))), "NoSuchBucket");
}

TEST_F(ConfigurationTest, PolicyKeptVerbatimWithStatus) {
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?policy")), "NoSuchBucketPolicy");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?policyStatus")), "NoSuchBucketPolicy");
  for (std::string bad : {"", "random", "[1]", "{not json"}) {
    auto answer = s3.Send("PUT", "/conf?policy", bad);
    EXPECT_EQ(S3Harness::ErrorCode(answer), "MalformedPolicy") << bad;
    EXPECT_EQ(S3Harness::Element(answer.body, "Message"), "Policies must be valid JSON and the first byte must be '{'");
  }
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf?policy", "{}").body, "Message"), "Missing required field Statement");

  struct Refused {
    std::string policy;
    std::string message;
  };
  for (const auto& [policy, message] : std::vector<Refused>{
           {R"({"Statement":[{"Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::conf/*"}]})", "Missing required field Effect"},
           {R"({"Statement":[{"Effect":"Alow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::conf/*"}]})", "Invalid effect: Alow"},
           {R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::conf/*"}]})", "Missing required field Principal"},
           {R"({"Statement":{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::conf/*"}})", "Missing required field Action"},
           {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}})", "Missing required field Resource"},
           {R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::conf","arn:aws:s3:::other/*"]}})",
            "Policy has invalid resource"},
       }) {
    auto answer = s3.Send("PUT", "/conf?policy", policy);
    EXPECT_EQ(S3Harness::ErrorCode(answer), "MalformedPolicy") << policy;
    EXPECT_EQ(S3Harness::Element(answer.body, "Message"), message) << policy;
  }
  EXPECT_EQ(s3.Send("PUT", "/conf?policy",
                    R"({"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"NotAction":"s3:Get*","Resource":"arn:aws:s3:::con*"}})")
                .status,
            204);

  std::string open = R"({"Version":"2012-10-17", "Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::conf/*"}]})";
  EXPECT_EQ(s3.Send("PUT", "/conf?policy", open).status, 204);
  auto got = s3.Send("GET", "/conf?policy");
  EXPECT_EQ(got.body, open);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?policyStatus").body, "IsPublic"), "true");

  std::string closed = R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:*","Resource":"*"}})";
  EXPECT_EQ(s3.Send("PUT", "/conf?policy", closed).status, 204);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?policyStatus").body, "IsPublic"), "false");
  std::string conditioned = R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]})";
  EXPECT_EQ(s3.Send("PUT", "/conf?policy", conditioned).status, 204);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?policyStatus").body, "IsPublic"), "false");
  EXPECT_EQ(s3.Send("DELETE", "/conf?policy").status, 204);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?policy")), "NoSuchBucketPolicy");
}

TEST_F(ConfigurationTest, EncryptionDefaultsToAes256) {
  auto initial = s3.Send("GET", "/conf?encryption");
  EXPECT_EQ(initial.status, 200);
  EXPECT_EQ(S3Harness::Element(initial.body, "SSEAlgorithm"), "AES256");
  EXPECT_EQ(S3Harness::Element(initial.body, "BucketKeyEnabled"), "false");

  std::string kms = "<ServerSideEncryptionConfiguration><Rule><BucketKeyEnabled>true</BucketKeyEnabled>"
                    "<ApplyServerSideEncryptionByDefault><KMSMasterKeyID>alias/k</KMSMasterKeyID><SSEAlgorithm>aws:kms"
                    "</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
  EXPECT_EQ(s3.Send("PUT", "/conf?encryption", kms).status, 200);
  auto got = s3.Send("GET", "/conf?encryption");
  EXPECT_NE(got.body.find("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>"
                          "alias/k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true"
                          "</BucketKeyEnabled></Rule>"),
            std::string::npos)
      << got.body;

  auto kms_with_aes = s3.Send("PUT", "/conf?encryption",
                              "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>"
                              "AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
                              "</Rule></ServerSideEncryptionConfiguration>");
  EXPECT_EQ(S3Harness::ErrorCode(kms_with_aes), "InvalidArgument");
  EXPECT_EQ(S3Harness::Element(kms_with_aes.body, "ArgumentName"), "ApplyServerSideEncryptionByDefault");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?encryption", "<ServerSideEncryptionConfiguration/>")), "MalformedXML");
  std::string rule = "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
                     "</ApplyServerSideEncryptionByDefault></Rule>";
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?encryption",
                                         "<ServerSideEncryptionConfiguration>" + rule + rule + "</ServerSideEncryptionConfiguration>")),
            "MalformedXML");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?encryption",
                                         "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>"
                                         "<SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"
                                         "</ServerSideEncryptionConfiguration>")),
            "MalformedXML");
  EXPECT_EQ(s3.Send("DELETE", "/conf?encryption").status, 204);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?encryption").body, "SSEAlgorithm"), "AES256");
}

TEST_F(ConfigurationTest, OwnershipControlsAndPublicAccessBlock) {
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?ownershipControls").body, "ObjectOwnership"), "BucketOwnerEnforced");
  EXPECT_EQ(s3.Send("PUT", "/conf?ownershipControls",
                    "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>")
                .status,
            200);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?ownershipControls").body, "ObjectOwnership"), "ObjectWriter");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?ownershipControls",
                                         "<OwnershipControls><Rule><ObjectOwnership>Nobody</ObjectOwnership></Rule>"
                                         "</OwnershipControls>")),
            "MalformedXML");
  EXPECT_EQ(s3.Send("DELETE", "/conf?ownershipControls").status, 204);
  auto gone = s3.Send("GET", "/conf?ownershipControls");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(S3Harness::ErrorCode(gone), "OwnershipControlsNotFoundError");
  EXPECT_EQ(s3.Send("DELETE", "/conf?ownershipControls").status, 204);

  auto block = s3.Send("GET", "/conf?publicAccessBlock");
  for (auto name : {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}) {
    EXPECT_EQ(S3Harness::Element(block.body, name), "true") << name;
  }
  EXPECT_EQ(s3.Send("PUT", "/conf?publicAccessBlock",
                    "<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets>"
                    "<BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>")
                .status,
            200);
  auto set = s3.Send("GET", "/conf?publicAccessBlock");
  EXPECT_NE(set.body.find("<BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
                          "<BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"),
            std::string::npos)
      << set.body;
  EXPECT_EQ(s3.Send("DELETE", "/conf?publicAccessBlock").status, 204);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?publicAccessBlock")), "NoSuchPublicAccessBlockConfiguration");
}

TEST_F(ConfigurationTest, AclsFollowObjectOwnership) {
  std::string owner_id = CanonicalUserId(s3.account);
  auto initial = s3.Send("GET", "/conf?acl");
  EXPECT_EQ(S3Harness::Element(initial.body, "ID"), owner_id);
  EXPECT_NE(initial.body.find("xsi:type=\"CanonicalUser\"><ID>" + owner_id + "</ID></Grantee><Permission>FULL_CONTROL"),
            std::string::npos)
      << initial.body;

  auto refused = s3.Send("PUT", "/conf?acl", "", {{"x-amz-acl", "public-read"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(S3Harness::ErrorCode(refused), "AccessControlListNotSupported");
  EXPECT_EQ(S3Harness::Element(refused.body, "Message"), "The bucket does not allow ACLs");
  EXPECT_EQ(s3.Send("PUT", "/conf?acl", "", {{"x-amz-acl", "bucket-owner-full-control"}}).status, 200);
  std::string owner_only = "<AccessControlPolicy><Owner><ID>" + owner_id + "</ID></Owner><AccessControlList><Grant>"
                           "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>" +
                           owner_id + "</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
                           "</AccessControlPolicy>";
  EXPECT_EQ(s3.Send("PUT", "/conf?acl", owner_only).status, 200);

  ASSERT_EQ(s3.Send("PUT", "/conf?ownershipControls",
                    "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></OwnershipControls>")
                .status,
            200);
  EXPECT_EQ(s3.Send("PUT", "/conf?acl", "", {{"x-amz-acl", "public-read-write"}}).status, 200);
  auto public_acl = s3.Send("GET", "/conf?acl");
  EXPECT_NE(public_acl.body.find("<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>WRITE"),
            std::string::npos)
      << public_acl.body;
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?acl", "", {{"x-amz-acl", "public-read"}, {"x-amz-grant-read", "id=\"x\""}})),
            "InvalidRequest");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?acl", "", {{"x-amz-acl", "everyone"}})), "InvalidArgument");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?acl")), "MissingSecurityHeader");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?acl", "<AccessControlPolicy><Nope/></AccessControlPolicy>")),
            "MalformedACLError");
  auto bad_group = s3.Send("PUT", "/conf?acl", "", {{"x-amz-grant-read", "uri=\"http://example.com/group\""}});
  EXPECT_EQ(S3Harness::Element(bad_group.body, "Message"), "Invalid group uri");
  EXPECT_EQ(s3.Send("PUT", "/conf?acl", "",
                    {{"x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\", id=\"" +
                                              owner_id + "\""}})
                .status,
            200);
  auto granted = s3.Send("GET", "/conf?acl");
  EXPECT_NE(granted.body.find("AuthenticatedUsers</URI></Grantee><Permission>READ</Permission>"), std::string::npos);

  // ACLs cannot be disabled while the bucket ACL grants others; once reset to private they can, and
  // reads then show the owner's full control alone.
  auto blocked = s3.Send("PUT", "/conf?ownershipControls",
                         "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>");
  EXPECT_EQ(S3Harness::ErrorCode(blocked), "InvalidBucketAclWithObjectOwnership");
  ASSERT_EQ(s3.Send("PUT", "/conf?acl", "", {{"x-amz-acl", "private"}}).status, 200);
  ASSERT_EQ(s3.Send("PUT", "/conf?ownershipControls",
                    "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>")
                .status,
            200);
  EXPECT_EQ(s3.Send("GET", "/conf?acl").body.find("Group"), std::string::npos);

  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf/missing?acl")), "NoSuchKey");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf/missing?acl", "", {{"x-amz-acl", "private"}})), "NoSuchKey");
}

TEST_F(ConfigurationTest, WebsiteValidatedAndReturnedInSchemaOrder) {
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?website")), "NoSuchWebsiteConfiguration");
  auto no_index = s3.Send("PUT", "/conf?website", "<WebsiteConfiguration><ErrorDocument><Key>e.html</Key></ErrorDocument></WebsiteConfiguration>");
  EXPECT_EQ(S3Harness::Element(no_index.body, "Message"),
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty");
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf?website",
                                       "<WebsiteConfiguration><IndexDocument><Suffix>a/b</Suffix></IndexDocument>"
                                       "</WebsiteConfiguration>")
                                   .body,
                               "Message"),
            "The IndexDocument Suffix is not well formed");
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf?website",
                                       "<WebsiteConfiguration><RedirectAllRequestsTo><HostName>x</HostName>"
                                       "</RedirectAllRequestsTo><IndexDocument><Suffix>i</Suffix></IndexDocument>"
                                       "</WebsiteConfiguration>")
                                   .body,
                               "Message"),
            "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?website",
                                         "<WebsiteConfiguration><RedirectAllRequestsTo><HostName>x</HostName><Protocol>ftp"
                                         "</Protocol></RedirectAllRequestsTo></WebsiteConfiguration>")),
            "InvalidRequest");
  std::string rules = "<RoutingRules><RoutingRule><Redirect><ReplaceKeyWith>a</ReplaceKeyWith><ReplaceKeyPrefixWith>b"
                      "</ReplaceKeyPrefixWith></Redirect></RoutingRule></RoutingRules>";
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf?website",
                                       "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument>" + rules +
                                           "</WebsiteConfiguration>")
                                   .body,
                               "Message"),
            "You can only define ReplaceKeyPrefix or ReplaceKey but not both.");
  std::string empty_condition = "<RoutingRules><RoutingRule><Condition></Condition><Redirect><HostName>h</HostName>"
                                "</Redirect></RoutingRule></RoutingRules>";
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?website",
                                         "<WebsiteConfiguration><IndexDocument><Suffix>i</Suffix></IndexDocument>" +
                                             empty_condition + "</WebsiteConfiguration>")),
            "InvalidRequest");
  std::string good = "<WebsiteConfiguration><RoutingRules><RoutingRule><Redirect><HostName>h</HostName></Redirect>"
                     "<Condition><KeyPrefixEquals>docs/</KeyPrefixEquals></Condition></RoutingRule></RoutingRules>"
                     "<ErrorDocument><Key>error.html</Key></ErrorDocument><IndexDocument><Suffix>index.html</Suffix>"
                     "</IndexDocument></WebsiteConfiguration>";
  EXPECT_EQ(s3.Send("PUT", "/conf?website", good).status, 200);
  auto got = s3.Send("GET", "/conf?website");
  EXPECT_NE(got.body.find("<IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>error.html</Key>"
                          "</ErrorDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals>"
                          "</Condition><Redirect><HostName>h</HostName></Redirect></RoutingRule></RoutingRules>"),
            std::string::npos)
      << got.body;
  EXPECT_EQ(s3.Send("DELETE", "/conf?website").status, 204);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf?website")), "NoSuchWebsiteConfiguration");
}

TEST_F(ConfigurationTest, LoggingPaymentAccelerateObjectLock) {
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?logging").body, "LoggingEnabled"), "");
  std::string logging = "<BucketLoggingStatus><LoggingEnabled><TargetPrefix>logs/</TargetPrefix><TargetBucket>logs"
                        "</TargetBucket></LoggingEnabled></BucketLoggingStatus>";
  auto no_target = s3.Send("PUT", "/conf?logging", logging);
  EXPECT_EQ(S3Harness::ErrorCode(no_target), "InvalidTargetBucketForLogging");
  EXPECT_EQ(S3Harness::Element(no_target.body, "TargetBucket"), "logs");
  s3.CreateBucket("logs");
  EXPECT_EQ(s3.Send("PUT", "/conf?logging", logging).status, 200);
  EXPECT_NE(s3.Send("GET", "/conf?logging").body.find("<LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>logs/"),
            std::string::npos);
  EXPECT_EQ(s3.Send("PUT", "/conf?logging", "<BucketLoggingStatus/>").status, 200);
  EXPECT_EQ(s3.Send("GET", "/conf?logging").body.find("LoggingEnabled"), std::string::npos);

  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?requestPayment").body, "Payer"), "BucketOwner");
  EXPECT_EQ(s3.Send("PUT", "/conf?requestPayment", "<RequestPaymentConfiguration><Payer>Requester</Payer></RequestPaymentConfiguration>").status, 200);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?requestPayment").body, "Payer"), "Requester");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?requestPayment", "<RequestPaymentConfiguration><Payer>Me</Payer></RequestPaymentConfiguration>")),
            "MalformedXML");

  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?accelerate").body, "Status"), "");
  EXPECT_EQ(s3.Send("PUT", "/conf?accelerate", "<AccelerateConfiguration><Status>Enabled</Status></AccelerateConfiguration>").status, 200);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf?accelerate").body, "Status"), "Enabled");
  s3.CreateBucket("with.dots");
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/with.dots?accelerate", "<AccelerateConfiguration><Status>Enabled</Status></AccelerateConfiguration>").body,
                               "Message"),
            "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names");

  auto no_lock = s3.Send("GET", "/conf?object-lock");
  EXPECT_EQ(S3Harness::ErrorCode(no_lock), "ObjectLockConfigurationNotFoundError");
  std::string lock = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
                     "<Mode>GOVERNANCE</Mode><Days>3</Days></DefaultRetention></Rule></ObjectLockConfiguration>";
  auto unversioned = s3.Send("PUT", "/conf?object-lock", lock);
  EXPECT_EQ(unversioned.status, 409);
  EXPECT_EQ(S3Harness::ErrorCode(unversioned), "InvalidBucketState");
  ASSERT_EQ(s3.Send("PUT", "/conf?versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").status, 200);
  EXPECT_EQ(s3.Send("PUT", "/conf?object-lock", lock).status, 200);
  auto got = s3.Send("GET", "/conf?object-lock");
  EXPECT_EQ(S3Harness::Element(got.body, "Mode"), "GOVERNANCE");
  EXPECT_EQ(S3Harness::Element(got.body, "Days"), "3");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?object-lock",
                                         "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
                                         "<DefaultRetention><Mode>GOVERNANCE</Mode><Days>3</Days><Years>1</Years>"
                                         "</DefaultRetention></Rule></ObjectLockConfiguration>")),
            "MalformedXML");
}

void PutStored(S3Harness& s3, const std::string& bucket, const std::string& key, const Tags& tags = {}) {
  auto writer = s3.store->NewBody(bucket);
  ASSERT_TRUE(writer);
  ObjectRecord record;
  record.key = key;
  record.version_id = NewVersionId();
  record.etag = "\"e\"";
  record.last_modified_millis = s3.now_millis;
  ObjectAttributes attributes;
  attributes.tags = tags;
  attributes.content_type = "text/plain";
  record.attributes_json = attributes.ToJson();
  ASSERT_TRUE(s3.store->PutObject(bucket, record, std::move(writer).value(), {}));
}

TEST_F(ConfigurationTest, ObjectTaggingKeepsTheObject) {
  PutStored(s3, "conf", "obj", {{"a", "1"}});
  auto initial = s3.Send("GET", "/conf/obj?tagging");
  EXPECT_EQ(initial.status, 200);
  EXPECT_NE(initial.body.find("<TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet>"), std::string::npos) << initial.body;
  EXPECT_EQ(s3.Send("PUT", "/conf/obj?tagging", Tagging({{"x", "y"}, {"z", ""}})).status, 200);
  EXPECT_NE(s3.Send("GET", "/conf/obj?tagging").body.find("<Tag><Key>x</Key><Value>y</Value></Tag><Tag><Key>z</Key>"),
            std::string::npos);
  auto kept = s3.store->GetObject("conf", "obj", "", false);
  ASSERT_TRUE(kept);
  EXPECT_EQ(ObjectAttributes::FromJson(kept.value().record.attributes_json).content_type, "text/plain");
  auto aws = s3.Send("PUT", "/conf/obj?tagging", Tagging({{"aws:prefixed", "v"}}));
  EXPECT_EQ(S3Harness::Element(aws.body, "Message"), "Your TagKey cannot be prefixed with aws:");
  EXPECT_EQ(S3Harness::Element(s3.Send("PUT", "/conf/obj?tagging", Tagging({{"k", "1"}, {"k", "2"}})).body, "Message"),
            "Cannot provide multiple Tags with the same key");
  std::vector<std::pair<std::string, std::string>> eleven;
  for (int i = 0; i < 11; ++i) eleven.emplace_back("k" + std::to_string(i), "v");
  EXPECT_EQ(s3.Send("PUT", "/conf/obj?tagging", Tagging(eleven)).status, 400);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf/obj?tagging", "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>")),
            "MalformedXML");
  EXPECT_EQ(s3.Send("DELETE", "/conf/obj?tagging").status, 204);
  EXPECT_EQ(s3.Send("GET", "/conf/obj?tagging").body.find("<Tag>"), std::string::npos);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/conf/none?tagging")), "NoSuchKey");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf/none?tagging", Tagging({{"a", "b"}}))), "NoSuchKey");

  // Versioned: a version id names the version; a delete marker, current or named, is 405.
  ASSERT_EQ(s3.Send("PUT", "/conf?versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").status, 200);
  PutStored(s3, "conf", "ver", {{"v", "1"}});
  std::string first = s3.store->GetObject("conf", "ver", "", false).value().record.version_id;
  PutStored(s3, "conf", "ver", {{"v", "2"}});
  auto old_version = s3.Send("GET", "/conf/ver?tagging&versionId=" + first);
  EXPECT_EQ(S3Harness::Element(old_version.body, "Value"), "1");
  EXPECT_EQ(*S3Harness::HeaderOf(old_version, "x-amz-version-id"), first);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/conf/ver?tagging").body, "Value"), "2");
  ObjectRecord marker;
  marker.key = "ver";
  marker.version_id = NewVersionId();
  marker.delete_marker = true;
  ASSERT_TRUE(s3.store->DeleteObject("conf", "ver", "", marker, {}));
  auto current_marker = s3.Send("DELETE", "/conf/ver?tagging");
  EXPECT_EQ(current_marker.status, 405);
  EXPECT_EQ(S3Harness::Element(current_marker.body, "Method"), "DELETE");
  EXPECT_EQ(S3Harness::Element(current_marker.body, "ResourceType"), "DeleteMarker");
  EXPECT_EQ(s3.Send("GET", "/conf/ver?tagging&versionId=" + marker.version_id).status, 405);
}

// --- CORS ---

std::string CorsRuleXml(const std::vector<std::string>& origins, const std::vector<std::string>& methods,
                        const std::vector<std::string>& headers, const std::vector<std::string>& expose, int max_age) {
  std::string xml = "<CORSRule>";
  for (const auto& origin : origins) xml += "<AllowedOrigin>" + origin + "</AllowedOrigin>";
  for (const auto& method : methods) xml += "<AllowedMethod>" + method + "</AllowedMethod>";
  for (const auto& header : headers) xml += "<AllowedHeader>" + header + "</AllowedHeader>";
  for (const auto& header : expose) xml += "<ExposeHeader>" + header + "</ExposeHeader>";
  if (max_age >= 0) xml += "<MaxAgeSeconds>" + std::to_string(max_age) + "</MaxAgeSeconds>";
  return xml + "</CORSRule>";
}

TEST_F(ConfigurationTest, CorsStoredAndValidated) {
  auto missing = s3.Send("GET", "/conf?cors");
  EXPECT_EQ(S3Harness::ErrorCode(missing), "NoSuchCORSConfiguration");
  EXPECT_EQ(S3Harness::Element(missing.body, "Message"), "The CORS configuration does not exist");
  EXPECT_EQ(s3.Send("DELETE", "/conf?cors").status, 204);
  auto bad_method = s3.Send("PUT", "/conf?cors", "<CORSConfiguration>" + CorsRuleXml({"*"}, {"MYMETHOD"}, {}, {}, -1) + "</CORSConfiguration>");
  EXPECT_EQ(S3Harness::ErrorCode(bad_method), "InvalidRequest");
  EXPECT_EQ(S3Harness::Element(bad_method.body, "Message"),
            "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?cors", "<CORSConfiguration/>")), "MalformedXML");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?cors", "<CORSConfiguration>" + CorsRuleXml({"http://*.*.com"}, {"GET"}, {}, {}, -1) +
                                                                  "</CORSConfiguration>")),
            "InvalidRequest");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?cors", "<CORSConfiguration>" + CorsRuleXml({}, {"GET"}, {}, {}, -1) +
                                                                  "</CORSConfiguration>")),
            "MalformedXML");
  std::string huge = "<CORSConfiguration>" + CorsRuleXml({std::string(70000, 'o')}, {"GET"}, {}, {}, -1) + "</CORSConfiguration>";
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?cors", huge)), "MaxMessageLengthExceeded");
  std::string many = "<CORSConfiguration>";
  for (int i = 0; i < 101; ++i) many += CorsRuleXml({"*"}, {"GET"}, {}, {}, -1);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/conf?cors", many + "</CORSConfiguration>")), "MalformedXML");

  std::string rule = "<CORSRule><MaxAgeSeconds>3000</MaxAgeSeconds><AllowedOrigin>https://test.com</AllowedOrigin>"
                     "<AllowedMethod>GET</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ID>r1</ID>"
                     "<AllowedMethod>PUT</AllowedMethod><AllowedOrigin></AllowedOrigin></CORSRule>";
  EXPECT_EQ(s3.Send("PUT", "/conf?cors", "<CORSConfiguration>" + rule + "</CORSConfiguration>").status, 200);
  auto got = s3.Send("GET", "/conf?cors");
  EXPECT_NE(got.body.find("<CORSRule><ID>r1</ID><AllowedHeader>x-amz-*</AllowedHeader><AllowedMethod>GET</AllowedMethod>"
                          "<AllowedMethod>PUT</AllowedMethod><AllowedOrigin>https://test.com</AllowedOrigin><AllowedOrigin>"
                          "</AllowedOrigin><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"),
            std::string::npos)
      << got.body;
}

TEST_F(ConfigurationTest, CorsPreflightAndReplyHeaders) {
  auto no_origin = s3.Send("OPTIONS", "/conf/key");
  EXPECT_EQ(no_origin.status, 400);
  EXPECT_EQ(S3Harness::Element(no_origin.body, "Message"), "Insufficient information. Origin request header needed.");
  auto not_enabled = s3.Send("OPTIONS", "/conf/key", "", {{"origin", "https://a.com"}, {"access-control-request-method", "PUT"}});
  EXPECT_EQ(not_enabled.status, 403);
  EXPECT_EQ(S3Harness::Element(not_enabled.body, "Message"), "CORSResponse: CORS is not enabled for this bucket.");
  EXPECT_EQ(S3Harness::Element(not_enabled.body, "Method"), "PUT");
  EXPECT_EQ(S3Harness::Element(not_enabled.body, "ResourceType"), "OBJECT");
  auto no_bucket = s3.Send("OPTIONS", "/nowhere", "", {{"origin", "https://a.com"}});
  EXPECT_EQ(S3Harness::Element(no_bucket.body, "Message"), "CORSResponse: Bucket not found");
  EXPECT_EQ(S3Harness::Element(no_bucket.body, "Method"), "OPTIONS");
  EXPECT_EQ(S3Harness::Element(no_bucket.body, "ResourceType"), "BUCKET");

  std::string config = "<CORSConfiguration>" +
                       CorsRuleXml({"https://*.example.com"}, {"GET", "PUT"}, {"x-amz-*", "content-type"}, {}, 3000) +
                       CorsRuleXml({"*"}, {"GET"}, {}, {"x-amz-request-id", "ETag"}, -1) + "</CORSConfiguration>";
  ASSERT_EQ(s3.Send("PUT", "/conf?cors", config).status, 200);
  auto first = s3.Send("OPTIONS", "/conf/key", "",
                       {{"origin", "https://app.example.com"},
                        {"access-control-request-method", "PUT"},
                        {"access-control-request-headers", "X-Amz-Date, content-type"}});
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(*S3Harness::HeaderOf(first, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(*S3Harness::HeaderOf(first, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(*S3Harness::HeaderOf(first, "Access-Control-Allow-Methods"), "GET, PUT");
  EXPECT_EQ(*S3Harness::HeaderOf(first, "Access-Control-Allow-Headers"), "x-amz-date, content-type");
  EXPECT_EQ(*S3Harness::HeaderOf(first, "Access-Control-Max-Age"), "3000");
  EXPECT_EQ(*S3Harness::HeaderOf(first, "Vary"), "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  auto any = s3.Send("OPTIONS", "/conf/key", "", {{"origin", "http://other.org"}, {"access-control-request-method", "GET"}});
  EXPECT_EQ(any.status, 200);
  EXPECT_EQ(*S3Harness::HeaderOf(any, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(S3Harness::HeaderOf(any, "Access-Control-Allow-Credentials"), nullptr);
  EXPECT_EQ(*S3Harness::HeaderOf(any, "Access-Control-Expose-Headers"), "x-amz-request-id, ETag");
  auto refused = s3.Send("OPTIONS", "/conf", "", {{"origin", "http://other.org"}, {"access-control-request-method", "DELETE"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(S3Harness::ErrorCode(refused), "AccessForbidden");
  EXPECT_EQ(S3Harness::Element(refused.body, "Message"),
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request "
            "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
            "resource's CORS spec.");
  EXPECT_EQ(S3Harness::Element(refused.body, "Method"), "DELETE");
  EXPECT_EQ(S3Harness::Element(refused.body, "ResourceType"), "BUCKET");

  // An actual request: the first rule matching origin and method adds its headers; none without Origin.
  auto with_origin = s3.Send("GET", "/conf?location", "", {{"origin", "https://app.example.com"}});
  EXPECT_EQ(with_origin.status, 200);
  EXPECT_EQ(*S3Harness::HeaderOf(with_origin, "Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(*S3Harness::HeaderOf(with_origin, "Access-Control-Allow-Methods"), "GET, PUT");
  EXPECT_EQ(S3Harness::HeaderOf(with_origin, "Access-Control-Allow-Headers"), nullptr);
  EXPECT_EQ(S3Harness::HeaderOf(s3.Send("GET", "/conf?location"), "Access-Control-Allow-Origin"), nullptr);
  EXPECT_EQ(S3Harness::HeaderOf(s3.Send("DELETE", "/conf?tagging", "", {{"origin", "http://other.org"}}), "Vary"), nullptr);
  // Access-Control-Request-Headers on an actual request are matched too (S3 treats it like a preflight's).
  EXPECT_EQ(S3Harness::HeaderOf(s3.Send("GET", "/conf?location", "", {{"origin", "http://other.org"},
                                                                      {"access-control-request-headers", "x-amz-date"}}),
                                "Access-Control-Allow-Origin"),
            nullptr);
  EXPECT_NE(S3Harness::HeaderOf(s3.Send("GET", "/conf?location", "", {{"origin", "https://b.example.com"},
                                                                      {"access-control-request-headers", "X-Amz-Date"}}),
                                "Access-Control-Allow-Origin"),
            nullptr);
  // Errors carry the matching rule's headers too.
  auto error = s3.Send("GET", "/conf/absent", "", {{"origin", "http://other.org"}});
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(*S3Harness::HeaderOf(error, "Access-Control-Allow-Origin"), "*");
}

// An independent matcher: a glob with any number of '*' matched by recursion.
bool Glob(const std::string& pattern, std::size_t p, const std::string& text, std::size_t t, bool fold) {
  if (p == pattern.size()) return t == text.size();
  if (pattern[p] == '*') {
    for (std::size_t skip = t; skip <= text.size(); ++skip) {
      if (Glob(pattern, p + 1, text, skip, fold)) return true;
    }
    return false;
  }
  if (t == text.size()) return false;
  char a = pattern[p], b = text[t];
  if (fold) a = static_cast<char>(std::tolower(a)), b = static_cast<char>(std::tolower(b));
  return a == b && Glob(pattern, p + 1, text, t + 1, fold);
}

struct ModelRule {
  std::vector<std::string> origins, methods, headers;
};

int ModelMatch(const std::vector<ModelRule>& rules, const std::string& origin, const std::string& method,
               const std::vector<std::string>& headers) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    bool origin_ok = false;
    for (const auto& o : rule.origins) origin_ok = origin_ok || Glob(o, 0, origin, 0, false);
    bool method_ok = false;
    for (const auto& m : rule.methods) method_ok = method_ok || m == method;
    bool headers_ok = true;
    for (const auto& h : headers) {
      bool one = false;
      for (const auto& allowed : rule.headers) one = one || Glob(allowed, 0, h, 0, true);
      headers_ok = headers_ok && one;
    }
    if (origin_ok && method_ok && headers_ok) return static_cast<int>(i);
  }
  return -1;
}

TEST_F(ConfigurationTest, CorsPreflightRandomisedAgainstModel) {
  unsigned seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_S3_CORS_SEED")) seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
  SCOPED_TRACE("MALLARD_S3_CORS_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  const std::vector<std::string> hosts = {"a.com", "b.a.com", "app.example.com", "example.com", "x.org", "A.com"};
  const std::vector<std::string> schemes = {"http://", "https://"};
  const std::vector<std::string> methods = {"GET", "PUT", "POST", "DELETE", "HEAD"};
  const std::vector<std::string> header_names = {"x-amz-date", "X-Amz-Meta-A", "content-type", "authorization", "x-custom"};
  const std::vector<std::string> header_patterns = {"*", "x-amz-*", "content-type", "X-CUSTOM", "*-type", "x-*-a"};
  for (int round = 0; round < 60; ++round) {
    std::vector<ModelRule> model;
    std::string config = "<CORSConfiguration>";
    int rule_count = 1 + static_cast<int>(random() % 4);
    for (int r = 0; r < rule_count; ++r) {
      ModelRule rule;
      int origins = 1 + static_cast<int>(random() % 2);
      for (int i = 0; i < origins; ++i) {
        switch (random() % 4) {
          case 0: rule.origins.push_back("*"); break;
          case 1: rule.origins.push_back(pick(schemes) + "*." + pick(hosts)); break;
          case 2: rule.origins.push_back(pick(schemes) + pick(hosts)); break;
          default: rule.origins.push_back("*" + pick(hosts)); break;
        }
      }
      int method_count = 1 + static_cast<int>(random() % 3);
      for (int i = 0; i < method_count; ++i) rule.methods.push_back(pick(methods));
      int header_count = static_cast<int>(random() % 3);
      for (int i = 0; i < header_count; ++i) rule.headers.push_back(pick(header_patterns));
      config += CorsRuleXml(rule.origins, rule.methods, rule.headers, {}, -1);
      model.push_back(std::move(rule));
    }
    ASSERT_EQ(s3.Send("PUT", "/conf?cors", config + "</CORSConfiguration>").status, 200) << config;
    for (int probe = 0; probe < 25; ++probe) {
      std::string origin = pick(schemes) + (random() % 3 == 0 ? "sub." : "") + pick(hosts);
      std::string method = pick(methods);
      std::vector<std::string> requested;
      std::string requested_header;
      int count = static_cast<int>(random() % 3);
      for (int i = 0; i < count; ++i) {
        std::string name = pick(header_names);
        requested_header += (i ? ", " : "") + name;
        std::string lower = name;
        for (auto& c : lower) c = static_cast<char>(std::tolower(c));
        requested.push_back(lower);
      }
      testing::Headers headers = {{"origin", origin}, {"access-control-request-method", method}};
      if (count > 0) headers.emplace_back("access-control-request-headers", requested_header);
      auto answer = s3.Send("OPTIONS", "/conf/k", "", headers);
      int expected = ModelMatch(model, origin, method, requested);
      SCOPED_TRACE(config + " " + origin + " " + method + " [" + requested_header + "]");
      if (expected < 0) {
        EXPECT_EQ(answer.status, 403);
        continue;
      }
      ASSERT_EQ(answer.status, 200);
      const auto& rule = model[static_cast<std::size_t>(expected)];
      bool any = std::find(rule.origins.begin(), rule.origins.end(), "*") != rule.origins.end();
      EXPECT_EQ(*S3Harness::HeaderOf(answer, "Access-Control-Allow-Origin"), any ? "*" : origin);
      std::string joined;
      for (const auto& m : rule.methods) joined += (joined.empty() ? "" : ", ") + m;
      EXPECT_EQ(*S3Harness::HeaderOf(answer, "Access-Control-Allow-Methods"), joined);
    }
  }
}

}  // namespace
}  // namespace mallard::s3
