// pgoutput decoding (logical replication messages from PostgreSQL): any payload, for each protocol
// version and inside/outside a streamed transaction, is one decoded message or an error string —
// never a crash, an over-read or an unbounded allocation from a length field.
//
// Input layout: byte 0 = protocol version (bits 0-1, 1..4), inside_stream (bit 2), LSN text mode
// (bit 3); the rest is the payload.
#include "cdc/pg/lsn.hpp"
#include "cdc/pg/pgoutput.hpp"
#include "fuzz/targets/strict_checks.hpp"

using namespace mallard;
using namespace mallard::cdc::pg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  int version = kMinPgOutputProtocol + (data[0] & 0x03);
  bool inside_stream = (data[0] & 0x04) != 0;
  std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 0x08) {  // the "X/Y" LSN text form (slot positions, progress files): parse round trip
    if (auto lsn = Lsn::Parse(payload)) {
      auto again = Lsn::Parse(lsn->ToString());
      if (!again || *again != *lsn) fuzz::FailCheck("Lsn text does not round-trip", payload);
    }
    return 0;
  }
  auto decoded = DecodePgOutput(payload, inside_stream, version);
  if (decoded.ok()) {
    (void)PgOutputMessageName(decoded->message);
  } else if (decoded.error().empty()) {
    fuzz::FailCheck("DecodePgOutput failed without a reason", payload);
  }
  return 0;
}
