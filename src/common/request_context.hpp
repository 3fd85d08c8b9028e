#pragma once
// RequestContext: who is calling, where, and how to build URLs that point back at this server.
#include <string>

namespace mallard {

struct RequestContext {
  std::string request_id;
  std::string account_id;   // derived from the access key (configured mapping, default 000000000000)
  std::string region;       // from the SigV4 credential scope, never from the Host header
  bool region_signed = false;  // the request named `region` in its signature (else: the default)
  std::string access_key_id;
  std::string caller_arn;      // the caller's principal (STS GetCallerIdentity)
  std::string caller_identity_user_id;  // GetCallerIdentity's UserId (ROLEID:SESSION for assumed roles)
  std::string endpoint_base;   // scheme://host[:port] taken from the request's Host header
};

}  // namespace mallard
