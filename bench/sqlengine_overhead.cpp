// sqlengine_overhead: what Athena and Redshift Data add on top of DuckDB. Each query runs directly
// in an in-process DuckDB (C API) and through Mallard's API (start, poll until finished, fetch the
// result, over keep-alive HTTP on loopback); the report gives medians, the added milliseconds and
// the ratio API / direct.
//
//   sqlengine_overhead --endpoint http://127.0.0.1:4566 [--iterations 30] [--duckdb-threads N]
//
// The server should run with the same DuckDB thread count (Mallard uses hardware threads - 1).
#include <arpa/inet.h>
#include <duckdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

// A blocking keep-alive HTTP/1.1 client for one loopback server (the server answers with
// Content-Length bodies).
class Connection {
 public:
  Connection(const std::string& host, int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) throw std::runtime_error("bad host " + host);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() { ::close(fd_); }

  // Athena writes every result to its OutputLocation in S3: the bucket must exist (a path-style,
  // unsigned S3 PUT; re-creating one's own bucket in us-east-1 answers 200).
  void CreateBucket(const std::string& bucket) {
    Exchange("CreateBucket", "PUT /" + bucket + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  }

  json::object Call(const std::string& target, const json::object& input) {
    std::string body = json::serialize(input);
    std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n"
                          "X-Amz-Target: " + target + "\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body;
    return json::parse(Exchange(target, request)).as_object();
  }

 private:
  // Sends one request and returns the body of its 200 answer.
  std::string Exchange(const std::string& what, const std::string& request) {
    for (std::size_t sent = 0; sent < request.size();) {
      auto n = ::send(fd_, request.data() + sent, request.size() - sent, 0);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
    std::string data;
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) Receive(data);
    std::string headers = data.substr(0, header_end);
    for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto length_at = headers.find("content-length:");
    if (length_at == std::string::npos) throw std::runtime_error("response without Content-Length");
    std::size_t length = std::stoul(headers.substr(length_at + 15));
    while (data.size() < header_end + 4 + length) Receive(data);
    std::string status = data.substr(9, 3);
    std::string response_body = data.substr(header_end + 4, length);
    if (status != "200") throw std::runtime_error(what + " answered " + status + ": " + response_body);
    return response_body;
  }

  void Receive(std::string& data) {
    char buffer[65536];
    auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    data.append(buffer, static_cast<std::size_t>(n));
  }
  int fd_;
};

double Millis(Clock::duration duration) { return std::chrono::duration<double, std::milli>(duration).count(); }

struct Summary {
  double median = 0;
  double p90 = 0;
};

Summary Summarise(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[std::min(samples.size() - 1, samples.size() * 9 / 10)]};
}

// Runs the variants in turn within each iteration, so that a change in machine load (the machine
// may be shared) affects all of them alike.
std::vector<Summary> MeasureInterleaved(int iterations, const std::vector<std::function<void()>>& variants) {
  for (const auto& run : variants) run();  // warm-up
  std::vector<std::vector<double>> samples(variants.size());
  for (int i = 0; i < iterations; ++i) {
    for (std::size_t v = 0; v < variants.size(); ++v) {
      auto start = Clock::now();
      variants[v]();
      samples[v].push_back(Millis(Clock::now() - start));
    }
  }
  std::vector<Summary> summaries;
  for (auto& each : samples) summaries.push_back(Summarise(std::move(each)));
  return summaries;
}

void RunDirect(duckdb_connection connection, const std::string& sql) {
  duckdb_result result;
  if (duckdb_query(connection, sql.c_str(), &result) != DuckDBSuccess) {
    std::string message = duckdb_result_error(&result);
    duckdb_destroy_result(&result);
    throw std::runtime_error("DuckDB: " + message);
  }
  // Read every chunk, as the API path does.
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(result);
    if (chunk == nullptr) break;
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&result);
}

// Polls the way a careful client does: at once, then after 100 µs doubling up to 1 ms, so that
// polling neither adds much latency nor takes a core from the query on a small machine.
class PollBackoff {
 public:
  void Wait() {
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us_));
    delay_us_ = std::min(delay_us_ * 2, 1000);
  }

 private:
  int delay_us_ = 100;
};

void RunAthena(Connection& http, const std::string& sql) {
  auto started = http.Call("AmazonAthena.StartQueryExecution",
                           {{"QueryString", sql},
                            {"ResultConfiguration", json::object{{"OutputLocation", "s3://bench/results/"}}}});
  json::object id{{"QueryExecutionId", started.at("QueryExecutionId")}};
  PollBackoff backoff;
  while (true) {
    auto execution = http.Call("AmazonAthena.GetQueryExecution", id);
    auto state = execution.at("QueryExecution").at("Status").at("State").as_string();
    if (state == "SUCCEEDED") break;
    if (state == "FAILED" || state == "CANCELLED") throw std::runtime_error("Athena query " + std::string(state));
    backoff.Wait();
  }
  http.Call("AmazonAthena.GetQueryResults", id);
}

void RunRedshift(Connection& http, const std::string& sql) {
  auto started = http.Call("RedshiftData.ExecuteStatement",
                           {{"Sql", sql}, {"WorkgroupName", "bench"}, {"Database", "dev"}});
  json::object id{{"Id", started.at("Id")}};
  PollBackoff backoff;
  while (true) {
    auto described = http.Call("RedshiftData.DescribeStatement", id);
    auto status = described.at("Status").as_string();
    if (status == "FINISHED") break;
    if (status == "FAILED" || status == "ABORTED") throw std::runtime_error("Redshift statement " + std::string(status));
    backoff.Wait();
  }
  http.Call("RedshiftData.GetStatementResult", id);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 4566;
  int iterations = 30;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency() > 1 ? std::thread::hardware_concurrency() - 1 : 1u);
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--endpoint") {
      auto colon = value.rfind(':');
      host = value.substr(value.find("//") + 2, colon - value.find("//") - 2);
      port = std::stoi(value.substr(colon + 1));
    } else if (flag == "--iterations") {
      iterations = std::stoi(value);
    } else if (flag == "--duckdb-threads") {
      threads = static_cast<unsigned>(std::stoul(value));
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  duckdb_database database;
  duckdb_config config;
  duckdb_create_config(&config);
  duckdb_set_config(config, "threads", std::to_string(threads).c_str());
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  char* error = nullptr;
  if (duckdb_open_ext(nullptr, &database, config, &error) != DuckDBSuccess) {
    std::fprintf(stderr, "cannot open DuckDB: %s\n", error ? error : "?");
    return 1;
  }
  duckdb_destroy_config(&config);
  duckdb_connection direct;
  duckdb_connect(database, &direct);

  struct Query {
    const char* name;
    std::string sql;
  };
  std::vector<Query> queries = {
      {"1-row query", "SELECT 42 AS answer"},
      {"1M-row aggregate", "SELECT count(*) AS n, sum(range) AS total, avg(range % 97) AS mean, "
                           "count(DISTINCT range % 10007) AS distinct_keys FROM range(1000000)"},
  };
  try {
    Connection http(host, port);
    http.CreateBucket("bench");
    std::printf("DuckDB threads: %u, iterations: %d (medians; p90 in brackets)\n\n", threads, iterations);
    std::printf("%-18s %16s %16s %16s %12s %12s %10s %10s\n", "query", "direct ms", "athena ms", "redshift ms",
                "athena +ms", "redshift +ms", "athena x", "redshift x");
    for (const auto& query : queries) {
      auto summaries = MeasureInterleaved(iterations, {[&] { RunDirect(direct, query.sql); },
                                                       [&] { RunAthena(http, query.sql); },
                                                       [&] { RunRedshift(http, query.sql); }});
      const Summary& direct_time = summaries[0];
      const Summary& athena_time = summaries[1];
      const Summary& redshift_time = summaries[2];
      std::printf("%-18s %7.3f [%6.3f] %7.3f [%6.3f] %7.3f [%6.3f] %12.3f %12.3f %10.3f %10.3f\n", query.name,
                  direct_time.median, direct_time.p90, athena_time.median, athena_time.p90, redshift_time.median,
                  redshift_time.p90, athena_time.median - direct_time.median,
                  redshift_time.median - direct_time.median, athena_time.median / direct_time.median,
                  redshift_time.median / direct_time.median);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sqlengine_overhead: %s\n", e.what());
    return 1;
  }
  duckdb_disconnect(&direct);
  duckdb_close(&database);
  return 0;
}
