#pragma once
// S3 access control lists: the grants a PutBucketAcl / PutObjectAcl request sets (a canned ACL in
// x-amz-acl, x-amz-grant-* headers, or an AccessControlPolicy document), checked as S3 checks
// them, and the AccessControlPolicy document GetBucketAcl / GetObjectAcl return. Mallard keeps
// ACLs but does not evaluate them on requests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"

namespace mallard::s3 {

class S3Call;

inline constexpr std::string_view kAllUsersGroup = "http://acs.amazonaws.com/groups/global/AllUsers";
inline constexpr std::string_view kAuthenticatedUsersGroup = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
inline constexpr std::string_view kLogDeliveryGroup = "http://acs.amazonaws.com/groups/s3/LogDelivery";

struct Grant {
  std::string grantee_type;  // "CanonicalUser" | "Group" | "AmazonCustomerByEmail"
  std::string id;            // CanonicalUser: 64 hex digits
  std::string uri;           // Group
  std::string email;         // AmazonCustomerByEmail
  std::string permission;    // FULL_CONTROL | WRITE | WRITE_ACP | READ | READ_ACP
};

// The owner's FULL_CONTROL grant alone (private, bucket-owner-full-control).
std::vector<Grant> OwnerFullControl(std::string_view owner_account);
// A canned ACL's grants; nullopt for a name S3 does not know.
std::optional<std::vector<Grant>> CannedGrants(std::string_view canned, std::string_view owner_account);
// The grants of a Put*Acl request (header, grant headers or body; exactly one of them).
Result<std::vector<Grant>, AwsError> GrantsFromRequest(const S3Call& call, std::string_view owner_account);
// Whether the grants are exactly the owner's full control (what a bucket-owner-enforced bucket accepts).
bool IsOwnerFullControlOnly(const std::vector<Grant>& grants, std::string_view owner_account);
// <AccessControlPolicy> with the owner and the grants, in S3's shape.
std::string RenderAccessControlPolicy(std::string_view owner_account, const std::vector<Grant>& grants);

}  // namespace mallard::s3
