#include "common/ids.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <random>

#include "common/encoding.hpp"

namespace mallard {
namespace {

std::mt19937_64& ThreadEngine() {
  thread_local std::mt19937_64 engine = [] {
    std::uint64_t seed = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
      seed = std::random_device{}();
    }
    return std::mt19937_64(seed ^ std::chrono::steady_clock::now().time_since_epoch().count());
  }();
  return engine;
}

}  // namespace

namespace {

std::string UuidText(std::uint64_t high, std::uint64_t low) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int nibble = 15; nibble >= 0; --nibble) {
    out += kHex[(high >> (nibble * 4)) & 0xF];
    if (nibble == 8 || nibble == 4) out += '-';
  }
  out += '-';
  for (int nibble = 15; nibble >= 0; --nibble) {
    out += kHex[(low >> (nibble * 4)) & 0xF];
    if (nibble == 12) out += '-';
  }
  return out;
}

}  // namespace

std::string NewUuid() {
  auto& engine = ThreadEngine();
  std::uint64_t high = engine(), low = engine();
  high = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return UuidText(high, low);
}

std::string NewUuidV7() {
  auto& engine = ThreadEngine();
  auto millis = static_cast<std::uint64_t>(WallClockMillis());
  std::uint64_t high = (millis << 16) | 0x7000ULL | (engine() & 0x0FFFULL);
  std::uint64_t low = (engine() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return UuidText(high, low);
}

std::string RandomAlnum(std::size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  auto& engine = ThreadEngine();
  std::string out(length, 'A');
  for (auto& c : out) c = kAlphabet[engine() % 62];
  return out;
}

std::string RandomHex(std::size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto& engine = ThreadEngine();
  std::string out(length, '0');
  for (auto& c : out) c = kHex[engine() & 0xF];
  return out;
}

std::int64_t WallClockMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UserIdForAccessKey(const std::string& access_key_id) {
  // SQS asks for it on every SendMessage (SenderId): the last key's id is kept per thread.
  thread_local std::string last_key;
  thread_local std::string last_id;
  if (!last_id.empty() && last_key == access_key_id) return last_id;
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const std::string digest = HexDecode(Sha256Hex("mallard-user:" + access_key_id)).value();  // 32 bytes
  std::string id = "AIDA";
  for (std::size_t i = 0; id.size() < 21; ++i) id += kBase32[static_cast<unsigned char>(digest[i]) % 32];
  last_key = access_key_id;
  last_id = id;
  return id;
}

}  // namespace mallard
