#include "services/sns/model/phone_numbers.hpp"

namespace mallard::sns {

bool ValidE164(const std::string& number) {
  std::size_t i = number.size() > 0 && number[0] == '+' ? 1 : 0;
  std::size_t digits = number.size() - i;
  if (digits < 2 || digits > 15 || number[i] == '0') return false;
  for (; i < number.size(); ++i) {
    if (number[i] < '0' || number[i] > '9') return false;
  }
  return true;
}

bool ValidSmsEndpoint(const std::string& endpoint) {
  auto separator = [](char c) { return c == '.' || c == '-' || c == '/'; };
  if (endpoint.empty() || separator(endpoint.front()) || separator(endpoint.back())) return false;
  std::string reduced;
  for (std::size_t i = 0; i < endpoint.size(); ++i) {
    if (separator(endpoint[i])) {
      if (separator(endpoint[i - 1])) return false;
      continue;
    }
    reduced += endpoint[i];
  }
  return ValidE164(reduced);
}

std::string NormalizedPhoneNumber(const std::string& number) {
  std::string out;
  for (char c : number) {
    if ((c >= '0' && c <= '9') || (c == '+' && out.empty())) out += c;
  }
  if (!out.empty() && out[0] != '+') out.insert(out.begin(), '+');
  return out;
}

}  // namespace mallard::sns
