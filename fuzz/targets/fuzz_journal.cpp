// The --data-dir journal reader (src/persistence, issue 18): a journal is bytes on disk that a crash
// may have cut or a bad disk damaged, read back at every start. Checked against the frames this
// input encodes (an independent reference: what was written):
//
// Input: byte 0 picks the damage (0 none, 1 cut at an offset, 2 flip a byte, 3 append garbage,
// 4 append zeros — the writer's preallocated room — with, when the offset's top bit is set, one
// byte in them not zero), bytes 1..4 the offset; the rest is split at '\n' into payloads, each written as a frame with
// EncodeJournalFrame (LSNs from 1), and each payload also goes through DataDirectory::DecodeChange.
// Checks: reading never fails on damage (only I/O errors fail); the records it returns are exactly
// the first k encoded frames, in order, with their LSNs and payloads; good_bytes is the size of those
// k frames and good_bytes + unused_bytes + dropped_bytes is the file's size; with no damage every
// frame comes back and nothing is dropped; a cut at a frame boundary drops nothing it did not cut;
// zeros after the frames are unused room, not damage, unless one byte in them is not zero.
// DecodeChange never crashes, an error has a message, and a decoded change encodes back to one
// that decodes the same, in the text boost::json gives the same record as an object; so does
// DecodeChanges (a call's changes as one record, a JSON array).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fuzz/targets/scratch_file.hpp"
#include "fuzz/targets/strict_checks.hpp"
#include "persistence/data_directory.hpp"
#include "persistence/journal.hpp"
#include "services/kit/state_changes.hpp"

using namespace mallard;

namespace {

const std::filesystem::path& ScratchFile() {
  static const fuzz::ScratchFile scratch("fuzz_journal", ".log");
  return scratch.path();
}

void CheckDecodeMany(std::string_view payload, std::string_view input) {
  // A call's changes as one record (a JSON array of changes, or one change): never a crash, an
  // error has a message, and what decodes encodes back (per service) to records that decode the same.
  auto decoded = persistence::DataDirectory::DecodeChanges(payload);
  if (!decoded) {
    if (decoded.error().empty()) fuzz::FailCheck("DecodeChanges refused without a message", input);
    return;
  }
  if (decoded->empty()) fuzz::FailCheck("DecodeChanges returned no change", input);
  for (const auto& [service, change] : *decoded) {
    std::vector<services::StateChange> one{change, change};
    auto again = persistence::DataDirectory::DecodeChanges(persistence::DataDirectory::EncodeChanges(service, one));
    if (!again || again->size() != 2 || (*again)[1].first != service || (*again)[1].second.record.body != change.record.body)
      fuzz::FailCheck("changes decoded from a record do not survive EncodeChanges", input);
  }
  if (persistence::DataDirectory::DecodeChange(payload) && decoded->size() != 1)
    fuzz::FailCheck("a single change decodes as several", input);
}

void CheckDecode(std::string_view payload, std::string_view input) {
  CheckDecodeMany(payload, input);
  auto decoded = persistence::DataDirectory::DecodeChange(payload);
  if (!decoded) {
    if (decoded.error().empty()) fuzz::FailCheck("DecodeChange refused without a message", input);
    return;
  }
  const auto& [service, change] = *decoded;
  auto again = persistence::DataDirectory::DecodeChange(persistence::DataDirectory::EncodeChange(service, change));
  if (!again) fuzz::FailCheck("a decoded change does not decode after encoding: " + again.error(), input);
  if (again->first != service || again->second.op != change.op || again->second.scope != change.scope ||
      again->second.record.kind != change.record.kind || again->second.record.body != change.record.body)
    fuzz::FailCheck("a decoded change encodes to a different one", input);
  // EncodeChange writes the record out field by field; the reference is boost::json's own text.
  boost::json::object reference{{"service", service},
                                {"account", change.scope.account},
                                {"region", change.scope.region},
                                {"op", change.op == services::StateChange::Op::kPut ? "put" : "remove"},
                                {"kind", change.record.kind},
                                {"body", change.record.body}};
  if (persistence::DataDirectory::EncodeChange(service, change) != boost::json::serialize(reference))
    fuzz::FailCheck("EncodeChange's text is not boost::json's for the same record", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.size() < 5) return 0;
  const unsigned damage = static_cast<unsigned char>(input[0]) % 5;
  std::uint32_t offset = 0;
  for (int i = 0; i < 4; ++i) offset = (offset << 8) | static_cast<unsigned char>(input[1 + i]);
  std::string_view rest = input.substr(5);

  std::vector<std::string> payloads;
  std::vector<std::size_t> frame_ends;  // file size after each frame
  std::string file;
  for (std::size_t start = 0; start <= rest.size() && payloads.size() < 64;) {
    auto end = rest.find('\n', start);
    std::string_view payload = rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    CheckDecode(payload, input);
    payloads.emplace_back(payload);
    file += persistence::EncodeJournalFrame(payloads.size(), payload);
    frame_ends.push_back(file.size());
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const std::size_t written = file.size();
  std::size_t intact = written;  // bytes from the start that are exactly what was encoded
  if (damage == 1 && !file.empty()) {
    file.resize(offset % (file.size() + 1));
    intact = file.size();
  } else if (damage == 2 && !file.empty()) {
    const std::size_t at = offset % file.size();
    file[at] = static_cast<char>(file[at] ^ (1 + (offset >> 24) % 255));
    intact = at;
  } else if (damage == 3) {
    file.append(rest.substr(0, offset % 64));
  }
  const std::size_t zeros = damage == 4 ? offset % 8192 : 0;
  const bool zeros_marked = zeros > 0 && (offset >> 31) != 0;
  if (damage == 4) {
    file.append(zeros, '\0');
    if (zeros_marked) file[written + (offset >> 16) % zeros] = '\x01';
  }
  {
    std::ofstream out(ScratchFile(), std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
  }
  auto scan = persistence::ReadJournal(ScratchFile(), 1);
  if (!scan) fuzz::FailCheck("ReadJournal failed on a readable file: " + scan.error(), input);
  if (scan->good_bytes + scan->unused_bytes + scan->dropped_bytes != file.size())
    fuzz::FailCheck("good + unused + dropped is not the file size", input);
  if (scan->unused_bytes > 0 && (scan->dropped_bytes > 0 || !scan->dropped_reason.empty()))
    fuzz::FailCheck("a tail both unused and dropped", input);
  if (scan->records.size() > payloads.size()) fuzz::FailCheck("more records than frames were written", input);
  for (std::size_t i = 0; i < scan->records.size(); ++i) {
    if (scan->records[i].lsn != i + 1 || scan->records[i].payload != payloads[i])
      fuzz::FailCheck("record " + std::to_string(i) + " is not the frame written there", input);
  }
  const std::size_t k = scan->records.size();
  if (scan->good_bytes != (k == 0 ? 0 : frame_ends[k - 1])) fuzz::FailCheck("good_bytes is not the end of the last record", input);
  // Every frame that lies wholly in the undamaged prefix comes back (a flip inside a frame may only
  // cost that frame and those after it).
  std::size_t whole = 0;
  while (whole < frame_ends.size() && frame_ends[whole] <= intact) ++whole;
  if (damage != 3 && k < whole) fuzz::FailCheck("an undamaged frame was dropped", input);
  if ((damage == 3 || damage == 4) && k != payloads.size()) fuzz::FailCheck("bytes after the frames cost a frame", input);
  if (damage == 4 && !zeros_marked && (scan->unused_bytes != zeros || scan->dropped_bytes != 0))
    fuzz::FailCheck("zeros after the frames were not read as unused room", input);
  if (damage == 4 && zeros_marked && (scan->dropped_bytes != zeros || scan->dropped_reason.empty()))
    fuzz::FailCheck("zeros with a byte set after the frames were not dropped", input);
  if (damage == 0 && (k != payloads.size() || scan->dropped_bytes != 0 || written != file.size()))
    fuzz::FailCheck("an undamaged journal did not read back whole", input);
  return 0;
}
