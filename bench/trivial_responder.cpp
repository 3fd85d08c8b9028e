// trivial_responder: the ceiling of the request path on this machine. An HTTP/1.1 keep-alive server
// on one thread that reads each request (head and Content-Length body, pipelining allowed) and
// answers every one with the same 200 and a fixed body, doing nothing else. It pays the kernel's
// cost per request (accept, read, write, epoll) and almost nothing of its own, so a server's
// throughput next to it shows how much of a request's time is the server's own work
// (bench/run_request_path_bench.py runs the two side by side).
//
//   trivial_responder --port P [--host 127.0.0.1] [--body TEXT] [--content-type TYPE]
//
// The body defaults to 100 bytes of JSON; the bench passes one shaped like the answer its load
// generator checks (a GetItem's Item, an SQS MessageId).
#include <boost/asio.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string body = R"({"Item":{"pk":{"S":"key-00000001"},"sk":{"N":"1"},"data":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}})";
  std::string content_type = "application/x-amz-json-1.0";
};

[[noreturn]] void Usage(int status) {
  std::fprintf(status == 0 ? stdout : stderr,
               "Usage: trivial_responder --port P [--host H] [--body TEXT] [--content-type TYPE]\n"
               "Answers every HTTP/1.1 request with 200 and the same body (keep-alive, one thread).\n");
  std::exit(status);
}

Options Parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") Usage(0);
    if (i + 1 >= argc) Usage(2);
    std::string value = argv[++i];
    if (flag == "--port") options.port = static_cast<unsigned short>(std::atoi(value.c_str()));
    else if (flag == "--host") options.host = value;
    else if (flag == "--body") options.body = value;
    else if (flag == "--content-type") options.content_type = value;
    else Usage(2);
  }
  if (options.port == 0) Usage(2);
  return options;
}

// Case-insensitive search for a header's value inside a request head; -1 when absent.
long long ContentLength(std::string_view head) {
  static constexpr std::string_view kName = "\r\ncontent-length:";
  for (std::size_t at = 0; at + kName.size() <= head.size(); ++at) {
    bool match = true;
    for (std::size_t k = 0; k < kName.size() && match; ++k) {
      match = std::tolower(static_cast<unsigned char>(head[at + k])) == kName[k];
    }
    if (!match) continue;
    std::size_t value = at + kName.size();
    while (value < head.size() && head[value] == ' ') ++value;
    long long length = 0;
    auto [end, ec] = std::from_chars(head.data() + value, head.data() + head.size(), length);
    return ec == std::errc() ? length : -1;
  }
  return 0;
}

asio::awaitable<void> Serve(tcp::socket socket, const std::string& response) {
  std::string buffer;
  buffer.reserve(64 * 1024);
  std::string out;
  char chunk[64 * 1024];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    buffer.append(chunk, n);
    // Answer every complete request in the buffer (pipelined ones too) with one write.
    out.clear();
    std::size_t consumed = 0;
    for (;;) {
      std::size_t head_end = buffer.find("\r\n\r\n", consumed);
      if (head_end == std::string::npos) break;
      long long length = ContentLength(std::string_view(buffer).substr(consumed, head_end - consumed));
      if (length < 0) co_return;  // a malformed request ends the connection
      std::size_t end = head_end + 4 + static_cast<std::size_t>(length);
      if (end > buffer.size()) break;
      out += response;
      consumed = end;
    }
    buffer.erase(0, consumed);
    if (out.empty()) continue;
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> Listen(tcp::acceptor acceptor, const std::string& response) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket), response), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options = Parse(argc, argv);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: " + options.content_type +
                               "\r\nContent-Length: " + std::to_string(options.body.size()) +
                               "\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\r\n" + options.body;
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(options.host), options.port));
  asio::co_spawn(io, Listen(std::move(acceptor), response), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, auto) { io.stop(); });
  std::printf("trivial_responder: listening on %s:%u\n", options.host.c_str(), options.port);
  std::fflush(stdout);
  io.run();
  return 0;
}
