// s3_checksum_bench: the hashing S3 does over every uploaded byte — each checksum algorithm, MD5
// (ETags), CRC32C's table path (what runs without SSE4.2), and the aws-chunked decoder (unsigned
// framing, and signed chunks, which add a SHA-256 and an HMAC per chunk). Bytes per second in the
// "MB" column, a rate: 10^6 bytes per second of CPU time (4.0k/s = 4,000 MB/s).
//   build/bench/s3_checksum_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "common/encoding.hpp"
#include "protocol/sigv4_verify.hpp"
#include "services/s3/codec/aws_chunked.hpp"
#include "services/s3/codec/checksums.hpp"

namespace {

using namespace mallard::s3::codec;

// Reports the throughput both as Google Benchmark's bytes_per_second (binary units) and in decimal
// MB/s, the unit the brief and the README quote.
void ReportBytes(benchmark::State& state, std::size_t bytes_per_iteration) {
  double bytes = static_cast<double>(state.iterations()) * static_cast<double>(bytes_per_iteration);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["MB"] = benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsRate);
}

const std::string& Data() {
  static const std::string data = [] {
    std::string bytes(8 << 20, '\0');
    std::mt19937_64 rng(42);
    for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
      std::uint64_t word = rng();
      std::memcpy(&bytes[i], &word, 8);
    }
    return bytes;
  }();
  return data;
}

void HashWith(benchmark::State& state, std::unique_ptr<Hasher> (*make)(ChecksumAlgorithm), int which) {
  const std::string& data = Data();
  auto hasher = which < 0 ? MakeMd5Hasher() : make(static_cast<ChecksumAlgorithm>(which));
  for (auto _ : state) {
    hasher->Reset();
    hasher->Update(data);
    benchmark::DoNotOptimize(hasher->Digest());
  }
  ReportBytes(state, data.size());
}

void BM_Crc32(benchmark::State& state) { HashWith(state, MakeHasher, static_cast<int>(ChecksumAlgorithm::kCrc32)); }
void BM_Crc32c(benchmark::State& state) { HashWith(state, MakeHasher, static_cast<int>(ChecksumAlgorithm::kCrc32c)); }
void BM_Crc64Nvme(benchmark::State& state) {
  HashWith(state, MakeHasher, static_cast<int>(ChecksumAlgorithm::kCrc64Nvme));
}
void BM_Sha1(benchmark::State& state) { HashWith(state, MakeHasher, static_cast<int>(ChecksumAlgorithm::kSha1)); }
void BM_Sha256(benchmark::State& state) { HashWith(state, MakeHasher, static_cast<int>(ChecksumAlgorithm::kSha256)); }
void BM_Md5(benchmark::State& state) { HashWith(state, MakeHasher, -1); }

void BM_Crc32cTables(benchmark::State& state) {
  const std::string& data = Data();
  for (auto _ : state) benchmark::DoNotOptimize(Crc32cPortable(0, data));
  ReportBytes(state, data.size());
  state.SetLabel(Crc32cUsesHardware() ? "CPU has SSE4.2; this is the fallback" : "the path in use");
}

// An aws-chunked body of Data() in 64 KiB chunks, as the SDKs send it, decoded in 16 KiB reads.
void Decode(benchmark::State& state, bool sign) {
  const std::string& data = Data();
  ChunkSigning signing;
  signing.signing_key = mallard::protocol::sigv4::SigningKey("secret", "20240102", "us-east-1", "s3");
  signing.seed_signature = std::string(64, '0');
  signing.amz_date = "20240102T030405Z";
  signing.scope = "20240102/us-east-1/s3/aws4_request";
  std::string body;
  std::string previous = signing.seed_signature;
  auto chunk = [&](std::string_view bytes) {
    char size[24];
    std::snprintf(size, sizeof size, "%zx", bytes.size());
    body += size;
    if (sign) {
      std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + signing.amz_date + "\n" + signing.scope + "\n" + previous +
                            "\n" + mallard::Sha256Hex("") + "\n" + mallard::Sha256Hex(bytes);
      previous = mallard::HexEncode(mallard::protocol::sigv4::HmacSha256(signing.signing_key, to_sign));
      body += ";chunk-signature=" + previous;
    }
    body += "\r\n";
    body += bytes;
    if (!bytes.empty()) body += "\r\n";
  };
  for (std::size_t at = 0; at < data.size(); at += 65536) chunk(std::string_view(data).substr(at, 65536));
  chunk("");
  body += "\r\n";
  std::string out;
  out.reserve(1 << 16);
  for (auto _ : state) {
    AwsChunkedOptions options;
    options.signed_chunks = sign;
    if (sign) options.signing = signing;
    options.max_decoded_bytes = data.size();
    AwsChunkedDecoder decoder(options);
    for (std::size_t at = 0; at < body.size(); at += 16384) {
      out.clear();
      if (!decoder.Feed(std::string_view(body).substr(at, 16384), out).ok()) state.SkipWithError("decode failed");
    }
    if (!decoder.Finish().ok()) state.SkipWithError("finish failed");
  }
  ReportBytes(state, data.size());
}
void BM_AwsChunkedUnsigned(benchmark::State& state) { Decode(state, false); }
void BM_AwsChunkedSigned(benchmark::State& state) { Decode(state, true); }

BENCHMARK(BM_Crc32);
BENCHMARK(BM_Crc32c);
BENCHMARK(BM_Crc32cTables);
BENCHMARK(BM_Crc64Nvme);
BENCHMARK(BM_Sha1);
BENCHMARK(BM_Sha256);
BENCHMARK(BM_Md5);
BENCHMARK(BM_AwsChunkedUnsigned);
BENCHMARK(BM_AwsChunkedSigned);

}  // namespace

BENCHMARK_MAIN();
