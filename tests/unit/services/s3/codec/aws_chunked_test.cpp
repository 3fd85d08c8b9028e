// The aws-chunked decoder against an encoder written here from AWS's description (not from the
// decoder), over seeded random payloads, chunkings and split points; AWS's worked example of
// signed chunks; and malformed bodies, each of which must give its typed error, never a crash.
#include "services/s3/codec/aws_chunked.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "protocol/sigv4_verify.hpp"

namespace mallard::s3::codec {
namespace {

std::uint64_t Seed(std::uint64_t fallback) {
  const char* text = std::getenv("MALLARD_S3_CODEC_SEED");
  return text ? std::strtoull(text, nullptr, 0) : fallback;
}

std::string Hex(std::uint64_t value) {
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string HmacHex(std::string_view key, std::string_view text) {
  return HexEncode(protocol::sigv4::HmacSha256(key, text));
}

// The example credentials and scope of AWS's SigV4 streaming documentation.
ChunkSigning ExampleSigning() {
  ChunkSigning signing;
  signing.signing_key =
      protocol::sigv4::SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
  signing.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  signing.amz_date = "20130524T000000Z";
  signing.scope = "20130524/us-east-1/s3/aws4_request";
  return signing;
}

// An aws-chunked encoder as the SDKs write one: data chunks of the given sizes, the final empty
// chunk, then trailers (each `name:value\r\n`), the trailer signature when asked, and CRLF.
struct Encoding {
  const ChunkSigning* signing = nullptr;  // sign chunks (and the trailer when signed_trailer)
  bool signed_trailer = false;
  std::vector<std::pair<std::string, std::string>> trailers;
};

std::string Encode(std::string_view payload, const std::vector<std::size_t>& sizes, const Encoding& encoding) {
  std::string body;
  std::string previous = encoding.signing ? encoding.signing->seed_signature : "";
  auto chunk = [&](std::string_view data) {
    body += Hex(data.size());
    if (encoding.signing) {
      std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + encoding.signing->amz_date + "\n" + encoding.signing->scope +
                            "\n" + previous + "\n" + Sha256Hex("") + "\n" + Sha256Hex(data);
      previous = HmacHex(encoding.signing->signing_key, to_sign);
      body += ";chunk-signature=" + previous;
    }
    body += "\r\n";
    body += data;
    if (!data.empty()) body += "\r\n";
  };
  std::size_t at = 0;
  for (std::size_t size : sizes) {
    chunk(payload.substr(at, size));
    at += size;
  }
  chunk("");
  std::string canonical;
  for (const auto& [name, value] : encoding.trailers) {
    body += name + ":" + value + "\r\n";
    canonical += name + ":" + value + "\n";
  }
  if (encoding.signed_trailer && encoding.signing) {
    std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n" + encoding.signing->amz_date + "\n" + encoding.signing->scope +
                          "\n" + previous + "\n" + Sha256Hex(canonical);
    body += "x-amz-trailer-signature:" + HmacHex(encoding.signing->signing_key, to_sign) + "\r\n";
  }
  body += "\r\n";
  return body;
}

struct Decoded {
  std::string payload;
  std::optional<AwsChunkedError> error;
  Trailers trailers;
};

// Feeds `body` cut at `cuts` (sorted offsets), then Finish().
Decoded Decode(AwsChunkedOptions options, std::string_view body, const std::vector<std::size_t>& cuts = {}) {
  AwsChunkedDecoder decoder(std::move(options));
  Decoded result;
  std::size_t at = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(body.size());
  for (std::size_t end : ends) {
    if (end < at) continue;
    auto fed = decoder.Feed(body.substr(at, end - at), result.payload);
    at = end;
    if (!fed.ok()) {
      result.error = fed.error();
      return result;
    }
  }
  auto finished = decoder.Finish();
  if (!finished.ok()) {
    result.error = finished.error();
    return result;
  }
  EXPECT_EQ(decoder.decoded_bytes(), result.payload.size());
  result.trailers = *finished;
  return result;
}

std::vector<std::size_t> RandomCuts(std::mt19937_64& rng, std::size_t length) {
  std::vector<std::size_t> cuts;
  if (length == 0) return cuts;
  std::size_t count = rng() % 12;
  // Mostly random, sometimes every byte of a region (mid size line, mid signature, mid CRLF).
  for (std::size_t i = 0; i < count; ++i) cuts.push_back(rng() % length);
  if (rng() % 4 == 0) {
    std::size_t start = rng() % length;
    for (std::size_t k = start; k < std::min(length, start + 120); ++k) cuts.push_back(k);
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

TEST(AwsChunked, AwsDocumentedSignedExampleVerifies) {
  // "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks",
  // Example: PUT Object — 66560 bytes of 'a' in chunks of 65536 and 1024 bytes, Content-Length
  // 66824, and the documented chunk signatures.
  std::string payload(66560, 'a');
  std::string body = "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
                     payload.substr(0, 65536) + "\r\n" +
                     "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
                     payload.substr(0, 1024) + "\r\n" +
                     "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  ASSERT_EQ(body.size(), 66824u);
  ChunkSigning signing = ExampleSigning();
  // The independent encoder reproduces the documented body byte for byte.
  Encoding encoding;
  encoding.signing = &signing;
  EXPECT_EQ(Encode(payload, {65536, 1024}, encoding), body);

  AwsChunkedOptions options;
  options.signed_chunks = true;
  options.signing = signing;
  options.max_decoded_bytes = 66560;
  std::mt19937_64 rng(Seed(66824));
  for (int round = 0; round < 20; ++round) {
    Decoded decoded = Decode(options, body, RandomCuts(rng, body.size()));
    ASSERT_FALSE(decoded.error) << decoded.error->detail;
    EXPECT_EQ(decoded.payload, payload);
    EXPECT_TRUE(decoded.trailers.empty());
  }

  // Any flipped byte of data or of a signature fails: SignatureDoesNotMatch, with what S3 reports.
  for (std::size_t position : {std::size_t{90}, std::size_t{66000}, std::size_t{30}, std::size_t{65660}, body.size() - 10}) {
    std::string tampered = body;
    tampered[position] = tampered[position] == 'a' ? 'b' : (tampered[position] == '0' ? '1' : '0');
    Decoded decoded = Decode(options, tampered);
    ASSERT_TRUE(decoded.error) << position;
    EXPECT_EQ(decoded.error->code, AwsChunkedErrc::kSignatureMismatch) << position << " " << decoded.error->detail;
    AwsError error = decoded.error->ToAwsError();
    EXPECT_EQ(error.code, "SignatureDoesNotMatch");
    EXPECT_EQ(error.http_status, 403);
    EXPECT_NE(error.extra_json.find("AWS4-HMAC-SHA256-PAYLOAD\\n20130524T000000Z"), std::string::npos);
  }

  // Without signing material the signatures are only checked for form.
  options.signing.reset();
  Decoded unverified = Decode(options, body);
  ASSERT_FALSE(unverified.error);
  EXPECT_EQ(unverified.payload, payload);
}

TEST(AwsChunked, RandomPayloadsChunkingsAndSplitsRoundTrip) {
  const std::uint64_t seed = Seed(0xA75C4);
  std::mt19937_64 rng(seed);
  ChunkSigning signing = ExampleSigning();
  for (int round = 0; round < 400; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    int mode = static_cast<int>(rng() % 3);  // 0 unsigned trailer, 1 signed, 2 signed trailer
    bool small_chunks = rng() % 2 == 0;      // with the 8192-byte rule off
    std::size_t length = rng() % 4 == 0 ? rng() % 10 : rng() % 60000;
    std::string payload(length, '\0');
    for (char& c : payload) c = static_cast<char>(rng() & 0xFF);
    std::vector<std::size_t> sizes;
    for (std::size_t left = length; left > 0;) {
      std::size_t size = small_chunks ? 1 + rng() % 700 : 8192 + rng() % 20000;
      size = std::min(size, left);
      sizes.push_back(size);
      left -= size;
    }
    Encoding encoding;
    if (mode != 0) encoding.signing = &signing;
    encoding.signed_trailer = mode == 2;
    AwsChunkedOptions options;
    options.signed_chunks = mode != 0;
    options.signed_trailer = mode == 2;
    if (mode != 0) options.signing = signing;
    options.max_decoded_bytes = length;
    options.min_chunk_size = small_chunks ? 0 : 8192;
    if (mode != 1 && rng() % 4 != 0) {
      auto crc = Base64Encode(ComputeDigest(ChecksumAlgorithm::kCrc32c, payload));
      encoding.trailers.emplace_back("x-amz-checksum-crc32c", crc);
      options.declared_trailers.push_back("x-amz-checksum-crc32c");
    }
    std::string body = Encode(payload, sizes, encoding);
    Decoded decoded = Decode(options, body, RandomCuts(rng, body.size()));
    ASSERT_FALSE(decoded.error) << decoded.error->detail;
    EXPECT_EQ(decoded.payload, payload);
    EXPECT_EQ(decoded.trailers, encoding.trailers);
  }
}

TEST(AwsChunked, SignedTrailerVerifiesAndATamperedTrailerFails) {
  ChunkSigning signing = ExampleSigning();
  std::string payload(9000, 'z');
  Encoding encoding;
  encoding.signing = &signing;
  encoding.signed_trailer = true;
  encoding.trailers = {{"x-amz-checksum-crc32", Base64Encode(ComputeDigest(ChecksumAlgorithm::kCrc32, payload))}};
  std::string body = Encode(payload, {9000}, encoding);
  AwsChunkedOptions options;
  options.signed_chunks = options.signed_trailer = true;
  options.signing = signing;
  options.declared_trailers = {"x-amz-checksum-crc32"};
  options.max_decoded_bytes = payload.size();
  Decoded good = Decode(options, body);
  ASSERT_FALSE(good.error) << good.error->detail;
  EXPECT_EQ(good.trailers, encoding.trailers);

  std::string tampered = body;
  std::size_t value = tampered.find("x-amz-checksum-crc32:") + 21;
  tampered[value] = tampered[value] == 'A' ? 'B' : 'A';
  Decoded bad = Decode(options, tampered);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, AwsChunkedErrc::kSignatureMismatch);
  EXPECT_EQ(bad.error->string_to_sign.substr(0, 25), "AWS4-HMAC-SHA256-TRAILER\n");

  // A signed-trailer body without the trailer signature.
  std::string unsigned_trailer = body.substr(0, body.find("x-amz-trailer-signature")) + "\r\n";
  Decoded missing = Decode(options, unsigned_trailer);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->code, AwsChunkedErrc::kMissingTrailer);
  EXPECT_EQ(missing.error->ToAwsError().code, "IncompleteBody");
}

TEST(AwsChunked, OnlyTheLastChunkMayBeSmall) {
  AwsChunkedOptions options;
  options.max_decoded_bytes = 1 << 20;
  // 100 then 100: the second header shows the first was too small.
  Decoded decoded = Decode(options, "64\r\n" + std::string(100, 'x') + "\r\n64\r\n" + std::string(100, 'x') + "\r\n0\r\n\r\n");
  ASSERT_TRUE(decoded.error);
  EXPECT_EQ(decoded.error->code, AwsChunkedErrc::kChunkTooSmall);
  EXPECT_EQ(decoded.error->chunk_number, 2u);
  EXPECT_EQ(decoded.error->bad_chunk_size, 100u);
  AwsError error = decoded.error->ToAwsError();
  EXPECT_EQ(error.code, "InvalidChunkSizeError");
  EXPECT_EQ(error.message, "Only the last chunk is allowed to have a size less than 8192 bytes");
  EXPECT_EQ(error.extra_json, R"({"Chunk":"2","BadChunkSize":"100"})");
  // 8192 then a small last chunk, and one small chunk alone, are fine.
  std::string ok = "2000\r\n" + std::string(8192, 'x') + "\r\n5\r\nhello\r\n0\r\n\r\n";
  EXPECT_FALSE(Decode(options, ok).error);
  EXPECT_FALSE(Decode(options, "5\r\nhello\r\n0\r\n\r\n").error);
  EXPECT_FALSE(Decode(options, "0\r\n\r\n").error);
}

struct Malformed {
  const char* name;
  std::string body;
  AwsChunkedErrc expected;
  bool signed_chunks = false;
};

TEST(AwsChunked, MalformedBodiesGiveTypedErrors) {
  const std::string sig(64, 'a');
  std::vector<Malformed> cases = {
      {"not hex", "zz\r\nabc\r\n0\r\n\r\n", AwsChunkedErrc::kMalformedChunkHeader},
      {"empty size line", "\r\n", AwsChunkedErrc::kMalformedChunkHeader},
      {"negative", "-3\r\nabc\r\n0\r\n\r\n", AwsChunkedErrc::kMalformedChunkHeader},
      {"LF without CR", "3\nabc\r\n0\r\n\r\n", AwsChunkedErrc::kMalformedChunkHeader},
      {"space before CRLF", "3 \r\nabc\r\n0\r\n\r\n", AwsChunkedErrc::kMalformedChunkHeader},
      {"17 hex digits", "00000000000000003\r\nabc\r\n0\r\n\r\n", AwsChunkedErrc::kMalformedChunkHeader},
      {"size past the limit", "ffffffffffffffff\r\n", AwsChunkedErrc::kSizeOverLimit},
      {"size just past the limit", "65\r\n", AwsChunkedErrc::kSizeOverLimit},
      {"extension when unsigned", "3;chunk-signature=" + sig + "\r\nabc\r\n0\r\n\r\n",
       AwsChunkedErrc::kMalformedChunkHeader},
      {"no CRLF after data", "3\r\nabcd\r\n0\r\n\r\n", AwsChunkedErrc::kMalformedChunkEnd},
      {"CR without LF after data", "3\r\nabc\r0\r\n\r\n", AwsChunkedErrc::kMalformedChunkEnd},
      {"truncated in data", "3\r\nab", AwsChunkedErrc::kTruncated},
      {"truncated in size line", "3", AwsChunkedErrc::kTruncated},
      {"no final chunk", "3\r\nabc\r\n", AwsChunkedErrc::kTruncated},
      {"no final CRLF", "0\r\n", AwsChunkedErrc::kTruncated},
      {"bytes after the end", "0\r\n\r\nX", AwsChunkedErrc::kDataAfterEnd},
      {"trailer without colon", "0\r\nfoo\r\n\r\n", AwsChunkedErrc::kMalformedTrailer},
      {"undeclared trailer", "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", AwsChunkedErrc::kMalformedTrailer},
      {"trailer name with a space", "0\r\nx amz:1\r\n\r\n", AwsChunkedErrc::kMalformedTrailer},
      {"trailer signature when unsigned", "0\r\nx-amz-trailer-signature:" + sig + "\r\n\r\n",
       AwsChunkedErrc::kMalformedTrailer},
      {"long size line", std::string(200, '0'), AwsChunkedErrc::kMalformedChunkHeader},
      {"long trailer line", "0\r\n" + std::string(5000, 'x'), AwsChunkedErrc::kMalformedTrailer},
      {"signed without signature", "3\r\nabc\r\n", AwsChunkedErrc::kMalformedChunkHeader, true},
      {"signed with a short signature", "3;chunk-signature=abc\r\nabc\r\n", AwsChunkedErrc::kMalformedChunkHeader,
       true},
      {"signed with another extension", "3;chunk-sig=" + sig + "\r\nabc\r\n", AwsChunkedErrc::kMalformedChunkHeader,
       true},
  };
  for (const Malformed& test : cases) {
    AwsChunkedOptions options;
    options.signed_chunks = test.signed_chunks;
    options.max_decoded_bytes = 100;
    options.min_chunk_size = 0;
    for (bool bytewise : {false, true}) {
      std::vector<std::size_t> cuts;
      if (bytewise) {
        for (std::size_t i = 1; i < test.body.size(); ++i) cuts.push_back(i);
      }
      Decoded decoded = Decode(options, test.body, cuts);
      ASSERT_TRUE(decoded.error) << test.name;
      EXPECT_EQ(decoded.error->code, test.expected) << test.name << ": " << decoded.error->detail;
    }
  }
}

TEST(AwsChunked, DeclaredTrailerMustArriveAndErrorsAreSticky) {
  AwsChunkedOptions options;
  options.declared_trailers = {"X-Amz-Checksum-CRC32"};  // normalised to lower case
  options.max_decoded_bytes = 10;
  options.min_chunk_size = 0;
  Decoded missing = Decode(options, "0\r\n\r\n");
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->code, AwsChunkedErrc::kMissingTrailer);
  Decoded repeated = Decode(options, "0\r\nx-amz-checksum-crc32:a\r\nx-amz-checksum-crc32:b\r\n\r\n");
  ASSERT_TRUE(repeated.error);
  EXPECT_EQ(repeated.error->code, AwsChunkedErrc::kMalformedTrailer);
  Decoded spaced = Decode(options, "0\r\nX-Amz-Checksum-Crc32 :  AAAAAA== \r\n\r\n");
  ASSERT_FALSE(spaced.error) << spaced.error->detail;
  EXPECT_EQ(spaced.trailers, (Trailers{{"x-amz-checksum-crc32", "AAAAAA=="}}));

  AwsChunkedDecoder decoder(options);
  std::string out;
  EXPECT_FALSE(decoder.Feed("zz\r\n", out).ok());
  EXPECT_FALSE(decoder.Feed("0\r\n\r\n", out).ok());
  auto finished = decoder.Finish();
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().code, AwsChunkedErrc::kMalformedChunkHeader);
  EXPECT_EQ(finished.error().ToAwsError().code, "IncompleteBody");
  EXPECT_EQ(finished.error().ToAwsError().message, "The request body terminated unexpectedly");
}

TEST(AwsChunked, RandomBytesNeverCrash) {
  std::mt19937_64 rng(Seed(0xBAD5EED));
  const std::string alphabet = "0123456789abcdefABCDEF;=:\r\n-xz";
  for (int round = 0; round < 3000; ++round) {
    std::string body(rng() % 200, '\0');
    for (char& c : body) c = rng() % 4 == 0 ? static_cast<char>(rng() & 0xFF) : alphabet[rng() % alphabet.size()];
    AwsChunkedOptions options;
    options.signed_chunks = rng() % 2 == 0;
    options.signed_trailer = options.signed_chunks && rng() % 2 == 0;
    if (options.signed_chunks && rng() % 2 == 0) options.signing = ExampleSigning();
    options.max_decoded_bytes = rng() % 300;
    options.min_chunk_size = rng() % 2 == 0 ? 0 : 8;
    if (rng() % 2 == 0) options.declared_trailers = {"x-amz-checksum-crc32"};
    Decoded decoded = Decode(options, body, RandomCuts(rng, body.size()));
    EXPECT_LE(decoded.payload.size(), options.max_decoded_bytes);
  }
}

}  // namespace
}  // namespace mallard::s3::codec
