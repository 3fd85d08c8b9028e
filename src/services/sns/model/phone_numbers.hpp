#pragma once
// Phone numbers as SNS accepts them: E.164 ("+" optional, 2 to 15 digits, no leading 0) for
// Publish; for an sms subscription also with single '.', '-' or '/' separators between digits.
#include <string>

namespace mallard::sns {

bool ValidE164(const std::string& number);
bool ValidSmsEndpoint(const std::string& endpoint);
// "+15551234567" for "+1 (555) …"-free input: the separators dropped, a leading '+' added.
std::string NormalizedPhoneNumber(const std::string& number);

}  // namespace mallard::sns
