// A /metrics server for tests/bench/http_bench.sh: one registry, three ways of serving it.
//
//   --mode slothd   sloth::Telemetry + sloth::MetricsHttpServer, exactly what slothd serves
//                   (cached catalog + per-scrape runtime part, libmicrohttpd, 2 pool threads).
//   --mode exposer  prometheus-cpp's own civetweb prometheus::Exposer (2 threads, its default)
//                   serving the same registry object, telemetry.registry(), through its
//                   TextSerializer on every request.
//   --mode floor    the HTTP floor: the same sloth::MetricsHttpServer (same MHD options), whose
//                   Pages.metrics returns one fixed MetricsBody holding the full exposition
//                   pre-rendered at startup. No rendering at all per request: what is left is
//                   libmicrohttpd and the kernel.
//
// --runtime-ttl-ms MS (slothd mode only; an experiment, not what slothd does) reuses a whole
// scrape for MS milliseconds: the runtime part is rendered at most once per MS.
// --tls-web-config FILE (slothd mode) also serves the same Telemetry on a second port through a
// web-config (TLS, basic auth): "READY https://127.0.0.1:PORT/metrics" follows the first line.
// --task-series N records N distinct (group, task) histogram series (N=100 gives about 1,500
// exposition lines). --port 0 picks a free port. Prints "READY http://127.0.0.1:PORT/metrics"
// on stdout once serving, the exposition's line count on stderr, and runs until SIGTERM/SIGINT.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/http/metrics_http_server.h"
#include "daemon/http/web_config_files.h"
#include "daemon/net/tcp_listen.h"
#include "tests/bench/task_series.h"

namespace {

struct Args {
  std::string mode = "slothd";
  int task_series = 0;
  int port = 0;
  int threads = 2;
  int runtime_ttl_ms = 0;      // slothd mode: reuse a whole scrape for this long (experiment)
  std::string tls_web_config;  // slothd mode: a second server, through this web-config
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "metrics_bench_server: %s\n"
               "usage: metrics_bench_server [--mode slothd|exposer|floor] [--task-series N] [--port P] "
               "[--threads T] [--runtime-ttl-ms MS] [--tls-web-config FILE]\n",
               why);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage("missing value");
      return argv[++i];
    };
    if (arg == "--mode") {
      a.mode = value();
    } else if (arg == "--task-series") {
      a.task_series = std::atoi(value());
    } else if (arg == "--port") {
      a.port = std::atoi(value());
    } else if (arg == "--threads") {
      a.threads = std::atoi(value());
    } else if (arg == "--runtime-ttl-ms") {
      a.runtime_ttl_ms = std::atoi(value());
    } else if (arg == "--tls-web-config") {
      a.tls_web_config = value();
    } else {
      Usage("unknown argument");
    }
  }
  if (a.mode != "slothd" && a.mode != "exposer" && a.mode != "floor") Usage("unknown mode");
  if (a.runtime_ttl_ms < 0 || a.task_series < 0 || a.port < 0 || a.port > 65535 || a.threads < 1) Usage("bad number");
  return a;
}

size_t CountLines(std::string_view text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

sloth::MetricsHttpServer::Limits BenchLimits(const Args& a) {
  sloth::MetricsHttpServer::Limits limits;
  limits.max_connections = 1024;
  limits.max_connections_per_ip = 512;  // wrk -c100 from one address
  limits.threads = static_cast<uint32_t>(a.threads);
  return limits;
}

sloth::UniqueFd Listen(uint16_t port) {
  auto fd = sloth::ListenTcp("127.0.0.1", port, 1024);
  if (!fd) {
    std::fprintf(stderr, "metrics_bench_server: %s\n", fd.error().message.c_str());
    std::exit(1);
  }
  return std::move(fd).value();
}

sloth::MetricsHttpServer::Pages StaticPages(std::function<sloth::MetricsBody(bool, sloth::ExpositionFormat)> metrics) {
  sloth::MetricsHttpServer::Pages pages;
  pages.metrics = std::move(metrics);
  pages.unhealthy_reason = [] { return std::optional<std::string>(); };
  pages.info_json = [] { return std::string("{}"); };
  return pages;
}

struct TtlCache {
  struct Slot {
    sloth::MetricsBody body;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mutex;
  Slot slots[2];  // plain, gzip
};

void Ready(uint16_t port) {
  std::printf("READY http://127.0.0.1:%u/metrics\n", static_cast<unsigned>(port));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  sloth::Logger log(std::make_unique<sloth::ConsoleLogSink>(stderr), sloth::LogLevel::kWarning);
  sloth::Telemetry telemetry(sloth::CurrentBuildIdentity("bench"), sloth::Telemetry::Options{});
  sloth::bench::FillTaskSeries(telemetry, args.task_series);

  std::unique_ptr<sloth::MetricsHttpServer> http;
  std::unique_ptr<sloth::MetricsHttpServer> tls_http;  // --tls-web-config: the same Telemetry
  std::unique_ptr<prometheus::Exposer> exposer;
  // The Exposer takes a weak_ptr; the registry is owned by `telemetry`, which outlives it.
  std::shared_ptr<prometheus::Registry> registry(&telemetry.registry(), [](prometheus::Registry*) {});

  size_t lines = 0;
  uint16_t port = 0;
  if (args.mode == "slothd") {
    lines = CountLines(telemetry.ExpositionText());
    std::function<sloth::MetricsBody(bool, sloth::ExpositionFormat)> scrape =
        [&telemetry](bool gzip, sloth::ExpositionFormat format) { return telemetry.Scrape(gzip, format); };
    if (args.runtime_ttl_ms > 0) {
      // Experiment, not what slothd does: the runtime part (uptime, /proc reads, mallinfo2)
      // rendered at most once per TTL, to show what that per-scrape work costs under load.
      scrape = [&telemetry, ttl = std::chrono::milliseconds(args.runtime_ttl_ms), state = std::make_shared<TtlCache>()](
                   bool gzip, sloth::ExpositionFormat) {
        std::lock_guard lock(state->mutex);
        auto& slot = state->slots[gzip ? 1 : 0];
        const auto now = std::chrono::steady_clock::now();
        if (!slot.body.catalog || now - slot.at >= ttl) slot = {telemetry.Scrape(gzip), now};
        return slot.body;
      };
    }
    http = std::make_unique<sloth::MetricsHttpServer>(Listen(static_cast<uint16_t>(args.port)), BenchLimits(args),
                                                      StaticPages(scrape), log, sloth::MetricsHttpServer::Access{});
    port = http->port();
    if (!args.tls_web_config.empty()) {
      auto web = sloth::LoadWebConfig(args.tls_web_config);
      if (!web) {
        std::fprintf(stderr, "metrics_bench_server: %s\n", web.error().ToString().c_str());
        return 2;
      }
      tls_http = std::make_unique<sloth::MetricsHttpServer>(Listen(0), BenchLimits(args), StaticPages(scrape), log,
                                                            sloth::MetricsHttpServer::Access{*web, false});
    }
  } else if (args.mode == "floor") {
    // Pre-rendered once: the full exposition (catalog + runtime) as slothd would send it.
    sloth::MetricsBody fixed;
    fixed.catalog = std::make_shared<const std::string>(telemetry.ExpositionText());
    lines = CountLines(*fixed.catalog);
    http = std::make_unique<sloth::MetricsHttpServer>(
        Listen(static_cast<uint16_t>(args.port)), BenchLimits(args),
        StaticPages([fixed](bool, sloth::ExpositionFormat) { return fixed; }), log, sloth::MetricsHttpServer::Access{});
    port = http->port();
  } else {
    std::ostringstream text;
    prometheus::TextSerializer().Serialize(text, registry->Collect());
    lines = CountLines(text.str());
    exposer = std::make_unique<prometheus::Exposer>("127.0.0.1:" + std::to_string(args.port),
                                                    static_cast<size_t>(args.threads));
    exposer->RegisterCollectable(registry);
    const std::vector<int> ports = exposer->GetListeningPorts();
    if (ports.empty()) {
      std::fprintf(stderr, "metrics_bench_server: the Exposer reports no listening port\n");
      return 1;
    }
    port = static_cast<uint16_t>(ports.front());
  }
  std::fprintf(stderr, "metrics_bench_server: mode=%s task_series=%d lines=%zu (registry body%s)\n", args.mode.c_str(),
               args.task_series, lines, args.mode == "exposer" ? " without the Exposer's own exposer_* families" : "");
  Ready(port);
  if (tls_http) {
    std::printf("READY https://127.0.0.1:%u/metrics\n", static_cast<unsigned>(tls_http->port()));
    std::fflush(stdout);
  }

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0) break;
  }
  if (tls_http) tls_http->Shutdown(std::chrono::milliseconds(500));
  if (http) http->Shutdown(std::chrono::milliseconds(500));
  exposer.reset();
  return 0;
}
