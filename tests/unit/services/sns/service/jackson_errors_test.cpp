// JacksonSyntaxError: the messages AWS answered for texts that are not JSON (recorded against AWS
// in LocalStack's SNS snapshots), and the scanner's behaviour on what Jackson accepts or refuses.
#include "services/sns/filter/json_syntax_error.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mallard::sns {
namespace {

const std::string kAt = "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); ";

TEST(JacksonSyntaxError, RecordedAwsAnswers) {
  EXPECT_EQ(JacksonSyntaxError("{invalid json}"),
            "Unexpected character ('i' (code 105)): was expecting double-quote to start field name" + kAt +
                "line: 1, column: 2]");
  EXPECT_EQ(JacksonSyntaxError("invalid"),
            "Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' "
            "or 'false')" + kAt + "line: 1, column: 8]");
}

TEST(JacksonSyntaxError, ValidJsonHasNoError) {
  for (const char* text : {"{}", "[]", "{\"a\":[1,2.5e3,-0,true,null,\"x\\u00e9\"]}", " \n{\"k\" : {\"n\": -1.5E-2}} ", "0"}) {
    EXPECT_EQ(JacksonSyntaxError(text), "") << text;
  }
}

TEST(JacksonSyntaxError, StructuralErrors) {
  EXPECT_EQ(JacksonSyntaxError("{\"a\" 1}"),
            "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value" + kAt +
                "line: 1, column: 6]");
  EXPECT_EQ(JacksonSyntaxError("{\"a\":1 \"b\":2}"),
            "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries" + kAt +
                "line: 1, column: 8]");
  EXPECT_EQ(JacksonSyntaxError("[1,]"), "Unexpected character (']' (code 93)): expected a value" + kAt + "line: 1, column: 4]");
  EXPECT_NE(JacksonSyntaxError("{\"a\":1"), "");
  EXPECT_NE(JacksonSyntaxError(""), "");
  EXPECT_NE(JacksonSyntaxError("{\"a\":01}"), "");
  EXPECT_NE(JacksonSyntaxError("[\"a\nb\"]"), "");
}

// Every text Boost.JSON refuses is one the scanner refuses too, unless a complete value precedes
// trailing text (which Jackson ignores), and every text Boost accepts, the scanner accepts.
TEST(JacksonSyntaxError, AgreesWithBoostOnRandomTexts) {
  unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const std::string alphabet = "{}[]:,\"\\ 0123-.eEtrufalsn\nxu";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    std::size_t length = random() % 12;
    for (std::size_t j = 0; j < length; ++j) text += alphabet[random() % alphabet.size()];
    boost::system::error_code error;
    boost::json::parse(text, error);
    std::string ours = JacksonSyntaxError(text);
    if (!error) {
      EXPECT_EQ(ours, "") << "'" << text << "'";
    }
    if (error && ours.empty()) {
      // Only a complete value followed by more text may pass here.
      boost::json::stream_parser parser;
      boost::system::error_code partial;
      std::size_t used = parser.write_some(text.data(), text.size(), partial);
      EXPECT_TRUE(parser.done() || used < text.size()) << "'" << text << "'";
    }
  }
}

}  // namespace
}  // namespace mallard::sns
