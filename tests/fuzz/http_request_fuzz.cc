// libFuzzer target: arbitrary bytes as what a client sends to slothd's telemetry port, through
// the real request path: libmicrohttpd's parser, MetricsHttpServer's handler (request checks,
// routing, /metrics from a real Telemetry, gzip), its request deadlines, over loopback TCP.
// Each input is one connection: the bytes, then the client's end of sending; the server must
// answer with HTTP status lines or close, never with a 5xx, never hang, and still serve /health
// after every input.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/log.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/http/metrics_http_server.h"
#include "daemon/net/tcp_listen.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Server {
  std::unique_ptr<sloth::Logger> log;
  std::unique_ptr<sloth::Telemetry> telemetry;
  std::unique_ptr<sloth::MetricsHttpServer> http;
  uint16_t port = 0;
};

Server* g_server;

Server* Start() {
  auto* s = new Server;
  s->log = std::make_unique<sloth::Logger>(std::make_unique<sloth::ConsoleLogSink>(stderr), sloth::LogLevel::kError);
  s->telemetry = std::make_unique<sloth::Telemetry>(sloth::CurrentBuildIdentity("fuzz"), sloth::Telemetry::Options{});
  s->telemetry->TaskStarted();
  s->telemetry->TaskFinished("deploy", "build", "success", 0.25, false);
  s->telemetry->ErrorOccurred("config");
  auto fd = sloth::ListenTcp("127.0.0.1", 0, 128);
  Check(fd.ok());
  sloth::MetricsHttpServer::Pages pages;
  pages.metrics = [s](bool gzip, sloth::ExpositionFormat format) { return s->telemetry->Scrape(gzip, format); };
  pages.unhealthy_reason = [] { return std::optional<std::string>(); };
  pages.info_json = [] { return std::string("{\"name\":\"fuzz\"}"); };
  sloth::MetricsHttpServer::Limits limits;
  limits.max_header_bytes = 4096;  // inputs up to -max_len=8192 reach past it (431)
  limits.connection_timeout = std::chrono::seconds(2);
  // libmicrohttpd 0.9.75 misses a client's FIN that comes with the first bytes of a request line
  // (edge-triggered epoll): such a connection waits for the request deadline. Short here, so
  // those inputs cost a quarter second, not the daemon's 5 s.
  limits.request_timeout = std::chrono::milliseconds(250);
  s->http = std::make_unique<sloth::MetricsHttpServer>(std::move(fd).value(), limits, std::move(pages), *s->log,
                                                       sloth::MetricsHttpServer::Access{});
  s->port = s->http->port();
  return s;
}

// From a different loopback address each time (127.1.0.1 ... 127.1.255.254): the server closes
// first, so each connection leaves a TIME_WAIT that holds its client port for a minute, and a
// long run would otherwise exhaust one address's ports.
int Connect(uint16_t port) {
  static uint32_t next_source = 0;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  source.sin_addr.s_addr = htonl(0x7f010001 + next_source++ % 65534);
  Check(::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) == 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Sends `request`, ends sending, and returns all the server says until it closes. A server that
// neither answers nor closes within the deadline (plus slack) is a hang: a crash for the fuzzer.
std::string Exchange(uint16_t port, std::string_view request) {
  const int fd = Connect(port);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may close early (413, 431, 400): that is an answer
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[65536];
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;  // libFuzzer's own timer signal
    Check(ready == 1);
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

// A status the server may send: anything but a server error, except the protocol refusals of
// libmicrohttpd itself (501 for a method or encoding it does not implement, 505 for a version).
bool Allowed(std::string_view status) { return status[0] != '5' || status == "501" || status == "505"; }

// Every status line in `answer` (one per response on the connection) is allowed.
void CheckStatuses(std::string_view answer) {
  if (answer.empty()) return;  // closed without a word: allowed for garbage
  Check(answer.starts_with("HTTP/1."));
  for (size_t at = 0; (at = answer.find("\r\n\r\n", at)) != std::string_view::npos;) {
    at += 4;
    // Bodies may contain anything; only a status line right after a head's end is checked.
    if (answer.substr(at).starts_with("HTTP/1.") && answer.size() >= at + 12) Check(Allowed(answer.substr(at + 9, 3)));
  }
  Check(answer.size() >= 12 && Allowed(answer.substr(9, 3)));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_server = Start();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckStatuses(Exchange(g_server->port, std::string_view(reinterpret_cast<const char*>(data), size)));
  static unsigned runs = 0;
  if (++runs % 256 == 0) {  // still serving: an input must not have broken the server
    const std::string health = Exchange(g_server->port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    Check(health.starts_with("HTTP/1.1 200"));
  }
  return 0;
}
