// sqs_load: the shared bench helpers (load_util, load_http_client, load_stats) under sqs_load names.
#pragma once

#include "load_http_client.hpp"
#include "load_stats.hpp"
#include "load_util.hpp"

namespace sqs_load {

using bench_load::Clock;
using bench_load::Endpoint;
using bench_load::Fixed;
using bench_load::HttpClient;
using bench_load::HttpResponse;
using bench_load::Latency;
using bench_load::Summarize;
using bench_load::Truncate;
namespace asio = bench_load::asio;
using bench_load::tcp;
namespace json = boost::json;

}  // namespace sqs_load
