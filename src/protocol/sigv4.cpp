#include "protocol/sigv4.hpp"

#include "common/encoding.hpp"

namespace mallard::protocol {

std::optional<CredentialScope> ParseCredential(std::string_view credential) {
  std::string_view parts[5];
  for (int index = 0; index < 5; ++index) {
    auto slash = credential.find('/');
    if (index < 4 && slash == std::string_view::npos) return std::nullopt;
    parts[index] = credential.substr(0, slash);
    credential = slash == std::string_view::npos ? std::string_view() : credential.substr(slash + 1);
  }
  if (parts[0].empty() || parts[2].empty() || parts[3].empty()) return std::nullopt;
  return CredentialScope{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

std::optional<CredentialScope> CredentialScopeOf(const http::HttpRequest& request) {
  if (const std::string* authorization = request.Header("authorization")) {
    auto position = authorization->find("Credential=");
    if (position != std::string::npos) {
      std::string_view rest = std::string_view(*authorization).substr(position + 11);
      auto end = rest.find_first_of(", ");
      return ParseCredential(rest.substr(0, end));
    }
  }
  std::string_view query = request.query;
  auto position = query.find("X-Amz-Credential=");
  if (position != std::string_view::npos) {
    std::string_view rest = query.substr(position + 17);
    auto decoded = FormUrlDecode(rest.substr(0, rest.find('&')));
    if (decoded) return ParseCredential(*decoded);
  }
  return std::nullopt;
}

}  // namespace mallard::protocol
