// HistogramQuantile against a real Prometheus server (Debian package `prometheus`, 2.42): a tiny
// HTTP server serves a fixed exposition with awkward histograms, Prometheus scrapes it, and its
// histogram_quantile must equal ours, computed from the same scrape, for every series and q.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "ctl/prom/histogram_quantile.h"
#include "ctl/prom/text_parser.h"
#include "tests/integration/harness.h"
#include "tests/integration/prometheus_server.h"

using namespace sloth::test;
using namespace sloth::prom;
using namespace std::chrono_literals;

namespace {

// Deterministic buckets: each `task` is one case; `group` joins some for the sum-by check.
constexpr std::string_view kExposition = R"(# HELP xc_duration_seconds Cross-check histograms.
# TYPE xc_duration_seconds histogram
xc_duration_seconds_bucket{group="g1",task="normal",le="0.005"} 1
xc_duration_seconds_bucket{group="g1",task="normal",le="0.01"} 3
xc_duration_seconds_bucket{group="g1",task="normal",le="0.025"} 7
xc_duration_seconds_bucket{group="g1",task="normal",le="0.05"} 12
xc_duration_seconds_bucket{group="g1",task="normal",le="0.1"} 20
xc_duration_seconds_bucket{group="g1",task="normal",le="0.25"} 31
xc_duration_seconds_bucket{group="g1",task="normal",le="0.5"} 40
xc_duration_seconds_bucket{group="g1",task="normal",le="1"} 43
xc_duration_seconds_bucket{group="g1",task="normal",le="2.5"} 44
xc_duration_seconds_bucket{group="g1",task="normal",le="+Inf"} 45
xc_duration_seconds_sum{group="g1",task="normal"} 9.75
xc_duration_seconds_count{group="g1",task="normal"} 45
xc_duration_seconds_bucket{group="g1",task="nonmonotonic",le="0.1"} 5
xc_duration_seconds_bucket{group="g1",task="nonmonotonic",le="0.5"} 3
xc_duration_seconds_bucket{group="g1",task="nonmonotonic",le="1"} 9
xc_duration_seconds_bucket{group="g1",task="nonmonotonic",le="2"} 7
xc_duration_seconds_bucket{group="g1",task="nonmonotonic",le="+Inf"} 8
xc_duration_seconds_bucket{group="g1",task="fractional",le="0.3"} 0.3
xc_duration_seconds_bucket{group="g1",task="fractional",le="0.7"} 1.1
xc_duration_seconds_bucket{group="g1",task="fractional",le="1.3"} 2.9
xc_duration_seconds_bucket{group="g1",task="fractional",le="+Inf"} 3.7
xc_duration_seconds_bucket{group="g2",task="inf_only",le="+Inf"} 4
xc_duration_seconds_bucket{group="g2",task="empty",le="1"} 0
xc_duration_seconds_bucket{group="g2",task="empty",le="+Inf"} 0
xc_duration_seconds_bucket{group="g2",task="no_inf",le="1"} 2
xc_duration_seconds_bucket{group="g2",task="no_inf",le="2"} 4
xc_duration_seconds_bucket{group="g2",task="single",le="0.5"} 3
xc_duration_seconds_bucket{group="g2",task="single",le="+Inf"} 4
xc_duration_seconds_bucket{group="g2",task="negative",le="-3"} 1
xc_duration_seconds_bucket{group="g2",task="negative",le="-1"} 4
xc_duration_seconds_bucket{group="g2",task="negative",le="0"} 6
xc_duration_seconds_bucket{group="g2",task="negative",le="2"} 9
xc_duration_seconds_bucket{group="g2",task="negative",le="+Inf"} 10
xc_duration_seconds_bucket{group="g3",task="equal_bounds",le="1"} 2
xc_duration_seconds_bucket{group="g3",task="equal_bounds",le="1.0"} 3
xc_duration_seconds_bucket{group="g3",task="equal_bounds",le="2"} 6
xc_duration_seconds_bucket{group="g3",task="equal_bounds",le="+Inf"} 7
xc_duration_seconds_bucket{group="g3",task="all_above",le="0.1"} 0
xc_duration_seconds_bucket{group="g3",task="all_above",le="0.2"} 0
xc_duration_seconds_bucket{group="g3",task="all_above",le="+Inf"} 6
xc_duration_seconds_bucket{group="g3",task="nan_count",le="0.1"} NaN
xc_duration_seconds_bucket{group="g3",task="nan_count",le="0.2"} 2
xc_duration_seconds_bucket{group="g3",task="nan_count",le="+Inf"} 4
xc_duration_seconds_bucket{group="g3",task="inf_count",le="0.1"} 1
xc_duration_seconds_bucket{group="g3",task="inf_count",le="+Inf"} +Inf
)";
constexpr size_t kTasks = 12;

size_t BucketLines() {
  size_t n = 0;
  for (size_t at = kExposition.find("_bucket{"); at != std::string_view::npos;
       at = kExposition.find("_bucket{", at + 1)) {
    ++n;
  }
  return n;
}

// Answers every HTTP request with the exposition. The test thread owns it; one thread serves.
class StaticMetricsServer {
 public:
  explicit StaticMetricsServer(std::string body) : body_(std::move(body)) {
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_.get(), 16) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("static metrics server: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StaticMetricsServer() {
    stopping_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept()
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  void Serve() {
    while (!stopping_) {
      sloth::UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) continue;
      timeval timeout{5, 0};
      ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
                                   std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
      size_t sent = 0;
      while (sent < response.size()) {
        const ssize_t n = ::send(conn.get(), response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    }
  }

  std::string body_;
  sloth::UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

bool IsSuccess(const nlohmann::json& j) { return j.is_object() && j.value("status", "") == "success"; }

// label value of `by` → the query's value, for a vector result.
std::map<std::string, double> ResultsBy(const nlohmann::json& j, const std::string& by) {
  std::map<std::string, double> out;
  for (const auto& r : j["data"]["result"]) {
    out[r["metric"].value(by, "")] = ParseFloatValue(r["value"][1].get<std::string>()).value_or(-12345.678);
  }
  return out;
}

bool SameValue(double ours, double theirs) {
  if (std::isnan(ours) || std::isnan(theirs)) return std::isnan(ours) && std::isnan(theirs);
  if (std::isinf(ours) || std::isinf(theirs)) return ours == theirs;
  return std::abs(ours - theirs) <= 1e-9 * std::max({1.0, std::abs(ours), std::abs(theirs)});
}

class HistogramQuantileCrossCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    prometheus_ = std::make_unique<PrometheusServer>(
        std::vector<std::string>{"127.0.0.1:" + std::to_string(server_.port())}, "xc");
    const std::string all_buckets = std::to_string(BucketLines());
    auto count = prometheus_->QueryUntil(
        "count(xc_duration_seconds_bucket)",
        [&](const nlohmann::json& j) {
          return IsSuccess(j) && !j["data"]["result"].empty() && j["data"]["result"][0]["value"][1] == all_buckets;
        },
        60s);
    ASSERT_TRUE(IsSuccess(count) && !count["data"]["result"].empty() &&
                count["data"]["result"][0]["value"][1] == all_buckets)
        << count.dump() << "\n"
        << prometheus_->Output();

    // Ours are computed from the very bytes Prometheus scraped.
    const HttpResponse scrape = HttpRequest("http://127.0.0.1:" + std::to_string(server_.port()) + "/metrics");
    ASSERT_EQ(scrape.status, 200);
    ParseResult parsed = PromTextParser::Parse(scrape.body);
    ASSERT_TRUE(std::holds_alternative<MetricSet>(parsed)) << std::get<ParseError>(parsed).message;
    const Family* family = std::get<MetricSet>(parsed).Find("xc_duration_seconds");
    ASSERT_NE(family, nullptr);
    series_ = Histograms(*family);
    ASSERT_EQ(series_.size(), kTasks);
  }

  void CompareAll(const std::string& inner, const std::string& by, const std::vector<HistogramSeries>& ours) {
    for (const std::string q : {"0", "0.25", "0.5", "0.9", "0.99", "1", "-0.5", "1.5", "NaN"}) {
      const std::string query = "histogram_quantile(" + q + ", " + inner + ")";
      auto j = prometheus_->QueryUntil(query, IsSuccess, 20s);
      ASSERT_TRUE(IsSuccess(j)) << query << ": " << j.dump();
      const auto theirs = ResultsBy(j, by);
      EXPECT_EQ(theirs.size(), ours.size()) << query << ": " << j.dump();
      for (const HistogramSeries& s : ours) {
        const std::string key(LabelValue(s.labels, by).value_or(""));
        const double mine = HistogramQuantile(*ParseFloatValue(q), s.buckets);
        auto it = theirs.find(key);
        ASSERT_NE(it, theirs.end()) << query << ": no result for " << by << "=" << key;
        EXPECT_TRUE(SameValue(mine, it->second))
            << query << " " << by << "=" << key << ": ours " << mine << ", Prometheus " << it->second;
      }
    }
  }

  StaticMetricsServer server_{std::string(kExposition)};
  std::unique_ptr<PrometheusServer> prometheus_;
  std::vector<HistogramSeries> series_;
};

TEST_F(HistogramQuantileCrossCheck, EverySeriesAndQuantileMatchesPrometheus) {
  // Not vacuous: "normal" has its median at rank 22.5 of 45, in (0.1, 0.25] holding 20..31.
  EXPECT_NEAR(HistogramQuantile(0.5, series_[0].buckets), 0.1 + 0.15 * 2.5 / 11, 1e-12);
  CompareAll("xc_duration_seconds_bucket", "task", series_);
}

TEST_F(HistogramQuantileCrossCheck, SumByGroupMatchesPrometheus) {
  CompareAll("sum by (le, group) (xc_duration_seconds_bucket)", "group", SumBy(series_, {"group"}));
}

}  // namespace
