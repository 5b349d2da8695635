// Load and abuse against slothd's telemetry port, with the figures to show for it: scrapers that
// fetch /metrics back to back on keep-alive connections, tricklers that send a request one header
// line at a time and reconnect whenever the server cuts them, each group from its own range of
// 127.0.0.0/8 source addresses, and a prober that times GET /health on a fresh connection from
// 127.0.0.1 every few milliseconds, as a load balancer would.
//
//   http_load --port P [--scrapers 1000] [--scraper-sources 127.0.1.1/100] [--tricklers 500]
//             [--trickler-sources 127.0.2.1/32] [--trickle-ms 200] [--seconds 15] [--warmup 3]
//             [--probe-ms 20] [--probe-timeout-ms 2000] [--max-p99-ms N]
//
// Exits 1 if a probe after the warm-up was not answered 200 within --probe-timeout-ms, or (with
// --max-p99-ms) if their p99 is above it; 0 otherwise. Scrapers and tricklers run on one epoll
// thread, the prober on its own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint16_t port = 0;
  int scrapers = 1000;
  std::string scraper_sources = "127.0.1.1/100";
  int tricklers = 500;
  std::string trickler_sources = "127.0.2.1/32";
  int trickle_ms = 200;
  int seconds = 15;
  int warmup = 3;
  int probe_ms = 20;
  int probe_timeout_ms = 2000;
  double max_p99_ms = -1;
};

// "127.0.1.1/100": 100 consecutive addresses from 127.0.1.1.
std::vector<in_addr> Addresses(const std::string& spec) {
  const auto slash = spec.find('/');
  in_addr first{};
  if (inet_pton(AF_INET, spec.substr(0, slash).c_str(), &first) != 1) {
    std::fprintf(stderr, "http_load: bad address range %s\n", spec.c_str());
    std::exit(2);
  }
  const int count = slash == std::string::npos ? 1 : std::atoi(spec.c_str() + slash + 1);
  std::vector<in_addr> out;
  for (int i = 0; i < count; ++i) out.push_back(in_addr{htonl(ntohl(first.s_addr) + static_cast<uint32_t>(i))});
  return out;
}

int ConnectNonBlocking(in_addr source, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);  // ports per 4-tuple
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr = source;
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One scraper's or trickler's connection, driven by the epoll loop.
struct Client {
  bool trickler = false;
  in_addr source{};
  int fd = -1;
  Clock::time_point opened{};
  Clock::time_point next_line{};  // tricklers: when to send the next header line
  int lines = 0;
  bool connected = false;  // the first bytes go out once connect(2) has completed
  std::string in;          // scrapers: the response so far
};

Client MakeClient(bool trickler, in_addr source) {
  Client c;
  c.trickler = trickler;
  c.source = source;
  return c;
}

struct Counters {
  uint64_t scrapes_ok = 0, scrapes_failed = 0, scraper_reconnects = 0;
  uint64_t trickler_cuts = 0, trickler_refused = 0, trickler_answers = 0;
  std::string trickler_answer_example;
  std::vector<double> trickler_lifetimes_s;
};

class Load {
 public:
  explicit Load(const Options& o) : o_(o), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    const auto scraper_sources = Addresses(o.scraper_sources);
    const auto trickler_sources = Addresses(o.trickler_sources);
    for (int i = 0; i < o.scrapers; ++i)
      clients_.push_back(MakeClient(false, scraper_sources[i % scraper_sources.size()]));
    for (int i = 0; i < o.tricklers; ++i)
      clients_.push_back(MakeClient(true, trickler_sources[i % trickler_sources.size()]));
  }

  void Run(Clock::time_point until) {
    for (size_t i = 0; i < clients_.size(); ++i) Open(i);
    std::vector<epoll_event> events(1024);
    while (Clock::now() < until) {
      const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 10);
      for (int e = 0; e < n; ++e) Handle(events[e].data.u64, events[e].events);
      TrickleDue();
    }
    for (auto& c : clients_) {
      if (c.fd >= 0) ::close(c.fd);
    }
  }

  const Counters& counters() const { return counters_; }

 private:
  void Open(size_t i) {
    Client& c = clients_[i];
    c.fd = ConnectNonBlocking(c.source, o_.port);
    c.opened = Clock::now();
    c.lines = 0;
    c.connected = false;
    c.in.clear();
    if (c.fd < 0) return;  // retried by TrickleDue/Handle's reconnect pass
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
  }

  // connect(2) completed (the socket became writable): the request starts.
  void Connected(Client& c) {
    c.connected = true;
    c.opened = Clock::now();  // time in the server's accept queue is not the deadline's
    if (c.trickler) {
      Send(c, "GET /metrics HTTP/1.1\r\nHost: trickle\r\n");
      c.next_line = Clock::now() + std::chrono::milliseconds(o_.trickle_ms);
    } else {
      Send(c, kScrape);
    }
  }

  void Close(size_t i) {
    Client& c = clients_[i];
    if (c.fd >= 0) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
  }

  static void Send(Client& c, std::string_view data) {
    [[maybe_unused]] ssize_t n = ::send(c.fd, data.data(), data.size(), MSG_NOSIGNAL);
  }

  void Handle(size_t i, uint32_t events) {
    Client& c = clients_[i];
    if (c.fd < 0) return;
    char buffer[65536];
    bool closed = (events & (EPOLLHUP | EPOLLERR)) != 0;
    if (!c.connected && (events & EPOLLOUT) && !closed) Connected(c);
    for (;;) {
      const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        if (c.trickler) {
          // An answer to a request that was never finished: should not happen; keep one to show.
          ++counters_.trickler_answers;
          if (counters_.trickler_answer_example.empty()) {
            const std::string_view text(buffer, static_cast<size_t>(n));
            counters_.trickler_answer_example = std::string(text.substr(0, text.find('\r')));
          }
        } else {
          c.in.append(buffer, static_cast<size_t>(n));
          ScrapeProgress(c);
        }
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
      break;
    }
    if (!closed) return;
    const double lived = std::chrono::duration<double>(Clock::now() - c.opened).count();
    if (c.trickler) {
      if (c.lines == 0 && lived < 0.05) {
        ++counters_.trickler_refused;  // over a limit: closed at once
      } else {
        ++counters_.trickler_cuts;
        counters_.trickler_lifetimes_s.push_back(lived);
      }
    } else {
      if (!c.in.empty()) ++counters_.scrapes_failed;  // cut in the middle of a response
      ++counters_.scraper_reconnects;
    }
    Close(i);
    Open(i);
  }

  // Counts every whole response in c.in and asks for the next one.
  void ScrapeProgress(Client& c) {
    for (;;) {
      const size_t head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) return;
      const size_t length_at = c.in.find("Content-Length: ");
      if (length_at == std::string::npos || length_at > head_end) return;
      const size_t length = std::strtoul(c.in.c_str() + length_at + 16, nullptr, 10);
      if (c.in.size() < head_end + 4 + length) return;
      if (c.in.starts_with("HTTP/1.1 200")) {
        ++counters_.scrapes_ok;
      } else {
        ++counters_.scrapes_failed;
      }
      c.in.erase(0, head_end + 4 + length);
      Send(c, kScrape);
    }
  }

  void TrickleDue() {
    const auto now = Clock::now();
    if (now < next_trickle_pass_) return;
    next_trickle_pass_ = now + std::chrono::milliseconds(5);
    for (size_t i = 0; i < clients_.size(); ++i) {
      Client& c = clients_[i];
      if (c.fd < 0) {
        Open(i);  // could not connect last time (ports, fds): try again
        continue;
      }
      if (!c.trickler || !c.connected || now < c.next_line) continue;
      const std::string line = "X-Trickle-" + std::to_string(c.lines++) + ": 1\r\n";
      Send(c, line);
      c.next_line = now + std::chrono::milliseconds(o_.trickle_ms);
    }
  }

  static constexpr std::string_view kScrape = "GET /metrics HTTP/1.1\r\nHost: scraper\r\n\r\n";
  const Options& o_;
  int epoll_;
  std::vector<Client> clients_;
  Counters counters_;
  Clock::time_point next_trickle_pass_{};
};

struct Probe {
  double at_s;
  double latency_ms;
  bool ok;
};

// GET /health on a fresh connection from 127.0.0.1; the time to the whole answer.
Probe ProbeHealth(uint16_t port, int timeout_ms, Clock::time_point start) {
  const auto t0 = Clock::now();
  Probe p{std::chrono::duration<double>(t0 - start).count(), 0, false};
  const int fd = ConnectNonBlocking(in_addr{htonl(INADDR_LOOPBACK)}, port);
  if (fd < 0) return p;
  const auto deadline = t0 + std::chrono::milliseconds(timeout_ms);
  auto wait = [&](short what) {
    pollfd pfd{fd, what, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 && ::poll(&pfd, 1, static_cast<int>(left)) == 1;
  };
  std::string answer;
  if (wait(POLLOUT)) {
    const std::string_view request = "GET /health HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[1024];
      while (wait(POLLIN)) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        answer.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  p.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  p.ok = answer.starts_with("HTTP/1.1 200") && Clock::now() <= deadline;
  return p;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--port")
      o.port = static_cast<uint16_t>(std::atoi(v));
    else if (flag == "--scrapers")
      o.scrapers = std::atoi(v);
    else if (flag == "--scraper-sources")
      o.scraper_sources = v;
    else if (flag == "--tricklers")
      o.tricklers = std::atoi(v);
    else if (flag == "--trickler-sources")
      o.trickler_sources = v;
    else if (flag == "--trickle-ms")
      o.trickle_ms = std::atoi(v);
    else if (flag == "--seconds")
      o.seconds = std::atoi(v);
    else if (flag == "--warmup")
      o.warmup = std::atoi(v);
    else if (flag == "--probe-ms")
      o.probe_ms = std::atoi(v);
    else if (flag == "--probe-timeout-ms")
      o.probe_timeout_ms = std::atoi(v);
    else if (flag == "--max-p99-ms")
      o.max_p99_ms = std::atof(v);
    else {
      std::fprintf(stderr, "http_load: unknown flag %s (see the comment at the top of http_load.cc)\n", flag.c_str());
      std::exit(2);
    }
  }
  if (o.port == 0) {
    std::fprintf(stderr, "http_load: --port is required\n");
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  rlimit fds{65536, 65536};  // thousands of sockets (root may raise its own limit)
  if (::setrlimit(RLIMIT_NOFILE, &fds) != 0) {
    ::getrlimit(RLIMIT_NOFILE, &fds);
    fds.rlim_cur = fds.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &fds);
  }
  const auto start = Clock::now();
  const auto until = start + std::chrono::seconds(o.seconds);
  std::vector<Probe> probes;
  std::thread prober([&] {
    while (Clock::now() < until) {
      const auto next = Clock::now() + std::chrono::milliseconds(o.probe_ms);
      probes.push_back(ProbeHealth(o.port, o.probe_timeout_ms, start));
      std::this_thread::sleep_until(next);  // the probe rate, not a synchronisation
    }
  });
  Load load(o);
  load.Run(until);
  prober.join();

  const Counters& c = load.counters();
  std::vector<double> latencies;
  uint64_t failed = 0;
  for (const Probe& p : probes) {
    if (p.at_s < o.warmup) continue;
    latencies.push_back(p.latency_ms);
    if (!p.ok) ++failed;
  }
  const double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99), max = Percentile(latencies, 1.0);
  std::printf("load: %d scrapers from %s, %d tricklers from %s (a header line every %d ms), %d s\n", o.scrapers,
              o.scraper_sources.c_str(), o.tricklers, o.trickler_sources.c_str(), o.trickle_ms, o.seconds);
  std::printf("scrapes: %lu answered 200 (%.0f/s), %lu failed, %lu reconnects\n", c.scrapes_ok,
              static_cast<double>(c.scrapes_ok) / o.seconds, c.scrapes_failed, c.scraper_reconnects);
  std::printf(
      "tricklers: cut %lu times by the server after %.1f s (median; max %.1f s), refused at once %lu times, "
      "answered %lu times\n",
      c.trickler_cuts, Percentile(c.trickler_lifetimes_s, 0.5), Percentile(c.trickler_lifetimes_s, 1.0),
      c.trickler_refused, c.trickler_answers);
  if (!c.trickler_answer_example.empty()) {
    std::printf("tricklers: answered e.g. '%s'\n", c.trickler_answer_example.c_str());
  }
  std::printf("health: %zu probes after the first %d s: %lu failed; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              latencies.size(), o.warmup, failed, p50, p99, max);
  bool ok = failed == 0 && !latencies.empty();
  if (o.max_p99_ms >= 0 && p99 > o.max_p99_ms) {
    std::printf("health: p99 %.1f ms is above %.1f ms\n", p99, o.max_p99_ms);
    ok = false;
  }
  return ok ? 0 : 1;
}
