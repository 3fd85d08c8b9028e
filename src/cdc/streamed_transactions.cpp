#include "cdc/streamed_transactions.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/ids.hpp"

namespace mallard::cdc {
namespace {

// Each held message: subtransaction id and payload length (little-endian u32 each), then the payload.
constexpr std::size_t kHeaderBytes = 8;

void PutU32(unsigned char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}

std::uint32_t GetU32(const unsigned char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(in[i]) << (8 * i);
  return value;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

StreamedTransactions::StreamedTransactions(std::string directory) : directory_(std::move(directory)) {}

StreamedTransactions::~StreamedTransactions() {
  while (!held_.empty()) Forget(held_.begin());
  std::error_code ignored;
  std::filesystem::remove(directory_, ignored);  // only if empty: the directory may be shared
}

void StreamedTransactions::Forget(std::map<std::uint32_t, Held>::iterator it) {
  if (it->second.file != nullptr) std::fclose(it->second.file);
  std::error_code ignored;
  std::filesystem::remove(it->second.path, ignored);
  held_.erase(it);
}

std::uint64_t StreamedTransactions::BytesHeld() const {
  std::uint64_t total = 0;
  for (const auto& [xid, held] : held_) total += held.bytes;
  return total;
}

Result<Done, std::string> StreamedTransactions::Append(std::uint32_t xid, std::uint32_t subxid,
                                                      std::string_view payload) {
  auto it = held_.find(xid);
  if (it == held_.end()) {
    std::error_code error;
    std::filesystem::create_directories(directory_, error);
    if (error) return Fail("cannot create " + directory_ + ": " + error.message());
    Held held;
    held.path = directory_ + "/streamed-" + std::to_string(xid) + "-" + RandomAlnum(6);
    held.file = std::fopen(held.path.c_str(), "w+b");
    if (held.file == nullptr) return Fail(Errno("cannot create", held.path));
    it = held_.emplace(xid, std::move(held)).first;
  }
  Held& held = it->second;
  unsigned char header[kHeaderBytes];
  PutU32(header, subxid);
  PutU32(header + 4, static_cast<std::uint32_t>(payload.size()));
  if (std::fwrite(header, 1, kHeaderBytes, held.file) != kHeaderBytes ||
      std::fwrite(payload.data(), 1, payload.size(), held.file) != payload.size()) {
    return Fail(Errno("cannot write", held.path));
  }
  held.bytes += kHeaderBytes + payload.size();
  return Done{};
}

void StreamedTransactions::Abort(std::uint32_t xid, std::uint32_t subxid) {
  auto it = held_.find(xid);
  if (it == held_.end()) return;
  if (subxid == xid) {
    Forget(it);
  } else {
    it->second.aborted_subtransactions.insert(subxid);
  }
}

Result<Done, std::string> StreamedTransactions::Replay(
    std::uint32_t xid, const std::function<Result<Done, std::string>(std::string_view)>& visit) {
  auto it = held_.find(xid);
  if (it == held_.end()) return Done{};
  Held& held = it->second;
  if (std::fflush(held.file) != 0 || std::fseek(held.file, 0, SEEK_SET) != 0) {
    auto message = Errno("cannot read back", held.path);
    Forget(it);
    return Fail(message);
  }
  std::vector<char> payload;
  Result<Done, std::string> outcome = Done{};
  while (true) {
    unsigned char header[kHeaderBytes];
    std::size_t got = std::fread(header, 1, kHeaderBytes, held.file);
    if (got == 0 && std::feof(held.file)) break;
    if (got != kHeaderBytes) {
      outcome = Fail("truncated record in " + held.path);
      break;
    }
    const std::uint32_t subxid = GetU32(header);
    payload.resize(GetU32(header + 4));
    if (std::fread(payload.data(), 1, payload.size(), held.file) != payload.size()) {
      outcome = Fail("truncated record in " + held.path);
      break;
    }
    if (held.aborted_subtransactions.count(subxid) > 0) continue;
    outcome = visit(std::string_view(payload.data(), payload.size()));
    if (!outcome.ok()) break;
  }
  Forget(it);
  return outcome;
}

}  // namespace mallard::cdc
