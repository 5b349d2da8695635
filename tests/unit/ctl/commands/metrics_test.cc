#include <gtest/gtest.h>

#include "ctl/commands/metrics.h"
#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

TEST(MetricsUrlFromEndpoint, BaseUrlGainsMetricsPathOtherPathsAreKept) {
  EXPECT_EQ(MetricsUrlFromEndpoint("http://h:9464"), "http://h:9464/metrics");
  EXPECT_EQ(MetricsUrlFromEndpoint("http://h:9464/"), "http://h:9464/metrics");
  EXPECT_EQ(MetricsUrlFromEndpoint("http://h:9464/metrics"), "http://h:9464/metrics");
  EXPECT_EQ(MetricsUrlFromEndpoint("https://h/prom/m"), "https://h/prom/m");
}

TEST(MetricsUrlFromEndpoint, NonHttpIsAUsageErrorNamingTheFlag) {
  try {
    MetricsUrlFromEndpoint("unix:/run/slothd/slothd.sock");
    FAIL();
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_EQ(std::string(e.what()).rfind("--endpoint:", 0), 0u) << e.what();
  }
}

TEST(RenderPromUsage, MatchesTheSeedWithTheRealUrl) {
  const std::string url = "http://192.168.1.100:9464/metrics";
  EXPECT_EQ(RenderPromUsage(url, *ParseScrapeTarget(url), true),
            "✅ Metrics Endpoint:\n"
            "  URL: http://192.168.1.100:9464/metrics\n"
            "\n"
            "📝 Usage:\n"
            "  # View metrics in browser:\n"
            "  xdg-open http://192.168.1.100:9464/metrics\n"
            "\n"
            "  # Fetch metrics via curl:\n"
            "  curl http://192.168.1.100:9464/metrics\n"
            "\n"
            "  # Configure Prometheus scraper:\n"
            "  - job_name: 'sloth-runner-agents'\n"
            "    static_configs:\n"
            "      - targets: ['192.168.1.100:9464']\n");
}

TEST(RenderPromUsage, Ipv6TargetKeepsBrackets) {
  const std::string url = "http://[::1]:40123/metrics";
  const std::string text = RenderPromUsage(url, *ParseScrapeTarget(url), true);
  EXPECT_NE(text.find("  URL: http://[::1]:40123/metrics\n"), std::string::npos) << text;
  EXPECT_NE(text.find("      - targets: ['[::1]:40123']\n"), std::string::npos) << text;
}

TEST(RenderPromUsage, PlainAsciiWithoutEmoji) {
  const std::string url = "http://h:1/metrics";
  const std::string text = RenderPromUsage(url, *ParseScrapeTarget(url), false);
  EXPECT_EQ(text.rfind("Metrics Endpoint:\n", 0), 0u) << text;
  EXPECT_NE(text.find("\nUsage:\n"), std::string::npos) << text;
  for (unsigned char c : text) EXPECT_LT(c, 0x80) << text;
}

TEST(RenderPromUsage, NonDefaultPathAndSchemeGoIntoTheScrapeConfig) {
  const std::string url = "https://h:8443/custom/metrics";
  const std::string text = RenderPromUsage(url, *ParseScrapeTarget(url), false);
  EXPECT_NE(text.find("    metrics_path: '/custom/metrics'\n    scheme: https\n"), std::string::npos) << text;
}

TEST(PromUsageJson, CarriesUrlTargetAndJob) {
  const std::string url = "http://[::1]:9464/metrics";
  const auto json = PromUsageJson("local", url, *ParseScrapeTarget(url));
  EXPECT_EQ(json["metrics_url"], url);
  EXPECT_EQ(json["target"], "[::1]:9464");
  EXPECT_EQ(json["job_name"], "sloth-runner-agents");
}

}  // namespace
}  // namespace sloth::ctl
