#include "sqlengine/dialect/sql_lexer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mallard::sqlengine::dialect {
namespace {

std::string Joined(const std::vector<Token>& tokens) {
  std::string out;
  for (const auto& token : tokens) out.append(token.text);
  return out;
}

std::vector<TokenKind> Kinds(std::string_view sql) {
  std::vector<TokenKind> kinds;
  for (const auto& token : Tokenize(sql)) {
    if (!token.IsTrivia()) kinds.push_back(token.kind);
  }
  return kinds;
}

TEST(SqlLexer, SplitsTheKindsTheDialectsShare) {
  using K = TokenKind;
  EXPECT_EQ(Kinds("SELECT \"a\"\"b\", `c`, 'it''s', 1.5e-3, .5, 0x1F, ?, :name, $2 FROM t -- x\n"),
            (std::vector<K>{K::Word, K::QuotedIdentifier, K::Punctuation, K::BacktickIdentifier, K::Punctuation, K::String,
                            K::Punctuation, K::Number, K::Punctuation, K::Number, K::Punctuation, K::Number,
                            K::Punctuation, K::Parameter, K::Punctuation, K::Parameter, K::Punctuation, K::Parameter,
                            K::Word, K::Word}));
  auto tokens = Tokenize("x::int>=-1 /* a /* nested */ b */ a->b");
  std::vector<std::string> texts;
  for (const auto& token : tokens) {
    if (!token.IsTrivia()) texts.emplace_back(token.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"x", "::", "int", ">=", "-", "1", "a", "->", "b"}));
}

TEST(SqlLexer, UnquotesIdentifiersAndStrings) {
  auto tokens = Tokenize("\"a\"\"b\" `c``d` 'it''s'");
  EXPECT_EQ(IdentifierText(tokens[0]), "a\"b");
  EXPECT_EQ(IdentifierText(tokens[2]), "c`d");
  EXPECT_EQ(StringText(tokens[4]), "it's");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
}

TEST(SqlLexer, UnterminatedRunsToTheEnd) {
  for (std::string sql : {"'abc", "\"abc", "`abc", "/* abc /* x */"}) {
    auto tokens = Tokenize(sql);
    ASSERT_EQ(tokens.size(), 1u) << sql;
    EXPECT_TRUE(tokens[0].unterminated) << sql;
    EXPECT_EQ(tokens[0].text, sql);
  }
}

TEST(SqlLexer, PositionsAndBrackets) {
  std::string sql = "SELECT\n  f(a, (b)), g[1]";
  auto tokens = Tokenize(sql);
  std::size_t open = 0;
  while (!tokens[open].IsPunct('(')) ++open;
  std::size_t close = MatchingClose(tokens, open);
  ASSERT_LT(close, tokens.size());
  EXPECT_EQ(tokens[close].offset, sql.find("),"));
  auto position = PositionOf(sql, tokens[open].offset);
  EXPECT_EQ(position.line, 2u);
  EXPECT_EQ(position.column, 4u);
  EXPECT_EQ(MatchingClose(Tokenize("f((a)"), 1), Tokenize("f((a)").size());
}

// Whatever the bytes, the tokens cover the input exactly once, in order (seeded; MALLARD_LEXER_SEED replays).
TEST(SqlLexer, RandomInputIsCoveredExactly) {
  const char* env = std::getenv("MALLARD_LEXER_SEED");
  std::uint64_t seed = env ? std::stoull(env) : 20261206;
  std::mt19937_64 random(seed);
  const std::string alphabet = "aZ_09$.'\"`-/*?:()[],;<>=!| \n\t\x80\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string sql(random() % 40, ' ');
    for (auto& c : sql) c = alphabet[random() % alphabet.size()];
    auto tokens = Tokenize(sql);
    ASSERT_EQ(Joined(tokens), sql) << "seed " << seed << " round " << round;
    std::size_t offset = 0;
    for (const auto& token : tokens) {
      ASSERT_EQ(token.offset, offset);
      ASSERT_FALSE(token.text.empty());
      offset += token.text.size();
    }
  }
}

TEST(SqlLexer, DeepNestingUsesNoStack) {
  std::string sql(200000, '(');
  sql += std::string(200000, ')');
  auto tokens = Tokenize(sql);
  EXPECT_EQ(tokens.size(), 400000u);
  EXPECT_EQ(MatchingClose(tokens, 0), tokens.size() - 1);
}

}  // namespace
}  // namespace mallard::sqlengine::dialect
