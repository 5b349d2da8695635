// The shipped Grafana dashboard (etc/grafana/slothd-dashboard.json): valid JSON with the
// datasource as a template variable and the sections of the terminal dashboard, and every
// PromQL expression in it run against a real Prometheus that scraped a real slothd.
//
// Rule for the queries: every expression (panel targets, and the label_values() queries of the
// template variables) must be accepted (status "success") AND return at least one series, with
// one exception: expressions over gRPC requests that did not end OK (status!="OK") may be
// empty, because slothctl validates its requests and those series only exist once a call
// failed. The test runs successful tasks of two names and groups and a failing task, so every
// other panel (failure counts, P50/P99, errors by type) has data. Grafana's
// variables are replaced as Grafana would for "All": $job and $instance by ".*",
// $__rate_interval by "1m", $__range by "5m".

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"
#include "tests/integration/prometheus_server.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json LoadDashboard() {
  std::ifstream in(SLOTH_GRAFANA_DASHBOARD);
  EXPECT_TRUE(in.good()) << SLOTH_GRAFANA_DASHBOARD;
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// Every panel, rows' nested panels included.
std::vector<json> Panels(const json& dashboard) {
  std::vector<json> out;
  for (const auto& p : dashboard["panels"]) {
    out.push_back(p);
    if (p.contains("panels")) {
      for (const auto& q : p["panels"]) out.push_back(q);
    }
  }
  return out;
}

struct Expr {
  std::string where;  // "panel 'Memory' target A"
  std::string promql;
};

std::vector<Expr> Expressions(const json& dashboard) {
  std::vector<Expr> out;
  for (const auto& p : Panels(dashboard)) {
    if (!p.contains("targets")) continue;
    for (const auto& t : p["targets"]) {
      if (t.contains("expr")) {
        out.push_back(
            {"panel '" + p.value("title", "") + "' target " + t.value("refId", "?"), t["expr"].get<std::string>()});
      }
    }
  }
  return out;
}

std::string Substitute(std::string q) {
  q = std::regex_replace(q, std::regex(R"(\$__rate_interval)"), "1m");
  q = std::regex_replace(q, std::regex(R"(\$__range)"), "5m");
  q = std::regex_replace(q, std::regex(R"(\$\{?(job|instance)\}?)"), ".*");
  return q;
}

// Polls until the query returns data (or Prometheus says it is an error) or the deadline passes.
json QueryUntilData(const PrometheusServer& prometheus, const std::string& query, std::chrono::seconds deadline) {
  return prometheus.QueryUntil(
      query, [](const json& j) { return HasResult(j) || j.value("status", "") == "error"; }, deadline);
}

}  // namespace

TEST(GrafanaDashboard, IsValidJsonWithADatasourceVariable) {
  const json d = LoadDashboard();
  ASSERT_FALSE(d.is_discarded()) << "not valid JSON";
  ASSERT_TRUE(d.contains("templating"));
  bool found = false;
  for (const auto& v : d["templating"]["list"]) {
    if (v.value("name", "") == "datasource") {
      found = true;
      EXPECT_EQ(v.value("type", ""), "datasource");
      EXPECT_EQ(v.value("query", ""), "prometheus");
    }
  }
  EXPECT_TRUE(found) << "no 'datasource' template variable";
  EXPECT_FALSE(d.value("uid", "").empty());
  EXPECT_FALSE(d.value("title", "").empty());

  // Every panel and target uses the variable, never a fixed datasource uid.
  std::set<int> ids;
  for (const auto& p : Panels(d)) {
    EXPECT_TRUE(ids.insert(p.value("id", -1)).second) << "duplicate panel id " << p.value("id", -1);
    ASSERT_TRUE(p.contains("gridPos")) << p.value("title", "");
    if (p.value("type", "") == "row") continue;
    EXPECT_EQ(p["datasource"].value("uid", ""), "${datasource}") << p.value("title", "");
    for (const auto& t : p["targets"]) {
      EXPECT_EQ(t["datasource"].value("uid", ""), "${datasource}") << p.value("title", "");
    }
  }
}

TEST(GrafanaDashboard, HasTheTerminalDashboardsSections) {
  const json d = LoadDashboard();
  std::vector<std::string> rows;
  for (const auto& p : d["panels"]) {
    if (p.value("type", "") == "row") rows.push_back(p.value("title", ""));
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"Agent", "System", "Tasks", "Task performance", "gRPC", "Errors"}));
  int p50 = 0, p99 = 0;
  for (const auto& e : Expressions(d)) {
    if (e.promql.find("sloth_task_duration_seconds_bucket") == std::string::npos) continue;
    if (e.promql.starts_with("histogram_quantile(0.5,")) ++p50;
    if (e.promql.starts_with("histogram_quantile(0.99,")) ++p99;
  }
  EXPECT_GE(p50, 1) << "no task P50 from histogram_quantile";
  EXPECT_GE(p99, 1) << "no task P99 from histogram_quantile";
}

TEST(GrafanaDashboard, EveryExpressionReturnsDataFromARealPrometheus) {
  const json d = LoadDashboard();
  ASSERT_FALSE(d.is_discarded());

  Slothd agent({"--name", "dash-agent"});
  const std::string target = agent.base_url().substr(std::string("http://").size());
  PrometheusServer prometheus({target}, "slothd");
  ASSERT_TRUE(HasResult(QueryUntilData(prometheus, "up{job=\"slothd\"} == 1", 60s))) << prometheus.Output();

  // Work for every panel: successful tasks of two names, a failing one.
  const std::string ctl = std::string(SLOTHCTL_PATH) + " --socket " + agent.control_socket();
  std::string out;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(RunCommand(ctl + " agent run --name nap local 'sleep 0.1'", &out), 0) << out;
    ASSERT_EQ(RunCommand(ctl + " agent run --name hello --group dash local 'echo hi'", &out), 0) << out;
  }
  EXPECT_EQ(RunCommand(ctl + " agent run --name oops local 'exit 3'", &out), 3) << out;
  // The work is in Prometheus once a rate over it exists (the failed series exists from the
  // start, at 0, so its increase shows).
  ASSERT_TRUE(HasResult(QueryUntilData(prometheus, "increase(sloth_tasks_total{status=\"failed\"}[1m]) > 0", 30s)))
      << "the failing task never showed up in Prometheus";

  std::vector<Expr> exprs = Expressions(d);
  // label_values(METRIC, LABEL) of the template variables: METRIC must return series with LABEL.
  for (const auto& v : d["templating"]["list"]) {
    if (v.value("type", "") != "query") continue;
    const std::string q = v["query"].is_object() ? v["query"].value("query", "") : v["query"].get<std::string>();
    std::smatch m;
    ASSERT_TRUE(std::regex_match(q, m, std::regex(R"(label_values\((.*), *(\w+)\))"))) << q;
    exprs.push_back({"variable $" + v.value("name", "") + " (label " + m[2].str() + ")", m[1].str()});
  }
  ASSERT_GE(exprs.size(), 25u);

  int with_data = 0, allowed_empty = 0;
  for (const auto& e : exprs) {
    const std::string q = Substitute(e.promql);
    EXPECT_EQ(q.find('$'), std::string::npos) << e.where << ": unreplaced variable in " << q;
    const json r = QueryUntilData(prometheus, q, q.find("status!=\"OK\"") != std::string::npos ? 2s : 20s);
    EXPECT_EQ(r.value("status", ""), "success") << e.where << ": " << q << "\n" << r.dump();
    const bool may_be_empty = q.find("status!=\"OK\"") != std::string::npos;
    if (HasResult(r)) {
      ++with_data;
    } else if (may_be_empty) {
      ++allowed_empty;
    } else {
      ADD_FAILURE() << e.where << " returned no data: " << q << "\n" << r.dump();
    }
  }
  std::cout << with_data << " of " << exprs.size() << " dashboard expressions returned data, " << allowed_empty
            << " allowed to be empty (failed gRPC calls only)\n";
  EXPECT_LE(allowed_empty, 1);
}
