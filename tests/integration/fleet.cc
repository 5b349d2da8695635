#include "tests/integration/fleet.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace sloth::test {
namespace {

std::string Field(const std::string& line, const std::string& key) {
  const auto pos = line.find(key + "=");
  if (pos == std::string::npos) return "";
  std::string value = line.substr(pos + key.size() + 1);
  return value.substr(0, value.find_first_of(" )"));
}

}  // namespace

Fleet::Fleet() : Fleet(Options{}) {}

Fleet::Fleet(Options options) : options_(std::move(options)) {
  MakeCerts({"ca"});
  MakeCerts({"master", "master", "IP:127.0.0.1", "DNS:localhost"});
  MakeCerts({"operator", "alice"});
}

std::string Fleet::MakeCerts(const std::vector<std::string>& args, const std::string& dir) {
  std::string command = std::string(SLOTH_MAKE_FLEET_CERTS) + " " + dir_.File(dir);
  for (const auto& arg : args) command += " '" + arg + "'";
  std::string output;
  if (RunCommand(command, &output) != 0) throw std::runtime_error("make-fleet-certs failed: " + output);
  return output;
}

ChildProcess& Fleet::StartMaster(const std::string& extra_config) {
  const std::string tokens = dir_.File("tokens");
  if (!std::filesystem::exists(tokens)) WriteFile(tokens, "# no tokens yet\n");
  WriteFile(dir_.File("master.toml"),
            "[master]\naddress = \"127.0.0.1\"\nport = " + std::to_string(master_port_) + "\ncert = \"" +
                Pki("master.crt") + "\"\nkey = \"" + Pki("master.key") + "\"\nclient_ca = \"" + Pki("ca.crt") +
                "\"\noperators = [\"alice\"]\ntokens_file = \"" + tokens + "\"\nstate_dir = \"" +
                dir_.File("master-state") + "\"\nheartbeat_interval = \"" + options_.heartbeat_interval +
                "\"\nmissed_heartbeats = " + std::to_string(options_.missed_heartbeats) + "\n" + extra_config +
                "\n[telemetry]\naddress = \"127.0.0.1\"\nport = 0\n");
  master_ = std::make_unique<ChildProcess>(
      SlothdPath(), std::vector<std::string>{"--role", "master", "--config", dir_.File("master.toml")});
  auto ready = master_->WaitForLine(" master ready ");
  if (!ready) throw std::runtime_error("the master did not become ready; output:\n" + master_->Output());
  master_address_ = Field(*ready, "SLOTH_MASTER_ADDRESS");
  const std::string metrics = Field(*ready, "SLOTH_METRICS_URL");
  master_http_ = metrics.substr(0, metrics.rfind("/metrics"));
  master_port_ = static_cast<uint16_t>(std::stoi(master_address_.substr(master_address_.rfind(':') + 1)));
  return *master_;
}

void Fleet::KillMaster() {
  master_->Signal(SIGKILL);
  master_->WaitExit();
}

Slothd& Fleet::StartAgent(const std::string& name, const std::string& certificate, const std::string& extra_config) {
  const std::string cert = certificate.empty() ? name : certificate;
  if (!std::filesystem::exists(Pki(cert + ".crt"))) MakeCerts({"agent", cert});
  const std::string config = dir_.File(name + ".toml");
  WriteFile(config, "[agent]\nmaster = \"" + master_address_ + "\"\nmaster_ca = \"" + Pki("ca.crt") +
                        "\"\nmaster_cert = \"" + Pki(cert + ".crt") + "\"\nmaster_key = \"" + Pki(cert + ".key") +
                        "\"\nmaster_backoff_max = \"1s\"\n" + extra_config + "\n");
  agents_.erase(name);  // a restarted agent: the old process goes first
  auto agent = std::make_unique<Slothd>(std::vector<std::string>{"--name", name, "--config", config});
  Slothd& started = *agent;
  agents_[name] = std::move(agent);
  return started;
}

bool Fleet::WaitRegistered(const std::string& name, size_t count) {
  return agent(name).process().WaitForNthLine("registered with the master", count).has_value();
}

CtlResult Fleet::CtlWith(const std::vector<std::string>& credentials, std::vector<std::string> args,
                         const std::vector<std::string>& env) {
  std::vector<std::string> full = {
      "--socket", dir_.File("no-local-agent.sock"), "--master", master_address_, "--master-cacert", Pki("ca.crt")};
  full.insert(full.end(), credentials.begin(), credentials.end());
  full.insert(full.end(), args.begin(), args.end());
  ChildProcess process(SLOTHCTL_PATH, full, env);
  CtlResult result;
  result.exit_code = process.WaitExit().value_or(-1);
  result.output = process.Output();
  return result;
}

CtlResult Fleet::Ctl(std::vector<std::string> args, const std::vector<std::string>& env) {
  return CtlWith({"--master-cert", Pki("alice.crt"), "--master-key", Pki("alice.key")}, std::move(args), env);
}

std::map<std::string, nlohmann::json> Fleet::Agents() {
  const CtlResult listed = Ctl({"-o", "json", "agent", "list"});
  if (listed.exit_code != 0) throw std::runtime_error("agent list failed: " + listed.output);
  std::map<std::string, nlohmann::json> agents;
  const nlohmann::json parsed = nlohmann::json::parse(listed.output);
  for (const auto& agent : parsed["agents"]) agents[agent["name"].get<std::string>()] = agent;
  return agents;
}

double Fleet::MasterMetric(const std::string& sample) {
  const HttpResponse response = HttpRequest(master_http_ + "/metrics");
  std::istringstream lines(response.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

}  // namespace sloth::test
