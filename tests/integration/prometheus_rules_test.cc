// The shipped Prometheus files (etc/prometheus): promtool accepts the scrape configuration and
// the rules, and the alerts' unit tests (slothd-alerts.test.yml) pass.
#include <gtest/gtest.h>

#include "tests/integration/harness.h"
#include "tests/integration/tls_files.h"

using namespace sloth::test;

namespace {

const std::string kDir = SLOTH_PROMETHEUS_DIR;

// promtool resolves rule_files relative to the file naming them: run it in a copy of the folder.
int Promtool(const std::string& args, std::string* out) {
  return RunCommand("cd " + kDir + " && promtool " + args, out);
}

}  // namespace

TEST(PrometheusRules, PromtoolCheckRulesAcceptsTheAlertsFile) {
  std::string out;
  ASSERT_EQ(Promtool("check rules slothd-alerts.yml", &out), 0) << out;
  EXPECT_NE(out.find("SUCCESS: 12 rules found"), std::string::npos) << out;
}

TEST(PrometheusRules, PromtoolTestRulesPasses) {
  std::string out;
  EXPECT_EQ(Promtool("test rules slothd-alerts.test.yml", &out), 0) << out;
  EXPECT_NE(out.find("SUCCESS"), std::string::npos) << out;
}

TEST(PrometheusRules, EveryAlertHasAUnitTest) {
  std::string alerts, tested;
  ASSERT_EQ(RunCommand("sed -n 's/^ *- alert: *//p' " + kDir + "/slothd-alerts.yml | sort -u", &alerts), 0);
  ASSERT_EQ(RunCommand("sed -n 's/^ *alertname: *//p' " + kDir + "/slothd-alerts.test.yml | sort -u", &tested), 0);
  EXPECT_FALSE(alerts.empty());
  EXPECT_EQ(alerts, tested) << "alerts without a test (or tests of unknown alerts)";
}

// The example scrapes over TLS with a client certificate and basic auth: promtool checks that the
// files it names exist, so it runs in a copy of the folder with them where the example says.
TEST(PrometheusRules, PromtoolCheckConfigAcceptsTheScrapeExample) {
  TempDir dir;
  std::string out;
  ASSERT_EQ(RunCommand("cp " + kDir + "/*.yml " + dir.path(), &out), 0) << out;
  TlsFiles tls(dir.path());
  ASSERT_EQ(RunCommand("mkdir -p " + dir.File("slothd") + " && cp " + tls.server_ca() + " " +
                           dir.File("slothd/ca.crt") + " && cp " + tls.client_cert() + " " +
                           dir.File("slothd/prometheus.crt") + " && cp " + tls.client_key() + " " +
                           dir.File("slothd/prometheus.key") + " && echo secret > " + dir.File("slothd/password"),
                       &out),
            0)
      << out;
  EXPECT_EQ(RunCommand("cd " + dir.path() + " && promtool check config slothd-scrape.yml", &out), 0) << out;
  EXPECT_NE(out.find("SUCCESS"), std::string::npos) << out;
}
