#include "services/s3/codec/checksums.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "common/encoding.hpp"

namespace mallard::s3::codec {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string BigEndian(std::uint64_t value, std::size_t bytes) {
  std::string out(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) out[bytes - 1 - i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

std::uint64_t FromBigEndian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

class Crc32Hasher final : public Hasher {
 public:
  void Update(std::string_view bytes) override { crc_ = Crc32(crc_, bytes); }
  std::string Digest() const override { return BigEndian(crc_, 4); }
  void Reset() override { crc_ = 0; }

 private:
  std::uint32_t crc_ = 0;
};

class Crc32cHasher final : public Hasher {
 public:
  void Update(std::string_view bytes) override { crc_ = Crc32c(crc_, bytes); }
  std::string Digest() const override { return BigEndian(crc_, 4); }
  void Reset() override { crc_ = 0; }

 private:
  std::uint32_t crc_ = 0;
};

class Crc64NvmeHasher final : public Hasher {
 public:
  void Update(std::string_view bytes) override { crc_ = Crc64Nvme(crc_, bytes); }
  std::string Digest() const override { return BigEndian(crc_, 8); }
  void Reset() override { crc_ = 0; }

 private:
  std::uint64_t crc_ = 0;
};

// SHA1, SHA256 and MD5 through OpenSSL's EVP interface. Digest() finalises a copy of the context so
// that hashing can go on.
class EvpHasher final : public Hasher {
 public:
  explicit EvpHasher(const EVP_MD* md) : md_(md), context_(EVP_MD_CTX_new()) { Reset(); }
  ~EvpHasher() override { EVP_MD_CTX_free(context_); }
  EvpHasher(const EvpHasher&) = delete;
  EvpHasher& operator=(const EvpHasher&) = delete;

  void Update(std::string_view bytes) override { EVP_DigestUpdate(context_, bytes.data(), bytes.size()); }
  std::string Digest() const override {
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_MD_CTX_copy_ex(copy, context_);
    EVP_DigestFinal_ex(copy, digest, &length);
    EVP_MD_CTX_free(copy);
    return std::string(reinterpret_cast<const char*>(digest), length);
  }
  void Reset() override { EVP_DigestInit_ex(context_, md_, nullptr); }

 private:
  const EVP_MD* md_;
  EVP_MD_CTX* context_;
};

}  // namespace

std::string_view S3Name(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "CRC32";
    case ChecksumAlgorithm::kCrc32c: return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
    case ChecksumAlgorithm::kSha1: return "SHA1";
    case ChecksumAlgorithm::kSha256: return "SHA256";
  }
  return "";
}

std::string_view HeaderName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "x-amz-checksum-crc32";
    case ChecksumAlgorithm::kCrc32c: return "x-amz-checksum-crc32c";
    case ChecksumAlgorithm::kCrc64Nvme: return "x-amz-checksum-crc64nvme";
    case ChecksumAlgorithm::kSha1: return "x-amz-checksum-sha1";
    case ChecksumAlgorithm::kSha256: return "x-amz-checksum-sha256";
  }
  return "";
}

std::size_t DigestSize(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c: return 4;
    case ChecksumAlgorithm::kCrc64Nvme: return 8;
    case ChecksumAlgorithm::kSha1: return 20;
    case ChecksumAlgorithm::kSha256: return 32;
  }
  return 0;
}

bool IsCrc(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::kCrc32 || algorithm == ChecksumAlgorithm::kCrc32c ||
         algorithm == ChecksumAlgorithm::kCrc64Nvme;
}

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  for (ChecksumAlgorithm algorithm : kAllChecksumAlgorithms) {
    if (EqualsIgnoreCase(name, S3Name(algorithm)) || EqualsIgnoreCase(name, HeaderName(algorithm))) {
      return algorithm;
    }
  }
  return std::nullopt;
}

std::string_view S3Name(ChecksumType type) {
  return type == ChecksumType::kFullObject ? "FULL_OBJECT" : "COMPOSITE";
}

std::optional<ChecksumType> ParseChecksumType(std::string_view name) {
  if (name == "FULL_OBJECT") return ChecksumType::kFullObject;
  if (name == "COMPOSITE") return ChecksumType::kComposite;
  return std::nullopt;
}

bool SupportsChecksumType(ChecksumAlgorithm algorithm, ChecksumType type) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c: return true;
    case ChecksumAlgorithm::kCrc64Nvme: return type == ChecksumType::kFullObject;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256: return type == ChecksumType::kComposite;
  }
  return false;
}

ChecksumType DefaultChecksumType(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::kCrc64Nvme ? ChecksumType::kFullObject : ChecksumType::kComposite;
}

std::string UnsupportedChecksumTypeMessage(ChecksumAlgorithm algorithm, ChecksumType type) {
  std::string lower(S3Name(algorithm));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return "The " + std::string(S3Name(type)) + " checksum type cannot be used with the " + lower +
         " checksum algorithm.";
}

std::string Hasher::Base64Digest() const { return Base64Encode(Digest()); }

std::unique_ptr<Hasher> MakeHasher(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return std::make_unique<Crc32Hasher>();
    case ChecksumAlgorithm::kCrc32c: return std::make_unique<Crc32cHasher>();
    case ChecksumAlgorithm::kCrc64Nvme: return std::make_unique<Crc64NvmeHasher>();
    case ChecksumAlgorithm::kSha1: return std::make_unique<EvpHasher>(EVP_sha1());
    case ChecksumAlgorithm::kSha256: return std::make_unique<EvpHasher>(EVP_sha256());
  }
  return nullptr;
}

std::unique_ptr<Hasher> MakeMd5Hasher() { return std::make_unique<EvpHasher>(EVP_md5()); }

std::string ComputeDigest(ChecksumAlgorithm algorithm, std::string_view bytes) {
  auto hasher = MakeHasher(algorithm);
  hasher->Update(bytes);
  return hasher->Digest();
}

std::optional<std::string> DecodeChecksumValue(ChecksumAlgorithm algorithm, std::string_view base64) {
  auto raw = Base64DecodeStrict(base64);
  if (!raw || raw->size() != DigestSize(algorithm)) return std::nullopt;
  return raw;
}

std::optional<std::string> CompositeChecksum(ChecksumAlgorithm algorithm, std::span<const PartChecksum> parts) {
  auto hasher = MakeHasher(algorithm);
  for (const PartChecksum& part : parts) {
    auto raw = DecodeChecksumValue(algorithm, part.base64);
    if (!raw) return std::nullopt;
    hasher->Update(*raw);
  }
  return hasher->Base64Digest() + "-" + std::to_string(parts.size());
}

std::optional<std::string> FullObjectChecksum(ChecksumAlgorithm algorithm, std::span<const PartChecksum> parts) {
  if (!IsCrc(algorithm)) return std::nullopt;
  std::uint64_t combined = 0;
  for (const PartChecksum& part : parts) {
    auto raw = DecodeChecksumValue(algorithm, part.base64);
    if (!raw) return std::nullopt;
    std::uint64_t crc = FromBigEndian(*raw);
    switch (algorithm) {
      case ChecksumAlgorithm::kCrc32:
        combined = Crc32Combine(static_cast<std::uint32_t>(combined), static_cast<std::uint32_t>(crc), part.length);
        break;
      case ChecksumAlgorithm::kCrc32c:
        combined = Crc32cCombine(static_cast<std::uint32_t>(combined), static_cast<std::uint32_t>(crc), part.length);
        break;
      default: combined = Crc64NvmeCombine(combined, crc, part.length); break;
    }
  }
  return Base64Encode(BigEndian(combined, DigestSize(algorithm)));
}

}  // namespace mallard::s3::codec
