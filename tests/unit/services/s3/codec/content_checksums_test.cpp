// What an upload declares and the check of it after the body, with AWS's codes and messages (as
// recorded in LocalStack's snapshots of AWS, tests/aws/services/s3/test_s3.snapshot.json).
#include "services/s3/codec/content_checksums.hpp"

#include <gtest/gtest.h>

#include "common/encoding.hpp"

namespace mallard::s3::codec {
namespace {

constexpr std::string_view kPayload = "123456789";
// Digests of kPayload (see checksums_test.cpp for where they come from).
constexpr std::string_view kMd5Base64 = "JfnnlDI7RTiF9RgfG2JNCw==";
constexpr std::string_view kCrc32Base64 = "y/Q5Jg==";
constexpr std::string_view kSha256Hex = "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225";

AwsError ReadError(const RequestHeaders& headers) {
  auto declared = ReadDeclaredChecksums(headers);
  EXPECT_FALSE(declared.ok());
  return declared.ok() ? AwsError{} : declared.error();
}

Result<Done> VerifyPayload(const RequestHeaders& headers, std::string_view payload, const Trailers& trailers = {},
                           ExpectedDigestForm form = ExpectedDigestForm::kHex) {
  auto declared = ReadDeclaredChecksums(headers);
  EXPECT_TRUE(declared.ok());
  if (!declared.ok()) return Fail(declared.error());
  UploadDigests digests(*declared);
  // In pieces, as a body streams.
  digests.Update(payload.substr(0, 4));
  digests.Update(payload.substr(4));
  return digests.Verify(trailers, form);
}

TEST(S3ContentChecksums, InvalidContentMd5IsInvalidDigest) {
  // The values of test_s3_invalid_content_md5 (md5-error-0..4), each answered the same by AWS.
  for (std::string_view value : {"__invalid__", "000", "not base64 encoded checksum", "MTIz", "dGVzdC1zdHJpbmc="}) {
    AwsError error = ReadError({{"content-md5", std::string(value)}});
    EXPECT_EQ(error.code, "InvalidDigest") << value;
    EXPECT_EQ(error.http_status, 400);
    EXPECT_EQ(error.message, "The Content-MD5 you specified was invalid.");
    EXPECT_NE(error.extra_json.find("\"Content-MD5\""), std::string::npos);
  }
}

TEST(S3ContentChecksums, ContentMd5MismatchIsBadDigestWithBothDigests) {
  RequestHeaders headers = {{"content-md5", "CYketZBSTjX8czcs3cXVlg=="}};
  auto put = VerifyPayload(headers, kPayload);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, "BadDigest");
  EXPECT_EQ(put.error().message, "The Content-MD5 you specified did not match what we received.");
  // PutObject reports the expected digest in hex, UploadPart as sent (md5-error-bad-digest,
  // upload-part-md5-bad-digest).
  EXPECT_EQ(put.error().extra_json,
            R"({"ExpectedDigest":"09891eb590524e35fc73372cddc5d596","CalculatedDigest":"JfnnlDI7RTiF9RgfG2JNCw=="})");
  auto part = VerifyPayload(headers, kPayload, {}, ExpectedDigestForm::kAsSent);
  ASSERT_FALSE(part.ok());
  EXPECT_EQ(part.error().extra_json,
            R"({"ExpectedDigest":"CYketZBSTjX8czcs3cXVlg==","CalculatedDigest":"JfnnlDI7RTiF9RgfG2JNCw=="})");
  EXPECT_TRUE(VerifyPayload({{"content-md5", std::string(kMd5Base64)}}, kPayload).ok());
}

TEST(S3ContentChecksums, ChecksumHeaders) {
  // A correct value of every algorithm verifies; a wrong one is BadDigest naming the algorithm.
  for (ChecksumAlgorithm algorithm : kAllChecksumAlgorithms) {
    std::string name(HeaderName(algorithm));
    std::string good = Base64Encode(ComputeDigest(algorithm, kPayload));
    EXPECT_TRUE(VerifyPayload({{name, good}}, kPayload).ok()) << name;
    std::string wrong = Base64Encode(std::string(DigestSize(algorithm), '\x01'));
    auto result = VerifyPayload({{name, wrong}}, kPayload);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "BadDigest");
    EXPECT_EQ(result.error().message,
              "The " + std::string(S3Name(algorithm)) + " you specified did not match the calculated checksum.");
    // Hex instead of base64, and base64 without its padding: InvalidRequest (put-wrong-checksum-no-b64).
    for (std::string bad : {HexEncode(ComputeDigest(algorithm, kPayload)), good.substr(0, good.find('='))}) {
      if (bad == good) continue;  // SHA1/SHA256 digests of some lengths have no padding
      AwsError error = ReadError({{name, bad}});
      EXPECT_EQ(error.code, "InvalidRequest") << bad;
      EXPECT_EQ(error.message, "Value for " + name + " header is invalid.");
    }
  }
}

TEST(S3ContentChecksums, TwoChecksumsOrAnUnknownAlgorithmAreInvalidRequest) {
  AwsError two = ReadError({{"x-amz-checksum-crc32", std::string(kCrc32Base64)},
                            {"x-amz-checksum-sha256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="}});
  EXPECT_EQ(two.code, "InvalidRequest");
  EXPECT_EQ(two.message, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  AwsError header_and_trailer = ReadError({{"x-amz-checksum-crc32", std::string(kCrc32Base64)},
                                           {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                                           {"x-amz-decoded-content-length", "9"},
                                           {"x-amz-trailer", "x-amz-checksum-crc32c"}});
  EXPECT_EQ(header_and_trailer.message, two.message);
  AwsError unknown = ReadError({{"x-amz-sdk-checksum-algorithm", "MD5"}});
  EXPECT_EQ(unknown.code, "InvalidRequest");
  EXPECT_EQ(unknown.message,
            "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, "
            "CRC32C, CRC64NVME, SHA1, SHA256]");
  EXPECT_EQ(ReadError({{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                       {"x-amz-decoded-content-length", "9"},
                       {"x-amz-trailer", "x-amz-checksum-md5"}})
                .message,
            unknown.message);
  // Other x-amz-checksum-* headers are not checksums.
  auto other = ReadDeclaredChecksums({{"x-amz-checksum-mode", "ENABLED"}, {"x-amz-checksum-type", "FULL_OBJECT"}});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->algorithm);
}

TEST(S3ContentChecksums, PayloadHash) {
  EXPECT_TRUE(VerifyPayload({{"x-amz-content-sha256", std::string(kSha256Hex)}}, kPayload).ok());
  EXPECT_TRUE(VerifyPayload({{"x-amz-content-sha256", "UNSIGNED-PAYLOAD"}}, kPayload).ok());
  auto mismatch = VerifyPayload({{"x-amz-content-sha256", std::string(kSha256Hex)}}, "12345678");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, "XAmzContentSHA256Mismatch");
  EXPECT_EQ(mismatch.error().message, "The provided 'x-amz-content-sha256' header does not match what was computed.");
  EXPECT_NE(mismatch.error().extra_json.find(std::string("\"ClientComputedContentSHA256\":\"") + std::string(kSha256Hex)),
            std::string::npos);

  AwsError bad = ReadError({{"x-amz-content-sha256", "not-a-hash"}});
  EXPECT_EQ(bad.code, "InvalidArgument");
  EXPECT_EQ(bad.message.substr(0, 47), "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, ");
  AwsError ecdsa = ReadError({{"x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"}});
  EXPECT_EQ(ecdsa.code, "NotImplemented");
  EXPECT_EQ(ecdsa.http_status, 501);
  AwsError no_length = ReadError({{"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}});
  EXPECT_EQ(no_length.code, "MissingContentLength");
  EXPECT_EQ(no_length.http_status, 411);
}

TEST(S3ContentChecksums, DefaultChecksumMd5AndEncoding) {
  auto declared = ReadDeclaredChecksums({});
  ASSERT_TRUE(declared.ok());
  UploadDigests digests(*declared);
  digests.Update(kPayload);
  ASSERT_TRUE(digests.Verify({}).ok());
  EXPECT_EQ(digests.algorithm(), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(digests.ChecksumBase64(), "rosUhgp5mIg=");
  EXPECT_EQ(digests.Md5Hex(), "25f9e794323b453885f5181f1b624d0b");
  EXPECT_EQ(digests.bytes(), 9u);
  // The SDK's algorithm without a value: S3 computes that algorithm.
  auto sdk = ReadDeclaredChecksums({{"x-amz-sdk-checksum-algorithm", "crc32"}});
  ASSERT_TRUE(sdk.ok());
  UploadDigests sdk_digests(*sdk);
  sdk_digests.Update(kPayload);
  EXPECT_TRUE(sdk_digests.Verify({}).ok());
  EXPECT_EQ(sdk_digests.ChecksumBase64(), kCrc32Base64);

  EXPECT_EQ(StoredContentEncoding("aws-chunked"), std::nullopt);
  EXPECT_EQ(StoredContentEncoding("aws-chunked,gzip"), "gzip");
  EXPECT_EQ(StoredContentEncoding("gzip, aws-chunked"), "gzip");
  EXPECT_EQ(StoredContentEncoding("deflate, gzip"), "deflate,gzip");
}

TEST(S3ContentChecksums, AnAwsChunkedUploadWithATrailerEndToEnd) {
  // As boto3 sends a small PutObject: one chunk, the CRC32 in a trailer.
  RequestHeaders headers = {{"content-encoding", "aws-chunked"},
                            {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                            {"x-amz-decoded-content-length", "9"},
                            {"x-amz-sdk-checksum-algorithm", "CRC32"},
                            {"x-amz-trailer", "x-amz-checksum-crc32"}};
  auto declared = ReadDeclaredChecksums(headers);
  ASSERT_TRUE(declared.ok());
  EXPECT_TRUE(declared->aws_chunked());
  EXPECT_TRUE(declared->checksum_in_trailer);
  for (std::string_view trailer_value : {kCrc32Base64, std::string_view("AAAAAA=="), std::string_view("AAAA")}) {
    std::string body = "9\r\n123456789\r\n0\r\nx-amz-checksum-crc32:" + std::string(trailer_value) + "\r\n\r\n";
    AwsChunkedDecoder decoder(declared->ChunkedOptions(std::nullopt));
    UploadDigests digests(*declared);
    std::string out;
    ASSERT_TRUE(decoder.Feed(body, out).ok());
    digests.Update(out);
    auto trailers = decoder.Finish();
    ASSERT_TRUE(trailers.ok());
    EXPECT_TRUE(CheckDecodedLength(*declared, decoder.decoded_bytes()).ok());
    auto verified = digests.Verify(*trailers);
    if (trailer_value == kCrc32Base64) {
      EXPECT_TRUE(verified.ok());
    } else if (trailer_value == "AAAAAA==") {
      ASSERT_FALSE(verified.ok());
      EXPECT_EQ(verified.error().code, "BadDigest");
    } else {
      ASSERT_FALSE(verified.ok());
      EXPECT_EQ(verified.error().message, "Value for x-amz-checksum-crc32 header is invalid.");
    }
  }
  auto short_body = CheckDecodedLength(*declared, 8);
  ASSERT_FALSE(short_body.ok());
  EXPECT_EQ(short_body.error().code, "IncompleteBody");
  // A trailer without an aws-chunked body cannot arrive.
  EXPECT_EQ(ReadError({{"x-amz-trailer", "x-amz-checksum-crc32"}}).code, "InvalidRequest");
}

}  // namespace
}  // namespace mallard::s3::codec
