// The three CRCs S3 uses, and combining them.
//
// CRC32 is zlib's. CRC32C has no library on Debian that the build already links (zlib has only the
// IEEE polynomial; OpenSSL has none), so it is written here: the SSE4.2 CRC32 instruction computes
// exactly CRC-32C (Castagnoli) 8 bytes per instruction, several GB/s, and every x86-64 CPU since
// 2008 has it; it is chosen at run time (__builtin_cpu_supports) so that the binary still runs on a
// CPU without it, where slicing-by-8 tables (8 table lookups per 8 bytes) take over. CRC-64/NVME has
// no instruction and no Debian library either: slicing-by-8 as well.
//
// All three are reflected CRCs whose initial value and final xor are all ones, which is what makes
// the combine below a single multiplication: see CrcMath::Combine.
#include <zlib.h>

#include <array>
#include <bit>
#include <cstring>

#include "services/s3/codec/checksums.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define MALLARD_S3_CRC32C_SSE42 1
#endif

namespace mallard::s3::codec {
namespace {

constexpr std::uint32_t kCrc32Polynomial = 0xEDB88320u;                 // IEEE 802.3, reflected
constexpr std::uint32_t kCrc32cPolynomial = 0x82F63B78u;                // Castagnoli, reflected
constexpr std::uint64_t kCrc64NvmePolynomial = 0x9A6C9329AC4BC9B5ull;  // CRC-64/NVME, reflected

// tables[k][b]: the CRC register after byte b followed by k zero bytes (slicing-by-8).
template <typename Word, Word kPolynomial>
struct SlicingTables {
  std::array<std::array<Word, 256>, 8> tables{};
  constexpr SlicingTables() {
    for (unsigned byte = 0; byte < 256; ++byte) {
      Word crc = byte;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kPolynomial : crc >> 1;
      tables[0][byte] = crc;
    }
    for (std::size_t k = 1; k < 8; ++k) {
      for (unsigned byte = 0; byte < 256; ++byte) {
        Word previous = tables[k - 1][byte];
        tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
      }
    }
  }
};

constexpr SlicingTables<std::uint32_t, kCrc32cPolynomial> kCrc32cTables;
constexpr SlicingTables<std::uint64_t, kCrc64NvmePolynomial> kCrc64NvmeTables;

inline std::uint64_t LoadLittleEndian64(const unsigned char* bytes) {
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}

// The register form (not inverted) of a reflected 32-bit CRC over `bytes`.
std::uint32_t Crc32cSlicing(std::uint32_t reg, const unsigned char* bytes, std::size_t length) {
  const auto& t = kCrc32cTables.tables;
  while (length >= 8) {
    std::uint64_t word = LoadLittleEndian64(bytes) ^ reg;
    reg = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^ t[4][(word >> 24) & 0xFF] ^
          t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^ t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
    bytes += 8;
    length -= 8;
  }
  while (length-- > 0) reg = t[0][(reg ^ *bytes++) & 0xFF] ^ (reg >> 8);
  return reg;
}

std::uint64_t Crc64Slicing(std::uint64_t reg, const unsigned char* bytes, std::size_t length) {
  const auto& t = kCrc64NvmeTables.tables;
  while (length >= 8) {
    std::uint64_t word = LoadLittleEndian64(bytes) ^ reg;
    reg = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^ t[4][(word >> 24) & 0xFF] ^
          t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^ t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
    bytes += 8;
    length -= 8;
  }
  while (length-- > 0) reg = t[0][(reg ^ *bytes++) & 0xFF] ^ (reg >> 8);
  return reg;
}

#ifdef MALLARD_S3_CRC32C_SSE42
// One dependent chain of 8-byte CRC32 instructions (3-cycle latency): about 8 bytes per 3 cycles,
// several GB/s, well above what an upload delivers; interleaving three chains would triple it at
// the cost of a combine step, not worth it here (see bench/s3_checksum_bench.cpp).
__attribute__((target("sse4.2"))) std::uint32_t Crc32cHardware(std::uint32_t reg, const unsigned char* bytes,
                                                                std::size_t length) {
  std::uint64_t crc = reg;
  while (length > 0 && (reinterpret_cast<std::uintptr_t>(bytes) & 7) != 0) {
    crc = _mm_crc32_u8(static_cast<std::uint32_t>(crc), *bytes++);
    --length;
  }
  while (length >= 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes, sizeof word);
    crc = _mm_crc32_u64(crc, word);
    bytes += 8;
    length -= 8;
  }
  while (length-- > 0) crc = _mm_crc32_u8(static_cast<std::uint32_t>(crc), *bytes++);
  return static_cast<std::uint32_t>(crc);
}

bool DetectSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

bool Crc32cHardwareAvailable() {
#ifdef MALLARD_S3_CRC32C_SSE42
  static const bool available = DetectSse42();
  return available;
#else
  return false;
#endif
}

// Arithmetic on polynomials over GF(2) modulo the CRC polynomial, in the reflected bit order of the
// CRC register (the highest bit is x^0). Combining rests on: for a CRC whose register starts at
// `init` and is xored with `xorout` at the end, CRC(A‖B) = (CRC(A) ^ init ^ xorout)·x^(8·|B|) ^ CRC(B);
// with init == xorout (all ones here) that is CRC(A)·x^(8·|B|) ^ CRC(B).
template <typename Word, Word kPolynomial>
struct CrcMath {
  static constexpr int kBits = sizeof(Word) * 8;
  static constexpr Word kOne = Word{1} << (kBits - 1);  // x^0

  // a·b mod P.
  static Word MultiplyModP(Word a, Word b) {
    Word product = 0;
    for (Word mask = kOne; mask != 0; mask >>= 1) {
      if (a & mask) {
        product ^= b;
        if ((a & (mask - 1)) == 0) break;
      }
      b = (b & 1) ? (b >> 1) ^ kPolynomial : b >> 1;
    }
    return product;
  }

  // powers[k] = x^(2^k) mod P, for k up to 3 + 64 (a byte count of up to 2^64 bits·8).
  struct Powers {
    std::array<Word, 72> values{};
    Powers() {
      values[0] = Word{1} << (kBits - 2);  // x^1
      for (std::size_t k = 1; k < values.size(); ++k) values[k] = MultiplyModP(values[k - 1], values[k - 1]);
    }
  };

  // x^(8·bytes) mod P.
  static Word ShiftByBytes(std::uint64_t bytes) {
    static const Powers powers;
    Word result = kOne;
    std::size_t k = 3;  // 8 = 2^3 bits per byte
    while (bytes != 0) {
      if (bytes & 1) result = MultiplyModP(powers.values[k], result);
      bytes >>= 1;
      ++k;
    }
    return result;
  }

  static Word Combine(Word crc_a, Word crc_b, std::uint64_t length_b) {
    return MultiplyModP(ShiftByBytes(length_b), crc_a) ^ crc_b;
  }
};

}  // namespace

std::uint32_t Crc32(std::uint32_t crc, std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<z_size_t>(bytes.size())));
}

std::uint32_t Crc32cPortable(std::uint32_t crc, std::string_view bytes) {
  return ~Crc32cSlicing(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::uint32_t Crc32c(std::uint32_t crc, std::string_view bytes) {
#ifdef MALLARD_S3_CRC32C_SSE42
  if (Crc32cHardwareAvailable()) {
    return ~Crc32cHardware(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
#endif
  return Crc32cPortable(crc, bytes);
}

bool Crc32cUsesHardware() { return Crc32cHardwareAvailable(); }

std::uint64_t Crc64Nvme(std::uint64_t crc, std::string_view bytes) {
  return ~Crc64Slicing(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::uint32_t Crc32Combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) {
  return CrcMath<std::uint32_t, kCrc32Polynomial>::Combine(crc_a, crc_b, length_b);
}
std::uint32_t Crc32cCombine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b) {
  return CrcMath<std::uint32_t, kCrc32cPolynomial>::Combine(crc_a, crc_b, length_b);
}
std::uint64_t Crc64NvmeCombine(std::uint64_t crc_a, std::uint64_t crc_b, std::uint64_t length_b) {
  return CrcMath<std::uint64_t, kCrc64NvmePolynomial>::Combine(crc_a, crc_b, length_b);
}

}  // namespace mallard::s3::codec
