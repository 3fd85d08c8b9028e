#pragma once
// S3's checksum algorithms (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and MD5, as incremental
// hashers behind one interface, with S3's names for them and the two ways S3 combines the
// checksums of a multipart upload's parts (COMPOSITE and FULL_OBJECT).
//
// Digests are the raw big-endian bytes; S3 sends and stores them base64-encoded
// (`x-amz-checksum-crc32: 4waSgw==`). CRCs are computed with the "finished" value convention of
// zlib's crc32(): start from 0, feed bytes, the value is the CRC of everything fed so far.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mallard::s3::codec {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };
inline constexpr ChecksumAlgorithm kAllChecksumAlgorithms[] = {
    ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
    ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256};

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (the ChecksumAlgorithm enum of the S3 model).
std::string_view S3Name(ChecksumAlgorithm algorithm);
// "x-amz-checksum-crc32", … (the header and trailer names).
std::string_view HeaderName(ChecksumAlgorithm algorithm);
// Raw digest length in bytes: 4, 4, 8, 20, 32.
std::size_t DigestSize(ChecksumAlgorithm algorithm);
bool IsCrc(ChecksumAlgorithm algorithm);
// Either form, in any case ("crc32c", "CRC32C", "X-Amz-Checksum-Crc32c"); nullopt when unknown.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);

// The checksum type of an object or a multipart upload (x-amz-checksum-type).
enum class ChecksumType { kFullObject, kComposite };
std::string_view S3Name(ChecksumType type);  // "FULL_OBJECT", "COMPOSITE"
std::optional<ChecksumType> ParseChecksumType(std::string_view name);  // exact, as S3 reads it
// S3's rules (checked against AWS in LocalStack's snapshots, test_s3.snapshot.json:
// "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.", "The
// FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."): CRC64NVME is
// FULL_OBJECT only, SHA1 and SHA256 COMPOSITE only, CRC32 and CRC32C either.
bool SupportsChecksumType(ChecksumAlgorithm algorithm, ChecksumType type);
// The type a multipart upload gets when CreateMultipartUpload names only the algorithm:
// FULL_OBJECT for CRC64NVME, COMPOSITE for the others.
ChecksumType DefaultChecksumType(ChecksumAlgorithm algorithm);
// "The <TYPE> checksum type cannot be used with the <alg> checksum algorithm." (InvalidRequest).
std::string UnsupportedChecksumTypeMessage(ChecksumAlgorithm algorithm, ChecksumType type);

// An incremental digest. Digest() does not end the computation: more bytes may follow.
class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual void Update(std::string_view bytes) = 0;
  // The raw big-endian digest of every byte fed so far.
  virtual std::string Digest() const = 0;
  virtual void Reset() = 0;
  std::string Base64Digest() const;
};

std::unique_ptr<Hasher> MakeHasher(ChecksumAlgorithm algorithm);
// MD5 (ETags, Content-MD5).
std::unique_ptr<Hasher> MakeMd5Hasher();
// One-shot: the raw digest of `bytes`.
std::string ComputeDigest(ChecksumAlgorithm algorithm, std::string_view bytes);

// The CRC functions underneath, for callers that keep the integer (combining, tests). `crc` is the
// value of the bytes before `bytes` (0 for none).
std::uint32_t Crc32(std::uint32_t crc, std::string_view bytes);
std::uint32_t Crc32c(std::uint32_t crc, std::string_view bytes);
std::uint64_t Crc64Nvme(std::uint64_t crc, std::string_view bytes);
// CRC32C without the SSE4.2 instruction (what runs when the CPU lacks it); exposed so the tests
// check both paths on any machine.
std::uint32_t Crc32cPortable(std::uint32_t crc, std::string_view bytes);
bool Crc32cUsesHardware();

// CRC(A ‖ B) from CRC(A), CRC(B) and the length of B, without the data: CRC(A)·x^(8·len_b) mod P
// xor CRC(B) (valid because the three CRCs start from and end with all ones).
std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b);
std::uint32_t Crc32cCombine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b);
std::uint64_t Crc64NvmeCombine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t length_b);

// A part's checksum as UploadPart returned it (base64) and, for FULL_OBJECT, its length.
struct PartChecksum {
  std::string base64;
  std::uint64_t length = 0;
};

// Decodes an S3 checksum value: canonical base64 of exactly DigestSize(algorithm) bytes.
std::optional<std::string> DecodeChecksumValue(ChecksumAlgorithm algorithm, std::string_view base64);

// COMPOSITE: the algorithm's digest of the parts' raw digests concatenated in part order, base64,
// followed by "-<number of parts>" ("2nRW...=-3"). nullopt when a part value is not a valid
// checksum of the algorithm.
std::optional<std::string> CompositeChecksum(ChecksumAlgorithm algorithm, std::span<const PartChecksum> parts);
// FULL_OBJECT (CRC algorithms only): the CRC of the whole object, base64, from the parts' CRCs and
// lengths. nullopt for SHA algorithms or an invalid part value. No parts: the CRC of no bytes.
std::optional<std::string> FullObjectChecksum(ChecksumAlgorithm algorithm, std::span<const PartChecksum> parts);

}  // namespace mallard::s3::codec
