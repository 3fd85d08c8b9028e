#pragma once
// `Authorization: Bearer <token>` for the admin endpoints (the server's /_mallard/*, /moto-api/*,
// /_localstack/* and the pipe's REST API) when an admin token is configured.
#include <cstddef>
#include <string_view>

#include "common/http_types.hpp"

namespace mallard::http {

enum class BearerCheck {
  kMissing,   // no Authorization header, or not the Bearer scheme: 401
  kWrong,     // a Bearer token that is not the configured one: 403
  kAccepted,
};

// Compares in time that depends only on the length of `expected`, so the answer's timing does not
// tell a client how many leading characters it guessed right.
inline bool TokensEqual(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char other = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    difference |= static_cast<unsigned char>(other ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

inline BearerCheck CheckBearerToken(const HttpRequest& request, std::string_view expected) {
  const std::string* authorization = request.Header("authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (authorization == nullptr || authorization->size() <= kScheme.size()) return BearerCheck::kMissing;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {  // the scheme name is case-insensitive (RFC 7235)
    char c = (*authorization)[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return BearerCheck::kMissing;
  }
  std::string_view token(*authorization);
  token.remove_prefix(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return TokensEqual(token, expected) ? BearerCheck::kAccepted : BearerCheck::kWrong;
}

}  // namespace mallard::http
