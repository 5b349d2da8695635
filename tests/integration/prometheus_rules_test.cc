// The shipped Prometheus files (etc/prometheus): promtool accepts the scrape configuration and
// the rules, and the alerts' unit tests (slothd-alerts.test.yml) pass.
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

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

TEST(PrometheusRules, PromtoolCheckConfigAcceptsTheScrapeExample) {
  std::string out;
  EXPECT_EQ(Promtool("check config slothd-scrape.yml", &out), 0) << out;
}
