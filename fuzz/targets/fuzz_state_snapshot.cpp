// The state snapshot reader (src/state, issue 18): a snapshot is a file a user hands to
// `mallard state load`, `POST /_mallard/state/load` or `serve --load-state`, so any bytes must be
// refused with a message or read, never crash or hang.
//
// Input: the whole input is a snapshot file. InspectSnapshot reads it (every structural check a
// load makes before changing anything); each line also goes through ParseSnapshotLine alone.
// Checks beyond "no crash": an error has a message; an accepted snapshot is consistent with its
// own lines (its record total is the sum of its sections' counts, its format version is one this
// reader knows), and reading the same file twice answers the same.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "fuzz/targets/scratch_file.hpp"
#include "fuzz/targets/strict_checks.hpp"
#include "state/snapshot.hpp"
#include "state/snapshot_reader.hpp"

using namespace mallard;

namespace {

const std::filesystem::path& ScratchFile() {
  static const fuzz::ScratchFile scratch("fuzz_state_snapshot", ".jsonl");
  return scratch.path();
}

std::string Describe(const Result<state::SnapshotSummary, std::string>& result) {
  if (!result) return "error: " + result.error();
  return "ok: " + state::SummaryJson(*result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Line by line, as the reader splits them.
  std::int64_t number = 0;
  for (std::size_t start = 0; start <= input.size();) {
    auto end = input.find('\n', start);
    auto text = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto line = state::ParseSnapshotLine(text, ++number);
    if (!line && line.error().empty()) fuzz::FailCheck("ParseSnapshotLine refused without a message", input);
    {
      // The check before a load parses into a small buffer and leaves record bodies out: it must
      // accept and refuse exactly what the load does, with the same message.
      unsigned char buffer[256];
      boost::json::monotonic_resource scratch(buffer, sizeof buffer);
      auto checked = state::ParseSnapshotLine(text, number, &scratch, false);
      if (checked.ok() != line.ok() || (!line && checked.error() != line.error()) ||
          (line && (checked->type != line->type || checked->record.kind != line->record.kind ||
                    checked->counts != line->counts || checked->section.service != line->section.service))) {
        fuzz::FailCheck("ParseSnapshotLine without bodies answers otherwise than with them", input);
      }
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }

  {
    std::ofstream out(ScratchFile(), std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }
  auto first = state::InspectSnapshot(ScratchFile());
  if (!first) {
    if (first.error().empty()) fuzz::FailCheck("InspectSnapshot refused without a message", input);
  } else {
    if (first->format_version < 1 || first->format_version > state::kFormatVersion)
      fuzz::FailCheck("accepted a format version this reader does not know", input);
    std::int64_t total = 0;
    for (const auto& section : first->sections) {
      if (section.record_version < 1) fuzz::FailCheck("accepted a record_version below 1", input);
      for (const auto& [kind, count] : section.counts) {
        if (kind.empty() || count < 0) fuzz::FailCheck("accepted an empty kind or a negative count", input);
        total += count;
      }
    }
    if (total != first->records) fuzz::FailCheck("the record total is not the sum of the sections' counts", input);
  }
  auto second = state::InspectSnapshot(ScratchFile());
  if (Describe(first) != Describe(second)) fuzz::FailCheck("reading the same snapshot twice answered differently", input);
  return 0;
}
