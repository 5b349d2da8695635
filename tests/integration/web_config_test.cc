// The telemetry endpoint behind its web-config (exporter-toolkit's format), against real
// clients: curl, openssl s_client, promtool and a Prometheus server. Certificates are made with
// openssl in each test's temp dir.
#include <signal.h>

#include <filesystem>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"
#include "tests/integration/prometheus_server.h"
#include "tests/integration/tls_files.h"

namespace sloth::test {
namespace {

using namespace std::chrono_literals;

// The password of the shipped example's user "prometheus".
constexpr const char* kExamplePassword = "example-password-change-me";

std::string Shipped(const std::string& name) { return std::string(SLOTH_ETC_DIR) + "/" + name; }

void CopyShippedExample(const TempDir& dir) {
  std::filesystem::copy_file(Shipped("web-config.yml"), dir.File("web-config.yml"),
                             std::filesystem::copy_options::overwrite_existing);
}

uint16_t PortOf(const Slothd& agent) {
  const std::string& url = agent.metrics_url();
  const auto colon = url.rfind(':');
  return static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
}

// curl's verdict: "HTTP_CODE" (000 when the TLS handshake or connection failed).
std::string CurlStatus(const std::string& args) {
  std::string out;
  RunCommand("curl -s -o /dev/null -w '%{http_code}' " + args, &out);
  return out;
}

// A running slothd serving the shipped example (TLS, client certificates, basic auth).
struct ExampleAgent {
  TempDir dir;
  TlsFiles tls{dir.path()};
  std::unique_ptr<Slothd> agent;
  ExampleAgent(std::vector<std::string> extra = {}) {
    CopyShippedExample(dir);
    std::vector<std::string> args{"--web.config.file", dir.File("web-config.yml")};
    args.insert(args.end(), extra.begin(), extra.end());
    agent = std::make_unique<Slothd>(args);
  }
  std::string client() const {
    return "--cacert " + tls.server_ca() + " --cert " + tls.client_cert() + " --key " + tls.client_key() + " ";
  }
  std::string url(const std::string& path) const { return agent->base_url() + path; }
};

TEST(WebConfig, PromtoolChecksTheShippedExample) {
  ExampleAgent example;
  std::string out;
  EXPECT_EQ(RunCommand("promtool check web-config " + example.dir.File("web-config.yml"), &out), 0) << out;
}

TEST(WebConfig, TlsWithClientCertificatesAndBasicAuth) {
  ExampleAgent example;
  EXPECT_EQ(example.agent->metrics_url().rfind("https://127.0.0.1:", 0), 0u) << example.agent->metrics_url();
  const std::string auth = std::string("-u prometheus:") + kExamplePassword + " ";
  EXPECT_EQ(CurlStatus(example.client() + auth + example.url("/metrics")), "200");
  EXPECT_EQ(CurlStatus(example.client() + "-u prometheus:wrong " + example.url("/metrics")), "401");
  EXPECT_EQ(CurlStatus(example.client() + "-u nobody:" + kExamplePassword + " " + example.url("/metrics")), "401");
  EXPECT_EQ(CurlStatus(example.client() + example.url("/health")), "401");  // /health too, by default
  // No client certificate, or one the client CA did not sign: refused in the handshake.
  EXPECT_EQ(CurlStatus("--cacert " + example.tls.server_ca() + " " + auth + example.url("/metrics")), "000");
  EXPECT_EQ(CurlStatus("--cacert " + example.tls.server_ca() + " --cert " + example.tls.renewed_cert() + " --key " +
                       example.tls.renewed_key() + " " + auth + example.url("/metrics")),
            "000");
  // Plain HTTP on the TLS port gets nothing useful.
  std::string plain = "http://127.0.0.1:" + std::to_string(PortOf(*example.agent)) + "/metrics";
  EXPECT_NE(CurlStatus(auth + plain), "200");
  // The configured headers, and the 401's challenge.
  std::string out;
  RunCommand("curl -s -D - -o /dev/null " + example.client() + auth + example.url("/metrics"), &out);
  EXPECT_NE(out.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Content-Type-Options: nosniff"), std::string::npos) << out;
  RunCommand("curl -s -D - -o /dev/null " + example.client() + example.url("/metrics"), &out);
  EXPECT_NE(out.find("WWW-Authenticate: Basic realm=\"slothd\""), std::string::npos) << out;
  EXPECT_NE(out.find("X-Content-Type-Options: nosniff"), std::string::npos) << out;
}

// The other client_auth_type policies, with Go's meanings: "if given" verifies a certificate
// only when one is sent; "require any" wants one but does not verify it.
TEST(WebConfig, ClientCertificatePoliciesFollowGo) {
  TempDir dir;
  TlsFiles tls(dir.path());
  const std::string trusted = "--cert " + tls.client_cert() + " --key " + tls.client_key() + " ";
  const std::string untrusted = "--cert " + tls.renewed_cert() + " --key " + tls.renewed_key() + " ";
  const std::string ca = "--cacert " + tls.server_ca() + " ";
  auto serve = [&](const std::string& policy) {
    WriteFile(dir.File(policy + ".yml"),
              "tls_server_config:\n  cert_file: tls/slothd.crt\n  key_file: tls/slothd.key\n"
              "  client_auth_type: " +
                  policy + "\n" +
                  (policy.find("Verify") != std::string::npos ? "  client_ca_file: tls/clients-ca.crt\n" : ""));
    return std::make_unique<Slothd>(std::vector<std::string>{"--web.config.file", dir.File(policy + ".yml")});
  };
  auto if_given = serve("VerifyClientCertIfGiven");
  const std::string url1 = if_given->base_url() + "/metrics";
  EXPECT_EQ(CurlStatus(ca + url1), "200");
  EXPECT_EQ(CurlStatus(ca + trusted + url1), "200");
  EXPECT_EQ(CurlStatus(ca + untrusted + url1), "000");
  auto any = serve("RequireAnyClientCert");
  const std::string url2 = any->base_url() + "/metrics";
  EXPECT_EQ(CurlStatus(ca + url2), "000");
  EXPECT_EQ(CurlStatus(ca + untrusted + url2), "200");
  auto request = serve("RequestClientCert");
  const std::string url3 = request->base_url() + "/metrics";
  EXPECT_EQ(CurlStatus(ca + url3), "200");
  EXPECT_EQ(CurlStatus(ca + untrusted + url3), "200");
}

TEST(WebConfig, HealthCanBeLeftOpenForProbes) {
  TempDir conf;
  WriteFile(conf.File("slothd.toml"), "[telemetry]\nhealth_without_auth = true\n");
  ExampleAgent example({"--config", conf.File("slothd.toml")});
  EXPECT_EQ(CurlStatus(example.client() + example.url("/health")), "200");
  EXPECT_EQ(CurlStatus(example.client() + example.url("/metrics")), "401");
}

TEST(WebConfig, PrometheusScrapesOverTlsWithBasicAuthAndIsRefusedOtherwise) {
  ExampleAgent example;
  const std::string target = "127.0.0.1:" + std::to_string(PortOf(*example.agent));
  auto job = [&](const std::string& name, const std::string& password, bool client_cert) {
    return "  - job_name: " + name + "\n    scheme: https\n    tls_config:\n      ca_file: " + example.tls.server_ca() +
           "\n" +
           (client_cert ? "      cert_file: " + example.tls.client_cert() +
                              "\n      key_file: " + example.tls.client_key() + "\n"
                        : "") +
           "    basic_auth:\n      username: prometheus\n      password: " + password +
           "\n    static_configs:\n      - targets: ['" + target + "']\n";
  };
  PrometheusServer prometheus(job("good", kExamplePassword, true) + job("wrong_password", "wrong", true) +
                                  job("no_cert", kExamplePassword, false),
                              {});
  auto value_is = [](const char* v) {
    return [v](const nlohmann::json& j) { return HasResult(j) && j["data"]["result"][0]["value"][1] == v; };
  };
  auto up = prometheus.QueryUntil("up{job=\"good\"}", value_is("1"), 60s);
  EXPECT_TRUE(value_is("1")(up)) << up.dump() << "\n" << prometheus.Output();
  auto wrong = prometheus.QueryUntil("up{job=\"wrong_password\"}", value_is("0"), 60s);
  EXPECT_TRUE(value_is("0")(wrong)) << wrong.dump();
  auto no_cert = prometheus.QueryUntil("up{job=\"no_cert\"}", value_is("0"), 60s);
  EXPECT_TRUE(value_is("0")(no_cert)) << no_cert.dump();
  // Why: the scrape errors Prometheus reports per target.
  auto last_error = [&](const std::string& job_name) {
    auto targets = prometheus.Get("/api/v1/targets?state=active");
    for (const auto& t : targets["data"]["activeTargets"]) {
      if (t["labels"]["job"] == job_name) return t.value("lastError", std::string());
    }
    return std::string("(no target)");
  };
  // Prometheus says "server returned HTTP status 401 Unauthorized"; a bare "401" can also be in
  // the error's client port ("127.0.0.1:40146").
  constexpr std::string_view kUnauthorized = "HTTP status 401";
  EXPECT_NE(last_error("wrong_password").find(kUnauthorized), std::string::npos) << last_error("wrong_password");
  // Refused in the handshake (GnuTLS closes the connection), before any HTTP status.
  EXPECT_NE(last_error("no_cert"), "");
  EXPECT_EQ(last_error("no_cert").find(kUnauthorized), std::string::npos) << last_error("no_cert");
  EXPECT_EQ(last_error("good"), "");
}

std::string FirstTaskId(const Slothd& agent) {
  std::string out;
  RunCommand(std::string(SLOTHCTL_PATH) + " --socket " + agent.control_socket() + " -o json agent tasks local", &out);
  std::smatch m;
  if (std::regex_search(out, m, std::regex("\"(t-[0-9a-f-]+)\""))) return m[1];
  return "(no task in: " + out + ")";
}

TEST(WebConfig, PrometheusStoresTheTaskIdExemplarOfADurationBucket) {
  ExampleAgent example;
  std::string out;
  ASSERT_EQ(RunCommand(std::string(SLOTHCTL_PATH) + " --socket " + example.agent->control_socket() +
                           " agent run local --name exemplar-task 'sleep 0.3'",
                       &out),
            0)
      << out;
  const std::string id = FirstTaskId(*example.agent);
  const std::string target = "127.0.0.1:" + std::to_string(PortOf(*example.agent));
  PrometheusServer prometheus(
      "  - job_name: slothd\n    scheme: https\n    tls_config:\n      ca_file: " + example.tls.server_ca() +
          "\n      cert_file: " + example.tls.client_cert() + "\n      key_file: " + example.tls.client_key() +
          "\n    basic_auth:\n      username: prometheus\n      password: " + kExamplePassword +
          "\n    static_configs:\n      - targets: ['" + target + "']\n",
      {"--enable-feature=exemplar-storage"});
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string query =
      "/api/v1/query_exemplars?query=sloth_task_duration_seconds_bucket%7Btask%3D%22exemplar-task%22%7D"
      "&start=" +
      std::to_string(now - 3600) + "&end=" + std::to_string(now + 3600);
  auto answer = prometheus.GetUntil(
      query, [](const nlohmann::json& j) { return j.value("status", "") == "success" && !j["data"].empty(); }, 60s);
  ASSERT_EQ(answer.value("status", ""), "success") << answer.dump() << "\n" << prometheus.Output();
  ASSERT_FALSE(answer["data"].empty()) << answer.dump();
  const auto& series = answer["data"][0];
  EXPECT_EQ(series["seriesLabels"]["le"], "0.5") << series.dump();
  ASSERT_FALSE(series["exemplars"].empty());
  EXPECT_EQ(series["exemplars"][0]["labels"]["task_id"], id) << series.dump();
}

struct CtlRun {
  int exit_code = -1;
  std::string output;
};

CtlRun Slothctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  ChildProcess process(SLOTHCTL_PATH, args, env);
  CtlRun r;
  r.exit_code = process.WaitExit().value_or(-1);
  r.output = process.Output();
  return r;
}

TEST(WebConfig, SlothctlReachesTheEndpointWithCaClientCertificateAndUser) {
  ExampleAgent example;
  const std::vector<std::string> tls = {"--endpoint", example.agent->base_url(), "--cacert", example.tls.server_ca(),
                                        "--cert",     example.tls.client_cert(), "--key",    example.tls.client_key()};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = tls;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  // The password from the environment.
  auto r = Slothctl(with({"--user", "prometheus", "metrics", "prom", "a1", "--snapshot"}),
                    {std::string("SLOTH_PASSWORD=") + kExamplePassword});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("sloth_tasks_total{"), std::string::npos) << r.output;
  // From a file; a wrong one is a 401 that says what to do.
  WriteFile(example.dir.File("password"), std::string(kExamplePassword) + "\n");
  WriteFile(example.dir.File("wrong"), "wrong\n");
  r = Slothctl(with({"--user", "prometheus", "--password-file", example.dir.File("password"), "metrics", "prom", "a1",
                     "--snapshot"}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Slothctl(with(
      {"--user", "prometheus", "--password-file", example.dir.File("wrong"), "metrics", "prom", "a1", "--snapshot"}));
  EXPECT_EQ(r.exit_code, 69) << r.output;
  EXPECT_NE(r.output.find("HTTP 401"), std::string::npos) << r.output;
  // No password anywhere and no terminal to ask on: a usage error, nothing sent.
  r = Slothctl(with({"--user", "prometheus", "metrics", "prom", "a1", "--snapshot"}), {"SLOTH_PASSWORD="});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // A password on the command line is refused.
  r = Slothctl(with({"--user", std::string("prometheus:") + kExamplePassword, "metrics", "prom", "a1", "--snapshot"}));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // Everything from slothctl.toml.
  WriteFile(example.dir.File("slothctl.toml"),
            "endpoint = \"" + example.agent->base_url() + "\"\ncacert = \"" + example.tls.server_ca() +
                "\"\ncert = \"" + example.tls.client_cert() + "\"\nkey = \"" + example.tls.client_key() +
                "\"\nuser = \"prometheus\"\npassword_file = \"" + example.dir.File("password") + "\"\n");
  r = Slothctl({"--config", example.dir.File("slothctl.toml"), "metrics", "prom", "a1", "--snapshot"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("sloth_tasks_total{"), std::string::npos) << r.output;
}

// A task over the slow threshold (P99 above 5 s): the dashboard names its run and the journal
// command, whether it reads the agent over the control socket or over https.
TEST(WebConfig, DashboardShowsTheSlowTasksSlowestRunAndJournalCommand) {
  ExampleAgent example;
  auto r = Slothctl(
      {"--socket", example.agent->control_socket(), "agent", "run", "local", "--name", "slow-one", "sleep 5.1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = FirstTaskId(*example.agent);
  const std::string journal = "journalctl SLOTH_TASK_ID=" + id;
  auto check = [&](const CtlRun& json_run, const CtlRun& text_run, const char* where) {
    ASSERT_EQ(json_run.exit_code, 0) << where << ": " << json_run.output;
    auto model = nlohmann::json::parse(json_run.output, nullptr, false);
    ASSERT_FALSE(model.is_discarded()) << json_run.output;
    const auto& row = model["task_performance"][0];
    EXPECT_EQ(row["task"], "slow-one") << where;
    EXPECT_EQ(row["speed"], "slow") << where;
    EXPECT_EQ(row["slowest_run"]["id"], id) << where << ": " << row.dump();
    EXPECT_EQ(row["slowest_run"]["journal"], journal) << where;
    EXPECT_NE(text_run.output.find(journal), std::string::npos) << where << ":\n" << text_run.output;
  };
  const std::vector<std::string> socket = {"--socket", example.agent->control_socket()};
  auto over = [&](std::vector<std::string> base, std::vector<std::string> more, std::vector<std::string> env = {}) {
    base.insert(base.end(), more.begin(), more.end());
    return Slothctl(base, env);
  };
  check(over(socket, {"-o", "json", "metrics", "grafana", "local"}), over(socket, {"metrics", "grafana", "local"}),
        "socket");
  const std::vector<std::string> https = {"--endpoint", example.agent->base_url(),
                                          "--cacert",   example.tls.server_ca(),
                                          "--cert",     example.tls.client_cert(),
                                          "--key",      example.tls.client_key(),
                                          "--user",     "prometheus"};
  const std::vector<std::string> env = {std::string("SLOTH_PASSWORD=") + kExamplePassword};
  check(over(https, {"-o", "json", "metrics", "grafana", "a1"}, env), over(https, {"metrics", "grafana", "a1"}, env),
        "https");
}

TEST(WebConfig, MetricsAnswersOpenMetricsOnlyWhenAsked) {
  Slothd agent;
  const auto plain = HttpRequest(agent.metrics_url());
  EXPECT_EQ(plain.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(plain.body.find("# EOF"), std::string::npos);
  const auto om = HttpRequest(agent.metrics_url(), "GET",
                              {"Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"});
  EXPECT_EQ(om.headers.at("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_TRUE(om.body.ends_with("# EOF\n")) << om.body;
  EXPECT_NE(om.body.find("# TYPE sloth_tasks counter\n"), std::string::npos);
  EXPECT_EQ(om.headers.at("vary"), "Accept, Accept-Encoding");
}

TEST(WebConfig, ReloadSwapsARenewedCertificateOnTheSameListener) {
  ExampleAgent example;
  const uint16_t port = PortOf(*example.agent);
  const std::string before = PresentedFingerprint(port);
  ASSERT_EQ(before, FileFingerprint(example.tls.server_cert()));
  std::filesystem::copy_file(example.tls.renewed_cert(), example.tls.server_cert(),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(example.tls.renewed_key(), example.tls.server_key(),
                             std::filesystem::copy_options::overwrite_existing);
  example.agent->process().Signal(SIGHUP);
  ASSERT_TRUE(example.agent->process().WaitForLine("configuration reloaded")) << example.agent->process().Output();
  EXPECT_EQ(PresentedFingerprint(port), FileFingerprint(example.tls.renewed_cert()));
  EXPECT_NE(PresentedFingerprint(port), before);
  EXPECT_EQ(CurlStatus(example.client() + "-u prometheus:" + kExamplePassword + " " + example.url("/metrics")), "200");
}

// Each bad web-config, at start (exit 2, nothing served) and on reload (the running one stays).
struct BadWebConfig {
  const char* name;  // the test's name
  const char* yaml;
  const char* message;  // what the error line must say
};

void PrintTo(const BadWebConfig& c, std::ostream* os) { *os << c.name; }

class WebConfigRefused : public ::testing::TestWithParam<BadWebConfig> {};

TEST_P(WebConfigRefused, AtStartWithExitTwoAndTheKeyNamed) {
  TempDir dir;
  TlsFiles tls(dir.path());
  WriteFile(dir.File("web.yml"), GetParam().yaml);
  Slothd agent({"--web.config.file", dir.File("web.yml")}, /*wait_ready=*/false);
  EXPECT_EQ(agent.process().WaitExit(), 2) << agent.process().Output();
  const std::string out = agent.process().Output();
  EXPECT_NE(out.find(GetParam().message), std::string::npos) << out;
  EXPECT_NE(out.find(dir.File("web.yml")), std::string::npos) << out;
  EXPECT_EQ(out.find(" ready "), std::string::npos) << out;
}

TEST_P(WebConfigRefused, OnReloadKeepingTheRunningOne) {
  ExampleAgent example;
  WriteFile(example.dir.File("web-config.yml"), GetParam().yaml);
  example.agent->process().Signal(SIGHUP);
  auto line = example.agent->process().WaitForLine("reload failed");
  ASSERT_TRUE(line) << example.agent->process().Output();
  EXPECT_NE(line->find(GetParam().message), std::string::npos) << *line;
  EXPECT_EQ(CurlStatus(example.client() + "-u prometheus:" + kExamplePassword + " " + example.url("/metrics")), "200");
}

INSTANTIATE_TEST_SUITE_P(
    Each, WebConfigRefused,
    ::testing::Values(BadWebConfig{"UnknownKey", "tls_server_config:\n  certfile: tls/slothd.crt\n",
                                   "tls_server_config.certfile: unknown key"},
                      BadWebConfig{"PlainPassword", "basic_auth_users:\n  prometheus: example-password-change-me\n",
                                   "basic_auth_users.prometheus: expected a bcrypt hash"},
                      BadWebConfig{"MissingCertificate",
                                   "tls_server_config:\n  cert_file: tls/missing.crt\n  key_file: tls/slothd.key\n",
                                   "tls_server_config.cert_file: cannot read"},
                      BadWebConfig{"KeyOfAnotherCertificate",
                                   "tls_server_config:\n  cert_file: tls/slothd.crt\n  key_file: tls/client.key\n",
                                   "tls_server_config.key_file:"},
                      BadWebConfig{"CaFileWithoutCertificates",
                                   "tls_server_config:\n  cert_file: tls/slothd.crt\n  key_file: tls/slothd.key\n"
                                   "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: tls/slothd.key\n",
                                   "tls_server_config.client_ca_file:"},
                      BadWebConfig{"UnknownTlsVersion",
                                   "tls_server_config:\n  cert_file: tls/slothd.crt\n  key_file: tls/slothd.key\n"
                                   "  min_version: TLS1.3\n",
                                   "tls_server_config.min_version: expected TLS10, TLS11, TLS12 or TLS13"},
                      BadWebConfig{"HeaderNotAllowed", "http_server_config:\n  headers:\n    Server: slothd\n",
                                   "http_server_config.headers.Server: unknown key"},
                      BadWebConfig{"YamlSyntax", "tls_server_config: [\n", "YAML syntax error"}),
    [](const ::testing::TestParamInfo<BadWebConfig>& p) { return std::string(p.param.name); });

TEST(WebConfig, MissingWebConfigFileIsAConfigurationError) {
  TempDir dir;
  Slothd agent({"--web.config.file", dir.File("absent.yml")}, /*wait_ready=*/false);
  EXPECT_EQ(agent.process().WaitExit(), 2);
  EXPECT_NE(agent.process().Output().find("cannot read " + dir.File("absent.yml")), std::string::npos)
      << agent.process().Output();
}

TEST(WebConfig, CheckConfigChecksTheWebConfigToo) {
  TempDir dir;
  WriteFile(dir.File("web.yml"), "basic_auth_users:\n  alice: secret\n");
  WriteFile(dir.File("slothd.toml"), "[telemetry]\nweb_config = \"" + dir.File("web.yml") + "\"\n");
  std::string out;
  EXPECT_EQ(RunCommand(SlothdPath() + " --check-config --config " + dir.File("slothd.toml"), &out), 2) << out;
  EXPECT_NE(out.find("basic_auth_users.alice"), std::string::npos) << out;
}

}  // namespace
}  // namespace sloth::test
