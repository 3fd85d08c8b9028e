#include "persistence/data_directory.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <map>

#include "services/kit/state_changes.hpp"

namespace mallard::persistence {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kSnapshotPrefix = "snapshot-";
constexpr int kCompactionNice = 10;
constexpr std::string_view kSnapshotSuffix = ".jsonl";
constexpr std::string_view kJournalPrefix = "journal-";
constexpr std::string_view kJournalSuffix = ".log";
// A thread's reused record buffer keeps its capacity up to this (a 1 MiB message's record).
constexpr std::size_t kKeptRecordBufferBytes = 2u << 20;

// "snapshot-42.jsonl" → 42 (nullopt for anything else, a ".tmp" left by a crash included).
std::optional<std::uint64_t> NumberIn(const std::string& name, std::string_view prefix, std::string_view suffix) {
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  std::string_view digits(name.data() + prefix.size(), name.size() - prefix.size() - suffix.size());
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::string Named(std::string_view prefix, std::uint64_t lsn, std::string_view suffix) {
  return std::string(prefix) + std::to_string(lsn) + std::string(suffix);
}

Status<std::string> SyncPath(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Fail("cannot open " + path.string() + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) return Fail("cannot fsync " + path.string() + ": " + std::strerror(saved));
  return Done{};
}

// Sorted ascending by the LSN in the name.
std::vector<std::pair<std::uint64_t, fs::path>> FilesNumbered(const fs::path& dir, std::string_view prefix,
                                                              std::string_view suffix) {
  std::vector<std::pair<std::uint64_t, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (auto number = NumberIn(entry.path().filename().string(), prefix, suffix)) found.emplace_back(*number, entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

// Reports one service's changes to the journal.
// The store keeps its sink as long as it lives, which may be longer than the directory: the link
// is cut when the directory goes, and a change after that is not journaled.
struct DataDirectory::Link {
  std::shared_mutex mutex;
  DataDirectory* owner = nullptr;
};

class DataDirectory::Sink final : public services::StateChangeSink {
 public:
  Sink(std::shared_ptr<Link> link, std::string service) : link_(std::move(link)), service_(std::move(service)) {}
  void Record(std::span<const services::StateChange> changes) override {
    std::shared_lock lock(link_->mutex);
    if (link_->owner != nullptr) link_->owner->Append(service_, changes);
  }

 private:
  std::shared_ptr<Link> link_;
  std::string service_;
};

namespace {

// Drains `serializer` (reset to a value) at the end of `out`, straight into its spare room: no
// temporary string per value. This runs for every change under the store's lock, so it is on
// every write's path.
void Drain(json::serializer& serializer, std::string& out) {
  while (!serializer.done()) {
    std::size_t used = out.size();
    std::size_t room = std::max<std::size_t>(out.capacity() - used, 256);
    out.resize(used + room);
    auto written = serializer.read(out.data() + used, room);
    out.resize(used + written.size());
  }
}

void AppendJsonText(json::serializer& serializer, std::string& out, std::string_view text) {
  serializer.reset(json::string_view(text.data(), text.size()));
  Drain(serializer, out);
}

}  // namespace

std::string DataDirectory::EncodeChange(const std::string& service, const services::StateChange& change) {
  std::string out;
  EncodeChangeInto(out, service, change);
  return out;
}

void DataDirectory::EncodeChangeInto(std::string& out, const std::string& service, const services::StateChange& change) {
  // Written out field by field rather than as a json::object, which would copy the body (a whole
  // message or item) once more under the store's lock. Same text as serialising that object.
  json::serializer serializer;
  out += "{\"service\":";
  AppendJsonText(serializer, out, service);
  out += ",\"account\":";
  AppendJsonText(serializer, out, change.scope.account);
  out += ",\"region\":";
  AppendJsonText(serializer, out, change.scope.region);
  out += change.op == services::StateChange::Op::kPut ? ",\"op\":\"put\",\"kind\":" : ",\"op\":\"remove\",\"kind\":";
  AppendJsonText(serializer, out, change.record.kind);
  out += ",\"body\":";
  serializer.reset(&change.record.body);
  Drain(serializer, out);
  out += '}';
}

namespace {

Result<json::value, std::string> ParseRecord(std::string_view payload) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 4096;  // DynamoDB items nest 32 levels and more inside the record
  auto value = json::parse(payload, ec, {}, options);
  if (ec) return Fail(std::string("a journal record is not JSON"));
  return value;
}

Result<std::pair<std::string, services::StateChange>, std::string> ChangeFrom(const json::value& value) {
  if (!value.is_object()) return Fail(std::string("a journal record is not a JSON object"));
  const auto& object = value.as_object();
  auto text = [&](std::string_view key) -> const json::string* {
    const auto* member = object.if_contains(key);
    return member != nullptr && member->is_string() ? &member->as_string() : nullptr;
  };
  const auto *service = text("service"), *account = text("account"), *region = text("region"), *op = text("op"),
             *kind = text("kind");
  const auto* body = object.if_contains("body");
  if (!service || !account || !region || !op || !kind || body == nullptr || !body->is_object() ||
      (*op != "put" && *op != "remove"))
    return Fail(std::string("a journal record lacks service, account, region, op, kind or body"));
  services::StateChange change;
  change.op = *op == "put" ? services::StateChange::Op::kPut : services::StateChange::Op::kRemove;
  change.scope = {std::string(*account), std::string(*region)};
  change.record = {std::string(*kind), body->as_object()};
  return std::pair<std::string, services::StateChange>{std::string(*service), std::move(change)};
}

}  // namespace

Result<std::pair<std::string, services::StateChange>, std::string> DataDirectory::DecodeChange(std::string_view payload) {
  MALLARD_ASSIGN_OR_RETURN(auto value, ParseRecord(payload));
  return ChangeFrom(value);
}

std::string DataDirectory::EncodeChanges(const std::string& service, std::span<const services::StateChange> changes) {
  return EncodeChangeRecords(service, changes, std::numeric_limits<std::size_t>::max()).front();
}

std::vector<std::string> DataDirectory::EncodeChangeRecords(const std::string& service,
                                                            std::span<const services::StateChange> changes,
                                                            std::size_t max_record_bytes) {
  if (changes.size() == 1) return {EncodeChange(service, changes.front())};
  std::vector<std::string> records;
  std::string record = "[";
  for (const auto& change : changes) {
    std::string encoded = EncodeChange(service, change);
    if (record.size() > 1 && record.size() + encoded.size() + 2 > max_record_bytes) {
      record += ']';
      records.push_back(std::move(record));
      record = "[";
    }
    if (record.size() > 1) record += ',';
    record += encoded;
  }
  record += ']';
  records.push_back(std::move(record));
  return records;
}

Result<std::vector<std::pair<std::string, services::StateChange>>, std::string> DataDirectory::DecodeChanges(
    std::string_view payload) {
  MALLARD_ASSIGN_OR_RETURN(auto value, ParseRecord(payload));
  std::vector<std::pair<std::string, services::StateChange>> changes;
  if (!value.is_array()) {
    MALLARD_ASSIGN_OR_RETURN(auto change, ChangeFrom(value));
    changes.push_back(std::move(change));
    return changes;
  }
  if (value.as_array().empty()) return Fail(std::string("a journal record holds an empty list of changes"));
  for (const auto& element : value.as_array()) {
    MALLARD_ASSIGN_OR_RETURN(auto change, ChangeFrom(element));
    changes.push_back(std::move(change));
  }
  return changes;
}

DataDirectory::DataDirectory(DataDirectoryOptions options, std::vector<StatefulService> services, SnapshotIo snapshots)
    : options_(std::move(options)),
      state_dir_(options_.dir / "state"),
      services_(std::move(services)),
      snapshots_(std::move(snapshots)),
      link_(std::make_shared<Link>()) {
  link_->owner = this;
}

DataDirectory::~DataDirectory() {
  {
    std::unique_lock lock(link_->mutex);
    link_->owner = nullptr;
  }
  if (compactor_.joinable()) compactor_.join();
}

Result<std::unique_ptr<DataDirectory>, std::string> DataDirectory::Open(DataDirectoryOptions options,
                                                                         std::vector<StatefulService> services,
                                                                         SnapshotIo snapshots) {
  std::unique_ptr<DataDirectory> directory(new DataDirectory(std::move(options), std::move(services), std::move(snapshots)));
  std::error_code ec;
  fs::create_directories(directory->state_dir_, ec);
  if (ec) return Fail("cannot create " + directory->state_dir_.string() + ": " + ec.message());
  auto next = directory->Recover();
  if (!next) return Fail(next.error());
  std::uint64_t lsn = *next;
  if (directory->options_.durability != Durability::kNone) {
    MALLARD_RETURN_IF_ERROR(directory->StartSegment(lsn));
    for (auto& service : directory->services_) {
      if (!service.state->AttachChangeSink(std::make_shared<Sink>(directory->link_, service.name)))
        directory->unjournaled_.push_back(service.name);
    }
  } else {
    for (auto& service : directory->services_) directory->unjournaled_.push_back(service.name);
  }
  // Every start begins a new snapshot of what was recovered; older files go once it is durable.
  // With a journal and nothing dropped, it is written in the background while requests are served
  // (for a million items it takes seconds): until it is done, the old snapshot and segments, which
  // read through to the new segment, are the state. A start that dropped a damaged tail writes it
  // first: the damaged segment would otherwise stop the next start's replay there, before the new
  // segment's changes.
  if (directory->options_.durability != Durability::kNone && !directory->dropped_at_start_) {
    directory->start_summary_ += "; a new snapshot is being written in the background";
    directory->CompactInBackground();
    return directory;
  }
  MALLARD_RETURN_IF_ERROR(directory->WriteSnapshot(lsn));
  directory->RemoveOlderThan(lsn);
  return directory;
}

Result<std::uint64_t, std::string> DataDirectory::Recover() {
  std::string summary;
  std::uint64_t snapshot_lsn = 0;
  auto snapshots = FilesNumbered(state_dir_, kSnapshotPrefix, kSnapshotSuffix);
  if (!snapshots.empty()) {
    auto& [lsn, path] = snapshots.back();
    if (auto loaded = snapshots_.load(path); !loaded) return Fail("cannot load " + path.string() + ": " + loaded.error());
    snapshot_lsn = lsn;
    summary = "loaded " + path.filename().string();
    std::error_code size_error;
    auto bytes = fs::file_size(path, size_error);
    if (!size_error) last_snapshot_bytes_.store(bytes, std::memory_order_relaxed);
  } else {
    summary = "no snapshot";
  }
  std::map<std::string, services::ServiceState*> by_name;
  for (const auto& service : services_) by_name[service.name] = service.state;
  std::uint64_t expected = snapshot_lsn == 0 ? 0 : snapshot_lsn;  // 0: whatever the first record is
  std::uint64_t replayed = 0;
  std::string dropped;
  auto segments = FilesNumbered(state_dir_, kJournalPrefix, kJournalSuffix);
  for (std::size_t i = 0; i < segments.size() && dropped.empty(); ++i) {
    const auto& [first, path] = segments[i];
    // A segment wholly before the snapshot (the next one starts at or before its LSN) is in it.
    if (i + 1 < segments.size() && segments[i + 1].first <= snapshot_lsn) continue;
    auto scan = ReadJournal(path, first);
    if (!scan) return Fail(scan.error());
    for (const auto& record : scan->records) {
      if (record.lsn < snapshot_lsn) continue;
      if (expected != 0 && record.lsn != expected) {
        dropped = path.filename().string() + " from LSN " + std::to_string(record.lsn) + " (LSN " +
                  std::to_string(expected) + " is missing)";
        break;
      }
      auto decoded = DecodeChanges(record.payload);
      if (!decoded) return Fail(path.string() + " LSN " + std::to_string(record.lsn) + ": " + decoded.error());
      for (auto& [service, change] : *decoded) {
        auto found = by_name.find(service);
        if (found == by_name.end())
          return Fail(path.string() + " LSN " + std::to_string(record.lsn) + " changes service '" + service +
                      "', which this server does not run");
        if (auto applied = found->second->Apply(change); !applied)
          return Fail(path.string() + " LSN " + std::to_string(record.lsn) + " (" + service + " " +
                      change.record.kind + "): " + applied.error());
      }
      expected = record.lsn + 1;
      ++replayed;
    }
    if (dropped.empty() && scan->dropped_bytes > 0) {
      dropped = std::to_string(scan->dropped_bytes) + " bytes at the end of " + path.filename().string() + " (" +
                scan->dropped_reason + ")";
      if (i + 1 < segments.size()) dropped += " and the segments after it";
    }
  }
  summary += ", replayed " + std::to_string(replayed) + " journaled change" + (replayed == 1 ? "" : "s");
  dropped_at_start_ = !dropped.empty();
  if (!dropped.empty()) {
    summary += "; dropped " + dropped + ": changes after it were not acknowledged durably or are damaged";
    spdlog::warn("data directory {}: dropped {}", options_.dir.string(), dropped);
  }
  start_summary_ = summary;
  return std::max<std::uint64_t>({expected, snapshot_lsn + 1, 1});
}

Status<std::string> DataDirectory::StartSegment(std::uint64_t first_lsn) {
  JournalOptions journal_options{state_dir_ / Named(kJournalPrefix, first_lsn, kJournalSuffix), options_.durability,
                                 options_.interval};
  auto opened = JournalWriter::Open(journal_options, first_lsn, 0);
  if (!opened) return Fail(opened.error());
  std::unique_lock lock(segment_mutex_);
  if (journal_) {
    if (auto flushed = journal_->Flush(); !flushed) return Fail(flushed.error());
  }
  journal_ = std::shared_ptr<JournalWriter>(std::move(opened).value());
  segment_first_lsn_ = first_lsn;
  segment_bytes_at_start_ = 0;
  return Done{};
}

Status<std::string> DataDirectory::WriteSnapshot(std::uint64_t lsn) {
  auto final_path = state_dir_ / Named(kSnapshotPrefix, lsn, kSnapshotSuffix);
  auto temporary = final_path;
  temporary += ".tmp";
  if (auto saved = snapshots_.save(temporary); !saved) return Fail("cannot write a snapshot: " + saved.error());
  MALLARD_RETURN_IF_ERROR(SyncPath(temporary, false));
  std::error_code size_error;
  auto bytes = fs::file_size(temporary, size_error);
  if (!size_error) last_snapshot_bytes_.store(bytes, std::memory_order_relaxed);
  std::error_code ec;
  fs::rename(temporary, final_path, ec);
  if (ec) return Fail("cannot rename " + temporary.string() + ": " + ec.message());
  return SyncPath(state_dir_, true);
}

void DataDirectory::RemoveOlderThan(std::uint64_t lsn) {
  std::error_code ec;
  for (const auto& [number, path] : FilesNumbered(state_dir_, kSnapshotPrefix, kSnapshotSuffix)) {
    if (number < lsn) fs::remove(path, ec);
  }
  auto segments = FilesNumbered(state_dir_, kJournalPrefix, kJournalSuffix);
  for (const auto& [number, path] : segments) {
    if (number < lsn) fs::remove(path, ec);
  }
  for (const auto& entry : fs::directory_iterator(state_dir_, ec)) {
    if (entry.path().extension() == ".tmp") fs::remove(entry.path(), ec);
  }
}

void DataDirectory::Append(const std::string& service, std::span<const services::StateChange> changes) {
  bool compact = false;
  {
    std::shared_lock lock(segment_mutex_);
    if (!journal_) return;
    if (changes.empty()) return;
    // One record for all of a call's changes, whatever their number: they are one atomic unit of
    // the store (a transaction's items, a message moved to its dead-letter queue), and separate
    // records could be cut apart by a crash, so a replay would apply half of a transaction.
    // A bulk load (a snapshot's queue or table imported whole) reports its changes in one call
    // too; past options_.max_record_bytes it is split, as a frame holds at most 4 GiB. A client's transaction
    // is far below that (100 items of 400 KB).
    std::uint64_t lsn = 0;
    if (changes.size() == 1) {
      // The common case, one change a call, encoded into this thread's reused buffer: a new string
      // of a kilobyte or more for every write costs glibc its slow path (a large-bin request
      // consolidates the fast bins first), and the journal copies the bytes anyway.
      thread_local std::string record;
      record.clear();
      EncodeChangeInto(record, service, changes.front());
      lsn = journal_->Append(record);
      if (record.capacity() > kKeptRecordBufferBytes) std::string().swap(record);
    } else {
      for (const auto& record : EncodeChangeRecords(service, changes, options_.max_record_bytes)) lsn = journal_->Append(record);
    }
    // Checked once per 1,024 records: the statistics take the journal's lock.
    // The bound grows with the state (as Redis rewrites its AOF once it has doubled): a compaction
    // rewrites everything, so compacting a 1 GB state every 64 MiB of changes would write 16 bytes
    // for each one journaled; against the last snapshot's size it writes at most one.
    if (lsn % 1024 == 0)
      compact = journal_->Statistics().bytes >
                std::max(options_.compact_after_bytes, last_snapshot_bytes_.load(std::memory_order_relaxed));
  }
  if (compact) CompactInBackground();
}

void DataDirectory::DeliverWhenDurable(std::function<void()> deliver) {
  std::shared_ptr<JournalWriter> journal;
  {
    std::shared_lock lock(segment_mutex_);
    journal = journal_;
  }
  if (!journal || options_.durability != Durability::kFsync) return deliver();
  journal->WhenAllDurable(std::move(deliver));  // nothing pending: reads never wait
}

bool DataDirectory::CompactionRunning() {
  std::lock_guard lock(compaction_mutex_);
  return compacting_;
}

void DataDirectory::CompactInBackground() {
  std::lock_guard lock(compaction_mutex_);
  if (compacting_ || closed_) return;
  if (compactor_.joinable()) compactor_.join();
  compacting_ = true;
  compactor_ = std::thread([this] {
    // Background work at background priority: a compaction serialises the whole state (seconds of
    // CPU for a million records), and on a server with one core to spare it would otherwise take
    // half of it from the requests while it runs. Raising one's own nice value needs no privilege.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kCompactionNice);
    if (auto compacted = Compact(); !compacted) spdlog::error("data directory: compaction failed: {}", compacted.error());
    std::lock_guard done(compaction_mutex_);
    compacting_ = false;
  });
}

Status<std::string> DataDirectory::Compact() {
  std::uint64_t next = 1;
  {
    std::shared_lock lock(segment_mutex_);
    if (journal_) next = journal_->LastLsn() + 1;
  }
  if (options_.durability != Durability::kNone) {
    // The new segment starts at `next`: every change before it is in the old one (flushed), and
    // the snapshot taken afterwards holds at least those.
    std::unique_lock lock(segment_mutex_);
    next = journal_->LastLsn() + 1;
    if (auto flushed = journal_->Flush(); !flushed) return Fail(flushed.error());
    // A segment with no record yet stays: a new one would have its name, and the old writer,
    // closing, would cut the file the new one writes to.
    if (next != segment_first_lsn_) {
      JournalOptions journal_options{state_dir_ / Named(kJournalPrefix, next, kJournalSuffix), options_.durability,
                                     options_.interval};
      auto opened = JournalWriter::Open(journal_options, next, 0);
      if (!opened) return Fail(opened.error());
      journal_ = std::shared_ptr<JournalWriter>(std::move(opened).value());
      segment_first_lsn_ = next;
    }
  } else {
    auto snapshots = FilesNumbered(state_dir_, kSnapshotPrefix, kSnapshotSuffix);
    next = snapshots.empty() ? 1 : snapshots.back().first + 1;
  }
  MALLARD_RETURN_IF_ERROR(WriteSnapshot(next));
  RemoveOlderThan(next);
  return Done{};
}

Status<std::string> DataDirectory::Close() {
  {
    std::lock_guard lock(compaction_mutex_);
    closed_ = true;
  }
  if (compactor_.joinable()) compactor_.join();
  auto compacted = Compact();
  std::unique_lock lock(segment_mutex_);
  if (journal_) {
    auto flushed = journal_->Flush();
    journal_.reset();
    if (!flushed && compacted) return flushed;
  }
  return compacted;
}

}  // namespace mallard::persistence
