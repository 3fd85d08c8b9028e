#pragma once
// Why a text is not JSON, in the words SNS answers with: SNS reads policies with Jackson, and its
// "failed to parse JSON." is followed by Jackson's own message and location ("Unexpected character
// ('i' (code 105)): was expecting double-quote to start field name\n at [Source: REDACTED
// (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]", as recorded
// against AWS). A scanner of our own, without recursion (client input may nest deeply), following
// Jackson's reader: the first error it meets, its message, its line and column.
#include <string>
#include <string_view>

namespace mallard::sns {

// Empty when `text` begins with one complete JSON value (Jackson ignores what trails it);
// otherwise Jackson's message with its location suffix.
std::string JacksonSyntaxError(std::string_view text);

}  // namespace mallard::sns
