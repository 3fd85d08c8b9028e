// S3 access control lists (see s3_acl.hpp).
#include "services/s3/s3_acl.hpp"

#include "common/text.hpp"

#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {

Grant ToUser(std::string id, std::string permission) {
  return Grant{.grantee_type = "CanonicalUser", .id = std::move(id), .uri = {}, .email = {}, .permission = std::move(permission)};
}

Grant ToGroup(std::string_view uri, std::string permission) {
  return Grant{.grantee_type = "Group", .id = {}, .uri = std::string(uri), .email = {}, .permission = std::move(permission)};
}

bool IsPermission(std::string_view permission) {
  return permission == "FULL_CONTROL" || permission == "WRITE" || permission == "WRITE_ACP" || permission == "READ" ||
         permission == "READ_ACP";
}

bool IsKnownGroup(std::string_view uri) {
  return uri == kAllUsersGroup || uri == kAuthenticatedUsersGroup || uri == kLogDeliveryGroup;
}

bool IsCanonicalId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

AwsError Argument(std::string message, std::string_view name, std::string_view value) {
  return S3Error("InvalidArgument", 400, std::move(message), {{"ArgumentName", std::string(name)}, {"ArgumentValue", std::string(value)}});
}

AwsError MalformedAcl() {
  return S3Error("MalformedACLError", 400,
                 "The XML you provided was not well-formed or did not validate against our published schema");
}

AwsError UnresolvableEmail() {
  return S3Error("UnresolvableGrantByEmailAddress", 400,
                 "The e-mail address you provided does not match any account on record.");
}

// One x-amz-grant-* header: grantees as `type="value"` separated by commas (id, uri, emailAddress).
Result<Done, AwsError> ParseGrantHeader(std::string_view header_name, std::string_view value, std::string_view permission,
                                        std::vector<Grant>& grants) {
  std::string_view rest = value;
  while (true) {
    auto comma = rest.find(',');
    std::string_view item = TrimBlanks(rest.substr(0, comma));
    auto equals = item.find('=');
    if (equals == std::string_view::npos) return Fail(Argument("Argument format not recognized", header_name, value));
    std::string_view type = TrimBlanks(item.substr(0, equals));
    std::string_view quoted = TrimBlanks(item.substr(equals + 1));
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
      return Fail(Argument("Argument format not recognized", header_name, value));
    }
    std::string grantee(quoted.substr(1, quoted.size() - 2));
    if (type == "id") {
      if (!IsCanonicalId(grantee)) return Fail(Argument("Invalid id", "id", grantee));
      grants.push_back(ToUser(grantee, std::string(permission)));
    } else if (type == "uri") {
      if (!IsKnownGroup(grantee)) return Fail(Argument("Invalid group uri", "uri", grantee));
      grants.push_back(ToGroup(grantee, std::string(permission)));
    } else if (type == "emailAddress") {
      return Fail(UnresolvableEmail());
    } else {
      return Fail(Argument("Argument format not recognized", header_name, value));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return Done{};
}

std::string_view GranteeType(pugi::xml_node grantee) {
  for (pugi::xml_attribute attribute : grantee.attributes()) {
    std::string_view name = attribute.name();
    auto colon = name.find(':');
    if ((colon == std::string_view::npos ? name : name.substr(colon + 1)) == "type" && name != "xmlns:type") {
      return attribute.value();
    }
  }
  return {};
}

Result<std::vector<Grant>, AwsError> GrantsFromDocument(std::string_view body) {
  auto document = ParseXml(body);
  if (!document || LocalName(document.value().Root()) != "AccessControlPolicy") return Fail(MalformedAcl());
  pugi::xml_node root = document.value().Root();
  auto owners = Children(root, "Owner");
  auto lists = Children(root, "AccessControlList");
  if (owners.size() != 1 || lists.size() > 1 || !ChildText(owners.front(), "ID")) return Fail(MalformedAcl());
  std::vector<Grant> grants;
  if (lists.empty()) return grants;
  for (pugi::xml_node grant_node : Children(lists.front(), "Grant")) {
    auto grantees = Children(grant_node, "Grantee");
    auto permission = ChildText(grant_node, "Permission");
    if (grantees.size() != 1 || !permission || !IsPermission(*permission)) return Fail(MalformedAcl());
    std::string type(GranteeType(grantees.front()));
    Grant grant;
    grant.grantee_type = type;
    grant.permission = *permission;
    if (type == "CanonicalUser") {
      auto id = ChildText(grantees.front(), "ID");
      if (!id) return Fail(MalformedAcl());
      if (!IsCanonicalId(*id)) return Fail(Argument("Invalid id", "CanonicalUser/ID", *id));
      grant.id = *id;
    } else if (type == "Group") {
      auto uri = ChildText(grantees.front(), "URI");
      if (!uri) return Fail(MalformedAcl());
      if (!IsKnownGroup(*uri)) return Fail(Argument("Invalid group uri", "Group/URI", *uri));
      grant.uri = *uri;
    } else if (type == "AmazonCustomerByEmail") {
      if (!ChildText(grantees.front(), "EmailAddress")) return Fail(MalformedAcl());
      return Fail(UnresolvableEmail());
    } else {
      return Fail(MalformedAcl());
    }
    grants.push_back(std::move(grant));
  }
  if (grants.size() > 100) return Fail(MalformedAcl());  // an ACL holds up to 100 grants
  return grants;
}

}  // namespace

std::vector<Grant> OwnerFullControl(std::string_view owner_account) {
  return {ToUser(CanonicalUserId(owner_account), "FULL_CONTROL")};
}

std::optional<std::vector<Grant>> CannedGrants(std::string_view canned, std::string_view owner_account) {
  std::vector<Grant> grants = OwnerFullControl(owner_account);
  if (canned == "private" || canned == "bucket-owner-full-control" || canned == "bucket-owner-read" ||
      canned == "aws-exec-read") {
    // For a bucket (and an object its owner writes) the bucket-owner variants name the same owner.
    return grants;
  }
  if (canned == "public-read") {
    grants.push_back(ToGroup(kAllUsersGroup, "READ"));
  } else if (canned == "public-read-write") {
    grants.push_back(ToGroup(kAllUsersGroup, "READ"));
    grants.push_back(ToGroup(kAllUsersGroup, "WRITE"));
  } else if (canned == "authenticated-read") {
    grants.push_back(ToGroup(kAuthenticatedUsersGroup, "READ"));
  } else if (canned == "log-delivery-write") {
    grants.push_back(ToGroup(kLogDeliveryGroup, "WRITE"));
    grants.push_back(ToGroup(kLogDeliveryGroup, "READ_ACP"));
  } else {
    return std::nullopt;
  }
  return grants;
}

Result<std::vector<Grant>, AwsError> GrantsFromRequest(const S3Call& call, std::string_view owner_account) {
  static constexpr std::pair<std::string_view, std::string_view> kGrantHeaders[] = {
      {"x-amz-grant-full-control", "FULL_CONTROL"}, {"x-amz-grant-read", "READ"},
      {"x-amz-grant-read-acp", "READ_ACP"},         {"x-amz-grant-write", "WRITE"},
      {"x-amz-grant-write-acp", "WRITE_ACP"},
  };
  bool has_grant_headers = false;
  for (const auto& [header, permission] : kGrantHeaders) has_grant_headers |= call.Header(header) != nullptr;
  const std::string* canned = call.Header("x-amz-acl");
  bool has_body = !call.http().body.empty();
  if (canned != nullptr) {
    if (has_grant_headers) {
      return Fail(errors::InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed"));
    }
    if (has_body) return Fail(S3Error("UnexpectedContent", 400, "This request does not support content"));
    auto grants = CannedGrants(*canned, owner_account);
    if (!grants) return Fail(Argument("", "x-amz-acl", *canned));
    return *grants;
  }
  if (has_grant_headers) {
    if (has_body) return Fail(S3Error("UnexpectedContent", 400, "This request does not support content"));
    std::vector<Grant> grants;
    for (const auto& [header, permission] : kGrantHeaders) {
      if (const std::string* value = call.Header(header)) {
        auto parsed = ParseGrantHeader(header, *value, permission, grants);
        if (!parsed) return Fail(parsed.error());
      }
    }
    return grants;
  }
  if (!has_body) {
    return Fail(S3Error("MissingSecurityHeader", 400, "Your request was missing a required header",
                        {{"MissingHeaderName", "x-amz-acl"}}));
  }
  return GrantsFromDocument(call.http().body);
}

bool IsOwnerFullControlOnly(const std::vector<Grant>& grants, std::string_view owner_account) {
  if (grants.empty()) return false;
  std::string owner_id = CanonicalUserId(owner_account);
  for (const auto& grant : grants) {
    if (grant.grantee_type != "CanonicalUser" || grant.id != owner_id || grant.permission != "FULL_CONTROL") return false;
  }
  return true;
}

std::string RenderAccessControlPolicy(std::string_view owner_account, const std::vector<Grant>& grants) {
  XmlWriter xml("AccessControlPolicy");
  xml.Open("Owner");
  xml.Element("ID", CanonicalUserId(owner_account));
  xml.Close();
  xml.Open("AccessControlList");
  for (const auto& grant : grants) {
    xml.Open("Grant");
    xml.Raw("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"" + grant.grantee_type + "\">");
    if (grant.grantee_type == "CanonicalUser") {
      xml.Element("ID", grant.id);
    } else if (grant.grantee_type == "Group") {
      xml.Element("URI", grant.uri);
    } else {
      xml.Element("EmailAddress", grant.email);
    }
    xml.Raw("</Grantee>");
    xml.Element("Permission", grant.permission);
    xml.Close();
  }
  xml.Close();
  return xml.Finish();
}

}  // namespace mallard::s3
